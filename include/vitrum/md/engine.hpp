#pragma once
/// \file engine.hpp
/// The MD step loop around a ForceField: explicit periodic ghosts updated every step, a Verlet
/// list (cutoff + skin) rebuilt only when needed, atoms wrapped into the cell at each rebuild,
/// integrator half steps around the force evaluation, health checks and per-stage timers.
///
/// Rebuild criterion (also valid while an NPT barostat deforms the cell): since the last
/// rebuild, every pair distance changed by at most 2 max_i |Δr_i| + max_g |Δshift_g|, where
/// Δshift_g = Σ_d n_gd (h_d - h_d^ref) is the change of a ghost's image shift with the cell
/// (n_gd its integer image indices). The list and the ghost shell (width cutoff + skin) stay
/// exact while that bound is below the skin; the engine rebuilds as soon as it is not. With a
/// fixed cell this is the usual "some atom moved more than skin/2" (vitrum::needs_rebuild).
///
/// MPI domain decomposition (an optional parallel::Domain, engine_domain.cpp): each rank holds
/// the atoms of its subdomain; at every rebuild (a collective decision: any rank's criterion)
/// atoms are wrapped, migrate to their new owners and the halo plan (parallel/comm_plan.hpp) is
/// rebuilt with the list; every step the plan moves ghost positions forward and, for a force
/// field with forces on ghosts, sends those forces back. Energy and virial are sums over ranks
/// (the virial of a rank is Σ over its locals' pairs, computed before any ghost force moves), so
/// every rank holds the global values in system(); the image-count criterion uses the largest
/// ghost image over all ranks. With a device-resident (CUDA) force field the halo stays on the
/// GPU: only the locals' positions go up and their forces come down each step; the ghosts are
/// packed, exchanged and unpacked on the device (parallel/device_halo.hpp).

#include <array>
#include <memory>
#include <string>
#include <vector>

#include "vitrum/core/error.hpp"
#include "vitrum/md/force_field.hpp"
#include "vitrum/md/integrator.hpp"
#include "vitrum/md/system.hpp"
#include "vitrum/neighbor/ghosts.hpp"
#include "vitrum/neighbor/neighbor_list.hpp"
#include "vitrum/parallel/comm_plan.hpp"
#include "vitrum/parallel/device_halo.hpp"
#include "vitrum/parallel/domain.hpp"
#include "vitrum/parallel/gpu_mpi.hpp"
#include "vitrum/parallel/migration.hpp"

