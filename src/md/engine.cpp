/// \file engine.cpp
/// The step loop: integrator halves around ghosts / neighbor list / forces, with timers and
/// health checks. See engine.hpp for the rebuild criterion under a changing cell.

#include "vitrum/md/engine.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>

#include "vitrum/core/elements.hpp"
#include "vitrum/core/error.hpp"
#include "vitrum/core/units.hpp"
#include "vitrum/md/math/integrate.hpp"

namespace vitrum::md {
namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

}  // namespace

Engine::Engine(MdSystem system, ForceField& force_field, EngineOptions options,
               parallel::Domain* domain)
    : sys_(std::move(system)), ff_(force_field), opt_(options), domain_(domain) {
  if (!(opt_.skin >= 0.0) || !std::isfinite(opt_.skin)) {
    fail("neighbor skin must be finite and >= 0 Å, got {}", opt_.skin);
  }
  if (sys_.image.size() != sys_.positions.size()) sys_.image.assign(sys_.size(), {0, 0, 0});
  if (domain_ != nullptr) attach_domain();
  setup();
}

void Engine::setup() {
  rebuild();
  compute_forces();
  if (!std::isfinite(sys_.potential_energy)) {
    // Atoms on top of each other: named by id (the energy is reduced over the ranks, so every
    // rank is here and the collective check is safe).
    check_overlaps();
    throw UnstableDynamics(fmt::format(
        "the potential energy of the starting structure is not finite ({} eV); check it for "
        "overlapping atoms or elements the potential does not know",
        sys_.potential_energy));
  }
}

void Engine::rebuild() {
  if (domain_ != nullptr) {
    rebuild_distributed();
    return;
  }
  const auto t0 = Clock::now();
  const double width = ff_.cutoff() + opt_.skin;
  rebuild_positions_ = sys_.positions;  // for RebuildRecord (checkpoint/restart)
  shell_ = neighbor::build_ghost_shell(sys_.box, sys_.positions, sys_.species, width);
  // The shell wrapped the locals into the cell; keep the wrapped positions and count the images.
  const int n = sys_.size();
  if (sys_.box.periodic) {
    for (int i = 0; i < n; ++i) {
      const Vec3 d = sys_.box.to_fractional(sys_.positions[i] - shell_.positions[i]);
      for (int a = 0; a < 3; ++a) sys_.image[i][a] += static_cast<int>(std::lround(d[a]));
      sys_.positions[i] = shell_.positions[i];
    }
  }
  ghost_image_.resize(shell_.n_ghost());
  max_image_ = {0, 0, 0};
  for (int g = shell_.n_local; g < shell_.size(); ++g) {
    const Vec3 s = sys_.box.to_fractional(shell_.shift[g]);
    auto& img = ghost_image_[g - shell_.n_local];
    for (int a = 0; a < 3; ++a) {
      img[a] = static_cast<int>(std::lround(s[a]));
      max_image_[a] = std::max(max_image_[a], std::abs(img[a]));
    }
  }
  ref_box_ = sys_.box;
  list_ = ff_.wants_half_list()
              ? neighbor::build_half_neighbor_list(shell_, ff_.cutoff(), opt_.skin)
              : neighbor::build_neighbor_list(shell_, ff_.cutoff(), opt_.skin);
  ++rebuilds_;
  timers_.neighbor += seconds_since(t0);
}

bool Engine::rebuild_needed() const {
  const bool local = local_rebuild_needed();
  // Under domain decomposition every rank rebuilds when any rank's criterion says so.
  return domain_ != nullptr ? domain_->comm().any(local) : local;
}

bool Engine::local_rebuild_needed() const {
  const std::size_t n = sys_.positions.size();
  double cell_term = 0.0;
  bool same_box = true;
  for (int d = 0; d < 3; ++d) {
    const Vec3 dh = sys_.box.h[d] - ref_box_.h[d];
    if (dh.x != 0.0 || dh.y != 0.0 || dh.z != 0.0) same_box = false;
    cell_term += (max_image_[d] + 1) * std::sqrt(dot(dh, dh));
  }
  if (same_box) return neighbor::needs_rebuild(list_, sys_.positions);
  if (cell_term >= opt_.skin) return true;
  double max2 = 0.0;
  for (std::size_t i = 0; i < n; ++i) {
    const Vec3 d = sys_.positions[i] - list_.reference_positions[i];
    max2 = std::max(max2, dot(d, d));
  }
  return 2.0 * std::sqrt(max2) + cell_term > opt_.skin;
}

