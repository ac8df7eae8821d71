#pragma once
/// \file lennard_jones.hpp
/// A truncated and shifted Lennard-Jones 12-6 pair potential, the same for every pair of atoms
/// (a one-component fluid such as argon; species are ignored):
///   φ(r) = 4ε[(σ/r)^12 − (σ/r)^6] − φ_c   for r < r_c, 0 beyond,
///   φ_c = 4ε[(σ/r_c)^12 − (σ/r_c)^6] with shift = true (energy continuous at r_c), else 0,
///   F_i = Σ_j 24ε/r² [2(σ/r)^12 − (σ/r)^6] (r_i − r_j),
///   W_ab = ½ Σ_i Σ_j (r_i − r_j)_a F_ij,b  (the full neighbor list sees every pair twice).
/// Units: ε in eV, σ and r_c in Å. CPU only, double precision.
///
/// In a `vitrum run` config (the "lennard_jones" force-field kind, the worked example of
/// docs/ARCHITECTURE.md):
///   [potential]
///   kind = "lennard_jones"
///   epsilon = 0.0104     # eV
///   sigma = 3.40         # Å
///   cutoff = 8.5         # Å (default 2.5 σ)
///   shift = true         # subtract φ(r_c)

#include <memory>

#include "vitrum/md/force_field.hpp"

namespace vitrum::md {

/// Parameters of LennardJones.
struct LennardJonesParams {
  double epsilon = 0.0;  ///< well depth ε (eV)
  double sigma = 0.0;    ///< σ (Å): φ(σ) = 0 before the shift
  double cutoff = 0.0;   ///< r_c (Å)
  bool shift = true;     ///< subtract φ(r_c) so that the energy is continuous at r_c
};

class LennardJones final : public ForceField {
 public:
  /// Throws vitrum::Error unless ε > 0, σ > 0 and r_c > 0.
  explicit LennardJones(const LennardJonesParams& p);
  double cutoff() const override { return p_.cutoff; }
  /// Each local's force is complete from its own full neighbor list: no reverse halo.
  bool has_ghost_forces() const override { return false; }
  void compute(const neighbor::GhostShell& shell, const neighbor::NeighborList& list,
               ForceResult& out) override;
  std::string describe() const override;

 private:
  LennardJonesParams p_;
  double shift_ = 0.0;  ///< φ_c (eV)
};

}  // namespace vitrum::md