namespace vitrum::md {

/// Wall-clock seconds spent per part of the step.
struct StepTimers {
  double neighbor = 0.0;   ///< ghost updates, rebuild checks, wrapping, ghost shell and list builds
  double force = 0.0;      ///< ForceField::compute
  double integrate = 0.0;  ///< integrator half steps, kinetic sums, health checks
  double output = 0.0;     ///< thermo lines, CSV, snapshots (accounted by the caller)
  double comm = 0.0;       ///< domain decomposition: halo exchanges, migration, force reductions
  double total() const { return neighbor + force + integrate + output + comm; }
};

/// Engine settings.
struct EngineOptions {
  double skin = 1.0;             ///< Verlet skin (Å)
  double max_temperature = 1e5;  ///< T above this (K) stops the run as exploding
  double min_distance = 0.3;     ///< a pair closer than this (Å) stops the run as overlapping
  /// Domain decomposition with a device-resident force field: how device halo buffers reach
  /// MPI (parallel/gpu_mpi.hpp), as resolved by the caller (option > environment > config).
  parallel::GpuMpiMode gpu_mpi = parallel::GpuMpiMode::Auto;
  /// Domain decomposition with a device-resident force field (ForceField::device_resident):
  /// keep the halo on the GPU (parallel/device_halo.hpp). false: exchange on the host and let the
  /// force field upload the whole shell, as for a CPU force field.
  bool device_halo = true;
};

/// Raised by the engine when the dynamics became unphysical (NaN, exploding temperature,
/// overlapping atoms). The state at that moment is still in the engine for a last snapshot.
class UnstableDynamics : public Error {
 public:
  explicit UnstableDynamics(const std::string& msg) : Error(msg) {}
};

/// The health check after every step (host and device engines): throws UnstableDynamics when the
/// potential or kinetic energy is not finite or the temperature exceeds `max_temperature` (K).
void check_dynamics(const MdSystem& sys, double kinetic_energy, double max_temperature);

/// The inputs of the last neighbor-list rebuild. Replaying that rebuild (Engine::restore) gives
/// the same ghosts and list, hence the same forces bit for bit, so a checkpoint never perturbs
/// the trajectory: atoms are wrapped and the list's reference positions are taken at rebuilds,
/// and both depend on the positions of that moment, not on the current ones.
struct RebuildRecord {
  std::vector<Vec3> positions;  ///< positions given to the ghost-shell build, before wrapping (Å)
  Box box;                      ///< cell at that rebuild
  long rebuilds = 0;            ///< rebuild count, for the statistics
};

/// What the system given to Engine::restore holds under a domain decomposition.
enum class RestoreInput {
  /// The whole system, the same on every rank (rows in id order, or named by system.id), as
  /// read_checkpoint(path) gives it.
  Whole,
  /// This rank's share: any partition of the atoms 0..N-1 over the ranks, each atom on exactly
  /// one rank, named by system.id, with record.positions in the same rows, as
  /// read_checkpoint(path, comm) gives it (a block of ids per rank).
  Share,
};

/// Runs MD steps for one system with one force field (the force field must outlive the engine).
class Engine {
 public:
  /// With a `domain` (which must outlive the engine), `system` is this rank's share of the atoms,
  /// with their ids: any partition of the whole system over the ranks, each atom on exactly one
  /// rank (see distribute_system in vitrum/md/distribute.hpp); the engine moves atoms to their
  /// owners. The constructor is then collective, as are step(), setup(), check_overlaps(),
  /// min_distance(), check_atoms() and gather_system().
  Engine(MdSystem system, ForceField& force_field, EngineOptions options,
         parallel::Domain* domain = nullptr);

  /// Builds ghosts and the list and evaluates forces at the current positions. Called by the
  /// constructor; call again after changing positions or the cell from outside.
  void setup();
  /// One time step with `integrator` (targets in `ctx`; ctx.step is set by the engine).
  /// Throws UnstableDynamics when the energy or temperature is not finite or T exceeds
  /// max_temperature.
  void step(Integrator& integrator, StepContext ctx);
  /// Checks the smallest pair distance against min_distance (throws UnstableDynamics); also done
  /// by step() after every neighbor-list rebuild.
  void check_overlaps();

  MdSystem& system() { return sys_; }
  const MdSystem& system() const { return sys_; }
  ForceField& force_field() { return ff_; }
  const EngineOptions& options() const { return opt_; }
  StepTimers& timers() { return timers_; }
  const StepTimers& timers() const { return timers_; }
  long rebuilds() const { return rebuilds_; }
  /// Smallest pair distance (Å) in the current list, and the atoms (ids) forming it.
  double min_distance(int* i = nullptr, int* j = nullptr) const;

  // ---- MPI domain decomposition (engine_domain.cpp)
  /// The domain, or nullptr for a serial engine.
  const parallel::Domain* domain() const { return domain_; }
  /// Checks that no atom was lost or duplicated: the atom count and the id checksum over all
  /// ranks against those at construction; throws vitrum::Error (on every rank) otherwise. No-op
  /// for a serial engine.
  void check_atoms() const;
  /// The whole system on rank 0, atoms in id order (forces, energy, virial included; other ranks
  /// get an empty system); the system itself for a serial engine.
  const MdSystem& gather_system();
  /// The force field's last result on this rank (local energy share, local forces).
  const ForceResult& last_result() const { return result_; }
  /// Atoms this rank sent to other ranks in migrations so far.
  long migrated() const { return migrated_; }
  /// The current halo plan (domain decomposition only).
  const parallel::HaloPlan& halo() const { return plan_; }
  /// The device halo, or nullptr when the halo is exchanged on the host (serial engine, CPU force
  /// field, or EngineOptions::device_halo false).
  const parallel::DeviceHalo* device_halo() const { return device_halo_.get(); }

