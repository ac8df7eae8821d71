// MD step throughput: atom-steps per second of the full step (integrator, ghosts, neighbor list
// when needed, forces, periodic thermo and snapshot output) and the fraction of the step spent
// in each part, for
//   - liquid water with the shipped HDNNP, 3240 atoms (water_1080 replicated 3x1x1), NVE 0.5 fs;
//   - amorphous SiO2 with the BKS teacher, 3000 and 24000 atoms (the 3000-atom random cell
//     replicated 2x2x2), Langevin NVT at 3000 K, 1 fs.
// Each case is relaxed for a few steps before timing so that the first steps of a random cell
// do not dominate. Counters: atom_steps_per_s, and neighbor / potential / integrate / output
// fractions. Run: build/md_bench [--benchmark_filter=bks]
#include <benchmark/benchmark.h>
#include <omp.h>

#include <cstdio>
#include <filesystem>
#include <map>
#include <memory>
#include <sstream>
#include <string>

#include "vitrum/core/units.hpp"
#include "vitrum/io/builders.hpp"
#include "vitrum/io/structure_io.hpp"
#include "vitrum/md/engine.hpp"

using namespace vitrum;
using namespace vitrum::md;

namespace {

struct Case {
  std::unique_ptr<ForceField> ff;
  std::unique_ptr<Engine> engine;
  std::unique_ptr<Integrator> integrator;
  StepContext ctx;
};

Structure water_3240() {
  Structure s =
      read_structures(std::string(VITRUM_SOURCE_DIR) + "/configs/structures/water_1080.data")
          .front();
  for (auto& r : s.positions) r = units::kBohr * r;
  for (auto& h : s.box.h) h = units::kBohr * h;
  s.forces.clear();
  return replicate(s, 3, 1, 1);
}

Structure sio2(int replicas) {
  AmorphousCellSpec spec;
  spec.composition = {{"Si", 1}, {"O", 2}};
  spec.n_atoms = 3000;
  spec.density = 2.2;
  spec.seed = 3;
  spec.min_distances = {{"Si", "O", 1.55}, {"O", "O", 2.3}, {"Si", "Si", 2.9}};
  const Structure s = build_amorphous_cell(spec);
  return replicas > 1 ? replicate(s, replicas, replicas, replicas) : s;
}

Case& get_case(const std::string& name) {
  static std::map<std::string, Case> cases;
  auto it = cases.find(name);
  if (it != cases.end()) return it->second;
  Case c;
  Structure s;
  IntegratorParams p;
  if (name == "water") {
    c.ff = load_force_field(std::string(VITRUM_SOURCE_DIR) + "/configs/potentials/H2O_RPBE-D3",
                            Backend::Cpu, Precision::Double, units::kBohr, units::kHartree);
    s = water_3240();
    p.dt = 0.5;
  } else {
    c.ff = load_force_field(std::string(VITRUM_SOURCE_DIR) + "/configs/potentials/SiO2-BKS.toml",
                            Backend::Cpu, Precision::Double, 1.0, 1.0);
    s = sio2(name == "bks_24000" ? 2 : 1);
    p.ensemble = Ensemble::NvtLangevin;
    p.dt = 1.0;
    p.tdamp = 20.0;
  }
  MdSystem sys = make_system(s, assign_masses(s.species, {}));
  maxwell_boltzmann(sys, 300.0, 1, true);
  c.engine = std::make_unique<Engine>(std::move(sys), *c.ff, EngineOptions{1.0, 1e6, 0.3});
  c.ctx.temperature = name == "water" ? 300.0 : 3000.0;
  if (name != "water") {
    // Relax the random cell with small steps and strong friction before timing.
    IntegratorParams relax = p;
    relax.dt = 0.5;
    relax.tdamp = 5.0;
    auto r = make_integrator(relax, c.engine->system());
    for (int k = 0; k < 20; ++k) c.engine->step(*r, c.ctx);
  }
  c.integrator = make_integrator(p, c.engine->system());
  return cases.emplace(name, std::move(c)).first->second;
}

void md_step(benchmark::State& state, const std::string& name) {
  omp_set_num_threads(static_cast<int>(state.range(0)));
  Case& c = get_case(name);
  Engine& e = *c.engine;
  const int n = e.system().size();
  const std::string traj =
      (std::filesystem::temp_directory_path() / ("vitrum_md_bench_" + name + ".xyz")).string();
  e.timers() = StepTimers{};
  long steps = 0;
  for (auto _ : state) {
    e.step(*c.integrator, c.ctx);
    ++steps;
    // Output as a run does it: a thermo line every 10 steps, a snapshot every 100.
    if (steps % 10 == 0) {
      const auto t0 = std::chrono::steady_clock::now();
      const Thermo t = compute_thermo(e.system(), c.integrator->extended_energy(e.system()));
      benchmark::DoNotOptimize(t);
      if (steps % 100 == 0) write_structures(traj, {to_structure(e.system(), true, false)});
      e.timers().output +=
          std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    }
  }
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
}

void BM_MdStepWater3240(benchmark::State& s) {
  md_step(s, "water");
}
void BM_MdStepBks3000(benchmark::State& s) {
  md_step(s, "bks_3000");
}
void BM_MdStepBks24000(benchmark::State& s) {
  md_step(s, "bks_24000");
}

const int kThreads = omp_get_num_procs();

}  // namespace

// Wall-clock time (the step runs on all threads): rates are atom-steps per wall second.
BENCHMARK(BM_MdStepWater3240)
    ->Arg(kThreads)
    ->Unit(benchmark::kMillisecond)
    ->MinTime(5.0)
    ->UseRealTime();
BENCHMARK(BM_MdStepBks3000)
    ->Arg(kThreads)
    ->Unit(benchmark::kMillisecond)
    ->MinTime(5.0)
    ->UseRealTime();
BENCHMARK(BM_MdStepBks24000)
    ->Arg(kThreads)
    ->Unit(benchmark::kMillisecond)
    ->MinTime(10.0)
    ->UseRealTime();

BENCHMARK_MAIN();
