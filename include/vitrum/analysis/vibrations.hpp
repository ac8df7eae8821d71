#pragma once
/// \file vibrations.hpp
/// Vibrational densities of states: from the velocity autocorrelation of an MD trajectory, and
/// harmonic, from the dynamical matrix of a (relaxed) structure.
///
/// VACF (mass weighted, per element a; time origins every `origin_stride` frames):
///   C_a(t) = ⟨Σ_{j∈a} m_j v_j(t0)·v_j(t0 + t)⟩_{t0},
///   g_a(ν) = 4 ∫_0^{t_max} C_a(t) W(t) cos(2πνt) dt / Σ_b C_b(0),   W = Hann window
///   cos²(πt/2t_max),
/// so that ∫_0^∞ Σ_a g_a dν = 1 (the C(0) sum rule) and, in classical equilibrium of a harmonic
/// solid, g is the harmonic DOS normalized to one (equipartition gives every mode k_B T).
///
/// Harmonic: force constants Φ_{iα,jβ} = -∂F_{jβ}/∂r_{iα} by central differences of the forces
/// (any md::ForceField), displacement δ, symmetrized (Φ + Φᵀ)/2; the dynamical matrix
/// D = Φ_{iα,jβ} / √(m_i m_j) is diagonalized by LAPACK dsyevd (Γ point of the periodic cell):
/// ν_k = √λ_k / 2π (negative ν for λ < 0, imaginary modes), in THz via
/// √(1 eV/(Å² amu)) / 2π = 15.6333042 THz (CODATA 2018 eV and amu). Participation ratio of mode k
/// with mass-weighted eigenvector e: PR_k = (Σ_i |e_i|²)² / (N Σ_i |e_i|⁴) (1 = extended over all
/// atoms, 1/N = one atom). Sum rules: 3N modes; a periodic cell has three zero-frequency
/// translations (acoustic sum rule Σ_j Φ_{iα,jβ} = 0).

#include <vector>

#include "vitrum/analysis/trajectory.hpp"

namespace vitrum::md {
class ForceField;
}

namespace vitrum::analysis {

/// √(1 eV / (Å² amu)) / 2π in THz (CODATA 2018: e = 1.602176634e-19 C, u = 1.66053906660e-27 kg).
constexpr double kHarmonicThz = 15.633304239856193;
/// 1 THz in cm⁻¹.
constexpr double kThzToCm1 = 33.35640952;

/// VACF settings.
struct VdosParams {
  int origin_stride = 1;  ///< time origins every N frames
  int max_lag = 0;        ///< frames of the correlation (0 = half the frames)
  double nu_max = 50.0;   ///< THz
  double dnu = 0.05;      ///< THz
};

/// VACF and its spectrum per element.
struct VdosResult {
  std::vector<int> types;
  std::vector<double> time;  ///< fs
  std::vector<std::vector<double>>
      vacf;                       ///< [type][lag] (amu Å²/fs²), summed over the type's atoms
  std::vector<double> frequency;  ///< THz
  std::vector<std::vector<double>> dos;  ///< [type][ν] (1/THz)
  std::vector<double> total;             ///< Σ_a g_a (1/THz)
};

/// Needs velocities in every frame and uniform frame times (throws naming what is missing).
VdosResult compute_vdos(const Trajectory& trajectory, const VdosParams& params = {});

/// Force constants of a structure (3N × 3N, row-major, eV/Å²).
struct ForceConstants {
  int n_atoms = 0;
  std::vector<double> phi;
  double max_asymmetry = 0.0;  ///< max |Φ - Φᵀ| before symmetrizing (finite-difference error)
};

/// Central differences of the forces of `ff` with displacements ±delta (Å) of every atom along
/// x, y, z: 6N force evaluations on a neighbor list built once with skin 2 delta.
ForceConstants finite_difference_force_constants(md::ForceField& ff, const Box& box,
                                                 const std::vector<Vec3>& positions,
                                                 const std::vector<int>& species,
                                                 double delta = 0.01);

/// Harmonic modes at Γ.
struct HarmonicModes {
  std::vector<double> frequency;                    ///< THz, ascending; negative = imaginary
  std::vector<double> participation;                ///< participation ratio per mode
  std::vector<std::vector<double>> element_weight;  ///< [mode][type] Σ_{i∈type} |e_i|²
  std::vector<int> types;
};

/// Diagonalizes the mass-weighted dynamical matrix (standard atomic masses).
HarmonicModes harmonic_modes(const ForceConstants& fc, const std::vector<int>& species);

/// DOS of the modes with a Gaussian of width sigma (THz), normalized to one over all 3N modes
/// (imaginary modes at their negative frequencies), per element by the eigenvector weights.
/// Returns [0] = total, [1 + type] = partial.
std::vector<std::vector<double>> harmonic_dos(const HarmonicModes& modes,
                                              const std::vector<double>& frequency, double sigma);

}  // namespace vitrum::analysis
