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

namespace vitrum::md {
namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

}  // namespace

Engine::Engine(MdSystem system, ForceField& force_field, EngineOptions options)
    : sys_(std::move(system)), ff_(force_field), opt_(options) {
  if (!(opt_.skin >= 0.0) || !std::isfinite(opt_.skin)) {
    fail("neighbor skin must be finite and >= 0 Å, got {}", opt_.skin);
  }
  if (sys_.image.size() != sys_.positions.size()) sys_.image.assign(sys_.size(), {0, 0, 0});
  setup();
}

void Engine::setup() {
  rebuild();
  compute_forces();
  if (!std::isfinite(sys_.potential_energy)) {
    throw UnstableDynamics(fmt::format(
        "the potential energy of the starting structure is not finite ({} eV); check it for "
        "overlapping atoms or elements the potential does not know",
        sys_.potential_energy));
  }
}

void Engine::rebuild() {
  const auto t0 = Clock::now();
  const double width = ff_.cutoff() + opt_.skin;
  shell_ = build_ghost_shell(sys_.box, sys_.positions, sys_.species, width);
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
  list_ = build_neighbor_list(shell_, ff_.cutoff(), opt_.skin);
  ++rebuilds_;
  timers_.neighbor += seconds_since(t0);
}

bool Engine::rebuild_needed() const {
  const std::size_t n = sys_.positions.size();
  double cell_term = 0.0;
  bool same_box = true;
  for (int d = 0; d < 3; ++d) {
    const Vec3 dh = sys_.box.h[d] - ref_box_.h[d];
    if (dh.x != 0.0 || dh.y != 0.0 || dh.z != 0.0) same_box = false;
    cell_term += (max_image_[d] + 1) * std::sqrt(dot(dh, dh));
  }
  if (same_box) return needs_rebuild(list_, sys_.positions);
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
      shell_.shift[g] = static_cast<double>(img[0]) * sys_.box.h[0] +
                        static_cast<double>(img[1]) * sys_.box.h[1] +
                        static_cast<double>(img[2]) * sys_.box.h[2];
    }
  }
  update_ghost_positions(shell_, sys_.positions);
  timers_.neighbor += seconds_since(t0);
}

void Engine::compute_forces() {
  const auto t0 = Clock::now();
  ff_.compute(shell_, list_, result_);
  timers_.force += seconds_since(t0);
  if (result_.forces.size() != sys_.positions.size()) {
    fail("force field returned {} forces for {} atoms", result_.forces.size(), sys_.size());
  }
  sys_.forces = result_.forces;
  sys_.potential_energy = result_.energy;
  for (int a = 0; a < 3; ++a)
    for (int b = 0; b < 3; ++b) sys_.virial[a][b] = result_.virial[a][b];
}

void Engine::step(Integrator& integrator, StepContext ctx) {
  ctx.step = sys_.step + 1;
  auto t0 = Clock::now();
  integrator.first_half(sys_, ctx);
  timers_.integrate += seconds_since(t0);

  update_ghosts();
  compute_forces();

  t0 = Clock::now();
  integrator.second_half(sys_, ctx);
  sys_.step = ctx.step;
  sys_.time_fs += integrator.timestep();
  const Kinetic k = kinetic(sys_);
  const double ndof = sys_.degrees_of_freedom();
  const double temperature = ndof > 0 ? 2.0 * k.energy / (ndof * units::kBoltzmann) : 0.0;
  timers_.integrate += seconds_since(t0);
  if (!std::isfinite(sys_.potential_energy) || !std::isfinite(k.energy)) {
    throw UnstableDynamics(fmt::format(
        "step {}: the {} is not finite (potential energy {} eV, kinetic energy {} eV); the "
        "dynamics blew up — reduce the time step, check the starting structure for overlapping "
        "atoms, or check the potential",
        sys_.step, std::isfinite(sys_.potential_energy) ? "kinetic energy" : "potential energy",
        sys_.potential_energy, k.energy));
  }
  if (temperature > opt_.max_temperature) {
    throw UnstableDynamics(fmt::format(
        "step {}: temperature {:.6g} K exceeds max_temperature = {:.6g} K; the dynamics is "
        "exploding — reduce the time step or check the structure and potential (raise "
        "[md] max_temperature if such temperatures are intended)",
        sys_.step, temperature, opt_.max_temperature));
  }
}

double Engine::min_distance(int* i, int* j) const {
  int a = -1, b = -1;
  const double d = min_pair_distance(shell_.positions, list_.offsets, list_.neighbors, &a, &b);
  if (i != nullptr) *i = a;
  if (j != nullptr) *j = b >= 0 ? shell_.owner[b] : -1;
  return d;
}

void Engine::check_overlaps() {
  int i = -1, j = -1;
  const double d = min_distance(&i, &j);
  if (d < opt_.min_distance) {
    throw UnstableDynamics(fmt::format(
        "step {}: atoms {} ({}) and {} ({}) are {:.4g} Å apart, closer than min_distance = {} Å "
        "(overlapping atoms); check the starting structure, the time step and the potential",
        sys_.step, i, element_symbol(sys_.species[i]), j, element_symbol(sys_.species[j]), d,
        opt_.min_distance));
  }
}

}  // namespace vitrum::md
