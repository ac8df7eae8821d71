/// \file distribute.cpp
/// Whole systems to and from a domain decomposition (see distribute.hpp).

#include "vitrum/md/distribute.hpp"

#include <cmath>
#include <cstring>
#include <numeric>

#include "vitrum/core/error.hpp"
#include "vitrum/md/engine.hpp"
#include "vitrum/parallel/migration.hpp"

namespace vitrum::md {
namespace {

/// Every rank's elements of `v` concatenated on `root` in rank order.
template <typename T>
std::vector<T> gather_field(const parallel::Comm& comm, const std::vector<T>& v, int root) {
  const auto bytes = comm.gather(v.data(), v.size() * sizeof(T), root);
  std::vector<T> out(bytes.size() / sizeof(T));
  if (!out.empty()) std::memcpy(out.data(), bytes.data(), out.size() * sizeof(T));
  return out;
}

}  // namespace

parallel::IdChecksum join_domain(MdSystem& sys, const parallel::Comm& comm, const char* who) {
  const std::size_t n = sys.positions.size();
  if (!sys.box.periodic)
    fail("domain decomposition needs a periodic cell; the structure is not periodic");
  if (sys.id.empty() && n > 0) {
    if (comm.size() > 1)
      fail(
          "{}: a system shared by {} ranks needs atom ids (make each rank's share with "
          "md::distribute_system)",
          who, comm.size());
    sys.id.resize(n);
    std::iota(sys.id.begin(), sys.id.end(), 0);
  }
  if (sys.velocities.size() != n || sys.species.size() != n || sys.mass.size() != n ||
      sys.id.size() != n)
    fail("{}: per-atom arrays differ in length ({} positions, {} velocities, {} ids)", who, n,
         sys.velocities.size(), sys.id.size());
  sys.comm = comm;
  std::int64_t total = static_cast<std::int64_t>(n);
  comm.sum(&total, 1);
  sys.n_global = static_cast<long>(total);
  // Once, at set-up, in every build: the ids are exactly 0..N-1 over the ranks.
  parallel::check_ids(comm, sys.id, sys.n_global, fmt::format("{} set-up", who));
  return parallel::id_checksum(comm, sys.id);
}

MdSystem distribute_system(MdSystem full, const parallel::Domain& domain) {
  const std::size_t n = full.positions.size();
  if (!full.box.periodic)
    fail("domain decomposition needs a periodic cell; the structure is not periodic");
  if (full.id.empty()) {
    full.id.resize(n);
    std::iota(full.id.begin(), full.id.end(), 0);
  }
  if (full.image.size() != n) full.image.assign(n, {0, 0, 0});
  if (full.forces.size() != n) full.forces.assign(n, Vec3{0, 0, 0});
  std::vector<char> keep(n, 0);
  for (std::size_t i = 0; i < n; ++i) {
    keep[i] = domain.owner_coords(full.box.to_fractional(full.positions[i])) == domain.coords();
  }
  parallel::AtomFields fields;
  fields.add(full.positions);
  fields.add(full.velocities);
  fields.add(full.forces);
  fields.add(full.species);
  fields.add(full.mass);
  fields.add(full.image);
  fields.add(full.id);
  fields.check("distribute_system");
  fields.keep(keep);
  full.comm = domain.comm();
  full.n_global = static_cast<long>(n);
  return full;
}

MdSystem gather_system(const MdSystem& local, int root) {
  const parallel::Comm& comm = local.comm;
  const std::size_t n = local.positions.size();
  std::vector<int> ids = local.id;
  if (ids.empty()) {
    ids.resize(n);
    std::iota(ids.begin(), ids.end(), 0);
  }
  std::vector<Vec3> forces = local.forces;
  if (forces.size() != n) forces.assign(n, Vec3{0, 0, 0});
  std::vector<std::array<int, 3>> image = local.image;
  if (image.size() != n) image.assign(n, {0, 0, 0});
  if (ids.size() != n || local.velocities.size() != n || local.species.size() != n ||
      local.mass.size() != n)
    fail("gather_system: per-atom arrays differ in length ({} positions)", n);

  const auto id = gather_field(comm, ids, root);
  const auto pos = gather_field(comm, local.positions, root);
  const auto vel = gather_field(comm, local.velocities, root);
  const auto frc = gather_field(comm, forces, root);
  const auto species = gather_field(comm, local.species, root);
  const auto mass = gather_field(comm, local.mass, root);
  const auto img = gather_field(comm, image, root);

  MdSystem out;
  if (comm.rank() != root) return out;
  const std::size_t total = id.size();
  std::vector<long> slot(total, -1);
  for (std::size_t k = 0; k < total; ++k) {
    if (id[k] < 0 || static_cast<std::size_t>(id[k]) >= total || slot[id[k]] >= 0)
      fail("gather_system: the ids held by the ranks are not 0..{} each once (id {})", total - 1,
           id[k]);
    slot[id[k]] = static_cast<long>(k);
  }
  out.box = local.box;
  out.potential_energy = local.potential_energy;
  for (int a = 0; a < 3; ++a)
    for (int b = 0; b < 3; ++b) out.virial[a][b] = local.virial[a][b];
  out.step = local.step;
  out.time_fs = local.time_fs;
  out.n_global = static_cast<long>(total);
  out.positions.resize(total);
  out.velocities.resize(total);
  out.forces.resize(total);
  out.species.resize(total);
  out.mass.resize(total);
  out.image.resize(total);
  for (std::size_t i = 0; i < total; ++i) {
    const auto k = static_cast<std::size_t>(slot[i]);
    out.positions[i] = pos[k];
    out.velocities[i] = vel[k];
    out.forces[i] = frc[k];
    out.species[i] = species[k];
    out.mass[i] = mass[k];
    out.image[i] = img[k];
  }
  return out;
}

ForceResult evaluate_distributed(ForceField& ff, const Structure& s, const parallel::Comm& comm,
                                 int root, parallel::GpuMpiMode gpu_mpi) {
  parallel::Domain domain(comm, s.box);
  // Masses do not enter a single evaluation; the engine needs them to be defined.
  MdSystem sys = make_system(s, std::vector<double>(s.size(), 1.0));
  Engine engine(distribute_system(std::move(sys), domain), ff,
                EngineOptions{0.0, INFINITY, 0.0, gpu_mpi}, &domain);
  ForceResult r;
  r.energy = engine.system().potential_energy;
  for (int a = 0; a < 3; ++a)
    for (int b = 0; b < 3; ++b) r.virial[a][b] = engine.system().virial[a][b];
  double counts[1] = {static_cast<double>(engine.last_result().extrapolations)};
  comm.sum(counts, 1);
  r.extrapolations = static_cast<long>(counts[0]);
  double dmin = engine.last_result().min_distance;
  comm.min(&dmin, 1);
  r.min_distance = dmin;
  MdSystem whole = gather_system(engine.system(), root);
  r.forces = std::move(whole.forces);
  return r;
}

}  // namespace vitrum::md
