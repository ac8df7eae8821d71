/// \file device_engine_domain.cpp
/// The device-resident engine under MPI domain decomposition (vitrum/md/device_engine.hpp):
/// set-up of a distributed system, the rebuild (wrap on the device, migration packed and
/// unpacked on the device, the halo plan, the device halo and list), restore and gathering.
/// The decisions are those of engine_domain.cpp (the host engine's), made from the same numbers.

#include <algorithm>
#include <chrono>
#include <cmath>
#include <numeric>
#include <string>
#include <type_traits>
#include <vector>

#include "vitrum/core/error.hpp"
#include "vitrum/md/device_engine.hpp"
#include "vitrum/md/distribute.hpp"

namespace vitrum::md {
namespace {

using Clock = std::chrono::steady_clock;
using exec::Access;

double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

/// The owner test of parallel::migrate_atoms for `domain` in the cell `box` (the same reciprocal
/// rows, so the device decides as the host does).
MigrationGeom migration_geometry(const parallel::Domain& domain, const Box& box) {
  MigrationGeom g{};
  const Vec3 bc = cross(box.h[1], box.h[2]);
  const Vec3 ca = cross(box.h[2], box.h[0]);
  const Vec3 ab = cross(box.h[0], box.h[1]);
  const double inv_v = 1.0 / dot(box.h[0], bc);
  g.recip[0] = inv_v * bc;
  g.recip[1] = inv_v * ca;
  g.recip[2] = inv_v * ab;
  for (int d = 0; d < 3; ++d) {
    g.grid[d] = domain.grid()[d];
    g.coords[d] = domain.coords()[d];
  }
  return g;
}

/// The leaving atoms' records go hop by hop to their owners (parallel::migrate_atoms on the
/// records alone: an atom that stays is never sent, so what remains are this rank's arrivals).
std::vector<AtomRecord> exchange_records(const parallel::Domain& domain, const Box& box,
                                         std::vector<AtomRecord> records) {
  std::vector<Vec3> route(records.size());
  for (std::size_t k = 0; k < records.size(); ++k) route[k] = records[k].r;
  parallel::AtomFields fields;
  fields.add(records);
  parallel::migrate_atoms(domain, box, route, fields);
  return records;
}

/// This rank's block of rows of the whole system (ids 0..N-1 when it has none) and of the
/// record, as a share: the replay accepts any partition.
MdSystem block_of_rows(MdSystem system, RebuildRecord& record, const parallel::Comm& comm) {
  const std::size_t n = system.positions.size();
  if (system.id.empty()) {
    system.id.resize(n);
    std::iota(system.id.begin(), system.id.end(), 0);
  }
  const std::size_t p = static_cast<std::size_t>(comm.size());
  const std::size_t r = static_cast<std::size_t>(comm.rank());
  const std::size_t first = n * r / p, last = n * (r + 1) / p;
  auto block = [&](const auto& v) {
    using V = std::decay_t<decltype(v)>;
    return v.size() == n ? V(v.begin() + first, v.begin() + last) : V{};
  };
  MdSystem share = system;
  share.positions = block(system.positions);
  share.velocities = block(system.velocities);
  share.species = block(system.species);
  share.mass = block(system.mass);
  share.image = block(system.image);
  share.forces = block(system.forces);
  share.id = block(system.id);
  record.positions = block(record.positions);
  return share;
}

/// Moves the checkpointed ids, positions, image counts and forces of `system` to the owners of
/// their wrapped rebuild positions (wrapped as the replay wraps them), then into id order.
void route_state(const parallel::Domain& domain, const RebuildRecord& record, MdSystem& system) {
  std::vector<Vec3> route = record.positions;
  for (Vec3& r : route) {
    const Vec3 s = record.box.to_fractional(r);
    for (int d = 0; d < 3; ++d) {
      const double cell = std::floor(s[d]);
      if (cell != 0.0) r -= cell * record.box.h[d];
    }
  }
  parallel::AtomFields state;
  state.add(system.id);
  state.add(system.positions);
  state.add(system.image);
  state.add(system.forces);
  parallel::migrate_atoms(domain, record.box, route, state);
  parallel::sort_by_id(system.id, state);
}

}  // namespace

void DeviceEngine::attach_domain() {
  if (!ff_.local_forces_complete() && !ff_.returns_ghost_forces())
    fail(
        "{}: under domain decomposition the device-resident engine needs a force field whose "
        "local forces are complete without forces on ghosts (the BKS/TTAM teacher's kernel) or "
        "one that leaves the forces on ghosts unfolded to be sent back (returns_ghost_forces)",
        ff_.describe());
  ids_expected_ = join_domain(sys_, domain_->comm(), "device engine");
  halo_ = std::make_unique<parallel::SpaceHalo>(space_, domain_->comm(), dopt_.halo_direct);
}

DeviceAtomArrays DeviceEngine::atom_arrays() {
  DeviceAtomArrays a;
  a.n = static_cast<long>(positions_.size());
  a.positions = positions_.device(Access::ReadWrite);
  a.velocities = velocities_.device(Access::ReadWrite);
  a.mass = mass_.device(Access::ReadWrite);
  a.species = species_.device(Access::ReadWrite);
  a.id = id_.device(Access::ReadWrite);
  a.image = image_.device(Access::ReadWrite);
  return a;
}

void DeviceEngine::permute_atoms() {
  nl_->permute(positions_.device(Access::ReadWrite));
  nl_->permute(velocities_.device(Access::ReadWrite));
  nl_->permute(mass_.device(Access::ReadWrite));
  nl_->permute(id_.device(Access::ReadWrite));
  nl_->permute(species_.device(Access::ReadWrite));
  nl_->permute(image_.device(Access::ReadWrite));
}

void DeviceEngine::resize_atoms(std::size_t n) {
  positions_.resize_on_device(n);
  velocities_.resize_on_device(n);
  forces_.resize_on_device(n);
  mass_.resize_on_device(n);
  id_.resize_on_device(n);
  species_.resize_on_device(n);
  image_.resize_on_device(n);
}

void DeviceEngine::migrate() {
  // Staying atoms first in id order, the leaving ones after them (one stable sort by key).
  const long n = static_cast<long>(positions_.size());
  keys_.resize(static_cast<std::size_t>(std::max(n, 1L)));
  const MigrationGeom g = migration_geometry(*domain_, sys_.box);
  const long leaving =
      kernels_->migration_keys(n, positions_.device_read(), id_.device_read(), g, keys_.data());
  nl_->sort_by_key(keys_.data(), n);
  permute_atoms();
  const long keep = n - leaving;
  std::vector<AtomRecord> out(static_cast<std::size_t>(leaving));
  records_.resize(static_cast<std::size_t>(std::max(leaving, 1L)));
  kernels_->pack_atoms(atom_arrays(), keep, leaving, records_.data());
  records_.download(out.data(), out.size(), "migration:staging");
  // The exchange with the neighbours (collective on every rank, leavers or not).
  const std::vector<AtomRecord> in = exchange_records(*domain_, sys_.box, std::move(out));
  migrated_ += leaving;
  const long arrived = static_cast<long>(in.size());
  resize_atoms(static_cast<std::size_t>(keep + arrived));
  if (arrived > 0) {
    records_.upload(in.data(), in.size(), "migration:staging");
    kernels_->unpack_atoms(records_.data(), keep, arrived, atom_arrays());
    // Arrivals are appended: the locals back in id order (the host engine's sort_by_id).
    const long m = keep + arrived;
    keys_.resize(static_cast<std::size_t>(m));
    kernels_->id_keys(m, id_.device_read(), keys_.data());
    nl_->sort_by_key(keys_.data(), m);
    permute_atoms();
  }
}

void DeviceEngine::build_halo(double width) {
  // The host engine's plan, built from the locals' positions, species and ids (their host
  // copies, made at this rebuild only).
  const int n = static_cast<int>(positions_.size());
  plan_shell_ = neighbor::GhostShell{};
  plan_shell_.positions = positions_.host_read();
  plan_shell_.species = species_.host_read();
  shell_ids_ = id_.host_read();
  shell_image_.assign(static_cast<std::size_t>(n), {0, 0, 0});
  plan_.build(*domain_, sys_.box, width, plan_shell_, shell_ids_, shell_image_);
  max_image_ = {0, 0, 0};
  for (int g = n; g < plan_shell_.size(); ++g)
    for (int a = 0; a < 3; ++a)
      max_image_[a] = std::max(max_image_[a], std::abs(shell_image_[g][a]));
  domain_->comm().max(max_image_.data(), 3);

  // The device shell: locals, then the plan's ghosts filled on the device by the halo.
  const long n_all = plan_shell_.size();
  nl_->set_shell(n, n_all, width);
  Vec3* pos = nl_->shell_positions();
  int* species = nl_->shell_species();
  space_.copy_on_device(pos, positions_.device_read(), static_cast<std::size_t>(n) * sizeof(Vec3));
  space_.copy_on_device(species, species_.device_read(), static_cast<std::size_t>(n) * sizeof(int));
  if (n_all > n)
    space_.to_device(species + n, plan_shell_.species.data() + n,
                     static_cast<std::size_t>(n_all - n) * sizeof(int), "rebuild:halo_species");
  halo_->attach(plan_);
  halo_->forward(sys_.box, pos);
}

void DeviceEngine::rebuild_distributed() {
  const auto t0 = Clock::now();
  const double width = ff_.cutoff() + opt_.skin;
  nl_->wrap(sys_.box, width, static_cast<long>(positions_.size()),
            positions_.device(Access::ReadWrite), image_.device(Access::ReadWrite));
  const auto t1 = Clock::now();
  timers_.neighbor += std::chrono::duration<double>(t1 - t0).count();

  migrate();
  const long n = static_cast<long>(positions_.size());
  // Under a domain the slots are the id order: origin is the identity.
  std::vector<int> iota(static_cast<std::size_t>(n));
  std::iota(iota.begin(), iota.end(), 0);
  origin_.assign(std::move(iota));
  // The positions given to this rebuild: wrapped, after migration (RebuildRecord).
  rebuild_positions_.resize(static_cast<std::size_t>(std::max(n, 1L)));
  space_.copy_on_device(rebuild_positions_.data(), positions_.device_read(),
                        static_cast<std::size_t>(n) * sizeof(Vec3));
  build_halo(width);
  const auto t2 = Clock::now();
  timers_.comm += std::chrono::duration<double>(t2 - t1).count();

  neighbor::DeviceRebuildInput in;
  in.box = sys_.box;
  in.cutoff = ff_.cutoff();
  in.skin = opt_.skin;
  nl_->build_list(in);
  reference_.resize(static_cast<std::size_t>(std::max(n, 1L)));
  space_.copy_on_device(reference_.data(), positions_.device_read(),
                        static_cast<std::size_t>(n) * sizeof(Vec3));
  ref_box_ = sys_.box;
  min_distance_ = nl_->min_pair_distance();
  domain_->comm().min(&min_distance_, 1);
  reordered_ = false;
  ff_.rebuild(nl_->shell(), nl_->list());
  ++rebuilds_;
  timers_.neighbor += seconds_since(t2);
}

std::vector<Vec3> DeviceEngine::restore_distributed(MdSystem system, const RebuildRecord& record,
                                                    RestoreInput input) {
  const parallel::Comm& comm = domain_->comm();
  if (input == RestoreInput::Whole) {
    if (static_cast<long>(system.positions.size()) != sys_.n_global)
      fail("restore: the checkpoint holds {} atoms, the engine {} over {} ranks",
           system.positions.size(), sys_.n_global, domain_->size());
    RebuildRecord block_record = record;
    MdSystem share = block_of_rows(std::move(system), block_record, comm);
    return restore_distributed(std::move(share), block_record, RestoreInput::Share);
  }
  const std::size_t n = system.positions.size();
  if (system.forces.size() != n) system.forces.assign(n, Vec3{0, 0, 0});
  std::string bad;
  if (system.id.size() != n || system.velocities.size() != n || system.species.size() != n ||
      system.mass.size() != n || system.image.size() != n || record.positions.size() != n)
    bad = fmt::format("{} positions, {} ids, {} velocities, {} rebuild positions", n,
                      system.id.size(), system.velocities.size(), record.positions.size());
  if (comm.any(!bad.empty()))
    fail("restore: the checkpoint's share of rank {} is inconsistent{}", comm.rank(),
         bad.empty() ? std::string(" (on another rank)") : ": " + bad);
  if (parallel::id_checksum(comm, system.id) != ids_expected_)
    fail("restore: the checkpoint's ids over the {} ranks are not 0..{} each once", comm.size(),
         sys_.n_global - 1);

  // Replay the rebuild from its inputs (see Engine::restore_share): the replay's migration takes
  // every atom to the owner of its wrapped rebuild position, in id order.
  const long migrated = migrated_;
  {
    MdSystem replay = system;
    replay.positions = record.positions;
    replay.box = record.box;
    replay.comm = sys_.comm;
    replay.n_global = sys_.n_global;
    sys_ = std::move(replay);
  }
  load_atoms(sys_);
  rebuilds_ = std::max(0L, record.rebuilds - 1);
  rebuild();
  migrated_ = migrated;

  // The checkpointed positions, image counts and forces follow the same route (host side: a
  // restart is not a step), then id order; they must reach the replay's atoms.
  route_state(*domain_, record, system);
  const std::vector<int>& ids = id_.host_read();
  if (comm.any(system.id != ids))
    fail(
        "restore: the checkpointed state of rank {} reached other atoms than the replayed "
        "rebuild ({} and {} atoms); this is a bug, please report it",
        comm.rank(), system.id.size(), ids.size());
  positions_.assign(system.positions);
  image_.assign(system.image);
  sys_.box = system.box;
  sys_.potential_energy = system.potential_energy;
  for (int a = 0; a < 3; ++a)
    for (int b = 0; b < 3; ++b) sys_.virial[a][b] = system.virial[a][b];
  sys_.step = system.step;
  sys_.time_fs = system.time_fs;
  rebuilds_ = record.rebuilds;
  update_ghosts();
  compute_forces();
  return std::move(system.forces);
}

void DeviceEngine::check_atoms() {
  if (domain_ == nullptr) return;
  const parallel::IdChecksum now = parallel::id_checksum(domain_->comm(), id_.host_read());
  if (now != ids_expected_)
    fail(
        "step {}: atoms lost or duplicated across ranks: {} atoms held for {} at the start (id "
        "checksum {:016x}, expected {:016x}); this is a bug in the domain decomposition, please "
        "report it",
        sys_.step, now.count, ids_expected_.count, now.hash, ids_expected_.hash);
}

const MdSystem& DeviceEngine::gather_system(unsigned arrays) {
  if (domain_ == nullptr) return system(arrays);
  // gather_system moves every per-atom array: all of them current here.
  gathered_ = md::gather_system(system(kHostAll), 0);
  return gathered_;
}

}  // namespace vitrum::md
