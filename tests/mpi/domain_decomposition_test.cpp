// Rank-count invariance of the MPI domain decomposition (vitrum/parallel, Engine with a Domain):
// the same system on N ranks against a serial reference computed on rank 0 in the same process,
// for the water HDNNP and the SiO2 BKS teacher, orthogonal and triclinic cells, with the grid
// chosen from the cell and with all ranks along one axis (subdomains thinner than the cutoff:
// several halo hops). ctest runs this executable under mpiexec at 1, 2, 4 and 8 ranks.
//
// Tolerances (the issue's): energies 1e-10 relative, forces 1e-8 eV/Å, 200-step NVE positions
// 1e-6 Å. Each comparison also prints its measured deviation ("[dd]" lines from rank 0).
#include <gtest/gtest.h>
#include <mpi.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "../md/md_test_util.hpp"
#include "../test_paths.hpp"
#include "vitrum/core/error.hpp"
#include "vitrum/core/exec_space.hpp"
#include "vitrum/core/mirrored_array.hpp"
#include "vitrum/core/units.hpp"
#include "vitrum/io/builders.hpp"
#include "vitrum/io/structure_io.hpp"
#include "vitrum/md/distribute.hpp"
#include "vitrum/md/engine.hpp"
#include "vitrum/md/force_field.hpp"
#include "vitrum/parallel/comm_plan.hpp"
#include "vitrum/parallel/domain.hpp"
#include "vitrum/parallel/halo_exec.hpp"
#include "vitrum/parallel/math/halo_pack.hpp"
#include "vitrum/parallel/migration.hpp"
#include "vitrum/parallel/space_halo.hpp"

