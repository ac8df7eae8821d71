#pragma once
/// \file evaluator_backend.hpp
/// Internal (not for users): the interface between the evaluator's dispatch point and its two
/// backends.
#include <memory>

#include "vitrum/core/kernel_choice.hpp"
#include "vitrum/nnp/evaluator.hpp"

namespace vitrum::nnp {

/// Lookup of element index by atomic number for every shell entry; throws naming the atom when
/// a local atom's element is not in the potential.
std::vector<int> element_indices(const Potential& pot, const neighbor::GhostShell& shell);

class EvaluatorBackend {
 public:
  virtual ~EvaluatorBackend() = default;
  virtual void compute(const neighbor::GhostShell& shell, const neighbor::NeighborList& list,
                       bool forces, EvalResult& result) = 0;
  /// compute() with forces that also fills result.atom_virial (see EvalResult) in the backend's
  /// virial units; the default throws (has_atom_virial() false).
  virtual void compute_atom_virial(const neighbor::GhostShell& shell,
                                   const neighbor::NeighborList& list, EvalResult& result);
  virtual bool has_atom_virial() const { return false; }
  /// compute() with the positions of locals and ghosts read from device memory and the forces on
  /// locals and ghosts (unfolded, times `force_scale`) written to `d_forces` (device, shell
  /// size); result.forces and ghost_forces are left empty. The CUDA backend only.
  virtual void compute_device(const neighbor::GhostShell& shell, const Vec3* d_positions,
                              bool forces, double force_scale, Vec3* d_forces, EvalResult& result);
  /// Bytes of working memory the backend holds (host for CPU, device for CUDA).
  virtual size_t memory_bytes() const = 0;
};

/// Backends work in the potential's own units except for positions, which they receive in the
/// caller's units and multiply by `inv_length` (1 / EvalOptions::length_unit) when forming
/// neighbor vectors. They report energies in potential units, forces as dE_pot/dr_pot, the virial
/// as -sum d_caller (x) dE_pot/dr_pot (= length_unit x the potential-unit virial) and
/// min_distance in potential units; Evaluator::compute converts all of it to the caller's units.
std::unique_ptr<EvaluatorBackend> make_cpu_backend(const Potential& pot, Precision precision,
                                                   double inv_length, bool fused_runs = true);
std::unique_ptr<EvaluatorBackend> make_cuda_backend(const Potential& pot, Precision precision,
                                                    double inv_length);
/// Symmetry-function and force kernels of the CUDA backend: Team (a warp per centre atom,
/// team_sf.hpp; the default) or Legacy (a thread per centre atom), from VITRUM_NNP_KERNELS.
using NnpKernels = KernelChoice;
inline NnpKernels nnp_kernels_from_env() {
  return kernel_choice_from_env("VITRUM_NNP_KERNELS");
}

/// The CUDA backend's cooperative (team) kernels run on the CPU by an emulated team of
/// `team_size` lanes (a power of two, at most 32): the same lane mapping and reduction order as
/// the GPU warp, for testing them without a GPU. Slow; tests only.
std::unique_ptr<EvaluatorBackend> make_team_emulator_backend(const Potential& pot,
                                                             Precision precision, double inv_length,
                                                             int team_size);

}  // namespace vitrum::nnp
