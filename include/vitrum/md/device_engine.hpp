#pragma once
/// \file device_engine.hpp
/// The MD step loop with the state resident in a device memory space (exec::Space: a CUDA GPU or
/// the emulated device of CPU CI). Positions, velocities, forces and masses live in mirrored
/// arrays (core/mirrored_array.hpp); the integrators (the same classes as the host engine's,
/// through AtomOps) run as device kernels over the single-source formulas, the kinetic and
/// momentum sums are fixed-order device reductions, the ghosts follow their owners on the device
/// and the force field reads device positions and leaves forces in device memory. Per step only
/// scalars reach the host (the reductions' results, the force field's energy and virial, the
/// rebuild check's largest displacement); the host copy of the atoms is made only when asked for
/// (system(): output, checkpoint, analysis).
///
/// The host engine (engine.hpp) and this one make the same decisions from the same numbers: the
/// rebuild criterion, the ghost shifts under a changing cell and the sums are the same functions
/// in the same order, so with the same force-field arithmetic the trajectories agree bit for bit.
///
/// Not yet on the device: the neighbor-list rebuild itself. At a rebuild the positions come to
/// the host, the ghost shell and list are built there (engine.hpp's procedure), and the wrapped
/// positions, the shell and the list's reference positions go back up: O(N) traffic per rebuild,
/// none between rebuilds. Serial runs only (one rank).

#include <array>
#include <memory>
#include <string>
#include <vector>

#include "vitrum/core/exec_space.hpp"
#include "vitrum/core/mirrored_array.hpp"
#include "vitrum/md/device_kernels.hpp"
#include "vitrum/md/engine.hpp"
#include "vitrum/md/force_field.hpp"
#include "vitrum/md/integrator.hpp"
#include "vitrum/md/system.hpp"

namespace vitrum::md {

/// Energy (eV) and virial W_ab = Σ r_a F_b (eV) of one evaluation.
struct ForceScalars {
  double energy = 0.0;
  double virial[3][3] = {};
};

/// A force field that reads positions from, and leaves forces in, the memory of one space.
class DeviceForceField {
 public:
  virtual ~DeviceForceField() = default;
  virtual double cutoff() const = 0;
  /// Smallest interatomic distance (Å) the force field accepts.
  virtual double min_distance() const = 0;
  /// Rebuild hook, once per neighbor-list rebuild: the host shell (species, owners, counts and
  /// the positions of that moment) and the list every later compute() uses (both outlive the
  /// next rebuild call).
  virtual void rebuild(const neighbor::GhostShell& shell, const neighbor::NeighborList& list) = 0;
  /// Forces on the shell's locals, complete (ghost contributions folded onto their owners), into
  /// `d_forces` (n_local entries), from `d_positions` (locals then ghosts in the rebuild's shell
  /// order); energy and virial into `out`. Both pointers are device memory of the space.
  virtual void compute(const Vec3* d_positions, Vec3* d_forces, ForceScalars& out) = 0;
  virtual std::string describe() const = 0;
};

/// A host ForceField run as the emulated device's force kernel: it reads the emulated device's
/// positions and writes its forces there (device-local in emulation, so not in the ledger); the
/// energy and virial are recorded as the 80 bytes a device force field sends to the host. This
/// stands in for a device force field in CPU CI only: it throws for any space but the emulated
/// one. The force field must outlive it.
std::unique_ptr<DeviceForceField> emulate_force_field(ForceField& ff, exec::Space& space);

class DeviceEngine {
 public:
  /// `system` is the whole system (serial run); the force field and space must outlive the
  /// engine. Builds the ghosts and list and evaluates the forces (as Engine::setup).
  DeviceEngine(MdSystem system, DeviceForceField& force_field, exec::Space& space,
               EngineOptions options);
  ~DeviceEngine();
  DeviceEngine(const DeviceEngine&) = delete;
  DeviceEngine& operator=(const DeviceEngine&) = delete;

  /// One time step (as Engine::step, with the same health checks).
  void step(Integrator& integrator, StepContext ctx);
  /// The integrators' atom operations on this engine's device arrays.
  AtomOps& atoms();
  /// Thermodynamic observables from device sums (only scalars cross).
  Thermo thermo(double extended_energy);
  /// Removes the centre-of-mass velocity on the device (as md::remove_drift).
  void remove_drift();

  /// The state with its host copy brought up to date (copies only what is stale on the host).
  const MdSystem& system();
  /// The scalars of the state (cell, step, time, energy, virial, masses, image counts) without
  /// any copy: the positions, velocities and forces in it are those of the last system() call.
  /// For what needs only scalars, e.g. Integrator::extended_energy.
  const MdSystem& scalars() const { return sys_; }
  /// What restore() needs to rebuild the current neighbor list exactly (as Engine's).
  RebuildRecord last_rebuild() const;
  /// Continues from a checkpoint (as Engine::restore for one rank): replays `record`'s rebuild,
  /// takes `system`'s state, updates the ghosts and evaluates the forces, so the run continues
  /// bit for bit. Throws vitrum::Error for inconsistent sizes.
  void restore(MdSystem system, const RebuildRecord& record);
  /// Smallest pair distance (Å) in the list at the last rebuild's positions.
  double min_distance_at_rebuild() const;
  long rebuilds() const { return rebuilds_; }
  const StepTimers& timers() const { return timers_; }
  exec::Space& space() { return space_; }
  const exec::TransferLedger& ledger() const { return space_.ledger(); }
  /// Device memory held by the engine's arrays (bytes).
  std::size_t device_bytes() const;

 private:
  class Ops;
  DeviceAtoms device_atoms();
  void rebuild();
  bool rebuild_needed();
  void update_ghosts();
  void compute_forces();
  void check_overlaps();
  void load_atoms(const MdSystem& sys);

  MdSystem sys_;  ///< scalars; the per-atom vectors are the host copy made by system()
  DeviceForceField& ff_;
  exec::Space& space_;
  EngineOptions opt_;
  std::unique_ptr<DeviceMdKernels> kernels_;
  std::unique_ptr<Ops> ops_;
  exec::MirroredArray<Vec3> positions_, velocities_, forces_;
  exec::MirroredArray<double> mass_;
  exec::MirroredArray<int> id_;
  exec::DeviceBuffer<Vec3> shell_positions_, shift_, reference_;
  exec::DeviceBuffer<int> owner_;
  exec::DeviceBuffer<std::array<int, 3>> ghost_image_;
  neighbor::GhostShell shell_;
  neighbor::NeighborList list_;
  std::vector<std::array<int, 3>> host_ghost_image_;
  std::array<int, 3> max_image_{0, 0, 0};
  Box ref_box_;
  std::vector<Vec3> rebuild_positions_;  ///< positions given to the last rebuild, before wrapping
  long rebuilds_ = 0;
  StepTimers timers_;
};

}  // namespace vitrum::md
