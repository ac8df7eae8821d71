// MD step throughput: atom-steps per second of the full step (integrator, ghosts, neighbor list
// when needed, forces, periodic thermo and snapshot output) and the fraction of the step spent
// in each part, for
//   - amorphous SiO2 with the BKS teacher, 3000 and 24000 atoms (the 3000-atom random cell
//     replicated 2x2x2), Langevin NVT at 3000 K (τ 20 fs), 1 fs, skin 1 Å;
//   - liquid water with the shipped HDNNP, 3240 and 25920 atoms (water_1080 replicated 3x1x1 and
//     2x3x4), NVE, 0.5 fs;
// on the CPU with all cores and with one, and with the CUDA backend when a device is present
// (skipped with a note otherwise). LAMMPS (`lmp`, Debian package lammps, which has no OPENMP
// package: `mpirun -np <cores>` on the same cores) runs the same BKS system in the same process
// run: pair_style born/coul/dsf with the same cutoffs, the same skin checked every step, fix nve
// + fix langevin 3000 K with the same damping, thermo every 10 steps and a snapshot every 100 as
// the vitrum loop does. vitrum runs the shipped BKS file, whose short-range repulsive walls
// born/coul/dsf cannot express: in the relaxed liquid no pair comes within a wall radius, so the
// wall costs vitrum one comparison per pair and changes nothing else (LAMMPS does strictly less
// work per pair; without the walls, pairs of the freshly relaxed random cell fall into BKS's
// short-distance collapse within a few steps, which stops vitrum's run). The table at the end
// prints atom-steps/s of both, their
// ratio and the time split of each (LAMMPS: Neigh + Comm = neighbor, Pair = potential,
// Modify + Other = integrate, Output = output).
// A second table (md_device_rows.hpp) compares the device-resident engine with the previous one
// per backend (emulated device everywhere, CUDA with a device), with host<->device bytes per step,
// and a third the neighbor-list rebuild on the host against the device build (neighbor/
// device_neighbor.hpp; the emulated device's timing is labelled as such).
// Run: build/md_bench [--benchmark_filter=bks] (--benchmark_filter=^$: the device table only);
// VITRUM_LMP names another LAMMPS binary, VITRUM_LMP_LAUNCHER another launcher for more than one
// rank ("" for a single rank).
#include <benchmark/benchmark.h>
#include <fmt/format.h>
#include <omp.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <tuple>

#include "../tests/md/bks_lammps.hpp"
#include "md_device_rows.hpp"
#include "vitrum/core/backend.hpp"
#include "vitrum/core/units.hpp"
#include "vitrum/io/builders.hpp"
#include "vitrum/io/structure_io.hpp"
#include "vitrum/md/engine.hpp"

using namespace vitrum;
using namespace vitrum::md;

