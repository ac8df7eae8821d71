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
/// short image list (independent of N).
///
/// MPI domain decomposition (an optional parallel::Domain, src/md/device_engine_domain.cpp):
/// each rank's atoms stay in its device arrays. At a rebuild (a collective decision) the atoms
/// are wrapped on the device; those that left the subdomain are found and packed on the device
/// (math/migrate_kernels.hpp: a stable sort by (leaves, id) puts them at the end, a pack kernel
/// writes their records), staged through host buffers to the neighbours (the hop-by-hop exchange
/// of parallel::migrate_atoms on the leavers' records; ledger "migration:staging") and unpacked
/// on the device; the locals are then put in id order, as the host engine does. The halo plan
/// (parallel::HaloPlan, the host engine's) is built on the host from the locals' positions,
/// species and ids (copied down at a rebuild only), and the ghosts are filled every step on the
/// device by parallel::SpaceHalo from that plan (direct device buffers to MPI, or staged through
/// host buffers: ledger "halo:staging"). Energy, virial, kinetic and momentum sums are MPI
/// reductions of each rank's device sums. No curve reorder under a domain (the id order is the
/// host engine's). The force field gives complete local forces from its locals' full rows
/// (DeviceForceField::local_forces_complete) or leaves the forces on ghosts unfolded
/// (returns_ghost_forces), which SpaceHalo sends back to the ranks holding their atoms.

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
#include "vitrum/neighbor/ghosts.hpp"
#include "vitrum/parallel/comm_plan.hpp"
#include "vitrum/parallel/domain.hpp"
#include "vitrum/parallel/migration.hpp"
#include "vitrum/parallel/space_halo.hpp"

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
  /// true when compute()'s forces on the locals need no contribution from forces on ghosts
  /// (each local's force summed over its own full row, as the BKS teacher's kernel does): such a
  /// force field runs under a domain decomposition, where ghosts image atoms of other ranks.
  virtual bool local_forces_complete() const { return false; }
  /// true when the force field can leave the forces on ghosts unfolded (compute_shell): under a
  /// domain decomposition the engine then sends them back to the ranks holding their atoms
  /// (parallel::SpaceHalo::reverse), as the host engine does for a many-body force field.
  virtual bool returns_ghost_forces() const { return false; }
  /// As compute(), but the forces on every shell entry into `d_shell_forces` (n_all entries:
  /// the locals' own, then the forces on ghosts, not folded onto anything); the energy and virial
  /// are this rank's share. Only called when returns_ghost_forces(); the default throws.
  virtual void compute_shell(const Vec3* d_positions, Vec3* d_shell_forces, ForceScalars& out);
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
  /// Domain decomposition: the halo hands device buffers to MPI (a CUDA-aware MPI; always
  /// possible on the emulated device, whose memory is host memory) instead of staging each
  /// exchange through host buffers (counted in the ledger as "halo:staging").
  bool halo_direct = true;
};

class DeviceEngine {
 public:
  /// `system` is the whole system (serial run) or, with a `domain` (which must outlive the
  /// engine), this rank's share with ids, as for Engine; the force field and space must outlive
  /// the engine. Builds the ghosts and list and evaluates the forces (as Engine::setup).
  /// Collective with a domain, as are step(), thermo(), remove_drift(), restore() and
  /// check_atoms().
  DeviceEngine(MdSystem system, DeviceForceField& force_field, exec::Space& space,
               EngineOptions options, DeviceEngineOptions device = {},
               parallel::Domain* domain = nullptr);
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
  /// the other per-atom arrays are left as the last call that asked for them made them. With a
  /// domain the ids and species are always current and every per-atom array has this rank's
  /// current length (an array not asked for since a migration holds stale values).
  const MdSystem& system(unsigned arrays);
  /// The scalars of the state (cell, step, time, energy, virial; masses, species and ids in the
  /// input order) without any copy: the positions, velocities, forces and image counts in it
  /// are those of the last system() call.
  /// For what needs only scalars, e.g. Integrator::extended_energy.
  const MdSystem& scalars() const { return sys_; }
  /// What restore() needs to rebuild the current neighbor list exactly (as Engine's).
  RebuildRecord last_rebuild() const;
  /// Continues from a checkpoint (as Engine::restore): replays `record`'s rebuild, takes
  /// `system`'s state, updates the ghosts and evaluates the forces, so the run continues bit for
  /// bit. With a domain `input` says whether `system` is the whole system or this rank's share
  /// (as for Engine::restore). Throws vitrum::Error for inconsistent sizes. Returns the
  /// checkpointed forces of the atoms this rank holds afterwards, in system() order (zeros
  /// where the checkpoint has none).
  std::vector<Vec3> restore(MdSystem system, const RebuildRecord& record,
                            RestoreInput input = RestoreInput::Whole);
  /// The domain, or nullptr for a serial engine.
  const parallel::Domain* domain() const { return domain_; }
  /// Atoms that left this rank in migrations so far (each once, however many hops it took).
  long migrated() const { return migrated_; }
  /// The current halo plan (domain decomposition only).
  const parallel::HaloPlan& halo() const { return plan_; }
  /// No atom lost or duplicated: the atom count over the ranks and the id checksum (of the ids'
  /// host copy, brought up to date: a copy only after a migration changed them) against those
  /// at construction; throws vitrum::Error on every rank otherwise. No-op when serial.
  void check_atoms();
  /// The whole system on rank 0 in id order with the arrays of `arrays` current (collective;
  /// the other ranks get an empty system); system(arrays) for a serial engine.
  const MdSystem& gather_system(unsigned arrays);
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
  bool local_rebuild_needed();
  void update_ghosts();
  void compute_forces();
  void check_overlaps();
  void load_atoms(const MdSystem& sys);
  // Domain decomposition (device_engine_domain.cpp).
  void attach_domain();
  void rebuild_distributed();
  void migrate();
  void permute_atoms();
  void resize_atoms(std::size_t n);
  DeviceAtomArrays atom_arrays();
  void build_halo(double width);
  std::vector<Vec3> restore_distributed(MdSystem system, const RebuildRecord& record,
                                        RestoreInput input);
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

  // Domain decomposition state (unused when domain_ is null).
  parallel::Domain* domain_ = nullptr;
  parallel::HaloPlan plan_;
  std::unique_ptr<parallel::SpaceHalo> halo_;
  neighbor::GhostShell plan_shell_;              ///< the plan's host shell (locals + ghosts)
  std::vector<int> shell_ids_;                   ///< global id of every shell entry
  std::vector<std::array<int, 3>> shell_image_;  ///< image counts of every shell entry
  exec::DeviceBuffer<std::uint64_t> keys_;       ///< sort keys (migration, id order)
  exec::DeviceBuffer<AtomRecord> records_;       ///< leaving / arriving atoms
  exec::DeviceBuffer<Vec3> shell_forces_;        ///< compute_shell()'s forces (locals, ghosts)
  parallel::IdChecksum ids_expected_;
  MdSystem gathered_;
  long migrated_ = 0;
};

}  // namespace vitrum::md
