#pragma once
/// \file small_linalg.hpp
/// Dense symmetric positive (semi)definite solves for the EM fit: the 2×2/3×3 scoring step of
/// one peak and the inverse diagonal of the observed information (P ≤ kMaxParams). Host and
/// device, no allocation.

#include <cmath>

#include "vitrum/core/hd.hpp"

namespace vitrum::spectra::math {

/// Solves A x = b for symmetric A (d ≤ 3, packed upper (00,01,02,11,12,22) as in em_shapes.hpp)
/// by Cholesky. Returns false (x untouched) when A is not positive definite.
VITRUM_HD bool solve_packed_spd(int d, const double* a, const double* b, double* x) {
  using std::sqrt;
  double m[3][3];
  const int idx[3][3] = {{0, 1, 2}, {1, 3, 4}, {2, 4, 5}};
  for (int i = 0; i < d; ++i)
    for (int j = 0; j < d; ++j) m[i][j] = a[idx[i][j]];
  double l[3][3] = {{0, 0, 0}, {0, 0, 0}, {0, 0, 0}};
  for (int j = 0; j < d; ++j) {
    double s = m[j][j];
    for (int k = 0; k < j; ++k) s -= l[j][k] * l[j][k];
    if (!(s > 1e-300) || !(s > 1e-14 * m[j][j])) return false;
    l[j][j] = sqrt(s);
    for (int i = j + 1; i < d; ++i) {
      double t = m[i][j];
      for (int k = 0; k < j; ++k) t -= l[i][k] * l[j][k];
      l[i][j] = t / l[j][j];
    }
  }
  double y[3];
  for (int i = 0; i < d; ++i) {
    double t = b[i];
    for (int k = 0; k < i; ++k) t -= l[i][k] * y[k];
    y[i] = t / l[i][i];
  }
  for (int i = d - 1; i >= 0; --i) {
    double t = y[i];
    for (int k = i + 1; k < d; ++k) t -= l[k][i] * x[k];
    x[i] = t / l[i][i];
  }
  return true;
}

/// In-place Cholesky factor of the symmetric p × p matrix a (row-major, lower triangle used) that
/// tolerates singular directions: a pivot that is not positive relative to its diagonal
/// (rel_tol) marks that parameter as not identifiable (keep[i] = 0) and its row and column are
/// dropped from the factorisation. Returns the number of kept parameters.
VITRUM_HD int cholesky_dropping(int p, double* a, int* keep, double rel_tol = 1e-10) {
  using std::sqrt;
  int kept = 0;
  for (int j = 0; j < p; ++j) {
    const double diag = a[j * p + j];
    double s = diag;
    for (int k = 0; k < j; ++k)
      if (keep[k]) s -= a[j * p + k] * a[j * p + k];
    if (!keep[j] || !(diag > 0.0) || !(s > rel_tol * diag)) {
      keep[j] = 0;
      for (int i = j; i < p; ++i) a[i * p + j] = 0.0;
      continue;
    }
    ++kept;
    const double ljj = sqrt(s);
    a[j * p + j] = ljj;
    for (int i = j + 1; i < p; ++i) {
      double t = a[i * p + j];
      for (int k = 0; k < j; ++k)
        if (keep[k]) t -= a[i * p + k] * a[j * p + k];
      a[i * p + j] = t / ljj;
    }
  }
  return kept;
}

/// Diagonal element i of (L Lᵀ)⁻¹ restricted to the kept parameters, from the factor of
/// cholesky_dropping: solve L v = e_i, then (A⁻¹)_ii = |v|². work holds p doubles.
VITRUM_HD double inverse_diagonal(int p, const double* l, const int* keep, int i, double* work) {
  if (!keep[i]) return NAN;
  for (int k = 0; k < p; ++k) work[k] = 0.0;
  double sum = 0.0;
  for (int r = i; r < p; ++r) {
    if (!keep[r]) continue;
    double t = r == i ? 1.0 : 0.0;
    for (int k = i; k < r; ++k)
      if (keep[k]) t -= l[r * p + k] * work[k];
    work[r] = t / l[r * p + r];
    sum += work[r] * work[r];
  }
  return sum;
}

}  // namespace vitrum::spectra::math