namespace {

const std::string kSource = VITRUM_SOURCE_DIR;
constexpr double kBksTemperature = 3000.0;  // K
constexpr double kBksTdamp = 20.0;          // fs

/// One benchmark case: a system of a given size on a backend.
struct Spec {
  bool water = false;
  int replicas[3] = {1, 1, 1};
  Backend backend = Backend::Cpu;
  int atoms() const { return (water ? 1080 : 3000) * replicas[0] * replicas[1] * replicas[2]; }
  std::string system() const { return water ? "water HDNNP" : "SiO2 BKS"; }
};

struct Case {
  std::unique_ptr<ForceField> ff;
  std::unique_ptr<Engine> engine;
  std::unique_ptr<Integrator> integrator;
  StepContext ctx;
};

teacher::TeacherParams bare_bks() {
  teacher::TeacherParams params =
      teacher::read_teacher_params(kSource + "/configs/potentials/SiO2-BKS.toml");
  for (auto& pp : params.pairs) pp.has_wall = false;
  return params;
}

Structure water(const Spec& spec) {
  Structure s = io::read_structures(kSource + "/configs/structures/water_1080.data").front();
  for (auto& r : s.positions) r = units::kBohr * r;
  for (auto& h : s.box.h) h = units::kBohr * h;
  s.forces.clear();
  return io::replicate(s, spec.replicas[0], spec.replicas[1], spec.replicas[2]);
}

/// The BKS start: the random 3000-atom cell relaxed (200 steps of 0.5 fs with strong friction)
/// and equilibrated at 3000 K (300 steps of 1 fs, Langevin), then replicated. Shared by the CPU,
/// CUDA and LAMMPS runs of a size.
const Structure& bks_start(int replicas) {
  static std::map<int, Structure> cache;
  auto it = cache.find(replicas);
  if (it != cache.end()) return it->second;
  static Structure relaxed = [] {
    auto ff = load_force_field(kSource + "/configs/potentials/SiO2-BKS.toml", Backend::Cpu,
                               Precision::Double, 1.0, 1.0);
    const Structure cell = test::sio2_cell(3000, 3);
    MdSystem sys = make_system(cell, assign_masses(cell.species, {}));
    maxwell_boltzmann(sys, kBksTemperature, 1, true);
    Engine e(std::move(sys), *ff, EngineOptions{1.0, 1e6, 0.3});
    for (const auto& [dt, tdamp, steps] :
         {std::tuple<double, double, int>{0.5, 10.0, 200}, {1.0, kBksTdamp, 300}}) {
      IntegratorParams p;
      p.ensemble = Ensemble::NvtLangevin;
      p.dt = dt;
      p.tdamp = tdamp;
      auto integ = make_integrator(p, e.system());
      StepContext ctx;
      ctx.temperature = kBksTemperature;
      for (int k = 0; k < steps; ++k) e.step(*integ, ctx);
    }
    remove_drift(e.system());
    for (auto& im : e.system().image) im = {0, 0, 0};
    return to_structure(e.system(), false, false);
  }();
  return cache
      .emplace(replicas,
               replicas > 1 ? io::replicate(relaxed, replicas, replicas, replicas) : relaxed)
      .first->second;
}

std::string case_name(const Spec& s, int threads) {
  return fmt::format("{}/{}/{}atoms/{}", to_string(s.backend), s.water ? "water" : "bks", s.atoms(),
                     s.backend == Backend::Cuda ? "gpu" : fmt::format("{}t", threads));
}

Case make_case(const Spec& spec) {
  Case c;
  Structure s;
  IntegratorParams p;
  if (spec.water) {
    c.ff = load_force_field(kSource + "/configs/potentials/H2O_RPBE-D3", spec.backend,
                            Precision::Double, units::kBohr, units::kHartree);
    s = water(spec);
    p.dt = 0.5;
    c.ctx.temperature = 300.0;
  } else {
    c.ff = load_force_field(kSource + "/configs/potentials/SiO2-BKS.toml", spec.backend,
                            Precision::Double, 1.0, 1.0);
    s = bks_start(spec.replicas[0]);
    p.ensemble = Ensemble::NvtLangevin;
    p.dt = 1.0;
    p.tdamp = kBksTdamp;
    c.ctx.temperature = kBksTemperature;
  }
  MdSystem sys = make_system(s, assign_masses(s.species, {}));
  if (spec.water) maxwell_boltzmann(sys, 300.0, 1, true);
  c.engine = std::make_unique<Engine>(std::move(sys), *c.ff, EngineOptions{1.0, 1e6, 0.3});
  c.integrator = make_integrator(p, c.engine->system());
  return c;
}

/// What a vitrum run measured (the last run of a benchmark: the one Google Benchmark reports).
struct Measured {
  int atoms = 0;
  double rate = 0;      ///< atom-steps per wall second
  double cpu_rate = 0;  ///< atom-steps per CPU second of the process (all threads)
  StepTimers timers;
};
std::map<std::string, Measured>& measured() {
  static std::map<std::string, Measured> m;
  return m;
}

void md_step(benchmark::State& state, const Spec& spec, const std::string& name) {
  omp_set_num_threads(static_cast<int>(state.range(0)));
  static std::map<std::string, Case> cases;
  auto it = cases.find(name);
  if (it == cases.end()) it = cases.emplace(name, make_case(spec)).first;
  Case& c = it->second;
  Engine& e = *c.engine;
  const int n = e.system().size();
  const std::string traj =
      (std::filesystem::temp_directory_path() / ("vitrum_md_bench_" + std::to_string(n) + ".xyz"))
          .string();
  e.timers() = StepTimers{};
  long steps = 0;
  const auto t_start = std::chrono::steady_clock::now();
  const std::clock_t c_start = std::clock();
  for (auto _ : state) {
    e.step(*c.integrator, c.ctx);
    ++steps;
    // Output as a run does it: a thermo line every 10 steps, a snapshot every 100.
    if (steps % 10 == 0) {
      const auto t0 = std::chrono::steady_clock::now();
      const Thermo t = compute_thermo(e.system(), c.integrator->extended_energy(e.system()));
      benchmark::DoNotOptimize(t);
      if (steps % 100 == 0) io::write_structures(traj, {to_structure(e.system(), true, false)});
      e.timers().output +=
          std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    }
  }
  const double wall =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t_start).count();
  const double cpu = double(std::clock() - c_start) / CLOCKS_PER_SEC;
  std::filesystem::remove(traj);
  const StepTimers& t = e.timers();
  const double total = t.total();
  state.counters["atoms"] = n;
  state.counters["atom_steps_per_s"] =
      benchmark::Counter(static_cast<double>(n) * steps, benchmark::Counter::kIsRate);
  state.counters["neighbor"] = t.neighbor / total;
  state.counters["potential"] = t.force / total;
  state.counters["integrate"] = t.integrate / total;
  state.counters["output"] = t.output / total;
  measured()[name] = {n, wall > 0 ? n * double(steps) / wall : 0.0,
                      cpu > 0 ? n * double(steps) / cpu : 0.0, t};
}

