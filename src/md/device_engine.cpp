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
                           EngineOptions options, DeviceEngineOptions device,
                           parallel::Domain* domain)
    : sys_(std::move(system)),
      ff_(force_field),
      space_(space),
      opt_(options),
      dopt_(device),
      kernels_(make_device_md_kernels(space)),
      nl_(neighbor::make_device_neighbor(space)),
      ops_(std::make_unique<Ops>(*this)),
      positions_(space, "positions"),
      velocities_(space, "velocities"),
      forces_(space, "forces"),
      mass_(space, "mass"),
      atom_energy_(space, "atom_energy"),
      id_(space, "id"),
      species_(space, "species"),
      origin_(space, "origin"),
      image_(space, "image"),
      reference_(space),
      rebuild_positions_(space),
      domain_(domain),
      keys_(space),
      records_(space),
      shell_forces_(space) {
  if (domain_ == nullptr && sys_.comm.size() > 1)
    fail("the device-resident engine needs a parallel::Domain for {} ranks", sys_.comm.size());
  if (!(opt_.skin >= 0.0) || !std::isfinite(opt_.skin))
    fail("neighbor skin must be finite and >= 0 Å, got {}", opt_.skin);
  if (dopt_.sort_every < 0)
    fail("device engine: sort_every must be >= 0 (0: never reorder), got {}", dopt_.sort_every);
  const std::size_t n = sys_.positions.size();
  if (sys_.velocities.size() != n || sys_.mass.size() != n || sys_.species.size() != n)
    fail("device engine: inconsistent system ({} positions, {} velocities, {} masses, {} species)",
         n, sys_.velocities.size(), sys_.mass.size(), sys_.species.size());
  if (sys_.image.size() != n) sys_.image.assign(n, {0, 0, 0});
  if (!sys_.id.empty() && sys_.id.size() != n)
    fail("device engine: {} ids for {} atoms", sys_.id.size(), n);
  if (domain_ != nullptr) attach_domain();
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

void DeviceForceField::compute_shell(const Vec3*, Vec3*, ForceScalars&) {
  fail("{}: leaving the forces on ghosts unfolded is not implemented", describe());
}

void DeviceEngine::load_atoms(const MdSystem& sys) {
  const std::size_t n = sys.positions.size();
  positions_.assign(sys.positions);
  velocities_.assign(sys.velocities);
  forces_.assign(std::vector<Vec3>(n, Vec3{0, 0, 0}));
  mass_.assign(sys.mass);
  atom_energy_.assign(std::vector<double>(n, 0.0));
  std::vector<int> iota(n);
  for (std::size_t i = 0; i < n; ++i) iota[i] = static_cast<int>(i);
  // Langevin noise is keyed by id (atom i is id i without ids): the key moves with the atom.
  id_.assign(sys.id.empty() ? iota : sys.id);
  species_.assign(sys.species);
  image_.assign(sys.image);
  origin_.assign(std::move(iota));
}

RebuildRecord DeviceEngine::last_rebuild() const {
  std::vector<Vec3> pos(positions_.size());
  rebuild_positions_.download(pos.data(), pos.size(), "rebuild:record");
  return RebuildRecord{std::move(pos), ref_box_, rebuilds_};
}

std::vector<Vec3> DeviceEngine::restore(MdSystem system, const RebuildRecord& record,
                                        RestoreInput input) {
  if (domain_ != nullptr) return restore_distributed(std::move(system), record, input);
  const std::size_t n = system.positions.size();
  if (record.positions.size() != n || system.velocities.size() != n || system.image.size() != n ||
      system.species.size() != n || system.mass.size() != n)
    fail(
        "restore: inconsistent state ({} positions, {} velocities, {} image counts, {} rebuild "
        "positions)",
        n, system.velocities.size(), system.image.size(), record.positions.size());
  // Replay the rebuild from its own inputs (in the input order, so the same reorder follows);
  // what it does to positions and image counts is discarded (the checkpoint holds the result).
  sys_ = system;
  sys_.positions = record.positions;
  sys_.box = record.box;
  load_atoms(sys_);
  rebuilds_ = std::max(0L, record.rebuilds - 1);
  rebuild();
  std::vector<Vec3> forces = system.forces;
  forces.resize(n, Vec3{0, 0, 0});
  sys_ = std::move(system);
  load_atoms(sys_);
  if (reordered_) reorder();  // the replayed order (the sort's permutation is still held)
  rebuilds_ = record.rebuilds;
  update_ghosts();
  compute_forces();
  return forces;
}

DeviceAtoms DeviceEngine::device_atoms() {
  DeviceAtoms a;
  a.n = static_cast<long>(positions_.size());
  a.positions = positions_.device(Access::ReadWrite);
  a.velocities = velocities_.device(Access::ReadWrite);
  a.forces = forces_.device_read();
  a.mass = mass_.device_read();
  a.id = id_.device_read();
  return a;
}

AtomOps& DeviceEngine::atoms() {
  return *ops_;
}

void DeviceEngine::reorder() {
  nl_->permute(positions_.device(Access::ReadWrite));
  nl_->permute(velocities_.device(Access::ReadWrite));
  nl_->permute(forces_.device(Access::ReadWrite));
  nl_->permute(mass_.device(Access::ReadWrite));
  nl_->permute(id_.device(Access::ReadWrite));
  nl_->permute(species_.device(Access::ReadWrite));
  nl_->permute(image_.device(Access::ReadWrite));
  nl_->permute(origin_.device(Access::ReadWrite));
}

void DeviceEngine::rebuild() {
  if (domain_ != nullptr) {
    rebuild_distributed();
    return;
  }
  const auto t0 = Clock::now();
  const long n = static_cast<long>(positions_.size());
  const double width = ff_.cutoff() + opt_.skin;
  // The positions given to this rebuild, in the input order (RebuildRecord: restart).
  rebuild_positions_.resize(static_cast<std::size_t>(std::max(n, 1L)));
  nl_->unpermute(positions_.device_read(), origin_.device_read(), n, rebuild_positions_.data());
  nl_->wrap(sys_.box, width, n, positions_.device(Access::ReadWrite),
            image_.device(Access::ReadWrite));
  reordered_ = dopt_.sort_every > 0 && rebuilds_ % dopt_.sort_every == 0;
  if (reordered_) {
    nl_->sort_order(sys_.box, width, n, positions_.device_read(), origin_.device_read());
    reorder();
  }
  neighbor::DeviceRebuildInput in;
  in.box = sys_.box;
  in.cutoff = ff_.cutoff();
  in.skin = opt_.skin;
  nl_->build(in, n, positions_.device_read(), species_.device_read());
  reference_.resize(static_cast<std::size_t>(std::max(n, 1L)));
  space_.copy_on_device(reference_.data(), positions_.device_read(), n * sizeof(Vec3));
  max_image_ = nl_->max_image();
  ref_box_ = sys_.box;
  min_distance_ = nl_->min_pair_distance();
  ff_.rebuild(nl_->shell(), nl_->list());
  ++rebuilds_;
  timers_.neighbor += seconds_since(t0);
}

bool DeviceEngine::rebuild_needed() {
  const bool local = local_rebuild_needed();
  // Under domain decomposition every rank rebuilds when any rank's criterion says so.
  return domain_ != nullptr ? domain_->comm().any(local) : local;
}

bool DeviceEngine::local_rebuild_needed() {
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
  const neighbor::DeviceShellView sh = nl_->shell();
  const long n_all = sh.n_all;
  Vec3* pos = nl_->shell_positions();
  space_.copy_on_device(pos, positions_.device_read(), n * sizeof(Vec3));
  if (domain_ != nullptr) {
    // The halo plan moves the ghosts (image shifts from the current cell) on the device.
    const auto t1 = Clock::now();
    timers_.neighbor += std::chrono::duration<double>(t1 - t0).count();
    halo_->forward(sys_.box, pos);
    timers_.comm += seconds_since(t1);
    return;
  }
  bool same_box = true;
  for (int d = 0; d < 3; ++d) {
    const Vec3 dh = sys_.box.h[d] - ref_box_.h[d];
    if (dh.x != 0.0 || dh.y != 0.0 || dh.z != 0.0) same_box = false;
  }
  if (!same_box) kernels_->ghost_shifts(n, n_all, nl_->shifts(), sh.ghost_image, sys_.box.h);
  kernels_->update_ghosts(n, n_all, pos, sh.owner, nl_->shifts());
  timers_.neighbor += seconds_since(t0);
}

void DeviceEngine::compute_forces() {
  const auto t0 = Clock::now();
  ForceScalars out;
  if (domain_ != nullptr && ff_.returns_ghost_forces()) {
    // Forces on ghosts go back to the ranks holding their atoms (the host engine's reverse).
    const neighbor::DeviceShellView sh = nl_->shell();
    shell_forces_.resize(static_cast<std::size_t>(std::max(sh.n_all, 1)));
    ff_.compute_shell(nl_->shell_positions(), shell_forces_.data(), out);
    const auto t1 = Clock::now();
    halo_->reverse(shell_forces_.data());
    space_.copy_on_device(forces_.device(Access::Overwrite), shell_forces_.data(),
                          static_cast<std::size_t>(sh.n_local) * sizeof(Vec3));
    timers_.comm += seconds_since(t1);
  } else if (ff_.has_atom_energies()) {
    ff_.compute_with_energies(nl_->shell_positions(), forces_.device(Access::Overwrite),
                              atom_energy_.device(Access::Overwrite), out);
  } else {
    ff_.compute(nl_->shell_positions(), forces_.device(Access::Overwrite), out);
  }
  if (domain_ != nullptr) {
    // Energy and virial: each rank's share is a sum over its locals (and their pairs).
    double sums[10] = {out.energy};
    for (int a = 0; a < 3; ++a)
      for (int b = 0; b < 3; ++b) sums[1 + 3 * a + b] = out.virial[a][b];
    domain_->comm().sum(sums, 10);
    out.energy = sums[0];
    for (int a = 0; a < 3; ++a)
      for (int b = 0; b < 3; ++b) out.virial[a][b] = sums[1 + 3 * a + b];
  }
  sys_.potential_energy = out.energy;
  for (int a = 0; a < 3; ++a)
    for (int b = 0; b < 3; ++b) sys_.virial[a][b] = out.virial[a][b];
  timers_.force += seconds_since(t0);
}

void DeviceEngine::check_overlaps() {
  if (!(min_distance_ < opt_.min_distance)) return;
  if (domain_ != nullptr && !(nl_->min_pair_distance() < opt_.min_distance)) {
    // min_distance_ is the smallest over the ranks: another rank names the pair.
    throw UnstableDynamics(fmt::format(
        "step {}: two atoms (on another rank) are {:.4g} Å apart, closer than min_distance = {} "
        "Å (overlapping atoms); check the starting structure, the time step and the potential",
        sys_.step, min_distance_, opt_.min_distance));
  }
  // The error path: the shell and list come to the host to name the pair.
  const neighbor::DeviceShellView sh = nl_->shell();
  const neighbor::DeviceListView l = nl_->list();
  std::vector<Vec3> pos(sh.n_all);
  std::vector<int> species(sh.n_all), owner(sh.n_all), offsets(l.n_local + 1), neighbors(l.entries);
  space_.to_host(pos.data(), sh.positions, pos.size() * sizeof(Vec3), "error:overlap");
  space_.to_host(species.data(), sh.species, species.size() * sizeof(int), "error:overlap");
  space_.to_host(owner.data(), sh.owner, owner.size() * sizeof(int), "error:overlap");
  space_.to_host(offsets.data(), l.offsets, offsets.size() * sizeof(int), "error:overlap");
  space_.to_host(neighbors.data(), l.neighbors, neighbors.size() * sizeof(int), "error:overlap");
  const std::vector<int> origin = slot_origins();
  int a = -1, b = -1;
  const double d = min_pair_distance(pos, offsets, neighbors, &a, &b);
  int ia = a >= 0 ? origin[a] : a, ib = b >= 0 && owner[b] >= 0 ? origin[owner[b]] : b;
  if (domain_ != nullptr) {  // global ids: the plan's shell names every entry
    ia = a >= 0 ? shell_ids_[a] : a;
    ib = b >= 0 ? shell_ids_[b] : b;
  }
  throw UnstableDynamics(fmt::format(
      "step {}: atoms {} ({}) and {} ({}) are {:.4g} Å apart, closer than min_distance = {} Å "
      "(overlapping atoms); check the starting structure, the time step and the potential",
      sys_.step, ia, element_symbol(species[a]), ib, element_symbol(species[b]), d,
      opt_.min_distance));
}

double DeviceEngine::min_distance_at_rebuild() const {
  return min_distance_;
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

std::vector<double> DeviceEngine::atom_energies() {
  if (!ff_.has_atom_energies()) fail("{} gives no per-atom energies on the device", ff_.describe());
  std::vector<double> out;
  to_input_order(atom_energy_, origin_.host_read(), out);
  return out;
}

std::vector<int> DeviceEngine::slot_origins() {
  return origin_.host_read();
}

template <class T>
void DeviceEngine::to_input_order(exec::MirroredArray<T>& a, const std::vector<int>& origin,
                                  std::vector<T>& out) {
  const std::vector<T>& dev = a.host_read();
  out.resize(dev.size());
  for (std::size_t k = 0; k < dev.size(); ++k) out[static_cast<std::size_t>(origin[k])] = dev[k];
}

const MdSystem& DeviceEngine::system(unsigned arrays) {
  if (domain_ == nullptr && (arrays & kHostAll) == 0) return sys_;
  if (domain_ != nullptr) {
    // This rank's atoms in id order (the slots' order). Ids and species change with migrations;
    // their host copies are made at every rebuild (the halo plan), so these copy nothing.
    sys_.id = id_.host_read();
    sys_.species = species_.host_read();
    if ((arrays & kHostAll) == 0) {
      sys_.positions.resize(positions_.size());
      return sys_;
    }
    sys_.mass = mass_.host_read();
    // The arrays not asked for keep the length of this rank's atoms (size() is the positions'),
    // their values those of the last call that asked for them.
    const std::size_t n = positions_.size();
    if ((arrays & kHostPositions) != 0) sys_.positions = positions_.host_read();
    sys_.positions.resize(n);
    if ((arrays & kHostVelocities) != 0) sys_.velocities = velocities_.host_read();
    sys_.velocities.resize(n);
    if ((arrays & kHostForces) != 0) sys_.forces = forces_.host_read();
    sys_.forces.resize(n);
    if ((arrays & kHostImages) != 0) sys_.image = image_.host_read();
    sys_.image.resize(n);
    return sys_;
  }
  const std::vector<int>& origin = origin_.host_read();
  if ((arrays & kHostPositions) != 0) to_input_order(positions_, origin, sys_.positions);
  if ((arrays & kHostVelocities) != 0) to_input_order(velocities_, origin, sys_.velocities);
  if ((arrays & kHostForces) != 0) to_input_order(forces_, origin, sys_.forces);
  if ((arrays & kHostImages) != 0) to_input_order(image_, origin, sys_.image);
  return sys_;
}

std::size_t DeviceEngine::device_bytes() const {
  return positions_.device_bytes() + velocities_.device_bytes() + forces_.device_bytes() +
         mass_.device_bytes() + atom_energy_.device_bytes() + id_.device_bytes() +
         species_.device_bytes() + origin_.device_bytes() + image_.device_bytes() +
         reference_.bytes() + rebuild_positions_.bytes() + keys_.bytes() + records_.bytes() +
         nl_->device_bytes();
}

}  // namespace vitrum::md
