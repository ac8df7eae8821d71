#pragma once
/// \file simd_math.hpp
/// Declares exp, pow, acos and sqrt as OpenMP "declare simd" functions for host code, so that
/// the symmetry-function loops (`omp simd`) call glibc's vector math library (libmvec, <= 4 ulp)
/// instead of falling back to scalar calls. glibc only declares these variants under
/// -ffast-math, which vitrum does not use (it changes results). Included by the CPU backend
/// translation units; a no-op for nvcc and without OpenMP. The re-declarations must follow
/// glibc's own (GCC attaches the simd variants only then), hence <cmath> first.

#include <cmath>

#if defined(_OPENMP) && !defined(__CUDACC__) && defined(__x86_64__) && defined(__GLIBC__)
extern "C" {
#pragma omp declare simd notinbranch
double exp(double) noexcept;
#pragma omp declare simd notinbranch
float expf(float) noexcept;
#pragma omp declare simd notinbranch
double pow(double, double) noexcept;
#pragma omp declare simd notinbranch
float powf(float, float) noexcept;
#pragma omp declare simd notinbranch
double acos(double) noexcept;
#pragma omp declare simd notinbranch
float acosf(float) noexcept;
}
#endif
