#pragma once
/// \file nose_hoover.hpp
/// Nosé–Hoover chain (NHC) propagation of Martyna, Klein, Tuckerman (J. Chem. Phys. 97, 2635
/// (1992)) with the multiple-time-step and Suzuki–Yoshida factorisation of Martyna, Tuckerman,
/// Tobias, Klein (Mol. Phys. 87, 1117 (1996)). Scalar code (one chain per thermostatted group),
/// VITRUM_HD so that a device backend can run it in a single thread next to its kernels.
///
/// A chain of M thermostats ξ_j with momenta Q_j v_j couples to a group of N_f degrees of
/// freedom of kinetic energy K (2K = Σ m v² kMvv2e, eV):
///   dv_1/dt = (2K - N_f kT)/Q_1 - v_1 v_2,
///   dv_j/dt = (Q_{j-1} v_{j-1}² - kT)/Q_j - v_j v_{j+1},    dv_M/dt = (Q_{M-1} v_{M-1}² - kT)/Q_M,
///   dξ_j/dt = v_j,   particle velocities scaled by exp(-∫ v_1 dt).
/// Masses Q_1 = N_f kT τ², Q_j = kT τ² (eV fs²; τ the thermostat time constant, fs), as in
/// LAMMPS's fix nvt/npt. The chain contributes to the conserved quantity
///   H_NHC = Σ_j Q_j v_j²/2 + N_f kT ξ_1 + kT Σ_{j>1} ξ_j.

#include <cmath>

#include "vitrum/core/hd.hpp"

namespace vitrum::md::math {

/// Longest chain supported.
constexpr int kMaxChainLength = 10;

/// State of one chain: positions ξ_j (dimensionless), velocities v_j (1/fs), masses Q_j (eV fs²).
struct NhcChain {
  int length = 3;
  double xi[kMaxChainLength] = {};
  double v[kMaxChainLength] = {};
  double q[kMaxChainLength] = {};
};

/// Suzuki–Yoshida weights of order 1, 3, 5 or 7 (they sum to 1); returns the count (0 for an
/// unsupported order). Order 3: w_1 = w_3 = 1/(2 - 2^{1/3}), w_2 = 1 - 2 w_1; order 5: four
/// weights 1/(4 - 4^{1/3}) around w_3 = 1 - 4 w_1; order 7: Yoshida's 6th-order solution A.
VITRUM_HD int suzuki_yoshida_weights(int order, double w[7]) {
  switch (order) {
    case 1:
      w[0] = 1.0;
      return 1;
    case 3: {
      const double a = 1.0 / (2.0 - cbrt(2.0));
      w[0] = a;
      w[1] = 1.0 - 2.0 * a;
      w[2] = a;
      return 3;
    }
    case 5: {
      const double a = 1.0 / (4.0 - cbrt(4.0));
      w[0] = w[1] = w[3] = w[4] = a;
      w[2] = 1.0 - 4.0 * a;
      return 5;
    }
    case 7: {
      const double w1 = 0.784513610477560, w2 = 0.235573213359357, w3 = -1.17767998417887;
      w[0] = w[6] = w1;
      w[1] = w[5] = w2;
      w[2] = w[4] = w3;
      w[3] = 1.0 - 2.0 * (w1 + w2 + w3);
      return 7;
    }
    default:
      return 0;
  }
}

/// Sets the chain masses for target kT (eV), N_f degrees of freedom and time constant tau (fs):
/// Q_1 = N_f kT τ², Q_j = kT τ².
VITRUM_HD void nhc_set_masses(NhcChain& c, double ndof, double kt, double tau) {
  for (int j = 0; j < c.length; ++j) c.q[j] = (j == 0 ? ndof : 1.0) * kt * tau * tau;
}

/// Propagates the chain over a time h (fs; h = dt/2 for a half step), given twice the kinetic
/// energy `ke2` (eV) of the N_f = `ndof` degrees of freedom it thermostats, at target kT (eV).
/// The time h is split into n_loops × (Suzuki–Yoshida weights of `sy_order`) sub-steps δ; each
/// sub-step is the symmetric Trotter factorisation
///   v_M += δ/2 G_M;  for j = M-1..1: v_j <- v_j e^{-δ v_{j+1}/4} ... (+ δ/2 G_j, again scaled);
///   particles *= e^{-δ v_1};  ξ_j += δ v_j;  then the same v updates in the reverse order.
/// Returns the factor s by which the particle velocities must be multiplied (2K becomes s² 2K).
VITRUM_HD double nhc_propagate(NhcChain& c, double ke2, double ndof, double kt, double h,
                               int n_loops, int sy_order) {
  double w[7];
  const int nw = suzuki_yoshida_weights(sy_order, w);
  const int m = c.length;
  double scale_total = 1.0;
  double g[kMaxChainLength];
  auto force = [&](int j) {
    return j == 0 ? (ke2 - ndof * kt) / c.q[0]
                  : (c.q[j - 1] * c.v[j - 1] * c.v[j - 1] - kt) / c.q[j];
  };
  for (int loop = 0; loop < n_loops; ++loop) {
    for (int k = 0; k < nw; ++k) {
      const double d = w[k] * h / n_loops;
      // Inward sweep: top of the chain down to the first thermostat.
      for (int j = m - 1; j >= 0; --j) {
        g[j] = force(j);
        const double aa = j + 1 < m ? exp(-0.25 * d * c.v[j + 1]) : 1.0;
        c.v[j] = (c.v[j] * aa + 0.5 * d * g[j]) * aa;
      }
      // Particles and thermostat positions.
      const double s = exp(-d * c.v[0]);
      scale_total *= s;
      ke2 *= s * s;
      for (int j = 0; j < m; ++j) c.xi[j] += d * c.v[j];
      // Outward sweep.
      for (int j = 0; j < m; ++j) {
        g[j] = force(j);
        const double aa = j + 1 < m ? exp(-0.25 * d * c.v[j + 1]) : 1.0;
        c.v[j] = (c.v[j] * aa + 0.5 * d * g[j]) * aa;
      }
    }
  }
  return scale_total;
}

/// The chain's contribution to the conserved quantity (eV):
/// Σ_j Q_j v_j²/2 + N_f kT ξ_1 + kT Σ_{j>1} ξ_j.
VITRUM_HD double nhc_energy(const NhcChain& c, double ndof, double kt) {
  double e = 0.0;
  for (int j = 0; j < c.length; ++j) {
    e += 0.5 * c.q[j] * c.v[j] * c.v[j] + (j == 0 ? ndof : 1.0) * kt * c.xi[j];
  }
  return e;
}

}  // namespace vitrum::md::math