/// LAMMPS on the same BKS system: atom-steps/s of the timed run and its time split.
struct LammpsResult {
  bool ok = false;
  std::string note;
  double rate = 0;                         ///< atom-steps per wall second
  double cpu_rate = 0;                     ///< atom-steps per CPU second of all ranks
  std::map<std::string, double> sections;  ///< avg seconds of Pair, Neigh, Comm, Output, ...
};

/// The "Section | min time | avg time | ..." table after the last run.
std::map<std::string, double> lammps_sections(const std::string& out) {
  std::map<std::string, double> r;
  const std::size_t at = out.rfind("Section |");
  if (at == std::string::npos) return r;
  std::istringstream in(out.substr(at));
  std::string line;
  std::getline(in, line);  // header
  std::getline(in, line);  // ------
  while (std::getline(in, line)) {
    std::istringstream ls(line);
    std::string name, bar;
    double tmin, tavg;
    if (!(ls >> name >> bar >> tmin >> bar >> tavg) || bar != "|") break;
    r[name] = tavg;
  }
  return r;
}

LammpsResult run_lammps(int replicas, int ranks, double vitrum_rate) {
  LammpsResult r;
  const std::string lmp = test::find_lmp();
  if (lmp.empty()) {
    r.note = "lmp not found (Debian package lammps, or VITRUM_LMP)";
    return r;
  }
  std::string launcher;
  if (ranks > 1) {
    const char* env = std::getenv("VITRUM_LMP_LAUNCHER");
    launcher = env ? env : fmt::format("mpirun -np {} --bind-to none", ranks);
  }
  const Structure& s = bks_start(replicas);
  const long atoms = static_cast<long>(s.size());
  // About 5 s of LAMMPS if it runs as fast as vitrum did; at least 20 steps.
  const long steps = std::clamp<long>(static_cast<long>(5.0 * vitrum_rate / atoms), 20, 5000);
  const std::string dir =
      (std::filesystem::temp_directory_path() / ("vitrum_md_bench_lammps_" + std::to_string(atoms)))
          .string();
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  test::write_sio2_data(dir + "/start.lmp", s);
  {
    std::ofstream in(dir + "/in.lmp");
    in << test::lammps_bks_preamble(bare_bks(), "start.lmp", 1.0) << "timestep 0.001\n"
       << "fix 1 all nve\n"
       << fmt::format("fix 2 all langevin {0} {0} {1} 4711\n", kBksTemperature, kBksTdamp * 1e-3)
       << "thermo_style custom step temp press pe etotal\nthermo 10\n"
       << "dump 1 all custom 100 traj.dump id type x y z vx vy vz\n"
       << "run 10\n"  // set-up and warm-up, not timed
       << "run " << steps << "\n";
  }
  int status = 0;
  const std::string out = test::run_lammps(lmp, dir, status, launcher);
  std::filesystem::remove_all(dir);
  const test::LammpsLoop loop = test::lammps_loop_time(out);
  if (status != 0 || !loop.found || loop.steps != steps) {
    r.note = fmt::format("LAMMPS failed (exit {}): {}", status,
                         out.substr(out.size() > 600 ? out.size() - 600 : 0));
    return r;
  }
  r.ok = true;
  r.rate = loop.atom_steps_per_s();
  r.cpu_rate = loop.atom_steps_per_cpu_s();
  r.sections = lammps_sections(out);
  return r;
}

