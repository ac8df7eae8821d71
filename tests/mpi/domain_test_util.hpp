#pragma once
// Shared set-up of the MPI domain-decomposition tests: the test systems (SiO2 BKS, water HDNNP,
// orthogonal and triclinic cells), serial references and the comparisons with their tolerances.
// Included by domain_decomposition_test.cpp and halo_exchange_test.cpp.
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

}  // namespace
}  // namespace vitrum
