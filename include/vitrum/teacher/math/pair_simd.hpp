#pragma once
/// \file pair_simd.hpp
/// The one header behind which the CPU teacher's pair loop is vectorised (host only): the pair
/// term of born_dsf.hpp written without branches, so that the compiler turns a
/// `#pragma omp simd` loop over a row of the neighbor list into AVX2 / AVX-512 code (the build
/// uses -march=native). Same formula as pair_energy_force (born_dsf.hpp), term by term; what
/// differs is how the transcendentals are evaluated:
///   - exp(x) by exp_simd: 2^k p(r) with x = k ln2 + r, |r| <= ln2/2, p the degree-13 Taylor
///     polynomial (truncation < 5e-18 relative), 2^k built from its bits. Relative error against
///     the C library <= 4e-16 on [-700, 0] (tests/teacher/teacher_simd_test.cpp); x < -700
///     gives exp(-700) (about 1e-304, where the pair terms' prefactors make it vanish anyway).
///   - erfc(x) from the ErfcTable polynomials (erfc_table.hpp), exactly the CPU and CUDA
///     backends' table: relative error <= 1e-14 against the C library on [0, α rc].
///   - the wall's (r_w/r)ⁿ by squaring (n <= 64) instead of n − 1 products.
/// Pair energies and forces agree with pair_energy_force to ~1e-14 relative; LAMMPS parity
/// (1e-8) and finite-difference tests are unchanged.

#include <cmath>
#include <cstdint>
#include <cstring>
#include <vector>

#include "vitrum/teacher/math/born_dsf.hpp"
#include "vitrum/teacher/math/erfc_table.hpp"

namespace vitrum::teacher {

/// exp(x) for x <= 0 without branches or library calls (vectorisable); see the file comment.
inline double exp_simd(double x) {
  constexpr double kLog2e = 1.4426950408889634074;
  constexpr double kLn2Hi = 6.93147180369123816490e-01;  // ln 2 with 32 trailing zero bits
  constexpr double kLn2Lo = 1.90821492927058770002e-10;  // ln 2 − kLn2Hi
  x = x < -700.0 ? -700.0 : (x > 0.0 ? 0.0 : x);
  const double kd = std::floor(x * kLog2e + 0.5);
  const double r = (x - kd * kLn2Hi) - kd * kLn2Lo;
  double p = 1.0 / 6227020800.0;  // 1/13!
  p = p * r + 1.0 / 479001600.0;
  p = p * r + 1.0 / 39916800.0;
  p = p * r + 1.0 / 3628800.0;
  p = p * r + 1.0 / 362880.0;
  p = p * r + 1.0 / 40320.0;
  p = p * r + 1.0 / 5040.0;
  p = p * r + 1.0 / 720.0;
  p = p * r + 1.0 / 120.0;
  p = p * r + 1.0 / 24.0;
  p = p * r + 1.0 / 6.0;
  p = p * r + 0.5;
  p = p * r + 1.0;
  p = p * r + 1.0;
  // 2^k: the integer kd + 1023 sits in the low mantissa bits of (kd + 1023) + 2^52; shifting
  // those bits into the exponent field gives the double 2^k (−1009 <= k <= 0 here).
  const double biased = (kd + 1023.0) + 4503599627370496.0;
  std::uint64_t bits;
  std::memcpy(&bits, &biased, sizeof bits);
  bits <<= 52;
  double scale;
  std::memcpy(&scale, &bits, sizeof scale);
  return p * scale;
}

/// Raw pointers into a PairTableSoA, copied by value into the vectorised loop.
struct PairSoAView {
  const double *cut2, *rc_sr2, *A, *inv_rho, *C, *offset, *qq, *wall_eps, *wall_r, *inv_wall_r,
      *wall_n;
  const int* wall_n_int;
  DsfCoeffs dsf;
  ErfcTableView erfc;
};

/// The pair coefficients of compile_teacher_tables as structure of arrays, indexed by
/// ti * n_types + tj, plus the DSF constants and the erfc table: what the vectorised loop
/// gathers per neighbor.
struct PairTableSoA {
  std::vector<double> cut2, rc_sr2, A, inv_rho, C, offset, qq, wall_eps, wall_r, inv_wall_r;
  std::vector<double> wall_n;  ///< exponent as a double (integer 1..64), 0 without a wall
  std::vector<int> wall_n_int;
  DsfCoeffs dsf;
  ErfcTableView erfc;