  /// What restore() needs to rebuild the current neighbor list exactly.
  RebuildRecord last_rebuild() const;
  /// Continues from a checkpoint: replays `record`'s rebuild, takes `system` as the state
  /// (positions, image counts, velocities, cell, step), moves the ghosts to it as a step without
  /// rebuild does, and evaluates the forces. With the record of the run that wrote `system`, the
  /// forces equal that run's bit for bit. Throws vitrum::Error when the sizes do not match.
  ///
  /// With a domain it is collective, and `system` and `record` are, per `input`, the whole
  /// system on every rank or this rank's share of it (see RestoreInput; a share keeps the memory
  /// of a rank at its share of the atoms). The rebuild is replayed from the given rows (the
  /// replay's migration takes every atom to the owner of its wrapped rebuild position, in id
  /// order) and the checkpointed positions, image counts and forces follow the same route; so
  /// each rank ends with the atoms that the replayed rebuild gives it and their state, whatever
  /// the input. Written on the same number of ranks (and grid), the continuation is bit for bit;
  /// on another rank count it differs only by the order of summation. Throws vitrum::Error (on
  /// every rank) when the ids are not 0..N-1 each once over the ranks or N is not the engine's.
  ///
  /// Returns the checkpointed forces (system.forces; zeros where it has none) of the atoms this
  /// rank holds afterwards, in system() order, for comparison with the forces just evaluated.
  std::vector<Vec3> restore(MdSystem system, const RebuildRecord& record,
                            RestoreInput input = RestoreInput::Whole);

 private:
  void rebuild();
  bool rebuild_needed() const;
  bool local_rebuild_needed() const;
  void update_ghosts();
  void compute_forces();
  /// The closest pair: distance, global ids and species (collective with a domain).
  double closest_pair(int* id_i, int* id_j, int* z_i, int* z_j) const;
  // Domain decomposition (engine_domain.cpp).
  void attach_domain();
  void rebuild_distributed();
  std::vector<Vec3> restore_distributed(MdSystem system, const RebuildRecord& record,
                                        RestoreInput input);
  std::vector<Vec3> restore_share(MdSystem share, const RebuildRecord& record);
  void finish_forces_distributed();

  MdSystem sys_;
  ForceField& ff_;
  EngineOptions opt_;
  neighbor::GhostShell shell_;
  neighbor::NeighborList list_;
  ForceResult result_;
  std::vector<std::array<int, 3>> ghost_image_;  ///< integer image indices of each ghost
  Box ref_box_;                                  ///< cell at the last rebuild
  std::array<int, 3> max_image_{0, 0, 0};        ///< largest |image index| per direction
  StepTimers timers_;
  long rebuilds_ = 0;
  std::vector<Vec3> rebuild_positions_;  ///< positions given to the last rebuild (RebuildRecord)

  // Domain decomposition state (unused when domain_ is null).
  parallel::Domain* domain_ = nullptr;
  parallel::HaloPlan plan_;
  std::unique_ptr<parallel::DeviceHalo> device_halo_;  ///< halo on the GPU (see device_halo())
  std::vector<int> shell_ids_;                         ///< global id of every shell entry
  std::vector<std::array<int, 3>> shell_image_;        ///< image counts of every shell entry
  std::vector<Vec3> shell_forces_;     ///< locals + ghosts, before the reverse exchange
  parallel::IdChecksum ids_expected_;  ///< atom set at construction
  MdSystem gathered_;                  ///< gather_system()'s result
  long migrated_ = 0;
};

}  // namespace vitrum::md
