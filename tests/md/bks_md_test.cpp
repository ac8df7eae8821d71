// MD with the SiO2 BKS teacher (configs/potentials/SiO2-BKS.toml): energy conservation of
// velocity Verlet at 1 fs in the hot liquid, and NVE trajectories that match LAMMPS
// (`lmp`, Debian package lammps; fix nve, pair_style born/coul/dsf) step for step.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>

#include "md_test_util.hpp"
#include "vitrum/io/builders.hpp"
#include "vitrum/io/lammps_data.hpp"
#include "vitrum/md/engine.hpp"
#include "vitrum/teacher/teacher.hpp"

namespace vitrum::md {
namespace {

std::string bks_path() {
  return test::source_dir() + "/configs/potentials/SiO2-BKS.toml";
}

/// A random SiO2 cell at 2.2 g/cm³ with glass-like minimum distances.
Structure sio2_cell(int n_atoms, std::uint64_t seed) {
  AmorphousCellSpec spec;
  spec.composition = {{"Si", 1}, {"O", 2}};
  spec.n_atoms = n_atoms;
  spec.density = 2.2;
  spec.seed = seed;
  spec.min_distances = {{"Si", "O", 1.55}, {"O", "O", 2.3}, {"Si", "Si", 2.9}};
  return build_amorphous_cell(spec);
}

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
  auto ff = load_force_field(bks_path(), Backend::Cpu, Precision::Double, 1.0, 1.0);
  const Structure s = sio2_cell(192, 5);
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

std::string find_lmp() {
  if (const char* env = std::getenv("VITRUM_LMP")) return env;
  for (const char* name : {"lmp", "lmp_serial", "lmp_mpi"}) {
    const std::string cmd = std::string("command -v ") + name + " >/dev/null 2>&1";
    if (std::system(cmd.c_str()) == 0) return name;
  }
  return "";
}

std::string run_command(const std::string& cmd, int& status) {
  std::unique_ptr<FILE, int (*)(FILE*)> p(popen((cmd + " 2>&1").c_str(), "r"), pclose);
  std::string out;
  std::array<char, 4096> buf;
  std::size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), p.get())) > 0) out.append(buf.data(), n);
  const int st = pclose(p.release());
  status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  return out;
}

TEST(BksMd, NveTrajectoryMatchesLammps) {
  const std::string lmp = find_lmp();
  ASSERT_FALSE(lmp.empty()) << "LAMMPS (lmp) is not installed: install the Debian package "
                               "'lammps' (scripts/setup.sh) or point VITRUM_LMP at a binary";
  // LAMMPS's born/coul/dsf has no repulsive wall: both sides run BKS without it.
  teacher::TeacherParams params = teacher::read_teacher_params(bks_path());
  for (auto& pp : params.pairs) pp.has_wall = false;
  auto ff = teacher::make_teacher(params, Backend::Cpu);

  // A hot liquid start (random cell relaxed by Langevin with the shipped, walled potential, so
  // that no pair falls into the BKS collapse), then 100 NVE steps of 1 fs on both.
  auto walled = load_force_field(bks_path(), Backend::Cpu, Precision::Double, 1.0, 1.0);
  const Structure cell = sio2_cell(648, 21);
  MdSystem sys = make_system(cell, assign_masses(cell.species, {}));
  maxwell_boltzmann(sys, 2000.0, 21, true);
  Structure start;
  {
    Engine pre(std::move(sys), *walled, EngineOptions{1.0, 1e5, 0.5});
    melt(pre, 2000.0, 300);
    start = to_structure(pre.system(), false, false);
    sys = pre.system();
    for (auto& im : sys.image) im = {0, 0, 0};  // LAMMPS starts with image flags 0
  }
  Engine e(std::move(sys), *ff, EngineOptions{1.0, 1e5, 0.5});

  test::MdScratchDir dir("bks_lammps");
  const std::vector<std::string> types = {"Si", "O"};
  {
    LammpsDataOptions opt;
    opt.type_elements = types;
    std::ofstream data(dir.file("start.lmp"));
    write_lammps_data(data, start, opt);
  }
  const int steps = 100;
  {
    std::ofstream in(dir.file("in.lmp"));
    in << "units metal\natom_style atomic\nboundary p p p\n"
       << "fix q all property/atom q ghost yes\n"
       << "read_data start.lmp fix q NULL Charges\n"
       << teacher::lammps_pair_commands(params, types)
       << "neighbor 1.0 bin\nneigh_modify every 1 delay 0 check yes\n"
       << "timestep 0.001\nfix 1 all nve\n"
       << "thermo_style custom step pe ke etotal\nthermo 50\n"
       << "run " << steps << "\n"
       << "write_dump all custom end.dump id xu yu zu vx vy vz modify format float %.17g sort id\n"
       << "print \"VITRUM_RESULT $(pe:%.17g) $(ke:%.17g)\"\n";
  }
  int status = 0;
  const std::string out = run_command("cd " + dir.path() +
                                          " && OMPI_ALLOW_RUN_AS_ROOT=1 "
                                          "OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 " +
                                          lmp + " -nocite -log none -in in.lmp",
                                      status);
  ASSERT_EQ(status, 0) << out;
  const std::size_t at = out.rfind("VITRUM_RESULT ");
  ASSERT_NE(at, std::string::npos) << out;
  double pe_ref = 0, ke_ref = 0;
  std::istringstream(out.substr(at + 14)) >> pe_ref >> ke_ref;

  // vitrum: the same start, the same 100 steps.
  IntegratorParams p;
  p.dt = 1.0;
  auto integ = make_integrator(p, e.system());
  const auto x0 = e.system();
  for (int k = 0; k < steps; ++k) e.step(*integ, {});
  const Thermo th = compute_thermo(e.system(), 0);

  std::ifstream dump(dir.file("end.dump"));
  std::string line;
  while (std::getline(dump, line))
    if (line.rfind("ITEM: ATOMS", 0) == 0) break;
  long id;
  Vec3 x, v;
  double dx = 0, dv = 0, moved = 0;
  int count = 0;
  while (dump >> id >> x.x >> x.y >> x.z >> v.x >> v.y >> v.z) {
    const int i = static_cast<int>(id) - 1;
    ASSERT_GE(i, 0);
    ASSERT_LT(i, e.system().size());
    const Vec3 d = e.system().unwrapped(i) - x;
    dx = std::max(dx, std::sqrt(dot(d, d)));
    const Vec3 w = 1000.0 * e.system().velocities[i] - v;  // LAMMPS metal: Å/ps
    dv = std::max(dv, std::sqrt(dot(w, w)) * 1e-3);
    const Vec3 m = e.system().unwrapped(i) - x0.unwrapped(i);
    moved = std::max(moved, std::sqrt(dot(m, m)));
    ++count;
  }
  ASSERT_EQ(count, e.system().size());
  std::printf(
      "[ BKS vs LAMMPS ] 648 atoms, %d NVE steps of 1 fs (max displacement %.3f Å): max |dr| = "
      "%.3e Å, max |dv| = %.3e Å/fs; E_pot %.10f vs %.10f eV, E_kin %.10f vs %.10f eV\n",
      steps, moved, dx, dv, th.potential_energy, pe_ref, th.kinetic_energy, ke_ref);
  EXPECT_LT(dx, 1e-6);
  EXPECT_LT(dv, 1e-6);
  EXPECT_NEAR(th.potential_energy, pe_ref, 1e-6 * std::fabs(pe_ref));
  EXPECT_NEAR(th.kinetic_energy, ke_ref, 1e-6 * std::fabs(ke_ref));
}

}  // namespace
}  // namespace vitrum::md
