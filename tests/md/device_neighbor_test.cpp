// The device neighbor list (vitrum/neighbor/device_neighbor.hpp) on the emulated device against
// the host build (neighbor::build_ghost_shell + build_neighbor_list): without the reorder the
// wrapped positions, the shell and the CSR list are the host's bits and entries, for cubic,
// triclinic, small (cutoff + skin above half the cell), dense, dilute and open cells; with the
// space-filling-curve reorder the pairs are the same set, the order is a permutation and the
// neighbours of an atom sit closer in memory. Rows far longer than a warp (a dense cell) are
// complete: the list is counted, then filled, never truncated. In the device engine the reordered
// run follows the host engine to rounding (LJ and BKS), repeats its own bits, and its rebuild steps
// move only scalars and the short image list (the same bound at 192 and 648 atoms).
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <memory>
#include <numeric>
#include <string>
#include <vector>

#include "device_neighbor_util.hpp"
#include "lj_force_field.hpp"
#include "md_test_util.hpp"
#include "vitrum/md/device_engine.hpp"
#include "vitrum/md/engine.hpp"
#include "vitrum/parallel/comm_plan.hpp"
#include "vitrum/parallel/domain.hpp"
#include "vitrum/teacher/device_teacher.hpp"

namespace vitrum::test {
namespace {

struct Cell {
  std::string name;
  Structure s;
  double cutoff, skin;
};

Structure scaled(Structure s, double f) {
  for (auto& h : s.box.h) h = f * h;
  for (auto& r : s.positions) r = f * r;
  return s;
}

std::vector<Cell> cells() {
  std::vector<Cell> c;
  c.push_back({"cubic", sio2_random_cell(192, 3), 5.5, 1.0});
  c.push_back({"triclinic", sio2_random_cell(192, 4, true), 5.5, 1.0});
  Structure small = sio2_random_cell(24, 5, true);  // ~7.5 Å cell, r_list 7 Å: several layers
  c.push_back({"small", small, 6.0, 1.0});
  c.push_back({"dense", scaled(sio2_random_cell(192, 6), 0.85), 5.0, 0.5});
  c.push_back({"dilute", scaled(sio2_random_cell(96, 7), 1.8), 5.0, 0.5});
  Structure open = sio2_random_cell(96, 8);
  open.box.periodic = false;
  c.push_back({"open", open, 5.0, 0.5});
  Structure shifted = sio2_random_cell(192, 9, true);  // atoms outside the cell: wrap counts
  for (std::size_t i = 0; i < shifted.positions.size(); ++i)
    shifted.positions[i] += static_cast<double>(static_cast<int>(i % 5) - 2) * shifted.box.h[i % 3];
  c.push_back({"unwrapped", shifted, 5.5, 1.0});
  return c;
}

double norm(const Vec3& v) {
  return std::sqrt(dot(v, v));
}

bool same_bits(const std::vector<Vec3>& a, const std::vector<Vec3>& b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(Vec3)) == 0;
}

TEST(DeviceNeighbor, EqualsTheHostBuildEntryForEntry) {
  for (const Cell& c : cells()) {
    auto space = exec::make_emulated_space();
    const DeviceBuild d =
        device_build(*space, c.s.box, c.s.positions, c.s.species, c.cutoff, c.skin, false);
    const neighbor::GhostShell h =
        neighbor::build_ghost_shell(c.s.box, c.s.positions, c.s.species, c.cutoff + c.skin);
    const neighbor::NeighborList hl = neighbor::build_neighbor_list(h, c.cutoff, c.skin);
    EXPECT_TRUE(same_bits(d.wrapped, {h.positions.begin(), h.positions.begin() + h.n_local}))
        << c.name;
    EXPECT_EQ(d.shell.size(), h.size()) << c.name;
    EXPECT_TRUE(same_bits(d.shell.positions, h.positions)) << c.name;
    EXPECT_TRUE(same_bits(d.shell.shift, h.shift)) << c.name;
    EXPECT_EQ(d.shell.owner, h.owner) << c.name;
    EXPECT_EQ(d.shell.species, h.species) << c.name;
    EXPECT_EQ(d.list.offsets, hl.offsets) << c.name;
    EXPECT_EQ(d.list.neighbors, hl.neighbors) << c.name;
    EXPECT_GT(hl.neighbors.size(), 0u) << c.name;
    // The image counts make wrapped + n h the input position.
    for (std::size_t i = 0; i < c.s.positions.size(); ++i) {
      Vec3 r = d.wrapped[i];
      for (int a = 0; a < 3; ++a) r += static_cast<double>(d.image[i][a]) * c.s.box.h[a];
      EXPECT_LT(norm(r - c.s.positions[i]), 1e-9) << c.name << " atom " << i;
    }
    // The row lengths are the host's.
    for (int i = 0; i < hl.n_local(); ++i)
      ASSERT_EQ(d.count[i], hl.offsets[i + 1] - hl.offsets[i]) << c.name;
    EXPECT_EQ(d.view.max_neighbors, hl.max_neighbors()) << c.name;
    std::printf("[device list] %-9s %4d atoms, %5d ghosts, %6zu pairs, longest row %d\n",
                c.name.c_str(), h.n_local, h.n_ghost(), hl.neighbors.size(), hl.max_neighbors());
  }
}

TEST(DeviceNeighbor, ReorderKeepsThePairsAndImprovesLocality) {
  for (const Cell& c : cells()) {
    auto space = exec::make_emulated_space();
    const DeviceBuild d =
        device_build(*space, c.s.box, c.s.positions, c.s.species, c.cutoff, c.skin, true);
    const neighbor::GhostShell h =
        neighbor::build_ghost_shell(c.s.box, c.s.positions, c.s.species, c.cutoff + c.skin);
    const neighbor::NeighborList hl = neighbor::build_neighbor_list(h, c.cutoff, c.skin);
    std::vector<int> sorted = d.origin;
    std::sort(sorted.begin(), sorted.end());
    std::vector<int> iota(sorted.size());
    std::iota(iota.begin(), iota.end(), 0);
    EXPECT_EQ(sorted, iota) << c.name << ": the order is not a permutation";
    EXPECT_EQ(pairs_of(c.s.box, d.shell, d.list, d.origin), pairs_of(c.s.box, h, hl)) << c.name;
    EXPECT_EQ(d.stats.reorders, 1);
  }
  // Locality: a larger random cell (atoms in random order) reordered along the Morton curve.
  const Structure s = sio2_random_cell(3000, 11);
  auto space = exec::make_emulated_space();
  const DeviceBuild plain = device_build(*space, s.box, s.positions, s.species, 5.0, 0.5, false);
  const DeviceBuild sfc = device_build(*space, s.box, s.positions, s.species, 5.0, 0.5, true);
  const double before = mean_index_distance(plain.list), after = mean_index_distance(sfc.list);
  std::printf(
      "[device list] mean |i - j| of neighbours, 3000 atoms: %.1f input order, %.1f "
      "Morton order (%.1fx closer)\n",
      before, after, before / after);
  EXPECT_LT(after, 0.25 * before);
}

// The serial device shell holds exactly the ghosts of the halo plan of a one-rank domain (the
// MPI path's ghosts: parallel::HaloPlan), as (atom, integer cell vector) sets: the two
// selections are the same slab test, staged or not. (The device engine builds them in the host
// shell's order, owner + shift per ghost, not through the plan's swaps.)
TEST(DeviceNeighbor, GhostsAreThoseOfTheOneRankHaloPlan) {
  for (const Cell& c : cells()) {
    if (!c.s.box.periodic) continue;
    auto space = exec::make_emulated_space();
    const DeviceBuild d =
        device_build(*space, c.s.box, c.s.positions, c.s.species, c.cutoff, c.skin, false);
    using Ghost = std::tuple<int, int, int, int>;
    std::vector<Ghost> dev;
    for (int g = d.shell.n_local; g < d.shell.size(); ++g) {
      const auto& img = d.ghost_image[g - d.shell.n_local];
      dev.emplace_back(d.shell.owner[g], img[0], img[1], img[2]);
    }
    parallel::Domain domain(parallel::Comm(), c.s.box);
    neighbor::GhostShell shell;
    shell.positions = d.wrapped;
    shell.species = c.s.species;
    std::vector<int> ids(d.wrapped.size());
    std::iota(ids.begin(), ids.end(), 0);
    std::vector<std::array<int, 3>> images(d.wrapped.size(), {0, 0, 0});
    parallel::HaloPlan plan;
    plan.build(domain, c.s.box, c.cutoff + c.skin, shell, ids, images);
    std::vector<Ghost> planned;
    for (int g = plan.n_local(); g < plan.n_local() + plan.n_ghost(); ++g)
      planned.emplace_back(ids[g], images[g][0], images[g][1], images[g][2]);
    std::sort(dev.begin(), dev.end());
    std::sort(planned.begin(), planned.end());
    EXPECT_EQ(dev, planned) << c.name;
  }
}

TEST(DeviceNeighbor, LongRowsNeverTruncated) {
  const Structure s = scaled(sio2_random_cell(192, 12), 0.8);  // dense: rows far above 32
  auto space = exec::make_emulated_space();
  const DeviceBuild d = device_build(*space, s.box, s.positions, s.species, 6.0, 1.0, false);
  EXPECT_GT(d.view.max_neighbors, 32);
  const neighbor::GhostShell h = neighbor::build_ghost_shell(s.box, s.positions, s.species, 7.0);
  const neighbor::NeighborList hl = neighbor::build_neighbor_list(h, 6.0, 1.0);
  EXPECT_EQ(d.list.neighbors, hl.neighbors);
}

TEST(DeviceNeighbor, RejectsBadInput) {
  Structure s = sio2_random_cell(24, 13);
  auto space = exec::make_emulated_space();
  EXPECT_THROW(device_build(*space, s.box, s.positions, s.species, 0.0, 1.0, false), Error);
  s.positions[3].x = std::nan("");
  EXPECT_THROW(device_build(*space, s.box, s.positions, s.species, 5.0, 1.0, false), Error);
  Structure flat = sio2_random_cell(24, 13);
  flat.box.h[2] = flat.box.h[0];
  EXPECT_THROW(device_build(*space, flat.box, flat.positions, flat.species, 5.0, 1.0, false),
               Error);
}

// ---- the device engine with the reorder (the default)

double max_difference(const std::vector<Vec3>& a, const std::vector<Vec3>& b) {
  double m = 0;
  for (std::size_t i = 0; i < a.size(); ++i) m = std::max(m, norm(a[i] - b[i]));
  return m;
}

md::IntegratorParams nve(double dt) {
  md::IntegratorParams p;
  p.ensemble = md::Ensemble::Nve;
  p.dt = dt;
  return p;
}

template <class MakeFf>
void follow_host(const char* what, const Structure& cell, double t, double dt, int steps,
                 const md::EngineOptions& opt, MakeFf make_ff) {
  md::MdSystem sys = md::make_system(cell, md::assign_masses(cell.species, {}));
  md::maxwell_boltzmann(sys, t, 3, true);
  auto ff_host = make_ff();
  auto ff_dev = make_ff();
  auto space = exec::make_emulated_space();
  auto dev_ff = md::emulate_force_field(*ff_dev, *space);
  md::Engine host(sys, *ff_host, opt);
  md::DeviceEngine dev(sys, *dev_ff, *space, opt);
  auto ih = md::make_integrator(nve(dt), sys);
  auto id = md::make_integrator(nve(dt), sys);
  double worst_e = 0;
  for (int s = 0; s < steps; ++s) {
    host.step(*ih, md::StepContext{});
    dev.step(*id, md::StepContext{});
    const double e = std::fabs(host.system().potential_energy - dev.scalars().potential_energy);
    worst_e = std::max(worst_e, e / std::fabs(host.system().potential_energy));
  }
  EXPECT_GE(dev.rebuilds(), 3) << what;
  EXPECT_EQ(dev.rebuilds(), host.rebuilds()) << what;
  EXPECT_EQ(dev.neighbors().stats().reorders, dev.rebuilds()) << what;
  const double dr = max_difference(host.system().positions, dev.system().positions);
  const double df = max_difference(host.system().forces, dev.system().forces);
  EXPECT_LT(dr, 1e-10) << what;
  EXPECT_LT(df, 1e-8) << what;
  EXPECT_LT(worst_e, 1e-12) << what;
  EXPECT_EQ(host.system().image, dev.system().image) << what;
  std::printf(
      "[device engine, reordered] %s: %d steps, %ld rebuilds, max |Δr| %.2g Å, "
      "max |ΔF| %.2g eV/Å, max relative ΔE %.2g\n",
      what, steps, dev.rebuilds(), dr, df, worst_e);
}

TEST(DeviceEngineReordered, FollowsTheHostEngineLennardJones) {
  const Structure cell = fcc_argon(4, 0.0213);
  follow_host("LJ argon 256", cell, 600.0, 2.0, 200, md::EngineOptions{0.4, 1e5, 0.5},
              [] { return std::make_unique<md::LennardJones>(argon_lj()); });
}

TEST(DeviceEngineReordered, FollowsTheHostEngineBks) {
  for (bool triclinic : {false, true}) {
    const Structure cell = sio2_random_cell(192, 21, triclinic);
    follow_host(triclinic ? "BKS triclinic" : "BKS cubic", cell, 3000.0, 1.0, 100,
                md::EngineOptions{1.0, 1e5, 0.5}, [] {
                  return md::load_force_field(bks_potential_path(), Backend::Cpu, Precision::Double,
                                              1.0, 1.0);
                });
  }
}

md::IntegratorParams npt() {
  md::IntegratorParams p;
  p.ensemble = md::Ensemble::NptMtk;
  p.dt = 1.0;
  p.tdamp = 50.0;
  p.pdamp = 200.0;
  p.coupling = md::BarostatCoupling::Anisotropic;
  return p;
}

md::StepContext hot() {
  md::StepContext c;
  c.temperature = 3000.0;
  c.pressure = 5000.0;
  return c;
}

TEST(DeviceEngineReordered, RepeatsItsOwnBits) {
  const Structure cell = sio2_random_cell(192, 22);  // (MTK NPT: orthogonal cells)
  md::MdSystem sys = md::make_system(cell, md::assign_masses(cell.species, {}));
  md::maxwell_boltzmann(sys, 3000.0, 4, true);
  std::vector<Vec3> r[2], v[2];
  for (int run = 0; run < 2; ++run) {
    auto space = exec::make_emulated_space();
    auto ff = teacher::load_device_teacher(bks_potential_path(), *space);
    md::DeviceEngine dev(sys, *ff, *space, md::EngineOptions{1.0, 1e5, 0.5});
    auto integ = md::make_integrator(npt(), sys);
    for (int s = 0; s < 80; ++s) dev.step(*integ, hot());
    EXPECT_GE(dev.rebuilds(), 3);
    r[run] = dev.system().positions;
    v[run] = dev.system().velocities;
  }
  EXPECT_TRUE(same_bits(r[0], r[1]));
  EXPECT_TRUE(same_bits(v[0], v[1]));
}

TEST(DeviceEngineReordered, SortEveryAndItsRange) {
  const Structure cell = fcc_argon(3, 0.0213);
  md::MdSystem sys = md::make_system(cell, md::assign_masses(cell.species, {}));
  md::maxwell_boltzmann(sys, 600.0, 3, true);
  auto lj = argon_lj();
  auto space = exec::make_emulated_space();
  auto ff = md::emulate_force_field(lj, *space);
  const md::EngineOptions opt{0.4, 1e5, 0.5};
  EXPECT_THROW(md::DeviceEngine(sys, *ff, *space, opt, md::DeviceEngineOptions{-1}), Error);
  md::DeviceEngine dev(sys, *ff, *space, opt, md::DeviceEngineOptions{3});
  auto integ = md::make_integrator(nve(2.0), sys);
  for (int s = 0; s < 150; ++s) dev.step(*integ, md::StepContext{});
  ASSERT_GE(dev.rebuilds(), 6);
  EXPECT_EQ(dev.neighbors().stats().reorders, (dev.rebuilds() + 2) / 3);
  // The atoms come back in the input order: the run without reorder (the host engine's bits)
  // agrees to rounding atom by atom.
  auto space0 = exec::make_emulated_space();
  auto ff0 = md::emulate_force_field(lj, *space0);
  md::DeviceEngine plain(sys, *ff0, *space0, opt, md::DeviceEngineOptions{0});
  auto integ0 = md::make_integrator(nve(2.0), sys);
  for (int s = 0; s < 150; ++s) plain.step(*integ0, md::StepContext{});
  EXPECT_EQ(plain.neighbors().stats().reorders, 0);
  EXPECT_LT(max_difference(plain.system().positions, dev.system().positions), 1e-10);
  EXPECT_EQ(plain.system().image, dev.system().image);
  std::vector<int> origin = dev.slot_origins();
  std::sort(origin.begin(), origin.end());
  for (std::size_t i = 0; i < origin.size(); ++i) ASSERT_EQ(origin[i], static_cast<int>(i));
}

/// Bytes moved by each rebuild step of a 40-step device-teacher NVE run, with the check that
/// no per-atom array moved on it.
std::vector<std::size_t> rebuild_step_bytes(int n_atoms) {
  const Structure cell = sio2_random_cell(n_atoms, 23);
  md::MdSystem sys = md::make_system(cell, md::assign_masses(cell.species, {}));
  md::maxwell_boltzmann(sys, 4000.0, 5, true);
  auto space = exec::make_emulated_space();
  auto ff = teacher::load_device_teacher(bks_potential_path(), *space);
  md::DeviceEngine dev(sys, *ff, *space, md::EngineOptions{1.0, 1e5, 0.3});
  auto integ = md::make_integrator(nve(1.0), sys);
  std::vector<std::size_t> out;
  for (int s = 0; s < 40; ++s) {
    const exec::TransferLedger before = dev.ledger();
    const long rebuilds = dev.rebuilds();
    dev.step(*integ, md::StepContext{});
    if (s == 0 || dev.rebuilds() == rebuilds) continue;
    for (const auto& [name, e] : dev.ledger().entries()) {
      const auto it = before.entries().find(name);
      const std::size_t was =
          it == before.entries().end() ? 0 : it->second.to_host.bytes + it->second.to_device.bytes;
      const std::size_t now = e.to_host.bytes + e.to_device.bytes;
      EXPECT_LE(now - was, 1024u) << name << " moved " << now - was << " B at rebuild step " << s
                                  << " (" << n_atoms << " atoms)";
    }
    out.push_back(dev.ledger().total_bytes() - before.total_bytes());
  }
  return out;
}

TEST(DeviceEngineReordered, RebuildStepsMoveOnlyScalars) {
  for (int n : {192, 648}) {
    const std::vector<std::size_t> bytes = rebuild_step_bytes(n);
    ASSERT_GE(bytes.size(), 3u) << n << " atoms: too few rebuilds";
    const std::size_t worst = *std::max_element(bytes.begin(), bytes.end());
    EXPECT_LE(worst, 2048u) << n << " atoms";
    std::printf(
        "[device ledger] %d atoms: %zu rebuild steps, at most %zu B each (one position array: "
        "%zu B)\n",
        n, bytes.size(), worst, sizeof(Vec3) * n);
  }
}

}  // namespace
}  // namespace vitrum::test
