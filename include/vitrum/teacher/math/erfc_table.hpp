#pragma once
/// \file erfc_table.hpp
/// Tabulated erfc for the teacher's DSF Coulomb term, single source for host and device: the
/// table is built and checked on the host (ErfcTable); ErfcTableView evaluates it from host or
/// device memory (the CPU backend and the CUDA warp-per-atom kernel read the same numbers).

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <vector>

#include "vitrum/teacher/math/born_dsf.hpp"

namespace vitrum::teacher {

/// Evaluates an ErfcTable's polynomials: erfc(x) = exp(−x²) erfcx(x), for 0 <= x <= x_max.
/// Usable as born_dsf.hpp's `erfc_of`.
struct ErfcTableView {
  static constexpr int kDegree = 9;
  int n = 0;                       ///< intervals
  double inv_h = 0.0;              ///< 1 / interval width
  const double* coeffs = nullptr;  ///< per interval: x0, then a_0 .. a_kDegree
  VITRUM_HD double operator()(double x, double exp_neg_x2) const {
    int k = static_cast<int>(x * inv_h);
    k = k < n - 1 ? k : n - 1;
    const double* a = coeffs + static_cast<long>(k) * (kDegree + 2);
    const double t = x - a[0];
    const double* c = a + 1;
    double p = c[kDegree];
    for (int m = kDegree - 1; m >= 0; --m) p = p * t + c[m];
    return p * exp_neg_x2;
  }
};

/// erfc(x) for 0 <= x <= x_max as exp(−x²) erfcx(x), erfcx(x) = exp(x²) erfc(x) from its
/// degree-kDegree Taylor polynomial about the centre x0 of each of n equal intervals of width
/// <= 1/32. The coefficients follow from erfcx' = 2x erfcx − 2/√π:
///   a_0 = erfcx(x0),  a_1 = 2 x0 a_0 − 2/√π,  (n+1) a_{n+1} = 2 x0 a_n + 2 a_{n−1};
/// with |x − x0| <= 1/64 the truncation is far below rounding. The constructor checks the table
/// against the C library on a fine grid; usable() is false (use std::erfc) if it ever differed
/// by more than 1e-14 relative.
class ErfcTable {
 public:
  static constexpr int kDegree = ErfcTableView::kDegree;

  explicit ErfcTable(double x_max) {
    x_max = std::max(x_max, 1e-3);
    n_ = static_cast<int>(std::min(std::ceil(32.0 * x_max), 65536.0));
    h_ = x_max / n_;
    inv_h_ = 1.0 / h_;
    coeffs_.resize(static_cast<std::size_t>(n_) * (kDegree + 2));
    for (int k = 0; k < n_; ++k) {
      double* a = &coeffs_[static_cast<std::size_t>(k) * (kDegree + 2)];
      const double x0 = (k + 0.5) * h_;
      a[0] = x0;
      double* c = a + 1;
      c[0] = std::exp(x0 * x0) * std::erfc(x0);
      c[1] = 2.0 * x0 * c[0] - kTwoOverSqrtPi;
      for (int m = 1; m < kDegree; ++m) c[m + 1] = (2.0 * x0 * c[m] + 2.0 * c[m - 1]) / (m + 1);
    }
    double worst = 0.0;
    for (int s = 0; s <= 16 * n_; ++s) {
      const double x = s * (x_max / (16.0 * n_));
      const double ref = std::erfc(x);
      if (ref > 1e-300) worst = std::max(worst, std::abs((*this)(x, std::exp(-x * x)) - ref) / ref);
    }
    usable_ = worst < 1e-14;
  }

  bool usable() const { return usable_; }

  double operator()(double x, double exp_neg_x2) const { return view()(x, exp_neg_x2); }
  /// The evaluator on this table's host coefficients.
  ErfcTableView view() const { return ErfcTableView{n_, inv_h_, coeffs_.data()}; }
  /// The coefficients (to upload: a view onto a device copy evaluates the same numbers).
  const std::vector<double>& coefficients() const { return coeffs_; }
  int intervals() const { return n_; }
  double inv_width() const { return inv_h_; }

 private:
  int n_ = 0;
  double h_ = 0.0, inv_h_ = 0.0;
  std::vector<double> coeffs_;  ///< per interval: x0, then a_0 .. a_kDegree
  bool usable_ = false;
};

/// born_dsf.hpp's pair term with the tabulated erfc (for atom_terms / team_atom_terms).
struct TablePair {
  ErfcTableView erfc;
  VITRUM_HD bool operator()(int /*q*/, int /*j*/, double r2, const PairCoeffs& p,
                            const DsfCoeffs& d, double& e, double& f) const {
    return pair_energy_force(r2, p, d, e, f, erfc);
  }
};

}  // namespace vitrum::teacher
