#pragma once
/// \file force_field.hpp
/// What the MD engine integrates: anything that gives the energy, forces and virial of the local
/// atoms of a ghost shell, in vitrum's units (Å, eV). Implemented by the HDNNP (an n2p2
/// directory, with its units stated by the caller) and by the SiO2 teacher (BKS/TTAM).

#include <memory>
#include <string>

#include "vitrum/nnp/evaluator.hpp"

namespace vitrum::md {

using ForceResult =
    nnp::EvalResult;  ///< energy (eV), forces (eV/Å), virial W_ab = sum r_a F_b (eV)

class ForceField {
 public:
  virtual ~ForceField() = default;
  /// Interaction cutoff in Å (the neighbor list needs cutoff + skin).
  virtual double cutoff() const = 0;
  /// Energy, forces on the locals, virial. The list holds every pair within cutoff (+ skin).
  /// When shell.fold_ghosts is false (MPI domain decomposition) and has_ghost_forces(), the
  /// forces on ghosts are returned in out.ghost_forces instead of being added to their owners.
  virtual void compute(const neighbor::GhostShell& shell, const neighbor::NeighborList& list,
                       ForceResult& out) = 0;
  /// True when compute() leaves forces on ghost atoms that belong to their owners (a many-body
  /// potential such as the HDNNP, where E_i moves its neighbors); false when every local force is
  /// complete from the local's own neighbor list (a pair potential summed over a full list, such
  /// as the teacher), so that no reverse halo exchange is needed.
  virtual bool has_ghost_forces() const { return true; }
  /// True when compute() wants, from the serial host engine, a half list
  /// (neighbor::build_half_neighbor_list: each pair once, in the list's own slot order) instead
  /// of the full list. Engines that build other lists (domain decomposition, the device engine)
  /// ignore it, so compute() must still accept a full list.
  virtual bool wants_half_list() const { return false; }
  /// True when the force field runs on the GPU and offers compute_device(): positions read from,
  /// and forces left in, device memory, so that a domain-decomposed run keeps its halo on the
  /// device (parallel/device_halo.hpp).
  virtual bool device_resident() const { return false; }
  /// compute() on device arrays of shell.size() entries (locals, then ghosts, in shell order):
  /// positions are read from `d_positions` (the host shell supplies species, counts and owners;
  /// its positions are those of the last rebuild). With has_ghost_forces() the forces on locals
  /// (their own share) and on ghosts are written to `d_forces` and out.forces is left empty;
  /// otherwise out.forces holds the locals' complete forces on the host and `d_forces` is not
  /// written. Energy, virial and per-atom energies as compute(). Throws unless device_resident().
  virtual void compute_device(const neighbor::GhostShell& shell, const neighbor::NeighborList& list,
                              const Vec3* d_positions, Vec3* d_forces, ForceResult& out);
  /// One line for logs: kind, file, units.
  virtual std::string describe() const = 0;
  /// Smallest interatomic distance (Å) the force field accepts; closer atoms are an error.
  /// Defaults to an overlap check (1e-6 of the cutoff); an HDNNP may state the smallest distance
  /// of its training data (`vitrum_min_distance` in input.nn).
  virtual double min_distance() const { return 1e-6 * cutoff(); }
};

/// HDNNP force field; the potential must outlive it. Units of the potential's files are given
/// as Å per length unit and eV per energy unit (see vitrum::units).
std::unique_ptr<ForceField> make_nnp_force_field(const nnp::Potential& potential,
                                                 nnp::EvalOptions options);

/// Loads a force field from a path: an n2p2 directory (with the given units) or a teacher
/// parameter file (*.toml, see teacher/). Owns what it loads.
std::unique_ptr<ForceField> load_force_field(const std::string& path, Backend backend,
                                             Precision precision, double length_unit,
                                             double energy_unit);

}  // namespace vitrum::md
