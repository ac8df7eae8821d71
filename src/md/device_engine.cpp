/// \file device_engine.cpp
/// The device-resident step loop (vitrum/md/device_engine.hpp). Each decision mirrors
/// engine.cpp's serial path with the per-atom work replaced by device kernels.
#include "vitrum/md/device_engine.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>

#include "vitrum/core/elements.hpp"
#include "vitrum/core/error.hpp"
#include "vitrum/core/units.hpp"

namespace vitrum::md {
namespace {

using Clock = std::chrono::steady_clock;
using exec::Access;

double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

}  // namespace

/// The integrators' atom operations on the device arrays.
class DeviceEngine::Ops final : public AtomOps {
 public:
  explicit Ops(DeviceEngine& e) : e_(e) {}
  void kick(double h) override { e_.kernels_->kick(e_.device_atoms(), h); }
  void drift(double h) override { e_.kernels_->drift(e_.device_atoms(), h); }
  void scale(const Vec3& s) override { e_.kernels_->scale(e_.device_atoms(), s); }
  void langevin(double c1, double kt, std::uint64_t seed, std::uint64_t step) override {
    const double var = (1.0 - c1 * c1) * kt;  // as cpu::langevin_all
    e_.kernels_->langevin(e_.device_atoms(), c1, var, seed, step);
  }
  void mtk_drift(const Vec3& half_expansion, double dt) override {
    e_.kernels_->mtk_drift(e_.device_atoms(), half_expansion, dt);
  }
  Kinetic kinetic() override {
    const auto sums = e_.kernels_->kinetic_sums(e_.device_atoms());
    return kinetic_from_sums(sums.data(), e_.sys_.comm);
  }