void Engine::update_ghosts() {
  const auto t0 = Clock::now();
  if (rebuild_needed()) {
    timers_.neighbor += seconds_since(t0);
    rebuild();
    const auto t1 = Clock::now();
    check_overlaps();  // cheap next to the rebuild; catches collapsing pairs early
    timers_.neighbor += seconds_since(t1);
    return;
  }
  if (domain_ != nullptr) {
    // The halo plan moves the ghosts, with image shifts from the current cell: on the device
    // when the force field reads device positions, on the host otherwise.
    if (device_halo_) {
      const auto t1 = Clock::now();
      timers_.neighbor += std::chrono::duration<double>(t1 - t0).count();
      device_halo_->forward(sys_.box, sys_.positions);
      timers_.comm += seconds_since(t1);
      return;
    }
    std::copy(sys_.positions.begin(), sys_.positions.end(), shell_.positions.begin());
    const auto t1 = Clock::now();
    timers_.neighbor += std::chrono::duration<double>(t1 - t0).count();
    plan_.forward(sys_.box, shell_.positions);
    timers_.comm += seconds_since(t1);
    return;
  }
  // After a cell change the image shifts follow the cell: shift_g = Σ_d n_gd h_d.
  bool same_box = true;
  for (int d = 0; d < 3; ++d) {
    const Vec3 dh = sys_.box.h[d] - ref_box_.h[d];
    if (dh.x != 0.0 || dh.y != 0.0 || dh.z != 0.0) same_box = false;
  }
  if (!same_box) {
    const int n_local = shell_.n_local;
    const int n_all = shell_.size();
    for (int g = n_local; g < n_all; ++g) {
      const auto& img = ghost_image_[g - n_local];
      shell_.shift[g] = math::image_shift(img.data(), sys_.box.h[0], sys_.box.h[1], sys_.box.h[2]);
    }
  }
  neighbor::update_ghost_positions(shell_, sys_.positions);
  timers_.neighbor += seconds_since(t0);
}

void Engine::compute_forces() {
  const auto t0 = Clock::now();
  if (device_halo_) {
    ff_.compute_device(shell_, list_, device_halo_->positions(), device_halo_->forces(), result_);
    timers_.force += seconds_since(t0);
    finish_forces_distributed();  // forces on ghosts summed on the device (or complete on host)
    return;
  }
  ff_.compute(shell_, list_, result_);
  timers_.force += seconds_since(t0);
  if (result_.forces.size() != sys_.positions.size()) {
    fail("force field returned {} forces for {} atoms", result_.forces.size(), sys_.size());
  }
  if (domain_ != nullptr) {
    finish_forces_distributed();  // reverse halo exchange, energy and virial summed over ranks
    return;
  }
  sys_.forces = result_.forces;
  sys_.potential_energy = result_.energy;
  for (int a = 0; a < 3; ++a)
    for (int b = 0; b < 3; ++b) sys_.virial[a][b] = result_.virial[a][b];
}

void Engine::step(Integrator& integrator, StepContext ctx) {
  ctx.step = sys_.step + 1;
  auto t0 = Clock::now();
  HostAtomOps atoms(sys_);
  integrator.first_half(sys_, atoms, ctx);
  timers_.integrate += seconds_since(t0);

  update_ghosts();
  compute_forces();

  t0 = Clock::now();
  integrator.second_half(sys_, atoms, ctx);
  sys_.step = ctx.step;
  sys_.time_fs += integrator.timestep();
  const Kinetic k = kinetic(sys_);
  timers_.integrate += seconds_since(t0);
  check_dynamics(sys_, k.energy, opt_.max_temperature);
}

void check_dynamics(const MdSystem& sys, double kinetic_energy, double max_temperature) {
  const double ndof = sys.degrees_of_freedom();
  const double temperature = ndof > 0 ? 2.0 * kinetic_energy / (ndof * units::kBoltzmann) : 0.0;
  if (!std::isfinite(sys.potential_energy) || !std::isfinite(kinetic_energy)) {
    throw UnstableDynamics(fmt::format(
        "step {}: the {} is not finite (potential energy {} eV, kinetic energy {} eV); the "
        "dynamics blew up — reduce the time step, check the starting structure for overlapping "
        "atoms, or check the potential",
        sys.step, std::isfinite(sys.potential_energy) ? "kinetic energy" : "potential energy",
        sys.potential_energy, kinetic_energy));
  }
  if (temperature > max_temperature) {
    throw UnstableDynamics(fmt::format(
        "step {}: temperature {:.6g} K exceeds max_temperature = {:.6g} K; the dynamics is "
        "exploding — reduce the time step or check the structure and potential (raise "
        "[md] max_temperature if such temperatures are intended)",
        sys.step, temperature, max_temperature));
  }
}

