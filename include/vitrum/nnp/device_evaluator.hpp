#pragma once
/// \file device_evaluator.hpp
/// The HDNNP on a device memory space (exec::Space: a CUDA GPU or the emulated device of CPU CI)
/// for the device-resident MD engine. It builds no neighbor list of its own: at a rebuild it reads
/// the device shell (species, owners) and the device Verlet list in place and prepares, on the
/// device, what stays fixed until the next rebuild (element index and atomic number per shell
/// entry, each local's row in its element's batch, the transposed list and each local's ghosts).
/// Per evaluation, all on the device:
///
///   1. the team (warp per centre atom) symmetry-function pass of team_sf.hpp over the list;
///   2. scaling, the per-element batched networks and their reverse pass (dE/dG);
///   3. the team gradient pass of team_sf_grad.hpp (dG/dr recomputed, one vector per list
///      entry), the forces gathered through the transposed list and the ghosts' forces folded
///      onto their owners in a fixed order (no floating-point atomics);
///   4. per-atom energies and the energy, virial and extrapolation count (symmetry-function
///      values outside the training range, as the host evaluator counts them) as one
///      fixed-order block reduction: only these 11 numbers reach the host.
///
/// The emulated device runs the same team functions with an EmulatedTeam (by default a full
/// 32-lane team, the warp's butterfly order) and the CPU's batched networks; CUDA runs them as
/// WarpTeam kernels with cuBLAS networks (kernels/nnp/device_evaluator.cu).

#include <memory>
#include <string>

#include "vitrum/core/backend.hpp"
#include "vitrum/core/exec_space.hpp"
#include "vitrum/neighbor/device_neighbor.hpp"
#include "vitrum/nnp/potential.hpp"

namespace vitrum::nnp {

/// The sums of one device evaluation (caller units).
struct DeviceEvalScalars {
  double energy = 0.0;
  double virial[3][3] = {};  ///< W_ab = Σ r_a F_b over locals and ghosts
  /// (atom, SF) values outside the training range [Gmin, Gmax] of scaling.data (the host
  /// evaluator's EvalResult::extrapolations, the same test: nnp/math/scaling.hpp).
  long extrapolations = 0;
};

/// Units and precision of a device evaluation (as EvalOptions).
struct DeviceEvalOptions {
  Precision precision = Precision::Double;
  double length_unit = 1.0;  ///< one potential length unit in caller lengths
  double energy_unit = 1.0;  ///< one potential energy unit in caller energies
  int team_size = 32;        ///< lanes of the emulated team (the warp: 32)
};

class DeviceEvaluator {
 public:
  virtual ~DeviceEvaluator() = default;
  /// The potential's cutoff in caller lengths.
  virtual double cutoff() const = 0;
  /// Rebuild hook: the device shell and list every later compute() uses (valid until the next
  /// rebuild). Throws vitrum::Error naming the atom for an element the potential lacks, or for a
  /// list shorter than the cutoff.
  virtual void rebuild(const neighbor::DeviceShellView& shell,
                       const neighbor::DeviceListView& list) = 0;
  /// Energy, forces on the locals (ghost forces folded onto their owners, caller units) into
  /// d_forces (n_local), each local's share of the energy (E_i/conv + mean + the element's atom
  /// energy, caller units: they sum to the energy) into d_atom_energy (n_local; may be null),
  /// from the shell positions d_positions (n_all, in the rebuild's shell order). All pointers
  /// are device memory of the space; only the energy and virial reach the host.
  virtual void compute(const Vec3* d_positions, Vec3* d_forces, double* d_atom_energy,
                       DeviceEvalScalars& out) = 0;
  /// Device memory the evaluator holds (bytes).
  virtual std::size_t device_bytes() const = 0;
};

/// The device evaluator of `potential` on `space` (the potential and space must outlive it).
/// Throws for a CUDA space in a build without CUDA.
std::unique_ptr<DeviceEvaluator> make_device_evaluator(const Potential& potential,
                                                       DeviceEvalOptions options,
                                                       exec::Space& space);
/// The CUDA instantiation (kernels/nnp/device_evaluator.cu).
std::unique_ptr<DeviceEvaluator> make_cuda_device_evaluator(const Potential& potential,
                                                            DeviceEvalOptions options,
                                                            exec::Space& space);

}  // namespace vitrum::nnp