 private:
  DeviceEngine& e_;
};

DeviceEngine::DeviceEngine(MdSystem system, DeviceForceField& force_field, exec::Space& space,
                           EngineOptions options)
    : sys_(std::move(system)),
      ff_(force_field),
      space_(space),
      opt_(options),
      kernels_(make_device_md_kernels(space)),
      ops_(std::make_unique<Ops>(*this)),
      positions_(space, "positions"),
      velocities_(space, "velocities"),
      forces_(space, "forces"),
      mass_(space, "mass"),
      id_(space, "id"),
      shell_positions_(space),
      shift_(space),
      reference_(space),
      owner_(space),
      ghost_image_(space) {
  if (sys_.comm.size() > 1)
    fail("the device-resident engine runs one rank; this run has {}", sys_.comm.size());
  if (!(opt_.skin >= 0.0) || !std::isfinite(opt_.skin))
    fail("neighbor skin must be finite and >= 0 Å, got {}", opt_.skin);
  const std::size_t n = sys_.positions.size();
  if (sys_.velocities.size() != n || sys_.mass.size() != n || sys_.species.size() != n)
    fail("device engine: inconsistent system ({} positions, {} velocities, {} masses, {} species)",
         n, sys_.velocities.size(), sys_.mass.size(), sys_.species.size());
  if (sys_.image.size() != n) sys_.image.assign(n, {0, 0, 0});
  load_atoms(sys_);
  rebuild();
  compute_forces();
  if (!std::isfinite(sys_.potential_energy)) {
    throw UnstableDynamics(fmt::format(
        "the potential energy of the starting structure is not finite ({} eV); check it for "
        "overlapping atoms or elements the potential does not know",
        sys_.potential_energy));
  }
}

DeviceEngine::~DeviceEngine() = default;

void DeviceEngine::load_atoms(const MdSystem& sys) {
  const std::size_t n = sys.positions.size();
  positions_.assign(sys.positions);
  velocities_.assign(sys.velocities);
  forces_.assign(std::vector<Vec3>(n, Vec3{0, 0, 0}));
  mass_.assign(sys.mass);  // the host copy stays current (masses never change)
  id_.assign(sys.id);
}

RebuildRecord DeviceEngine::last_rebuild() const {
  return RebuildRecord{rebuild_positions_, ref_box_, rebuilds_};
}

void DeviceEngine::restore(MdSystem system, const RebuildRecord& record) {
  const std::size_t n = system.positions.size();
  if (record.positions.size() != n || system.velocities.size() != n || system.image.size() != n ||
      system.species.size() != n || system.mass.size() != n)
    fail(
        "restore: inconsistent state ({} positions, {} velocities, {} image counts, {} rebuild "
        "positions)",
        n, system.velocities.size(), system.image.size(), record.positions.size());
  if (system.comm.size() > 1)
    fail("the device-resident engine runs one rank; this run has {}", system.comm.size());
  // Replay the rebuild from its own inputs; what it does to positions and image counts is
  // discarded (the checkpointed state already holds the result).
  sys_ = system;
  sys_.positions = record.positions;
  sys_.box = record.box;
  load_atoms(sys_);
  rebuild();
  sys_ = std::move(system);
  load_atoms(sys_);
  rebuilds_ = record.rebuilds;
  update_ghosts();
  compute_forces();
}

DeviceAtoms DeviceEngine::device_atoms() {
  DeviceAtoms a;
  a.n = static_cast<long>(positions_.size());
  a.positions = positions_.device(Access::ReadWrite);
  a.velocities = velocities_.device(Access::ReadWrite);
  a.forces = forces_.device_read();
  a.mass = mass_.device_read();
  a.id = id_.size() > 0 ? id_.device_read() : nullptr;
  return a;
}

AtomOps& DeviceEngine::atoms() {
  return *ops_;
}

void DeviceEngine::rebuild() {
  const auto t0 = Clock::now();
  // The host builds the shell and list (engine.cpp's serial rebuild): positions come down.
  std::vector<Vec3>& pos = positions_.host(Access::ReadWrite);
  rebuild_positions_ = pos;  // for RebuildRecord (checkpoint/restart)
  const double width = ff_.cutoff() + opt_.skin;
  shell_ = neighbor::build_ghost_shell(sys_.box, pos, sys_.species, width);
  const int n = static_cast<int>(pos.size());
  if (sys_.box.periodic) {
    for (int i = 0; i < n; ++i) {
      const Vec3 d = sys_.box.to_fractional(pos[i] - shell_.positions[i]);
      for (int a = 0; a < 3; ++a) sys_.image[i][a] += static_cast<int>(std::lround(d[a]));
      pos[i] = shell_.positions[i];
    }
  }
  host_ghost_image_.resize(shell_.n_ghost());
  max_image_ = {0, 0, 0};
  for (int g = shell_.n_local; g < shell_.size(); ++g) {
    const Vec3 s = sys_.box.to_fractional(shell_.shift[g]);
    auto& img = host_ghost_image_[g - shell_.n_local];
    for (int a = 0; a < 3; ++a) {
      img[a] = static_cast<int>(std::lround(s[a]));
      max_image_[a] = std::max(max_image_[a], std::abs(img[a]));
    }
  }
  ref_box_ = sys_.box;
  list_ = neighbor::build_neighbor_list(shell_, ff_.cutoff(), opt_.skin);
  // Up again: the shell as built, its owners, shifts and image counts, the reference positions.
  const std::size_t n_all = static_cast<std::size_t>(shell_.size());
  shell_positions_.upload(shell_.positions.data(), n_all, "rebuild:shell");
  owner_.upload(shell_.owner.data(), n_all, "rebuild:owner");
  shift_.upload(shell_.shift.data(), n_all, "rebuild:shift");
  ghost_image_.upload(host_ghost_image_.data(), host_ghost_image_.size(), "rebuild:image");
  reference_.upload(list_.reference_positions.data(), list_.reference_positions.size(),
                    "rebuild:reference");
  ff_.rebuild(shell_, list_);
  ++rebuilds_;
  timers_.neighbor += seconds_since(t0);
}

bool DeviceEngine::rebuild_needed() {
  const long n = static_cast<long>(positions_.size());
  double cell_term = 0.0;
  bool same_box = true;
  for (int d = 0; d < 3; ++d) {
    const Vec3 dh = sys_.box.h[d] - ref_box_.h[d];
    if (dh.x != 0.0 || dh.y != 0.0 || dh.z != 0.0) same_box = false;
    cell_term += (max_image_[d] + 1) * std::sqrt(dot(dh, dh));
  }
  const Vec3* r = positions_.device_read();
  if (same_box) {
    // needs_rebuild(): some atom moved more than skin/2.
    return kernels_->max_displacement2(n, r, reference_.data()) > 0.25 * opt_.skin * opt_.skin;
  }
  if (cell_term >= opt_.skin) return true;
  const double max2 = kernels_->max_displacement2(n, r, reference_.data());
  return 2.0 * std::sqrt(max2) + cell_term > opt_.skin;
}

void DeviceEngine::update_ghosts() {
  const auto t0 = Clock::now();
  if (rebuild_needed()) {
    timers_.neighbor += seconds_since(t0);
    rebuild();
    const auto t1 = Clock::now();
    check_overlaps();
    timers_.neighbor += seconds_since(t1);
    return;
  }
  const long n = static_cast<long>(positions_.size());
  const long n_all = shell_.size();
  space_.copy_on_device(shell_positions_.data(), positions_.device_read(), n * sizeof(Vec3));
  bool same_box = true;
  for (int d = 0; d < 3; ++d) {
    const Vec3 dh = sys_.box.h[d] - ref_box_.h[d];
    if (dh.x != 0.0 || dh.y != 0.0 || dh.z != 0.0) same_box = false;
  }
  if (!same_box) kernels_->ghost_shifts(n, n_all, shift_.data(), ghost_image_.data(), sys_.box.h);
  kernels_->update_ghosts(n, n_all, shell_positions_.data(), owner_.data(), shift_.data());
  timers_.neighbor += seconds_since(t0);
}

void DeviceEngine::compute_forces() {
  const auto t0 = Clock::now();
  ForceScalars out;
  ff_.compute(shell_positions_.data(), forces_.device(Access::Overwrite), out);
  sys_.potential_energy = out.energy;
  for (int a = 0; a < 3; ++a)
    for (int b = 0; b < 3; ++b) sys_.virial[a][b] = out.virial[a][b];
  timers_.force += seconds_since(t0);
}

void DeviceEngine::check_overlaps() {
  // At a rebuild the host holds the shell positions just built: no transfer.
  int a = -1, b = -1;
  const double d = min_pair_distance(shell_.positions, list_.offsets, list_.neighbors, &a, &b);
  if (d < opt_.min_distance) {
    throw UnstableDynamics(fmt::format(
        "step {}: atoms {} ({}) and {} ({}) are {:.4g} Å apart, closer than min_distance = {} Å "
        "(overlapping atoms); check the starting structure, the time step and the potential",
        sys_.step, a, element_symbol(shell_.species[a]), shell_.owner[b],
        element_symbol(shell_.species[b]), d, opt_.min_distance));
  }
}

double DeviceEngine::min_distance_at_rebuild() const {
  return min_pair_distance(shell_.positions, list_.offsets, list_.neighbors);
}

void DeviceEngine::step(Integrator& integrator, StepContext ctx) {
  ctx.step = sys_.step + 1;
  auto t0 = Clock::now();
  integrator.first_half(sys_, *ops_, ctx);
  timers_.integrate += seconds_since(t0);

  update_ghosts();
  compute_forces();

  t0 = Clock::now();
  integrator.second_half(sys_, *ops_, ctx);
  sys_.step = ctx.step;
  sys_.time_fs += integrator.timestep();
  const Kinetic k = ops_->kinetic();
  timers_.integrate += seconds_since(t0);
  check_dynamics(sys_, k.energy, opt_.max_temperature);
}

Thermo DeviceEngine::thermo(double extended_energy) {
  return compute_thermo(sys_, ops_->kinetic(), extended_energy);
}

void DeviceEngine::remove_drift() {
  if (sys_.global_size() == 0) return;
  const DeviceAtoms a = device_atoms();
  const auto pm = kernels_->momentum_sums(a);
  kernels_->subtract_velocity(a, drift_velocity(pm.data(), sys_.comm));
}

const MdSystem& DeviceEngine::system() {
  sys_.positions = positions_.host_read();
  sys_.velocities = velocities_.host_read();
  sys_.forces = forces_.host_read();
  return sys_;
}

std::size_t DeviceEngine::device_bytes() const {
  return positions_.device_bytes() + velocities_.device_bytes() + forces_.device_bytes() +
         mass_.device_bytes() + id_.device_bytes() + shell_positions_.bytes() + shift_.bytes() +
         reference_.bytes() + owner_.bytes() + ghost_image_.bytes();
}

}  // namespace vitrum::md
