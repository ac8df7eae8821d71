#pragma once
/// \file structure_factor.hpp
/// Static structure factors of a periodic (glass) cell, as diffraction measures them.
///
/// Faber–Ziman partials from the partial g_ab(r) (number density ρ = N/V, concentrations c_a):
///   S_ab(q) = 1 + 4πρ ∫_0^R r² (g_ab(r) - 1) sin(qr)/(qr) W(r) dr,
/// with the Lorch window W(r) = sin(πr/R)/(πr/R) (or W = 1), R = the g(r) range. The window
/// trades the truncation ripples of a finite R for a broadening of the peaks of order 2π/R.
/// Directly from positions on the reciprocal lattice q = 2π (h a* + k b* + l c*), q ≠ 0:
///   S_ab(q) = 1 + (Re ρ_a(q) ρ_b(q)* / N - c_a δ_ab) / (c_a c_b),   ρ_a(q) = Σ_{j∈a} e^{-i q·r_j},
/// averaged over the vectors in each |q| bin (exact for the periodic cell, no window; the
/// smallest q is 2π / the cell size).
///
/// Weighted totals (per atom; b_a coherent neutron scattering lengths, f_a(q) X-ray form factors):
///   F_N(q) = Σ_ab c_a c_b b_a b_b (S_ab(q) - 1)            (barn: b in 10⁻¹² cm),
///   S_N(q) = 1 + F_N(q) / ⟨b⟩²,   ⟨b⟩ = Σ_a c_a b_a,
///   S_X(q) = 1 + Σ_ab c_a c_b f_a f_b (S_ab - 1) / ⟨f(q)⟩².
/// Bhatia–Thornton (binary systems, species 1 and 2 in first-appearance order):
///   S_NN = c1² S11 + c2² S22 + 2 c1 c2 S12,
///   S_NC = c1 c2 [c1 (S11 - S12) - c2 (S22 - S12)],
///   S_CC = c1 c2 [1 + c1 c2 (S11 + S22 - 2 S12)].
/// Real-space functions of neutron diffraction (D. A. Keen, J. Appl. Cryst. 34, 172 (2001)):
///   G(r) = Σ_ab c_a c_b b_a b_b (g_ab(r) - 1),  D(r) = 4πρ r G(r),  T(r) = D(r) + 4πρ r ⟨b⟩²
/// (barn Å⁻²).

#include <vector>

#include "vitrum/analysis/rdf.hpp"
#include "vitrum/analysis/trajectory.hpp"

namespace vitrum::analysis {

/// Coherent neutron scattering length (fm) of the natural element, V. F. Sears, Neutron News 3(3),
/// 26 (1992) (NIST table). Throws vitrum::Error for an element not in the table.
double neutron_scattering_length(int z);

/// X-ray atomic form factor (electrons) of the neutral atom Z = 1..98 at momentum transfer
/// q = 4π sin θ / λ (Å⁻¹, q >= 0): xraylib's FF_Rayl(Z, q/4π) (the relativistic Hartree–Fock
/// tabulation of Hubbell et al., J. Phys. Chem. Ref. Data 4, 471 (1975), interpolated; within
/// 1.5% of Z of the Cromer–Mann fits of International Tables Vol. C up to q = 25 Å⁻¹). Throws
/// vitrum::Error for an element or a q outside that range.
double xray_form_factor(int z, double q);

/// Grid and window of the structure factors.
struct SqParams {
  double q_max = 25.0;  ///< Å⁻¹
  double dq = 0.02;     ///< bin width / grid spacing (Å⁻¹)
  bool lorch = true;    ///< Lorch window in the g(r) transform
};

/// Structure factors on a q grid.
struct SqResult {
  std::vector<int> types;    ///< atomic numbers (first-appearance order)
  std::vector<double> conc;  ///< c_a
  double density = 0.0;      ///< ρ (atoms/Å³)
  std::vector<double> q;     ///< Å⁻¹ (grid points, or bin centers for the direct sum)
  std::vector<std::vector<double>> partial;  ///< Faber–Ziman S_ab, unordered pairs a <= b
  std::vector<double> neutron_f;             ///< F_N(q) (barn)
  std::vector<double> neutron;               ///< S_N(q)
  std::vector<double> xray;                  ///< S_X(q) (NaN where a form factor is unknown)
  std::vector<double> s_nn, s_nc, s_cc;      ///< Bhatia–Thornton (binary only; empty otherwise)
  std::vector<int> n_vectors;  ///< direct sum: q vectors per bin (0: bin empty, NaN values)

  int n_types() const { return static_cast<int>(types.size()); }
  int pair_index(int a, int b) const;
};

/// S(q) from the frame-averaged partial g(r) (needs rdf.types, type_counts, the cell density).
SqResult structure_factor_from_rdf(const RdfResult& rdf, double density, const SqParams& params);

/// S(q) by the direct sum over the reciprocal lattice of every frame (frames averaged vector by
/// vector); q bins of width params.dq up to params.q_max. Cost O(N × number of q vectors).
SqResult structure_factor_direct(const Trajectory& trajectory, const SqParams& params);

/// Real-space neutron functions from partial g(r).
struct RealSpaceResult {
  std::vector<double> r;    ///< Å
  std::vector<double> g_n;  ///< G(r) (barn)
  std::vector<double> d_r;  ///< D(r) (barn Å⁻²)
  std::vector<double> t_r;  ///< T(r) (barn Å⁻²)
};
RealSpaceResult neutron_real_space(const RdfResult& rdf, double density);

}  // namespace vitrum::analysis
