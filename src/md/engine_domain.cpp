/// \file engine_domain.cpp
/// The engine under MPI domain decomposition: set-up of a distributed system, the rebuild
/// (wrap, migrate, halo plan, list), the force reduction (reverse halo, energy and virial sums),
/// atom-set checks and gathering for output. See engine.hpp and vitrum/parallel/.

#include <array>
#include <chrono>
#include <cmath>
#include <numeric>
#include <string>
#include <type_traits>
#include <vector>

#include "vitrum/core/error.hpp"
#include "vitrum/md/distribute.hpp"
#include "vitrum/md/engine.hpp"

namespace vitrum::md {
namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

/// Wraps `positions` into `box` and adds the cells crossed to `image`, as the serial ghost shell
/// does (the rebuild's wrap; also the route of a restore's checkpointed state).
void wrap_into_cell(const Box& box, std::vector<Vec3>& positions,
                    std::vector<std::array<int, 3>>& image) {
  const int n = static_cast<int>(positions.size());
  for (int i = 0; i < n; ++i) {
    const Vec3 s = box.to_fractional(positions[i]);
    for (int d = 0; d < 3; ++d) {
      const double cell = std::floor(s[d]);
      if (cell != 0.0) {
        positions[i] -= cell * box.h[d];
        image[i][d] += static_cast<int>(cell);
      }
    }
  }
}

}  // namespace

void Engine::attach_domain() {
  ids_expected_ = join_domain(sys_, domain_->comm(), "engine");
  sys_.forces.resize(sys_.positions.size());
  if (opt_.device_halo && ff_.device_resident())
    device_halo_ = std::make_unique<parallel::DeviceHalo>(domain_->comm(), opt_.gpu_mpi);
}

void Engine::rebuild_distributed() {
  const auto t0 = Clock::now();
  // Wrap into the cell and count the images, as the serial ghost shell does.
  wrap_into_cell(sys_.box, sys_.positions, sys_.image);
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
  if (device_halo_) {
    // The device arrays follow the new plan; the ghosts are filled on the device by the same
    // gather the plan just did on the host (same bits), so the rebuild's force call reads them.
    device_halo_->attach(plan_);
    device_halo_->forward(sys_.box, sys_.positions);
  }
  const auto t2 = Clock::now();
  timers_.comm += std::chrono::duration<double>(t2 - t1).count();

  ref_box_ = sys_.box;
  list_ = neighbor::build_neighbor_list(shell_, ff_.cutoff(), opt_.skin);
  ++rebuilds_;
  timers_.neighbor += seconds_since(t2);
}

std::vector<Vec3> Engine::restore_distributed(MdSystem system, const RebuildRecord& record,
                                              RestoreInput input) {
  const parallel::Comm& comm = domain_->comm();
  if (input == RestoreInput::Whole) {
    // The whole system on every rank: check its ids, then continue from this rank's block of
    // rows as from a share (the replay below accepts any partition).
    const std::size_t n = system.positions.size();
    if (static_cast<long>(n) != sys_.n_global)
      fail("restore: the checkpoint holds {} atoms, the engine {} over {} ranks", n, sys_.n_global,
           domain_->size());
    if (!system.id.empty() && system.id.size() != n)
      fail("restore: {} ids for {} atoms", system.id.size(), n);
    std::vector<char> seen(n, 0);
    for (std::size_t k = 0; k < n; ++k) {
      const long id = system.id.empty() ? static_cast<long>(k) : system.id[k];
      if (id < 0 || static_cast<std::size_t>(id) >= n || seen[id])
        fail("restore: the checkpoint's ids are not 0..{} each once (id {})", n - 1, id);
      seen[id] = 1;
    }
    const std::size_t p = static_cast<std::size_t>(comm.size());
    const std::size_t r = static_cast<std::size_t>(comm.rank());
    const std::size_t first = n * r / p, last = n * (r + 1) / p;
    const bool have_forces = system.forces.size() == n;
    auto block = [&](const auto& v) {
      return std::decay_t<decltype(v)>(v.begin() + first, v.begin() + last);
    };
    auto positions = block(system.positions);
    auto velocities = block(system.velocities);
    auto species = block(system.species);
    auto mass = block(system.mass);
    auto image = block(system.image);
    auto forces =
        have_forces ? block(system.forces) : std::vector<Vec3>(last - first, Vec3{0, 0, 0});
    std::vector<int> ids(last - first);
    for (std::size_t k = first; k < last; ++k)
      ids[k - first] = system.id.empty() ? static_cast<int>(k) : system.id[k];
    MdSystem share = std::move(system);  // the scalars; the per-atom arrays become the block's
    share.positions = std::move(positions);
    share.velocities = std::move(velocities);
    share.species = std::move(species);
    share.mass = std::move(mass);
    share.image = std::move(image);
    share.forces = std::move(forces);
    share.id = std::move(ids);
    RebuildRecord rec{block(record.positions), record.box, record.rebuilds};
    return restore_share(std::move(share), rec);
  }
  return restore_share(std::move(system), record);
}