std::string split(double neighbor, double potential, double integrate, double output) {
  const double total = neighbor + potential + integrate + output;
  if (!(total > 0)) return "";
  return fmt::format("{:5.1f} {:5.1f} {:5.1f} {:5.1f}", 100 * neighbor / total,
                     100 * potential / total, 100 * integrate / total, 100 * output / total);
}

/// The device table's rows: 3000-atom BKS teacher and SiO2 HDNNP (Langevin, as above) and
/// 3240-atom water HDNNP (NVE).
std::vector<md_bench::DeviceRow> device_rows() {
  std::vector<md_bench::DeviceRow> rows;
  IntegratorParams bks;
  bks.ensemble = Ensemble::NvtLangevin;
  bks.dt = 1.0;
  bks.tdamp = kBksTdamp;
  StepContext bks_ctx;
  bks_ctx.temperature = kBksTemperature;
  IntegratorParams wat;
  wat.dt = 0.5;
  StepContext wat_ctx;
  wat_ctx.temperature = 300.0;
  Spec w;
  w.water = true;
  w.replicas[0] = 3;
  for (auto kind : {exec::SpaceKind::Emulated, exec::SpaceKind::Cuda}) {
    rows.push_back(md_bench::device_row("bks", bks_start(1), bks, bks_ctx, kind, 100, kSource));
    rows.push_back(
        md_bench::device_row("sio2-hdnnp", bks_start(1), bks, bks_ctx, kind, 20, kSource));
    rows.push_back(md_bench::device_row("water", water(w), wat, wat_ctx, kind, 20, kSource));
  }
  return rows;
}

}  // namespace

