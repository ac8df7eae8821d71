#pragma once
/// \file cublas_lazy.cuh
/// cuBLAS loaded on first use. Linking libcublas into the executable costs every run, CPU runs
/// included, ~0.2 s and ~215 MB of resident memory (the dynamic loader relocates libcublasLt,
/// ~540 MB of code, at start-up). vitrum calls four cuBLAS functions; this header declares them
/// with cuBLAS's own types and signatures, and cublas_lazy.cu resolves them with dlopen/dlsym the
/// first time a GPU backend creates a handle. A missing library is a clear error at that point.
#include <cublas_v2.h>

namespace vitrum::cuda::blas {

cublasStatus_t create(cublasHandle_t* handle);
cublasStatus_t destroy(cublasHandle_t handle);
cublasStatus_t dgemm(cublasHandle_t h, cublasOperation_t ta, cublasOperation_t tb, int m, int n,
                     int k, const double* alpha, const double* a, int lda, const double* b, int ldb,
                     const double* beta, double* c, int ldc);
cublasStatus_t sgemm(cublasHandle_t h, cublasOperation_t ta, cublasOperation_t tb, int m, int n,
                     int k, const float* alpha, const float* a, int lda, const float* b, int ldb,
                     const float* beta, float* c, int ldc);

}  // namespace vitrum::cuda::blas