double Engine::closest_pair(int* id_i, int* id_j, int* z_i, int* z_j) const {
  int a = -1, b = -1;
  double d = INFINITY;
  if (device_halo_) {
    // The host shell holds the positions of the last rebuild; the current ones are on the device.
    std::vector<Vec3> current;
    device_halo_->download_positions(current);
    d = min_pair_distance(current, list_.offsets, list_.neighbors, &a, &b);
  } else {
    d = neighbor::closest_listed_pair(shell_, list_, &a, &b);
  }
  int pair[4] = {-1, -1, 0, 0};  // ids and species of the pair
  if (a >= 0) {
    if (domain_ != nullptr) {
      pair[0] = shell_ids_[a];
      pair[1] = shell_ids_[b];
    } else {
      pair[0] = a;
      pair[1] = shell_.owner[b];
    }
    pair[2] = shell_.species[a];
    pair[3] = shell_.species[b];
  }
  if (domain_ != nullptr) {
    const int holder = domain_->comm().min_location(d);
    domain_->comm().broadcast(pair, sizeof(pair), holder);
  }
  if (id_i != nullptr) *id_i = pair[0];
  if (id_j != nullptr) *id_j = pair[1];
  if (z_i != nullptr) *z_i = pair[2];
  if (z_j != nullptr) *z_j = pair[3];
  return d;
}

double Engine::min_distance(int* i, int* j) const {
  return closest_pair(i, j, nullptr, nullptr);
}

void Engine::check_overlaps() {
  int i = -1, j = -1, zi = 0, zj = 0;
  const double d = closest_pair(&i, &j, &zi, &zj);
  if (d < opt_.min_distance) {
    throw UnstableDynamics(fmt::format(
        "step {}: atoms {} ({}) and {} ({}) are {:.4g} Å apart, closer than min_distance = {} Å "
        "(overlapping atoms); check the starting structure, the time step and the potential",
        sys_.step, i, element_symbol(zi), j, element_symbol(zj), d, opt_.min_distance));
  }
}

// ------------------------------------------------------------------ checkpoint/restart

RebuildRecord Engine::last_rebuild() const {
  return RebuildRecord{rebuild_positions_, ref_box_, rebuilds_};
}

std::vector<Vec3> Engine::restore(MdSystem system, const RebuildRecord& record,
                                  RestoreInput input) {
  const std::size_t n = system.positions.size();
  const bool consistent = record.positions.size() == n && system.velocities.size() == n &&
                          system.image.size() == n && system.species.size() == n &&
                          system.mass.size() == n;
  // With a share the sizes differ by rank: every rank must agree before any collective call.
  const bool any_inconsistent = domain_ != nullptr && input == RestoreInput::Share
                                    ? domain_->comm().any(!consistent)
                                    : !consistent;
  if (any_inconsistent) {
    if (consistent) fail("restore: inconsistent state on another rank");
    fail(
        "restore: inconsistent state ({} positions, {} velocities, {} image counts, {} rebuild "
        "positions)",
        n, system.velocities.size(), system.image.size(), record.positions.size());
  }
  if (domain_ != nullptr)
    return restore_distributed(std::move(system), record, input);  // engine_domain.cpp
  // One rank: a share is the whole system. Replay the rebuild from its own inputs; what it does
  // to positions and image counts is discarded (the checkpointed state already holds the result).
  if (system.forces.size() != n) system.forces.assign(n, Vec3{0, 0, 0});
  std::vector<Vec3> checkpointed = system.forces;
  sys_ = std::move(system);
  MdSystem state = sys_;
  sys_.positions = record.positions;
  sys_.box = record.box;
  rebuild();
  // The run evaluated the forces right after that rebuild, at the build positions: so does the
  // replay, so that a force field which plans its pair loops from the first evaluation of a
  // list (the teacher's half-list near/far split) plans them as the run did.
  compute_forces();
  sys_ = std::move(state);
  rebuilds_ = record.rebuilds;
  // The ghost update of the step that produced the state: no rebuild is due (that decision
  // depends only on the positions, the cell and the replayed list), so the ghosts follow.
  update_ghosts();
  compute_forces();
  return checkpointed;
}

}  // namespace vitrum::md
