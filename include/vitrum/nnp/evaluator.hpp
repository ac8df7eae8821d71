#pragma once
/// \file evaluator.hpp
/// Energy, forces and virial of an HDNNP for a periodic (or isolated) configuration, on the CPU
/// (OpenMP + BLAS) or CUDA (kernels + cuBLAS) backend, in double or mixed precision.
///
/// Pipeline per evaluation: symmetry functions of every local atom (ghost images supply the
/// periodic neighbors) -> scaling -> per-element batched networks (one GEMM per layer) with a
/// reverse pass for dE/dG -> the SF gradients recomputed on the fly and contracted with dE/dG
/// (dG/dr is never stored for the whole system) -> per-neighbor contributions accumulated in a
/// fixed order (deterministic, no floating-point atomics) -> ghost forces folded onto owners.

#include <memory>
#include <string>
#include <vector>

#include "vitrum/core/backend.hpp"
#include "vitrum/core/structure.hpp"
#include "vitrum/neighbor/ghosts.hpp"
#include "vitrum/neighbor/neighbor_list.hpp"
#include "vitrum/nnp/potential.hpp"

namespace vitrum::nnp {

struct EvalOptions {
  Backend backend = Backend::Cpu;
  Precision precision = Precision::Double;
  bool forces = true;  ///< compute forces and virial (the energy is always computed)
  /// Units of the potential expressed in the caller's units (n2p2 files do not state theirs):
  /// one potential length unit is `length_unit` caller lengths (e.g. 0.529177210903 for a
  /// bohr potential driven in Å), one potential energy unit is `energy_unit` caller energies
  /// (27.211386245988 for Hartree in eV). Positions in, energies/forces/virial out are in the
  /// caller's units.
  double length_unit = 1.0;
  double energy_unit = 1.0;
  /// CPU backend: evaluate each fused run of angular terms (sf_fused.hpp) in one pass (the
  /// default); false evaluates term by term, the reference the fused path is tested and
  /// benchmarked against.
  bool fused_runs = true;
};

/// Result of one evaluation, in the potential's units.
struct EvalResult {
  double energy = 0.0;       ///< total energy incl. mean energy and atom energies
  std::vector<Vec3> forces;  ///< forces on the local atoms
  /// Forces on the ghosts (entry g - n_local for shell entry g) when the shell's ghosts are not
  /// folded onto local owners (GhostShell::fold_ghosts == false, MPI domain decomposition);
  /// empty otherwise. `forces` then holds the locals' own share only.
  std::vector<Vec3> ghost_forces;
  double virial[3][3] = {};         ///< W_ab = sum_j r_j,a F_j,b over locals and ghosts
  std::vector<double> atom_energy;  ///< E_i^NN / conv_energy (n2p2's nnatoms.out convention)
  /// Per-atom virials, filled only by compute(..., atom_virial = true) (else empty): 6 per atom
  /// (xx yy zz xy xz yz), one per local atom when the shell folds its ghosts, otherwise one per
  /// shell entry (locals, then ghosts: a ghost's entry belongs to its owner, as ghost_forces).
  /// Each pair term (r_j - r_i) (x) F_ij of the virial, F_ij = -dE_i/dr_j the force atom i's
  /// energy puts on its neighbor j, is split half to i and half to j (LAMMPS's per-atom
  /// convention), so the entries sum to `virial`.
  std::vector<double> atom_virial;
  long extrapolations = 0;    ///< number of (atom, SF) values outside [Gmin, Gmax]
  double min_distance = 0.0;  ///< smallest interatomic distance seen
  /// Wall seconds of the last evaluation's stages on the CPU backend (zero on CUDA): symmetry
  /// functions (neighbor gather, distance functions, SFs), networks (scaling, extrapolation
  /// count, forward and reverse passes), forces (dG/dr recomputed and contracted, accumulation).
  struct StageSeconds {
    double symmetry = 0.0, network = 0.0, forces = 0.0;
  } stage_seconds;
};

class EvaluatorBackend;  // CPU or CUDA implementation (internal)

/// Evaluates one potential; reusable across structures and steps (buffers are kept).
class Evaluator {
 public:
  Evaluator(const Potential& potential, EvalOptions options);
  ~Evaluator();
  Evaluator(Evaluator&&) noexcept;
  Evaluator& operator=(Evaluator&&) noexcept;

  /// Builds ghosts and a neighbor list (no skin) and evaluates a whole structure. `where` names
  /// the structure in error messages (e.g. "water.data, structure 3").
  EvalResult evaluate(const Structure& s, const std::string& where = "structure");

  /// Evaluates with a prebuilt ghost shell and neighbor list (MD, benchmarks). The list's cutoff
  /// must be at least the potential's cutoff (in caller units: cutoff() below).
  /// With atom_virial, result.atom_virial is filled too, from the same gradient pass (forces
  /// are then computed whatever EvalOptions::forces says); the CPU backend only
  /// (has_atom_virial()), others throw.
  void compute(const neighbor::GhostShell& shell, const neighbor::NeighborList& list,
               EvalResult& result, bool atom_virial = false);
  /// True when compute(..., atom_virial = true) is available (the CPU backend).
  bool has_atom_virial() const;

  /// compute() on device arrays (the CUDA backend; the device halo of a domain-decomposed run):
  /// positions of the shell's locals and ghosts read from `d_positions`, forces on locals and
  /// ghosts (not folded, caller units) written to `d_forces`; both hold shell.size() entries in
  /// device memory. result gets the energy, virial, atom energies and min_distance; its forces
  /// stay empty. The host shell supplies species and counts (its positions only bound the
  /// neighbor bins). Throws for the CPU backend.
  void compute_device(const neighbor::GhostShell& shell, const neighbor::NeighborList& list,
                      const Vec3* d_positions, Vec3* d_forces, EvalResult& result);

  const Potential& potential() const { return *potential_; }
  /// Working memory held by the backend after the last evaluation (bytes; device memory for
  /// CUDA), excluding the caller's ghost shell and neighbor list.
  size_t memory_bytes() const;
  /// The potential's cutoff in the caller's length unit.
  double cutoff() const { return potential_->cutoff() * options_.length_unit; }
  const EvalOptions& options() const { return options_; }

 private:
  const Potential* potential_;
  EvalOptions options_;
  std::unique_ptr<EvaluatorBackend> backend_;
};

}  // namespace vitrum::nnp

namespace vitrum::nnp {

/// Raw (unscaled) symmetry functions of every atom of a structure, in n2p2's sorted order, in
/// double precision on the CPU: row i has element(e_i).sfs.size() values. Used for scaling
/// statistics, training and checks against n2p2's function.data.
std::vector<std::vector<double>> raw_symmetry_functions(const Potential& potential,
                                                        const Structure& s);

}  // namespace vitrum::nnp