namespace vitrum {
namespace {

using md::Engine;
using md::EngineOptions;
using md::MdSystem;
using parallel::Comm;
using parallel::Domain;

Comm world() {
  return Comm::world();
}
bool root() {
  return world().rank() == 0;
}

// ------------------------------------------------------------------------------ systems

std::unique_ptr<md::ForceField> bks() {
  return md::load_force_field(test::source_dir() + "/configs/potentials/SiO2-BKS.toml",
                              Backend::Cpu, Precision::Double, 1.0, 1.0);
}

/// The shipped water HDNNP (bohr, Hartree) driven in Å and eV.
std::unique_ptr<md::ForceField> water_nnp() {
  return md::load_force_field(test::source_dir() + "/configs/potentials/H2O_RPBE-D3", Backend::Cpu,
                              Precision::Double, units::kBohr, units::kHartree);
}

/// A bohr structure file converted to Å.
Structure read_bohr(const std::string& path) {
  Structure s = io::read_structures(path).front();
  for (auto& r : s.positions) r = units::kBohr * r;
  for (auto& h : s.box.h) h = units::kBohr * h;
  s.forces.clear();
  return s;
}

/// configs/structures/water_1080.data (360 molecules, 22.7 x 23.6 x 22.2 Å).
Structure water_1080() {
  return read_bohr(test::source_dir() + "/configs/structures/water_1080.data");
}

/// n2p2's 192-atom liquid-water cell (64 molecules, 13.0 Å cube).
Structure water_192() {
  return read_bohr(test::n2p2_dir() + "/outputs/H2O_RPBE-D3/dataset/input.data");
}

/// The same periodic system in a triclinic cell: a' = a, b' = b + a, c' = c + b (a unimodular
/// change of basis of the same lattice), so energies and forces are those of the original.
Structure skewed(Structure s) {
  const Vec3 a = s.box.h[0], b = s.box.h[1], c = s.box.h[2];
  s.box.h[1] = b + a;
  s.box.h[2] = c + b;
  return s;
}

/// A random SiO2 cell at 2.2 g/cm³ (glass-like minimum distances), cubic or triclinic.
Structure sio2_cell(int n_atoms, bool triclinic, std::uint64_t seed) {
  return test::sio2_random_cell(n_atoms, seed, triclinic);
}

MdSystem md_system(const Structure& s, double temperature, std::uint64_t seed) {
  MdSystem sys = md::make_system(s, md::assign_masses(s.species, {}));
  if (temperature > 0) md::maxwell_boltzmann(sys, temperature, seed, true);
  return sys;
}

std::string grid_name(const Domain& d) {
  return std::to_string(d.grid()[0]) + "x" + std::to_string(d.grid()[1]) + "x" +
         std::to_string(d.grid()[2]);
}

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

// ------------------------------------------------------------------------------ comparisons

/// Largest |a_i - b_i| over atoms and components.
double max_diff(const std::vector<Vec3>& a, const std::vector<Vec3>& b) {
  double m = 0;
  for (std::size_t i = 0; i < a.size(); ++i)
    for (int d = 0; d < 3; ++d) m = std::max(m, std::fabs(a[i][d] - b[i][d]));
  return m;
}

double max_abs(const std::vector<Vec3>& a) {
  double m = 0;
  for (const Vec3& v : a)
    for (int d = 0; d < 3; ++d) m = std::max(m, std::fabs(v[d]));
  return m;
}

std::vector<Vec3> unwrapped(const MdSystem& s) {
  std::vector<Vec3> r(s.size());
  for (int i = 0; i < s.size(); ++i) r[i] = s.unwrapped(i);
  return r;
}

/// A barrier whose waiting ranks sleep instead of spinning, so that rank 0 computing a serial
/// reference keeps the cores of an oversubscribed machine.
void sleepy_barrier() {
  const Comm c = world();
  if (c.size() == 1) return;
  MPI_Request req;
  MPI_Ibarrier(c.mpi(), &req);
  int done = 0;
  while (MPI_Test(&req, &done, MPI_STATUS_IGNORE), !done) usleep(2000);
}

/// The grids a case runs on: chosen from the cell and, for N >= 2 ranks, all ranks along cell
/// vector a (subdomains thinner than the cutoff in every case below), without duplicates.
std::vector<std::array<int, 3>> grids_for(const Box& box) {
  const int n = world().size();
  std::vector<std::array<int, 3>> out{parallel::choose_grid(n, box)};
  if (n > 1 && out[0] != std::array<int, 3>{n, 1, 1}) out.push_back({n, 1, 1});
  return out;
}

/// What the serial engine gives (rank 0 only).
struct Reference {
  double energy = 0, total_energy = 0, temperature = 0;
  double virial[3][3] = {};
  Box box;
  std::vector<Vec3> positions, velocities, forces;  ///< positions unwrapped
};

Reference reference_of(Engine& e, double extended_energy) {
  Reference r;
  const MdSystem& s = e.system();
  const md::Thermo t = md::compute_thermo(s, extended_energy);
  r.energy = s.potential_energy;
  r.total_energy = t.total_energy;
  r.temperature = t.temperature;
  for (int a = 0; a < 3; ++a)
    for (int b = 0; b < 3; ++b) r.virial[a][b] = s.virial[a][b];
  r.box = s.box;
  r.positions = unwrapped(s);
  r.velocities = s.velocities;
  r.forces = s.forces;
  return r;
}

/// Energy, forces and virial of `s` on all ranks against the serial engine on rank 0, for each
/// grid of grids_for.
void check_single_point(const std::string& name, const Structure& s, md::ForceField& ff,
                        double skin) {
  Reference ref;
  if (root()) {
    Engine e(md_system(s, 0, 0), ff, EngineOptions{skin, 1e5, 0.3});
    ref = reference_of(e, 0.0);
  }
  sleepy_barrier();
  for (const auto& g : grids_for(s.box)) {
    const auto t0 = std::chrono::steady_clock::now();
    Domain domain(world(), s.box, g);
    Engine dd(md::distribute_system(md_system(s, 0, 0), domain), ff, EngineOptions{skin, 1e5, 0.3},
              &domain);
    const MdSystem full = dd.gather_system();
    const double t_dd = seconds_since(t0);
    const auto hops = dd.halo().hops();
    std::int64_t ghosts = dd.halo().n_ghost();
    world().sum(&ghosts, 1);
    if (!root()) continue;
    ASSERT_EQ(full.size(), static_cast<int>(ref.forces.size()));
    const double e_rel =
        std::fabs(dd.system().potential_energy - ref.energy) / std::fabs(ref.energy);
    const double df = max_diff(full.forces, ref.forces);
    double dw = 0, wmax = 0;
    for (int a = 0; a < 3; ++a)
      for (int b = 0; b < 3; ++b) {
        dw = std::max(dw, std::fabs(dd.system().virial[a][b] - ref.virial[a][b]));
        wmax = std::max(wmax, std::fabs(ref.virial[a][b]));
      }
    std::printf(
        "[dd] %-22s np=%d grid=%-6s hops=%d,%d,%d ghosts/rank=%-5.0f |dE|/|E|=%.1e  "
        "max|dF|=%.1e eV/A (max|F| %.3g)  |dW|/max|W|=%.1e  (%.2f s)\n",
        name.c_str(), world().size(), grid_name(domain).c_str(), hops[0], hops[1], hops[2],
        static_cast<double>(ghosts) / world().size(), e_rel, df, max_abs(ref.forces), dw / wmax,
        t_dd);
    EXPECT_LE(e_rel, 1e-10) << name;
    EXPECT_LE(df, 1e-8) << name;
    EXPECT_LE(dw / wmax, 1e-10) << name;
  }
}

/// `steps` steps of `params` on all ranks against the serial engine on rank 0, for each grid of
/// grids_for (or `only` when given): largest difference of the unwrapped positions (Å),
/// velocities, cell and total energy.
void check_trajectory(const std::string& name, const Structure& s, md::ForceField& ff,
                      md::IntegratorParams params, double temperature, int steps,
                      double pressure = 0.0, bool first_grid_only = false) {
  md::StepContext ctx;
  ctx.temperature = temperature;
  ctx.pressure = pressure;
  auto run = [&](Engine& e) {
    auto integ = md::make_integrator(params, e.system());
    integ->begin(e.system(), ctx);
    for (int k = 0; k < steps; ++k) e.step(*integ, ctx);
    return integ->extended_energy(e.system());
  };
  Reference ref;
  if (root()) {
    Engine e(md_system(s, temperature, 7), ff, EngineOptions{1.0, 1e5, 0.3});
    ref = reference_of(e, run(e));
  }
  sleepy_barrier();
  auto gs = grids_for(s.box);
  if (first_grid_only) gs.resize(1);
  for (const auto& g : gs) {
    const auto t0 = std::chrono::steady_clock::now();
    Domain domain(world(), s.box, g);
    Engine dd(md::distribute_system(md_system(s, temperature, 7), domain), ff,
              EngineOptions{1.0, 1e5, 0.3}, &domain);
    const double ext = run(dd);
    dd.check_atoms();
    const md::Thermo t_dd = md::compute_thermo(dd.system(), ext);
    std::int64_t migrated = dd.migrated();
    world().sum(&migrated, 1);
    const MdSystem full = dd.gather_system();
    const double time_dd = seconds_since(t0);
    const auto hops = dd.halo().hops();
    if (!root()) continue;
    ASSERT_EQ(full.size(), static_cast<int>(ref.positions.size()));
    const double dr = max_diff(unwrapped(full), ref.positions);
    const double dv = max_diff(full.velocities, ref.velocities);
    const double de = std::fabs(t_dd.total_energy - ref.total_energy);
    double dh = 0;
    for (int a = 0; a < 3; ++a) dh = std::max(dh, max_diff({full.box.h[a]}, {ref.box.h[a]}));
    std::printf(
        "[dd] %-22s np=%d grid=%-6s hops=%d,%d,%d %3d steps %-15s max|dr|=%.1e A  "
        "max|dv|=%.1e A/fs  |dE_tot|=%.1e eV  |dh|=%.1e A  (T %.0f K, %ld rebuilds, %ld "
        "migrations; %.2f s)\n",
        name.c_str(), world().size(), grid_name(domain).c_str(), hops[0], hops[1], hops[2], steps,
        md::to_string(params.ensemble), dr, dv, de, dh, ref.temperature, dd.rebuilds(),
        static_cast<long>(migrated), time_dd);
    EXPECT_LE(dr, 1e-6) << name;
    EXPECT_LE(de, 1e-10 * std::fabs(ref.total_energy)) << name;
    EXPECT_LE(dh, 1e-9) << name;
  }
}

// ------------------------------------------------------------------------------ geometry

TEST(DomainGrid, FollowsTheCellShape) {
  Box cube;
  cube.periodic = true;
  cube.h[0] = {20, 0, 0};
  cube.h[1] = {0, 20, 0};
  cube.h[2] = {0, 0, 20};
  EXPECT_EQ(parallel::choose_grid(1, cube), (std::array<int, 3>{1, 1, 1}));
  EXPECT_EQ(parallel::choose_grid(2, cube), (std::array<int, 3>{2, 1, 1}));
  EXPECT_EQ(parallel::choose_grid(4, cube), (std::array<int, 3>{2, 2, 1}));
  EXPECT_EQ(parallel::choose_grid(8, cube), (std::array<int, 3>{2, 2, 2}));
  EXPECT_EQ(parallel::choose_grid(12, cube), (std::array<int, 3>{3, 2, 2}));
  Box slab = cube;  // long along c: cut there first
  slab.h[2] = {0, 0, 100};
  EXPECT_EQ(parallel::choose_grid(4, slab), (std::array<int, 3>{1, 1, 4}));
  EXPECT_EQ(parallel::choose_grid(8, slab), (std::array<int, 3>{1, 1, 8}));
  Box open;
  EXPECT_THROW(parallel::choose_grid(2, open), Error);
}

TEST(DomainGrid, EveryPositionHasExactlyOneOwner) {
  const Structure s = sio2_cell(192, true, 3);
  Domain domain(world(), s.box);
  // Positions outside the cell (any image) and exactly on subdomain faces.
  std::vector<Vec3> probes = s.positions;
  for (int k = 0; k <= 8; ++k) {
    const double f = k / 8.0;
    probes.push_back(s.box.to_cartesian({f, f, 1.0 - f}));
    probes.push_back(s.box.to_cartesian({f - 1.0, 2.0 + f, -f}));
  }
  int mine = 0;
  for (const Vec3& r : probes) {
    const auto c = domain.owner_coords(s.box.to_fractional(r));
    for (int d = 0; d < 3; ++d) {
      EXPECT_GE(c[d], 0);
      EXPECT_LT(c[d], domain.grid()[d]);
    }
    mine += c == domain.coords() ? 1 : 0;
    EXPECT_EQ(domain.rank_of(c) == domain.rank(), c == domain.coords());
  }
  double total = mine;
  world().sum(&total, 1);
  EXPECT_EQ(total, static_cast<double>(probes.size()));
}

TEST(AtomIds, ChecksCatchLostAndDuplicatedAtoms) {
  const Comm c = world();
  const int n = 10 * c.size();
  std::vector<int> ids;
  for (int i = c.rank(); i < n; i += c.size()) ids.push_back(i);
  EXPECT_NO_THROW(parallel::check_ids(c, ids, n, "test"));
  const auto good = parallel::id_checksum(c, ids);
  EXPECT_EQ(good.count, n);
  std::vector<int> bad = ids;
  if (c.rank() == 0) bad[1] = bad[0];  // one atom lost, one duplicated
  EXPECT_THROW(parallel::check_ids(c, bad, n, "test"), Error);
  EXPECT_NE(parallel::id_checksum(c, bad), good);
  std::vector<int> lost = ids;
  if (c.rank() == c.size() - 1) lost.pop_back();
  EXPECT_THROW(parallel::check_ids(c, lost, n, "test"), Error);
  EXPECT_NE(parallel::id_checksum(c, lost), good);
}

/// check_ids's message for `ids` (empty: no error).
std::string check_ids_error(const Comm& c, const std::vector<int>& ids, long n) {
  try {
    parallel::check_ids(c, ids, n, "test");
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

// The distributed check (each id checked by the rank owning its range) with few atoms (fewer
// than ranks), ranks holding nothing, and ids out of range; the message names the atoms held,
// the smallest missing and duplicated ids and the first invalid id, the same on every rank.
TEST(AtomIds, ChecksWithFewAtomsEmptyRanksAndInvalidIds) {
  const Comm c = world();
  const int p = c.size(), last = p - 1;
  const bool on_last = c.rank() == last;
  // Fewer atoms than ranks (or as many), all on the last rank; none at all.
  for (int n : {1, std::max(1, p / 2), p}) {
    std::vector<int> ids;
    if (on_last)
      for (int i = n - 1; i >= 0; --i) ids.push_back(i);
    EXPECT_EQ(check_ids_error(c, ids, n), "") << n;
  }
  EXPECT_EQ(check_ids_error(c, {}, 0), "");
  const int n = 3 * p + 1;
  std::vector<int> all;  // every id on rank 0, reversed
  if (c.rank() == 0)
    for (int i = n - 1; i >= 0; --i) all.push_back(i);
  EXPECT_EQ(check_ids_error(c, all, n), "");
  // One atom missing everywhere.
  EXPECT_NE(check_ids_error(c, {}, 1).find("0 atoms held for 1 expected (first missing id 0, "
                                           "first duplicated id -1, first invalid id -1)"),
            std::string::npos);
  // Ids too large and negative: the first invalid one in rank order is named.
  std::vector<int> big = all;
  if (p > 1 && c.rank() == 1) big.push_back(n + 1);
  if (on_last) big.push_back(n + 5);
  const std::string e_big = check_ids_error(c, big, n);
  EXPECT_NE(e_big.find(fmt::format("{} atoms held for {} expected (first missing id -1, first "
                                   "duplicated id -1, first invalid id {})",
                                   n + std::min(p, 2), n, p > 1 ? n + 1 : n + 5)),
            std::string::npos)
      << e_big;
  std::vector<int> neg = all;
  if (on_last && !neg.empty()) neg.back() = -7;   // id 0 replaced (one rank only)
  if (on_last && neg.empty()) neg.push_back(-7);  // and, with several ranks, an extra atom
  const std::string e_neg = check_ids_error(c, neg, n);
  EXPECT_NE(e_neg.find("first invalid id -7)"), std::string::npos) << e_neg;
  EXPECT_NE(e_neg.find(p > 1 ? "first missing id -1" : "first missing id 0"), std::string::npos)
      << e_neg;
  // Duplicates on different ranks: the smallest duplicated id and the smallest missing one.
  std::vector<int> dup;
  for (int i = c.rank(); i < n; i += p) dup.push_back(i);
  if (on_last) dup.push_back(2), dup.push_back(1);
  if (c.rank() == 0) dup.erase(std::remove(dup.begin(), dup.end(), 0), dup.end());
  const std::string e_dup = check_ids_error(c, dup, n);
  EXPECT_NE(e_dup.find(fmt::format("{} atoms held for {} expected (first missing id 0, first "
                                   "duplicated id 1, first invalid id -1)",
                                   n + 1, n)),
            std::string::npos)
      << e_dup;
}

/// This rank's atoms of `s` (wrapped, moved to their owners) with their halo of `width` built.
struct BuiltHalo {
  neighbor::GhostShell shell;
  std::vector<int> ids;
  std::vector<std::array<int, 3>> images;
  parallel::HaloPlan plan;
};

void build_halo(const Domain& domain, const Structure& s, double width, BuiltHalo& h) {
  MdSystem local = md::distribute_system(md_system(s, 0, 0), domain);
  for (auto& r : local.positions) r = s.box.wrap(r);
  // Migrate boundary atoms to their owners after wrapping.
  parallel::AtomFields f;
  f.add(local.id);
  f.add(local.species);
  parallel::migrate_atoms(domain, s.box, local.positions, f);
  h.shell.positions = local.positions;
  h.shell.species = local.species;
  h.ids = local.id;
  h.images.assign(local.size(), {0, 0, 0});
  h.plan.build(domain, s.box, width, h.shell, h.ids, h.images);
}

TEST(HaloPlan, ForwardAndReverseMatchTheSerialGhostShell) {
  // Every ghost is a periodic image of an atom, at the position the serial shell gives it, and
  // the reverse exchange returns each ghost's force to the atom it is an image of.
  const Structure s = skewed(sio2_cell(96, true, 5));
  for (const auto& g : grids_for(s.box)) {
    Domain domain(world(), s.box, g);
    const double width = 7.5;  // more than a 96-atom cell's height: several image layers
    BuiltHalo h;
    build_halo(domain, s, width, h);
    neighbor::GhostShell& shell = h.shell;
    std::vector<int>& ids = h.ids;
    std::vector<std::array<int, 3>>& images = h.images;
    parallel::HaloPlan& plan = h.plan;
    // Positions: ghost = wrapped owner + Σ image h.
    std::vector<Vec3> wrapped(s.size());
    for (std::size_t i = 0; i < s.size(); ++i) wrapped[i] = s.box.wrap(s.positions[i]);
    double worst = 0;
    for (int gi = shell.n_local; gi < shell.size(); ++gi) {
      Vec3 expect = wrapped[ids[gi]];
      for (int d = 0; d < 3; ++d) expect += static_cast<double>(images[gi][d]) * s.box.h[d];
      worst = std::max(worst, max_diff({shell.positions[gi]}, {expect}));
    }
    EXPECT_LE(worst, 1e-12);
    // Moving the locals moves the ghosts.
    std::vector<Vec3> moved = shell.positions;
    for (int i = 0; i < shell.n_local; ++i) moved[i] += Vec3{0.01 * ids[i], -0.02, 0.03};
    plan.forward(s.box, moved);
    for (int gi = shell.n_local; gi < shell.size(); ++gi) {
      const Vec3 expect = shell.positions[gi] + Vec3{0.01 * ids[gi], -0.02, 0.03};
      EXPECT_LE(max_diff({moved[gi]}, {expect}), 1e-12);
    }
    // Every image within `width` of a local atom is present exactly once.
    std::int64_t pairs = 0;
    for (int i = 0; i < shell.n_local; ++i)
      for (int j = 0; j < shell.size(); ++j) {
        const Vec3 d = shell.positions[j] - shell.positions[i];
        if (j != i && dot(d, d) < width * width) ++pairs;
      }
    world().sum(&pairs, 1);
    const neighbor::GhostShell serial =
        neighbor::build_ghost_shell(s.box, s.positions, s.species, width);
    std::int64_t serial_pairs = 0;
    for (int i = 0; i < serial.n_local; ++i)
      for (int j = 0; j < serial.size(); ++j) {
        const Vec3 d = serial.positions[j] - serial.positions[i];
        if (j != i && dot(d, d) < width * width) ++serial_pairs;
      }
    EXPECT_EQ(pairs, serial_pairs);
    // Reverse: a unit force on every ghost lands on its atom, once per image.
    std::vector<Vec3> force(shell.size(), Vec3{0, 0, 0});
    for (int gi = shell.n_local; gi < shell.size(); ++gi) force[gi] = Vec3{1, 0, 0};
    plan.reverse(force);
    std::vector<double> landed(s.size(), 0.0), images_of(s.size(), 0.0);
    for (int i = 0; i < shell.n_local; ++i) landed[ids[i]] = force[i].x;
    for (int gi = shell.n_local; gi < shell.size(); ++gi) images_of[ids[gi]] += 1.0;
    world().sum(landed.data(), static_cast<int>(landed.size()));
    world().sum(images_of.data(), static_cast<int>(images_of.size()));
    for (std::size_t i = 0; i < s.size(); ++i) EXPECT_EQ(landed[i], images_of[i]) << "atom " << i;
  }
}

/// halo_exec.hpp's memory space on host arrays with every MPI transfer staged through separate
/// host buffers, as the device halo does without a CUDA-aware MPI: the same swap sequence and
/// the same staged_sendrecv, with memcpy for the device copies (counted).
struct StagedHostSpace {
  const std::vector<parallel::HaloSwap>& swaps;
  std::vector<Vec3> scratch, host_send, host_recv;
  long copies = 0, waits = 0;

  const int* send_list(std::size_t s) const { return swaps[s].send_index.data(); }
  Vec3* buffer() { return scratch.data(); }
  void pack(const int* idx, int n, const Vec3* src, Vec3 shift, Vec3* dst) {
    for (int k = 0; k < n; ++k) parallel::pack_shifted(k, idx, src, shift, dst);
  }
  void unpack_add(const int* idx, int n, const Vec3* src, Vec3* dst) {
    for (int k = 0; k < n; ++k) parallel::unpack_add(k, idx, src, dst);
  }
  void to_host(Vec3* dst, const Vec3* src, int n) {
    std::copy(src, src + n, dst);
    ++copies;
  }
  void to_device(Vec3* dst, const Vec3* src, int n) {
    std::copy(src, src + n, dst);
    ++copies;
  }
  void wait() { ++waits; }
  void sendrecv(const Vec3* send, int n_send, int dest, Vec3* recv, int n_recv, int source,
                int tag) {
    // Stale staging data must never reach a receiver.
    std::fill(host_send.begin(), host_send.end(), Vec3{NAN, NAN, NAN});
    std::fill(host_recv.begin(), host_recv.end(), Vec3{NAN, NAN, NAN});
    parallel::staged_sendrecv(world(), *this, host_send.data(), host_recv.data(), send, n_send,
                              dest, recv, n_recv, source, tag);
  }
};

TEST(HaloExec, SpaceHaloOnTheEmulatedDeviceGivesThePlansBits) {
  // SpaceHalo (parallel/space_halo.hpp) on the emulated device, with device buffers handed to
  // MPI (direct) and staged through host buffers: the plan's ghost positions and reverse-summed
  // forces bit for bit on every grid, and the ledger counts exactly the staged copies (none for
  // direct transport or for periodic self-exchanges).
  const Structure s = skewed(sio2_cell(96, true, 5));
  for (const auto& g : grids_for(s.box)) {
    Domain domain(world(), s.box, g);
    BuiltHalo h;
    build_halo(domain, s, 7.5, h);
    const neighbor::GhostShell& shell = h.shell;
    const std::vector<int>& ids = h.ids;
    parallel::HaloPlan& plan = h.plan;
    Box moved_box = s.box;
    moved_box.h[2] += Vec3{0.05, -0.03, 0.02};
    std::vector<Vec3> host(shell.size(), Vec3{NAN, NAN, NAN});
    for (int i = 0; i < shell.n_local; ++i)
      host[i] = shell.positions[i] + Vec3{0.003 * ids[i], -0.002, 0.001 * i};
    std::vector<Vec3> fh(shell.size());
    for (int i = 0; i < shell.size(); ++i)
      fh[i] = Vec3{std::sin(0.1 * ids[i] + i), std::cos(0.3 * i), 0.01 * ids[i]};
    std::vector<Vec3> f_in = fh;
    std::vector<Vec3> x_in = host;
    plan.forward(moved_box, host);
    plan.reverse(fh);
    std::size_t remote_atoms = 0;
    for (const auto& sw : plan.swaps())
      if (!(sw.send_rank == domain.comm().rank() && sw.recv_rank == domain.comm().rank()))
        remote_atoms += sw.send_index.size() + static_cast<std::size_t>(sw.recv_count);
    for (bool direct : {true, false}) {
      auto space = exec::make_emulated_space();
      parallel::SpaceHalo halo(*space, domain.comm(), direct);
      halo.attach(plan);
      exec::MirroredArray<Vec3> x(*space, "positions"), f(*space, "forces");
      x.assign(x_in);
      f.assign(f_in);
      halo.forward(moved_box, x.device(exec::Access::ReadWrite));
      halo.reverse(f.device(exec::Access::ReadWrite));
      const std::vector<Vec3>& xd = x.host_read();
      const std::vector<Vec3>& fd = f.host_read();
      long differ = 0;
      for (int i = 0; i < shell.size(); ++i)
        differ += std::memcmp(&host[i], &xd[i], sizeof(Vec3)) != 0;
      for (int i = 0; i < shell.n_local; ++i)
        differ += std::memcmp(&fh[i], &fd[i], sizeof(Vec3)) != 0;
      EXPECT_EQ(differ, 0) << "grid " << g[0] << "x" << g[1] << "x" << g[2] << " direct " << direct;
      const auto& e = space->ledger().entries();
      const std::size_t staged =
          e.count("halo:staging") == 0
              ? 0
              : e.at("halo:staging").to_host.bytes + e.at("halo:staging").to_device.bytes;
      EXPECT_EQ(staged, direct ? 0 : 2 * remote_atoms * sizeof(Vec3));
    }
  }
}

TEST(HaloExec, StagedTransportGivesThePlansBits) {
  // The device halo's sequence (halo_exec.hpp) with staged transfers against HaloPlan's host
  // exchange: forward positions and reverse forces equal bit for bit, on every grid (thin
  // subdomains: several hops) of a triclinic cell.
  const Structure s = skewed(sio2_cell(96, true, 5));
  for (const auto& g : grids_for(s.box)) {
    Domain domain(world(), s.box, g);
    BuiltHalo h;
    build_halo(domain, s, 7.5, h);
    const neighbor::GhostShell& shell = h.shell;
    const std::vector<int>& ids = h.ids;
    parallel::HaloPlan& plan = h.plan;
    std::size_t largest = 1;
    for (const auto& sw : plan.swaps())
      largest = std::max({largest, sw.send_index.size(), static_cast<std::size_t>(sw.recv_count)});
    StagedHostSpace space{plan.swaps(), std::vector<Vec3>(largest), std::vector<Vec3>(largest),
                          std::vector<Vec3>(largest)};
    // A sheared cell, so that the image shifts differ from those of the build.
    Box moved_box = s.box;
    moved_box.h[2] += Vec3{0.05, -0.03, 0.02};
    std::vector<Vec3> host(shell.size(), Vec3{NAN, NAN, NAN}), staged(shell.size(), host[0]);
    for (int i = 0; i < shell.n_local; ++i)
      host[i] = staged[i] = shell.positions[i] + Vec3{0.003 * ids[i], -0.002, 0.001 * i};
    plan.forward(moved_box, host);
    parallel::halo_forward(plan.swaps(), domain.comm().rank(), moved_box, staged.data(), space);
    long differ = 0;
    for (int i = 0; i < shell.size(); ++i)
      differ += std::memcmp(&host[i], &staged[i], sizeof(Vec3)) != 0;
    EXPECT_EQ(differ, 0) << "grid " << g[0] << "x" << g[1] << "x" << g[2];
    std::vector<Vec3> fh(shell.size()), fs;
    for (int i = 0; i < shell.size(); ++i)
      fh[i] = Vec3{std::sin(0.1 * ids[i] + i), std::cos(0.3 * i), 0.01 * ids[i]};
    fs = fh;
    plan.reverse(fh);
    parallel::halo_reverse(plan.swaps(), domain.comm().rank(), fs.data(), space);
    differ = 0;
    for (int i = 0; i < shell.n_local; ++i)
      differ += std::memcmp(&fh[i], &fs[i], sizeof(Vec3)) != 0;
    EXPECT_EQ(differ, 0) << "grid " << g[0] << "x" << g[1] << "x" << g[2];
    // Every exchange with another rank went through the staging buffers (two copies each way).
    long remote = 0;
    for (const auto& sw : plan.swaps())
      remote += !(sw.send_rank == domain.comm().rank() && sw.recv_rank == domain.comm().rank());
    EXPECT_EQ(space.waits, 2 * remote);
  }
}

// ------------------------------------------------------------------------------ invariance

TEST(RankInvariance, BksSinglePoint) {
  auto ff = bks();
  check_single_point("bks648 orthogonal", sio2_cell(648, false, 11), *ff, 1.0);
  check_single_point("bks192 triclinic", sio2_cell(192, true, 12), *ff, 1.0);
}

TEST(RankInvariance, WaterNnpSinglePoint) {
  auto ff = water_nnp();
  check_single_point("water1080 orthogonal", water_1080(), *ff, 0.0);
  check_single_point("water1080 triclinic", skewed(water_1080()), *ff, 1.0);
}

TEST(RankInvariance, BksNve200Steps) {
  auto ff = bks();
  md::IntegratorParams p;
  p.dt = 1.0;
  check_trajectory("bks648 orthogonal", sio2_cell(648, false, 11), *ff, p, 1000.0, 200);
  check_trajectory("bks192 triclinic", sio2_cell(192, true, 12), *ff, p, 1000.0, 200);
}

TEST(RankInvariance, WaterNnpNve) {
  // The HDNNP costs ~100 µs per atom and step: the 192-atom cell (13 Å, cutoff 6.35 Å), 200
  // steps orthogonal, 100 triclinic.
  auto ff = water_nnp();
  md::IntegratorParams p;
  p.dt = 0.5;
  check_trajectory("water192 orthogonal", water_192(), *ff, p, 400.0, 200);
  check_trajectory("water192 triclinic", skewed(water_192()), *ff, p, 400.0, 100, 0.0, true);
}

TEST(RankInvariance, BksThermostatsAndBarostat) {
  // The integrators' global quantities (kinetic energy of the chain, the MTK cell update, the
  // Langevin noise keyed by atom id) are the same on any rank count.
  auto ff = bks();
  const Structure cube = sio2_cell(192, false, 21);
  md::IntegratorParams p;
  p.dt = 1.0;
  p.tdamp = 50.0;
  p.ensemble = md::Ensemble::NvtNoseHoover;
  check_trajectory("bks192 nose-hoover", cube, *ff, p, 2000.0, 100);
  p.ensemble = md::Ensemble::NvtLangevin;
  p.seed = 99;
  check_trajectory("bks192 langevin", cube, *ff, p, 2000.0, 100);
  p.ensemble = md::Ensemble::NptMtk;
  p.pdamp = 200.0;
  check_trajectory("bks192 npt-mtk", cube, *ff, p, 2000.0, 100, 5000.0);
}

TEST(RankInvariance, AtomsStartingOnOneRankMigrateToTheirOwners) {
  // Every atom starts on rank 0 (the others hold none): the engine's migration moves them over
  // the whole grid (several hops) and the forces equal the serial ones.
  auto ff = bks();
  const Structure s = sio2_cell(192, true, 31);
  const int n = world().size();
  Domain domain(world(), s.box, {n, 1, 1});
  MdSystem share = md_system(s, 0, 0);
  share.id.resize(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) share.id[i] = static_cast<int>(i);
  if (!root()) {
    share = MdSystem{};
    share.box = s.box;
  }
  Engine dd(std::move(share), *ff, EngineOptions{1.0, 1e5, 0.3}, &domain);
  const double e = dd.system().potential_energy;
  dd.check_atoms();
  std::int64_t held = dd.system().size();
  std::vector<std::int64_t> all(world().size(), 0);
  all[world().rank()] = held;
  world().sum(all.data(), static_cast<int>(all.size()));
  const MdSystem full = dd.gather_system();
  if (!root()) return;
  Engine ref(md_system(s, 0, 0), *ff, EngineOptions{1.0, 1e5, 0.3});
  EXPECT_LE(std::fabs(e - ref.system().potential_energy), 1e-10 * std::fabs(e));
  EXPECT_LE(max_diff(full.forces, ref.system().forces), 1e-8);
  if (world().size() > 1) {
    for (int r = 0; r < world().size(); ++r)
      EXPECT_GT(all[r], 0) << "rank " << r << " got no atoms";
  }
}

}  // namespace
}  // namespace vitrum
