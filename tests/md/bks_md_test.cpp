// MD with the SiO2 BKS teacher (configs/potentials/SiO2-BKS.toml): energy conservation of
// velocity Verlet at 1 fs in the hot liquid, and NVE trajectories that match LAMMPS
// (`lmp`, Debian package lammps; fix nve, pair_style born/coul/dsf) step for step.
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <sstream>

#include "bks_lammps.hpp"
#include "md_test_util.hpp"
#include "vitrum/core/units.hpp"
#include "vitrum/md/engine.hpp"

namespace vitrum::md {
namespace {

/// Relaxes the random cell into a hot liquid: Langevin at 0.5 fs with strong friction.
void melt(Engine& e, double temperature, int steps) {
  IntegratorParams p;
  p.ensemble = Ensemble::NvtLangevin;
  p.dt = 0.5;
  p.tdamp = 10.0;
  p.seed = 17;
  auto integ = make_integrator(p, e.system());
  StepContext ctx;
  ctx.temperature = temperature;
  for (int k = 0; k < steps; ++k) e.step(*integ, ctx);
}

/// Langevin from `t_from` to `t_to` (linear ramp) over `steps` steps of `dt` fs.
void langevin(Engine& e, double t_from, double t_to, int steps, double dt, double tdamp) {
  IntegratorParams p;
  p.ensemble = Ensemble::NvtLangevin;
  p.dt = dt;
  p.tdamp = tdamp;
  p.seed = 23;
  auto integ = make_integrator(p, e.system());
  StepContext ctx;
  for (int k = 1; k <= steps; ++k) {
    ctx.temperature = t_from + (t_to - t_from) * k / steps;
    e.step(*integ, ctx);
  }
}

TEST(BksMd, NveConservesEnergyAt1fs) {
  // A small glass: random 192-atom cell relaxed and melted at 2000 K, quenched to 300 K by
  // Langevin (fast, but it is a stationary state), then 1.5 ps of NVE at 1 fs. In the hot liquid
  // Verlet's O(dt²) energy fluctuations at 1 fs are ~1e-4 eV/atom, which would need many ps to
  // resolve a 1e-5 eV/atom/ps drift; in the glass they are ~10x smaller.
  auto ff = load_force_field(test::bks_potential_path(), Backend::Cpu, Precision::Double, 1.0, 1.0);
  const Structure s = test::sio2_cell(192, 5);
  MdSystem sys = make_system(s, assign_masses(s.species, {}));
  maxwell_boltzmann(sys, 2000.0, 5, true);
  Engine e(std::move(sys), *ff, EngineOptions{1.0, 1e5, 0.5});
  langevin(e, 2000.0, 2000.0, 300, 0.5, 10.0);  // relax the random contacts
  langevin(e, 2000.0, 300.0, 2000, 1.0, 20.0);  // quench
  langevin(e, 300.0, 300.0, 1500, 1.0, 50.0);   // settle at 300 K
  IntegratorParams p;
  p.dt = 1.0;
  auto integ = make_integrator(p, e.system());
  const int n = e.system().size();
  const long steps = 1500;  // 1.5 ps
  std::vector<double> t, etot;
  const double e0 = compute_thermo(e.system(), 0).total_energy;
  double dev = 0, temp = 0;
  for (long k = 1; k <= steps; ++k) {
    e.step(*integ, {});
    const Thermo th = compute_thermo(e.system(), 0);
    t.push_back(k * 1e-3);
    etot.push_back(th.total_energy / n);
    dev = std::max(dev, std::fabs(th.total_energy - e0) / n);
    temp += th.temperature / steps;
  }
  const double drift = test::slope(t, etot);
  std::printf(
      "[ BKS NVE ] 192 atoms, dt 1 fs, 1.5 ps, <T> = %.0f K: drift %.3e eV/atom/ps, max |E - E0| "
      "%.3e eV/atom, %ld neighbor-list builds in all\n",
      temp, drift, dev, e.rebuilds());
  EXPECT_LT(std::fabs(drift), 1e-5);
  EXPECT_LT(dev, 1e-4);
}

/// Runs `steps` steps of `p` (targets `ctx`) from the same hot-liquid start in vitrum and in
/// LAMMPS (`fix` lines) with BKS without walls, and compares positions (up to one uniform
/// translation: LAMMPS dilates the cell about its centre, vitrum about the origin), velocities,
/// energies and the cell. LAMMPS and vitrum use the same splittings (integrator.hpp), so the
/// trajectories agree to rounding amplified by the chaos of 100 steps.
void compare_with_lammps(const char* name, const IntegratorParams& p, const StepContext& ctx,
                         const std::string& fix, int steps) {
  const std::string lmp = test::find_lmp();
  ASSERT_FALSE(lmp.empty()) << "LAMMPS (lmp) is not installed: install the Debian package "
                               "'lammps' (scripts/setup.sh) or point VITRUM_LMP at a binary";
  // LAMMPS's born/coul/dsf has no repulsive wall: both sides run BKS without it.
  teacher::TeacherParams params = teacher::read_teacher_params(test::bks_potential_path());
  for (auto& pp : params.pairs) pp.has_wall = false;
  auto ff = teacher::make_teacher(params, Backend::Cpu);

  // A hot liquid start (random cell relaxed by Langevin with the shipped, walled potential, so
  // that no pair falls into the BKS collapse).
  auto walled =
      load_force_field(test::bks_potential_path(), Backend::Cpu, Precision::Double, 1.0, 1.0);
  const Structure cell = test::sio2_cell(648, 21);
  MdSystem sys = make_system(cell, assign_masses(cell.species, {}));
  maxwell_boltzmann(sys, 2000.0, 21, true);
  Structure start;
  {
    Engine pre(std::move(sys), *walled, EngineOptions{1.0, 1e5, 0.5});
    melt(pre, 2000.0, 300);
    sys = pre.system();
    remove_drift(sys);
    for (auto& im : sys.image) im = {0, 0, 0};  // LAMMPS starts with image flags 0
    start = to_structure(sys, false, false);
  }
  Engine e(std::move(sys), *ff, EngineOptions{1.0, 1e5, 0.5});

  test::MdScratchDir dir("bks_lammps");
  test::write_sio2_data(dir.file("start.lmp"), start);
  {
    std::ofstream in(dir.file("in.lmp"));
    in << test::lammps_bks_preamble(params, "start.lmp", 1.0) << "timestep " << p.dt * 1e-3 << "\n"
       << fix << "thermo_style custom step pe ke etotal lx\nthermo 50\n"
       << "run " << steps << "\n"
       << "write_dump all custom end.dump id xu yu zu vx vy vz modify format float %.17g sort id\n"
       << "print \"VITRUM_RESULT $(pe:%.17g) $(ke:%.17g) $(lx:%.17g)\"\n";
  }
  int status = 0;
  const std::string out = test::run_lammps(lmp, dir.path(), status);
  ASSERT_EQ(status, 0) << out;
  const std::size_t at = out.rfind("VITRUM_RESULT ");
  ASSERT_NE(at, std::string::npos) << out;
  double pe_ref = 0, ke_ref = 0, lx_ref = 0;
  std::istringstream(out.substr(at + 14)) >> pe_ref >> ke_ref >> lx_ref;

  // vitrum: the same start, the same steps.
  auto integ = make_integrator(p, e.system());
  const auto x0 = e.system();
  for (int k = 0; k < steps; ++k) e.step(*integ, ctx);
  const Thermo th = compute_thermo(e.system(), 0);

  std::ifstream dump(dir.file("end.dump"));
  std::string line;
  while (std::getline(dump, line))
    if (line.rfind("ITEM: ATOMS", 0) == 0) break;
  const int n = e.system().size();
  std::vector<Vec3> dr(n, Vec3{0, 0, 0});
  Vec3 shift{0, 0, 0};
  long id;
  Vec3 x, v;
  double dv = 0, moved = 0;
  int count = 0;
  while (dump >> id >> x.x >> x.y >> x.z >> v.x >> v.y >> v.z) {
    const int i = static_cast<int>(id) - 1;
    ASSERT_GE(i, 0);
    ASSERT_LT(i, n);
    dr[i] = e.system().unwrapped(i) - x;
    shift += (1.0 / n) * dr[i];
    const Vec3 w = 1000.0 * e.system().velocities[i] - v;  // LAMMPS metal: Å/ps
    dv = std::max(dv, std::sqrt(dot(w, w)) * 1e-3);
    const Vec3 m = e.system().unwrapped(i) - x0.unwrapped(i);
    moved = std::max(moved, std::sqrt(dot(m, m)));
    ++count;
  }
  ASSERT_EQ(count, n);
  double dx = 0;
  for (const Vec3& d : dr) dx = std::max(dx, std::sqrt(dot(d - shift, d - shift)));
  std::printf(
      "[ BKS vs LAMMPS, %s ] 648 atoms, %d steps of %g fs (max displacement %.3f Å): max |dr| = "
      "%.3e Å (after a uniform shift of %.3e Å), max |dv| = %.3e Å/fs; E_pot %.10f vs %.10f "
      "eV, E_kin %.10f vs %.10f eV, cell %.10f vs %.10f Å\n",
      name, steps, p.dt, moved, dx, std::sqrt(dot(shift, shift)), dv, th.potential_energy, pe_ref,
      th.kinetic_energy, ke_ref, th.cell_lengths.x, lx_ref);
  EXPECT_LT(dx, 1e-6);
  EXPECT_LT(dv, 1e-6);
  EXPECT_NEAR(th.potential_energy, pe_ref, 1e-6 * std::fabs(pe_ref));
  EXPECT_NEAR(th.kinetic_energy, ke_ref, 1e-6 * std::fabs(ke_ref));
  EXPECT_NEAR(th.cell_lengths.x, lx_ref, 1e-8 * lx_ref);
}

TEST(BksMd, NveTrajectoryMatchesLammps) {
  IntegratorParams p;
  p.dt = 1.0;
  compare_with_lammps("NVE", p, {}, "fix 1 all nve\n", 100);
}

// LAMMPS's units metal constants (2022 releases) have older or rounded values than vitrum's
// CODATA 2018 ones: k_B 8.617343e-5 eV/K (vitrum's differs by 1.1e-6 relative) and
// nktv2p 1.6021765e6 bar Å³/eV. Thermostat and barostat targets are converted so that both
// codes steer to the same kT (eV) and P (eV/Å³).
constexpr double kLammpsBoltz = 8.617343e-5;
constexpr double kLammpsNktv2p = 1.6021765e6;
double lammps_temperature(double t) {
  return t * kLammpsBoltz / units::kBoltzmann;
}
double lammps_pressure(double p) {
  return p * units::kEvPerA3ToBar / kLammpsNktv2p;
}

TEST(BksMd, NoseHooverTrajectoryMatchesLammps) {
  // fix nvt's defaults: chain of 3, one loop, no Suzuki–Yoshida weights (order 1).
  IntegratorParams p;
  p.ensemble = Ensemble::NvtNoseHoover;
  p.dt = 1.0;
  p.tdamp = 50.0;
  p.sy_order = 1;
  StepContext ctx;
  ctx.temperature = lammps_temperature(2500.0);
  compare_with_lammps("NVT Nose-Hoover", p, ctx, "fix 1 all nvt temp 2500 2500 0.05\n", 100);
}

TEST(BksMd, MtkNptTrajectoryMatchesLammps) {
  IntegratorParams p;
  p.ensemble = Ensemble::NptMtk;
  p.dt = 1.0;
  p.tdamp = 50.0;
  p.pdamp = 200.0;
  p.sy_order = 1;
  StepContext ctx;
  ctx.temperature = lammps_temperature(2500.0);
  ctx.pressure = lammps_pressure(20000.0);
  compare_with_lammps("NPT MTK iso", p, ctx,
                      "fix 1 all npt temp 2500 2500 0.05 iso 20000 20000 0.2\n", 100);
}

}  // namespace
}  // namespace vitrum::md
