/// \file engine_domain.cpp
/// The engine under MPI domain decomposition: set-up of a distributed system, the rebuild
/// (wrap, migrate, halo plan, list), the force reduction (reverse halo, energy and virial sums),
/// atom-set checks and gathering for output. See engine.hpp and vitrum/parallel/.

#include <chrono>
#include <cmath>
#include <numeric>

#include "vitrum/core/error.hpp"
#include "vitrum/md/distribute.hpp"
#include "vitrum/md/engine.hpp"

namespace vitrum::md {
namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

}  // namespace

void Engine::attach_domain() {
  const parallel::Comm& comm = domain_->comm();
  const std::size_t n = sys_.positions.size();
  if (!sys_.box.periodic)
    fail("domain decomposition needs a periodic cell; the structure is not periodic");
  if (sys_.id.empty() && n > 0) {
    if (comm.size() > 1)
      fail(
          "engine: a system shared by {} ranks needs atom ids (make each rank's share with "
          "md::distribute_system)",
          comm.size());
    sys_.id.resize(n);
    std::iota(sys_.id.begin(), sys_.id.end(), 0);
  }
  if (sys_.velocities.size() != n || sys_.species.size() != n || sys_.mass.size() != n ||
      sys_.id.size() != n)
    fail("engine: per-atom arrays differ in length ({} positions, {} velocities, {} ids)", n,
         sys_.velocities.size(), sys_.id.size());
  sys_.forces.resize(n);
  sys_.comm = comm;
  std::int64_t total = static_cast<std::int64_t>(n);
  comm.sum(&total, 1);
  sys_.n_global = static_cast<long>(total);
  // Once, at set-up, in every build: the ids are exactly 0..N-1 over the ranks.
  parallel::check_ids(comm, sys_.id, sys_.n_global, "engine set-up");
  ids_expected_ = parallel::id_checksum(comm, sys_.id);
}

void Engine::rebuild_distributed() {
  const auto t0 = Clock::now();
  const int n0 = sys_.size();
  // Wrap into the cell and count the images, as the serial ghost shell does.
  for (int i = 0; i < n0; ++i) {
    const Vec3 s = sys_.box.to_fractional(sys_.positions[i]);
    for (int d = 0; d < 3; ++d) {
      const double cell = std::floor(s[d]);
      if (cell != 0.0) {
        sys_.positions[i] -= cell * sys_.box.h[d];
        sys_.image[i][d] += static_cast<int>(cell);
      }
    }
  }
  const auto t1 = Clock::now();
  timers_.neighbor += std::chrono::duration<double>(t1 - t0).count();

  // Atoms that left the subdomain go to their owners (forces are recomputed after the rebuild);
  // then the locals are put in id order, so that the state of a rank does not depend on the
  // history of migrations (the same atoms give the same ghosts, list and sums).
  parallel::AtomFields fields;
  fields.add(sys_.velocities);
  fields.add(sys_.species);
  fields.add(sys_.mass);
  fields.add(sys_.image);
  fields.add(sys_.id);
  migrated_ += parallel::migrate_atoms(*domain_, sys_.box, sys_.positions, fields);
  fields.add(sys_.positions);
  parallel::sort_by_id(sys_.id, fields);
  const int n = sys_.size();
  sys_.forces.resize(n);
  rebuild_positions_ = sys_.positions;  // wrapped, after migration (RebuildRecord)
#ifndef NDEBUG
  parallel::check_ids(domain_->comm(), sys_.id, sys_.n_global,
                      fmt::format("migration at step {}", sys_.step));
#endif

  // The halo: locals first, then the ghosts in plan order.
  shell_.positions = sys_.positions;
  shell_.species = sys_.species;
  shell_ids_ = sys_.id;
  shell_image_.assign(n, {0, 0, 0});
  plan_.build(*domain_, sys_.box, ff_.cutoff() + opt_.skin, shell_, shell_ids_, shell_image_);
  max_image_ = {0, 0, 0};
  for (int g = n; g < shell_.size(); ++g)
    for (int a = 0; a < 3; ++a)
      max_image_[a] = std::max(max_image_[a], std::abs(shell_image_[g][a]));
  domain_->comm().max(max_image_.data(), 3);
  shell_forces_.resize(shell_.size());
  const auto t2 = Clock::now();
  timers_.comm += std::chrono::duration<double>(t2 - t1).count();

  ref_box_ = sys_.box;
  list_ = build_neighbor_list(shell_, ff_.cutoff(), opt_.skin);
  ++rebuilds_;
  timers_.neighbor += seconds_since(t2);
}