std::vector<Vec3> Engine::restore_share(MdSystem share, const RebuildRecord& record) {
  const parallel::Comm& comm = domain_->comm();
  const std::size_t n = share.positions.size();
  if (share.forces.size() != n) share.forces.assign(n, Vec3{0, 0, 0});
  // The shares must be a partition of the atoms 0..N-1: checked on every rank alike.
  std::string bad;
  if (share.id.size() != n) {
    bad = fmt::format("{} ids for {} atoms", share.id.size(), n);
  } else {
    for (const int id : share.id)
      if (id < 0 || id >= sys_.n_global) {
        bad = fmt::format("id {} is not in 0..{}", id, sys_.n_global - 1);
        break;
      }
  }
  if (comm.any(!bad.empty()))
    fail("restore: the checkpoint's share of rank {} is invalid{}", comm.rank(),
         bad.empty() ? std::string(" (on another rank)") : ": " + bad);
  std::int64_t total = static_cast<std::int64_t>(n);
  comm.sum(&total, 1);
  if (total != sys_.n_global)
    fail("restore: the checkpoint's shares hold {} atoms over {} ranks, the engine {}", total,
         comm.size(), sys_.n_global);
  if (parallel::id_checksum(comm, share.id) != ids_expected_)
    fail("restore: the checkpoint's ids over the {} ranks are not 0..{} each once", comm.size(),
         sys_.n_global - 1);

  // Replay the rebuild from its inputs. The split over the ranks given to it does not matter:
  // the rebuild wraps the positions and migrates every atom to the owner of its wrapped rebuild
  // position, then puts each rank's atoms in id order, exactly as in the run that wrote the
  // record. A decomposed writer recorded wrapped positions, which the wrap leaves as they are;
  // a serial writer recorded them before wrapping, and the replay wraps them as the serial shell
  // did, up to rounding. What the replay does to positions and image counts is discarded;
  // velocities, species and masses travel with the atoms unchanged.
  std::vector<Vec3> route = record.positions;  // the checkpointed state's route, below
  const long migrated = migrated_;
  {
    MdSystem replay = share;
    replay.positions = record.positions;
    replay.box = record.box;
    replay.comm = sys_.comm;
    replay.n_global = sys_.n_global;
    sys_ = std::move(replay);
  }
  rebuild();
  migrated_ = migrated;

  // The checkpointed positions, image counts and forces go to the same owners: a migration of
  // their own, routed by the rebuild positions wrapped as the replay wrapped them, then id order.
  {
    std::vector<std::array<int, 3>> route_image(n, {0, 0, 0});
    wrap_into_cell(record.box, route, route_image);
    parallel::AtomFields state;
    state.add(share.id);
    state.add(share.positions);
    state.add(share.image);
    state.add(share.forces);
    parallel::migrate_atoms(*domain_, record.box, route, state);
    parallel::sort_by_id(share.id, state);
  }
  if (comm.any(share.id != sys_.id))
    fail(
        "restore: the checkpointed state of rank {} reached other atoms than the replayed "
        "rebuild ({} and {} atoms); this is a bug, please report it",
        comm.rank(), share.id.size(), sys_.id.size());

  MdSystem state;
  state.box = share.box;
  state.potential_energy = share.potential_energy;
  for (int a = 0; a < 3; ++a)
    for (int b = 0; b < 3; ++b) state.virial[a][b] = share.virial[a][b];
  state.step = share.step;
  state.time_fs = share.time_fs;
  state.comm = sys_.comm;
  state.n_global = sys_.n_global;
  state.id = std::move(sys_.id);
  state.species = std::move(sys_.species);
  state.mass = std::move(sys_.mass);
  state.velocities = std::move(sys_.velocities);
  state.positions = std::move(share.positions);
  state.image = std::move(share.image);
  state.forces = share.forces;
  sys_ = std::move(state);
  rebuilds_ = record.rebuilds;
  // As in the serial restore: the ghost update of the step that produced the state (no rebuild
  // is due, and that decision is taken over all ranks), then the forces.
  update_ghosts();
  compute_forces();
  return std::move(share.forces);
}

void Engine::finish_forces_distributed() {
  const auto t0 = Clock::now();
  const int n = sys_.size();
  if (device_halo_ && ff_.has_ghost_forces()) {
    device_halo_->reverse(sys_.forces);  // forces on locals and ghosts were left on the device
  } else if (device_halo_ || !ff_.has_ghost_forces()) {
    if (static_cast<int>(result_.forces.size()) != n)
      fail("force field returned {} forces for {} atoms", result_.forces.size(), n);
    std::copy(result_.forces.begin(), result_.forces.end(), sys_.forces.begin());
  } else {
    if (static_cast<int>(result_.ghost_forces.size()) != shell_.n_ghost())
      fail(
          "force field returned {} ghost forces for {} ghosts; under domain decomposition it must "
          "return the forces on ghosts unfolded (GhostShell::fold_ghosts)",
          result_.ghost_forces.size(), shell_.n_ghost());
    std::copy(result_.forces.begin(), result_.forces.end(), shell_forces_.begin());
    std::copy(result_.ghost_forces.begin(), result_.ghost_forces.end(), shell_forces_.begin() + n);
    plan_.reverse(shell_forces_);
    std::copy(shell_forces_.begin(), shell_forces_.begin() + n, sys_.forces.begin());
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