int main(int argc, char** argv) {
  const int cores = omp_get_num_procs();
  std::vector<std::pair<std::string, Spec>> specs;
  std::vector<int> thread_counts = {cores};
  if (cores > 1) thread_counts.push_back(1);
  const bool cuda = cuda_device_count() > 0;
  for (bool water : {false, true}) {
    for (int big : {0, 1}) {
      Spec s;
      s.water = water;
      if (water) {
        const int small[3] = {3, 1, 1}, large[3] = {2, 3, 4};
        std::copy(big ? large : small, (big ? large : small) + 3, s.replicas);
      } else {
        s.replicas[0] = s.replicas[1] = s.replicas[2] = big ? 2 : 1;
      }
      for (int t : thread_counts) {
        s.backend = Backend::Cpu;
        const std::string name = case_name(s, t);
        specs.emplace_back(name, s);
        // Wall-clock time (the step runs on all threads): rates are atom-steps per wall second.
        benchmark::RegisterBenchmark(name.c_str(),
                                     [=](benchmark::State& st) { md_step(st, s, name); })
            ->Arg(t)
            ->Unit(benchmark::kMillisecond)
            ->MinTime(big ? 10.0 : 5.0)
            ->UseRealTime();
      }
      if (cuda) {
        s.backend = Backend::Cuda;
        const std::string name = case_name(s, cores);
        specs.emplace_back(name, s);
        benchmark::RegisterBenchmark(name.c_str(),
                                     [=](benchmark::State& st) { md_step(st, s, name); })
            ->Arg(cores)
            ->Unit(benchmark::kMillisecond)
            ->MinTime(5.0)
            ->UseRealTime();
      }
    }
  }
  if (!cuda)
    std::printf("no CUDA device (%s): CUDA rows skipped\n",
                cuda_compiled() ? "CUDA compiled in" : "built without CUDA");
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();

  // LAMMPS on the BKS cases that ran, then the table. Rates per wall second are what a user
  // sees; rates per CPU second (all threads or ranks) are less sensitive to other load on the
  // machine.
  std::printf(
      "\nMD throughput, atom-steps per second (%d cores; LAMMPS: MPI ranks = vitrum threads)\n"
      "%-28s %6s %9s %9s %6s %9s %9s %6s  %-23s  %-23s\n",
      cores, "case", "atoms", "vitrum", "LAMMPS", "ratio", "vitrum", "LAMMPS", "ratio",
      "vitrum nbr/pot/int/out %", "LAMMPS nbr/pot/int/out %");
  std::printf("%-28s %6s %26s %26s\n", "", "", "--- per wall second ---", "--- per CPU second ---");
  for (const auto& [name, spec] : specs) {
    auto it = measured().find(name);
    if (it == measured().end()) continue;
    const Measured& m = it->second;
    const StepTimers& t = m.timers;
    std::string lmp_rate = "-", ratio = "-", lmp_cpu = "-", cpu_ratio = "-", lmp_split;
    if (!spec.water && spec.backend == Backend::Cpu) {
      const int threads = std::stoi(name.substr(name.rfind('/') + 1));
      const LammpsResult l = run_lammps(spec.replicas[0], threads, m.rate);
      if (l.ok) {
        lmp_rate = fmt::format("{:.3g}", l.rate);
        ratio = fmt::format("{:.2f}", m.rate / l.rate);
        if (l.cpu_rate > 0) {
          lmp_cpu = fmt::format("{:.3g}", l.cpu_rate);
          cpu_ratio = fmt::format("{:.2f}", m.cpu_rate / l.cpu_rate);
        }
        auto sec = [&](const char* k) {
          auto f = l.sections.find(k);
          return f == l.sections.end() ? 0.0 : f->second;
        };
        lmp_split = split(sec("Neigh") + sec("Comm"), sec("Pair"), sec("Modify") + sec("Other"),
                          sec("Output"));
      } else {
        std::printf("%s: no LAMMPS row: %s\n", name.c_str(), l.note.c_str());
      }
    }
    std::printf("%-28s %6d %9.3g %9s %6s %9.3g %9s %6s  %-23s  %-23s\n", name.c_str(), m.atoms,
                m.rate, lmp_rate.c_str(), ratio.c_str(), m.cpu_rate, lmp_cpu.c_str(),
                cpu_ratio.c_str(), split(t.neighbor, t.force, t.integrate, t.output).c_str(),
                lmp_split.c_str());
  }
  std::printf(
      "(ratio = vitrum / LAMMPS, > 1: vitrum faster; splits are %% of the step: neighbor list and "
      "ghosts, potential, integration, output; a CUDA row's CPU rate counts host CPU only)\n");
  print_device_rows(device_rows());
  std::vector<md_bench::NeighborRow> nl_rows;
  for (auto kind : {exec::SpaceKind::Emulated, exec::SpaceKind::Cuda})
    for (int replicas : {1, 2})
      nl_rows.push_back(md_bench::neighbor_row(bks_start(replicas), kind, 5));
  md_bench::print_neighbor_rows(nl_rows);
  return 0;
}