  PairTableSoA() = default;
  PairTableSoA(const TeacherView& v, const ErfcTableView& table) : dsf(v.dsf), erfc(table) {
    const int m = v.n_types * v.n_types;
    for (auto* a :
         {&cut2, &rc_sr2, &A, &inv_rho, &C, &offset, &qq, &wall_eps, &wall_r, &inv_wall_r, &wall_n})
      a->resize(m);
    wall_n_int.resize(m);
    for (int k = 0; k < m; ++k) {
      const PairCoeffs& p = v.pair[k];
      cut2[k] = p.cut2;
      rc_sr2[k] = p.rc_sr2;
      A[k] = p.A;
      inv_rho[k] = p.inv_rho;
      C[k] = p.C;
      offset[k] = p.offset;
      qq[k] = p.qq;
      const bool wall = p.wall_eps > 0.0;
      wall_eps[k] = wall ? p.wall_eps : 0.0;
      wall_r[k] = wall ? p.wall_r : 0.0;
      inv_wall_r[k] = wall ? 1.0 / p.wall_r : 0.0;
      wall_n[k] = wall ? p.wall_n : 0.0;
      wall_n_int[k] = wall ? p.wall_n : 0;
    }
  }

  PairSoAView view() const {
    return PairSoAView{cut2.data(),   rc_sr2.data(),
                       A.data(),      inv_rho.data(),
                       C.data(),      offset.data(),
                       qq.data(),     wall_eps.data(),
                       wall_r.data(), inv_wall_r.data(),
                       wall_n.data(), wall_n_int.data(),
                       dsf,           erfc};
  }
};

/// born_dsf.hpp's pair_energy_force for the coefficients at index k of `t`, branch-free: e (eV)
/// and f = −φ'(r)/r (eV/Å²), both 0 beyond every cutoff of the pair.
inline void pair_energy_force_simd(double r2, int k, const PairSoAView& t, double& e, double& f) {
  const DsfCoeffs& d = t.dsf;
  const bool in = r2 < t.cut2[k];
  const double rr2 = in ? r2 : 1.0;
  const double r = std::sqrt(rr2);
  const double inv_r = 1.0 / r;
  const double inv_r2 = inv_r * inv_r;
  // DSF Coulomb (r < rc).
  const double erfcd = exp_simd(-d.alpha * d.alpha * rr2);
  const double erfcc = t.erfc(d.alpha * r, erfcd);
  const double pre = t.qq[k] * inv_r;
  const bool in_c = rr2 < d.rc2;
  const double e_c = pre * (erfcc - r * d.e_shift - rr2 * d.f_shift);
  const double fr_c = pre * (erfcc + (kTwoOverSqrtPi * d.alpha * erfcd + r * d.f_shift) * r);
  // Buckingham (r < rc_sr).
  const bool in_s = rr2 < t.rc_sr2[k];
  const double inv_r6 = inv_r2 * inv_r2 * inv_r2;
  const double rexp = exp_simd(-r * t.inv_rho[k]);
  const double e_s = t.A[k] * rexp - t.C[k] * inv_r6 - t.offset[k];
  const double fr_s = t.A[k] * t.inv_rho[k] * r * rexp - 6.0 * t.C[k] * inv_r6;
  // Wall (r < r_w): x = r_w/r, xⁿ by squaring over the exponent's bits.
  const bool in_w = t.wall_eps[k] > 0.0 && r < t.wall_r[k];
  const double x = in_w ? t.wall_r[k] * inv_r : 1.0;
  const int n = t.wall_n_int[k];
  double xn = 1.0, sq = x;
  for (int bit = 0; bit < 7; ++bit) {
    xn = ((n >> bit) & 1) ? xn * sq : xn;
    sq *= sq;
  }
  const double nd = t.wall_n[k];
  const double inv_x = r * t.inv_wall_r[k];
  const double e_w = t.wall_eps[k] * (xn + nd * inv_x - (nd + 1.0));
  const double fr_w = t.wall_eps[k] * nd * (xn - inv_x);
  double energy = in_c ? e_c : 0.0;
  double fr = in_c ? fr_c : 0.0;
  energy += in_s ? e_s : 0.0;
  fr += in_s ? fr_s : 0.0;
  energy += in_w ? e_w : 0.0;
  fr += in_w ? fr_w : 0.0;
  e = in ? energy : 0.0;
  f = in ? fr * inv_r2 : 0.0;
}

/// The DSF Coulomb part of pair_energy_force_simd alone: e and f of a pair known to be beyond
/// its short-range cutoff and wall (0 beyond the Coulomb cutoff).
inline void pair_coulomb_simd(double r2, int k, const PairSoAView& t, double& e, double& f) {
  const DsfCoeffs& d = t.dsf;
  const bool in_c = r2 < d.rc2;
  const double rr2 = in_c ? r2 : 1.0;
  const double r = std::sqrt(rr2);
  const double inv_r = 1.0 / r;
  const double erfcd = exp_simd(-d.alpha * d.alpha * rr2);
  const double erfcc = t.erfc(d.alpha * r, erfcd);
  const double pre = t.qq[k] * inv_r;
  const double e_c = pre * (erfcc - r * d.e_shift - rr2 * d.f_shift);
  const double fr_c = pre * (erfcc + (kTwoOverSqrtPi * d.alpha * erfcd + r * d.f_shift) * r);
  e = in_c ? e_c : 0.0;
  f = in_c ? fr_c * inv_r * inv_r : 0.0;
}

}  // namespace vitrum::teacher