void Engine::restore_distributed(MdSystem whole, const RebuildRecord& record) {
  const std::size_t n = whole.positions.size();
  if (static_cast<long>(n) != sys_.n_global)
    fail("restore: the checkpoint holds {} atoms, the engine {} over {} ranks", n, sys_.n_global,
         domain_->size());
  if (!whole.id.empty() && whole.id.size() != n)
    fail("restore: {} ids for {} atoms", whole.id.size(), n);
  // row[id]: the row of `whole` holding atom id.
  std::vector<long> row(n, -1);
  for (std::size_t k = 0; k < n; ++k) {
    const long id = whole.id.empty() ? static_cast<long>(k) : whole.id[k];
    if (id < 0 || static_cast<std::size_t>(id) >= n || row[id] >= 0)
      fail("restore: the checkpoint's ids are not 0..{} each once (id {})", n - 1, id);
    row[id] = static_cast<long>(k);
  }

  // Replay the rebuild from its inputs. The split over the ranks given to it does not matter:
  // the rebuild wraps the positions and migrates every atom to the owner of its wrapped rebuild
  // position, then puts each rank's atoms in id order, exactly as in the run that wrote the
  // record. A decomposed writer recorded wrapped positions, which the wrap leaves as they are;
  // a serial writer recorded them before wrapping, and the replay wraps them as the serial shell
  // did, up to rounding. What the replay does to positions and image counts is discarded.
  const long migrated = migrated_;
  {
    MdSystem replay = whole;
    replay.positions = record.positions;
    replay.box = record.box;
    if (replay.id.empty()) {
      replay.id.resize(n);
      std::iota(replay.id.begin(), replay.id.end(), 0);
    }
    replay = distribute_system(std::move(replay), *domain_);
    sys_ = std::move(replay);
  }
  rebuild();
  migrated_ = migrated;

  // The checkpointed state of the atoms this rank now holds, in the replay's (id) order.
  const std::vector<int> ids = sys_.id;
  const int m = static_cast<int>(ids.size());
  MdSystem state;
  state.box = whole.box;
  state.potential_energy = whole.potential_energy;
  for (int a = 0; a < 3; ++a)
    for (int b = 0; b < 3; ++b) state.virial[a][b] = whole.virial[a][b];
  state.step = whole.step;
  state.time_fs = whole.time_fs;
  state.comm = sys_.comm;
  state.n_global = sys_.n_global;
  state.id = ids;
  state.species.resize(m);
  state.mass.resize(m);
  state.positions.resize(m);
  state.velocities.resize(m);
  state.forces.assign(m, Vec3{0, 0, 0});
  state.image.resize(m);
  const bool have_forces = whole.forces.size() == n;
  for (int k = 0; k < m; ++k) {
    const auto r = static_cast<std::size_t>(row[ids[k]]);
    state.species[k] = whole.species[r];
    state.mass[k] = whole.mass[r];
    state.positions[k] = whole.positions[r];
    state.velocities[k] = whole.velocities[r];
    if (have_forces) state.forces[k] = whole.forces[r];
    state.image[k] = whole.image[r];
  }
  sys_ = std::move(state);
  rebuilds_ = record.rebuilds;
  // As in the serial restore: the ghost update of the step that produced the state (no rebuild
  // is due, and that decision is taken over all ranks), then the forces.
  update_ghosts();
  compute_forces();
}

void Engine::finish_forces_distributed() {
  const auto t0 = Clock::now();
  const int n = sys_.size();
  if (ff_.has_ghost_forces()) {
    if (static_cast<int>(result_.ghost_forces.size()) != shell_.n_ghost())
      fail(
          "force field returned {} ghost forces for {} ghosts; under domain decomposition it must "
          "return the forces on ghosts unfolded (GhostShell::fold_ghosts)",
          result_.ghost_forces.size(), shell_.n_ghost());
    std::copy(result_.forces.begin(), result_.forces.end(), shell_forces_.begin());
    std::copy(result_.ghost_forces.begin(), result_.ghost_forces.end(), shell_forces_.begin() + n);
    plan_.reverse(shell_forces_);
    std::copy(shell_forces_.begin(), shell_forces_.begin() + n, sys_.forces.begin());
  } else {
    std::copy(result_.forces.begin(), result_.forces.end(), sys_.forces.begin());
  }
  // Energy and virial: each rank's share is a sum over its locals (and their pairs).
  double sums[10] = {result_.energy};
  for (int a = 0; a < 3; ++a)
    for (int b = 0; b < 3; ++b) sums[1 + 3 * a + b] = result_.virial[a][b];
  domain_->comm().sum(sums, 10);
  sys_.potential_energy = sums[0];
  for (int a = 0; a < 3; ++a)
    for (int b = 0; b < 3; ++b) sys_.virial[a][b] = sums[1 + 3 * a + b];
  timers_.comm += seconds_since(t0);
}

void Engine::check_atoms() const {
  if (domain_ == nullptr) return;
  const parallel::IdChecksum now = parallel::id_checksum(domain_->comm(), sys_.id);
  if (now != ids_expected_) {
    fail(
        "step {}: atoms lost or duplicated across ranks: {} atoms held for {} at the start (id "
        "checksum {:016x}, expected {:016x}); this is a bug in the domain decomposition, please "
        "report it",
        sys_.step, now.count, ids_expected_.count, now.hash, ids_expected_.hash);
  }
}

const MdSystem& Engine::gather_system() {
  if (domain_ == nullptr) return sys_;
  gathered_ = md::gather_system(sys_, 0);
  return gathered_;
}

}  // namespace vitrum::md
