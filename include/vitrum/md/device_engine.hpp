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
/// The neighbor-list rebuild runs on the device too (neighbor/device_neighbor.hpp): wrapping, the
/// ghost shell, the cell list and the Verlet list are built from device positions, and at a
/// rebuild the atoms are reordered along a space-filling curve (every `sort_every` rebuilds;
/// every per-atom array is permuted on the device and the original order is kept in `origin`,
/// so system() returns the atoms in their original order). A rebuild sends only scalars and the
/// short image list (independent of N). Serial runs only (one rank).

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
#include "vitrum/neighbor/device_neighbor.hpp"

namespace vitrum::md {

struct PotentialConfig;

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
  /// Rebuild hook, once per neighbor-list rebuild: the shell (species, owners, the positions of
  /// that moment) and the list every later compute() uses, in device memory of the space (valid
  /// until the next rebuild call).
  virtual void rebuild(const neighbor::DeviceShellView& shell,
                       const neighbor::DeviceListView& list) = 0;
  /// Forces on the shell's locals, complete (ghost contributions folded onto their owners), into
  /// `d_forces` (n_local entries), from `d_positions` (locals then ghosts in the rebuild's shell
  /// order); energy and virial into `out`. Both pointers are device memory of the space.
  virtual void compute(const Vec3* d_positions, Vec3* d_forces, ForceScalars& out) = 0;
  /// Whether compute_with_energies() gives per-atom energies (the engine then calls it instead
  /// of compute()).
  virtual bool has_atom_energies() const { return false; }
  /// compute() that also writes each local's share of the energy (eV; the shares sum to the
  /// energy) into `d_atom_energy` (n_local entries, device memory of the space).
  virtual void compute_with_energies(const Vec3* d_positions, Vec3* d_forces, double* d_atom_energy,
                                     ForceScalars& out);
  virtual std::string describe() const = 0;
  /// Symmetry-function values outside the training range at the last evaluation (an HDNNP's
  /// extrapolation count, as nnp::EvalResult::extrapolations; 0 for other force fields).
  virtual long extrapolations() const { return 0; }
  /// Device memory the force field holds (bytes; 0 for one that holds none on the device).
  virtual std::size_t device_bytes() const { return 0; }
};

/// A host ForceField run as the emulated device's force kernel: it reads the emulated device's
/// positions and writes its forces there (device-local in emulation, so not in the ledger); the
/// energy and virial are recorded as the 80 bytes a device force field sends to the host. This
/// stands in for a device force field in CPU CI only: it throws for any space but the emulated
/// one. The force field must outlive it.
std::unique_ptr<DeviceForceField> emulate_force_field(ForceField& ff, exec::Space& space);

/// The HDNNP of an n2p2 directory as a device force field (nnp/device_evaluator.hpp: the team
/// kernels over the device list, no list of its own) with per-atom energies, on the emulated
/// device or CUDA, in the configuration's units and precision.
std::unique_ptr<DeviceForceField> make_device_hdnnp(const PotentialConfig& config,
                                                    exec::Space& space);
/// Registers make_device_hdnnp as the "n2p2" kind's device force field.
void register_device_hdnnp_force_field();

/// The per-atom arrays a host copy is asked for (DeviceEngine::system(unsigned)): a bit mask.
/// Scalars (cell, step, energies, virial) are always on the host.
enum HostArray : unsigned {
  kHostPositions = 1u,
  kHostVelocities = 2u,
  kHostForces = 4u,
  kHostImages = 8u,
  kHostAll = 15u,
};

/// Options of the device-resident engine beyond EngineOptions.
struct DeviceEngineOptions {
  /// Reorder the atoms along the space-filling curve every this many neighbor-list rebuilds
  /// (1: every rebuild, the default; 0: never, which keeps the input order and makes the list
  /// equal the host engine's entry for entry). A restart continues bit for bit for 0 and 1.
  int sort_every = 1;
};

class DeviceEngine {
 public:
  /// `system` is the whole system (serial run); the force field and space must outlive the
  /// engine. Builds the ghosts and list and evaluates the forces (as Engine::setup).
  DeviceEngine(MdSystem system, DeviceForceField& force_field, exec::Space& space,
               EngineOptions options, DeviceEngineOptions device = {});
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
  const MdSystem& system() { return system(kHostAll); }
  /// The state with the host copy of the arrays in `arrays` (HostArray bits) brought up to date;
  /// the other per-atom arrays are left as the last call that asked for them made them.
  const MdSystem& system(unsigned arrays);
  /// The scalars of the state (cell, step, time, energy, virial; masses, species and ids in the
  /// input order) without any copy: the positions, velocities, forces and image counts in it
  /// are those of the last system() call.
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
  /// The device neighbor list (its shell and list views, build statistics).
  neighbor::DeviceNeighbor& neighbors() { return *nl_; }
  /// Each atom's share of the potential energy (eV) at the last evaluation, in the input order:
  /// the device array is copied (ledger "atom_energy") only here. Throws vitrum::Error when the
  /// force field gives no per-atom energies (DeviceForceField::has_atom_energies).
  std::vector<double> atom_energies();
  /// The original index of the atom in each device slot (device order -> input order).
  std::vector<int> slot_origins();
  const StepTimers& timers() const { return timers_; }
  exec::Space& space() { return space_; }
  const exec::TransferLedger& ledger() const { return space_.ledger(); }
  /// Device memory held by the engine's arrays (bytes).
  std::size_t device_bytes() const;

 private:
  class Ops;
  DeviceAtoms device_atoms();
  void rebuild();
  void reorder();
  bool rebuild_needed();
  void update_ghosts();
  void compute_forces();
  void check_overlaps();
  void load_atoms(const MdSystem& sys);
  template <class T>
  void to_input_order(exec::MirroredArray<T>& a, const std::vector<int>& origin,
                      std::vector<T>& out);

  MdSystem sys_;  ///< scalars; the per-atom vectors are the host copy made by system()
  DeviceForceField& ff_;
  exec::Space& space_;
  EngineOptions opt_;
  DeviceEngineOptions dopt_;
  std::unique_ptr<DeviceMdKernels> kernels_;
  std::unique_ptr<neighbor::DeviceNeighbor> nl_;
  std::unique_ptr<Ops> ops_;
  exec::MirroredArray<Vec3> positions_, velocities_, forces_;
  exec::MirroredArray<double> mass_, atom_energy_;
  exec::MirroredArray<int> id_, species_, origin_;
  exec::MirroredArray<std::array<int, 3>> image_;
  exec::DeviceBuffer<Vec3> reference_, rebuild_positions_;
  std::array<int, 3> max_image_{0, 0, 0};
  Box ref_box_;
  double min_distance_ = 0.0;  ///< smallest pair distance at the last rebuild
  bool reordered_ = false;     ///< the last rebuild reordered the atoms
  long rebuilds_ = 0;
  StepTimers timers_;
};

}  // namespace vitrum::md
