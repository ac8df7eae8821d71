// HDNNP energy + force evaluation cost with a prebuilt ghost shell and neighbor list:
// microseconds per atom per evaluation, per backend and precision, for liquid water boxes of
// 1080 and 8640 atoms (the shipped 1080-atom box replicated 2x2x2) and, on a GPU, ~1M atoms
// (replicated 10x10x9). Prints a table with the ratio to n2p2 (255 / 290 us/atom on one core of
// this machine type, quoted in ../shared/reference/n2p2/README.md) and to the one-thread CPU
// double-precision baseline measured in the same run, plus the backend's memory per atom. On a
// GPU, the CUDA rows run twice: with the team kernels (a warp per atom, the default) and with the
// legacy ones (a thread per atom, VITRUM_NNP_KERNELS=legacy), and the table prints their ratio.
#include <benchmark/benchmark.h>
#include <fmt/format.h>
#include <omp.h>

#include <cstdio>
#include <cstdlib>
#include <map>
#include <string>

#include "vitrum/io/structure_io.hpp"
#include "vitrum/nnp/evaluator.hpp"

using namespace vitrum;

namespace {

const nnp::Potential& water_potential() {
  static const nnp::Potential pot =
      nnp::Potential::load_n2p2(std::string(VITRUM_SOURCE_DIR) + "/configs/potentials/H2O_RPBE-D3");
  return pot;
}

Structure water_box(int nx, int ny, int nz) {
  const Structure s =
      io::read_structures(std::string(VITRUM_SOURCE_DIR) + "/configs/structures/water_1080.data")
          .front();
  Structure big;
  big.box = s.box;
  for (int d = 0; d < 3; ++d) big.box.h[d] = double(d == 0 ? nx : d == 1 ? ny : nz) * s.box.h[d];
  for (int x = 0; x < nx; ++x)
    for (int y = 0; y < ny; ++y)
      for (int z = 0; z < nz; ++z)
        for (size_t i = 0; i < s.size(); ++i) {
          big.positions.push_back(s.positions[i] + double(x) * s.box.h[0] + double(y) * s.box.h[1] +
                                  double(z) * s.box.h[2]);
          big.species.push_back(s.species[i]);
        }
  return big;
}

void run(benchmark::State& state, Backend backend, Precision prec, int reps,
         const char* kernels = "team") {
  const int threads = static_cast<int>(state.range(0));
  if (backend == Backend::Cpu) omp_set_num_threads(threads);
  const auto& pot = water_potential();
  const Structure s = water_box(reps == 8   ? 2
                                : reps == 1 ? 1
                                            : 10,
                                reps == 8   ? 2
                                : reps == 1 ? 1
                                            : 10,
                                reps == 8   ? 2
                                : reps == 1 ? 1
                                            : 9);
  const double rc = pot.cutoff();
  const neighbor::GhostShell shell = neighbor::build_ghost_shell(s.box, s.positions, s.species, rc);
  const neighbor::NeighborList list = neighbor::build_neighbor_list(shell, rc, 0.0);
  setenv("VITRUM_NNP_KERNELS", kernels, 1);  // read when the CUDA backend is made
  nnp::Evaluator ev(pot, {backend, prec, true});
  unsetenv("VITRUM_NNP_KERNELS");
  nnp::EvalResult r;
  ev.compute(shell, list, r);  // warm-up: buffers allocated once
  for (auto _ : state) {
    ev.compute(shell, list, r);
    benchmark::DoNotOptimize(r.energy);
  }
  const double n = static_cast<double>(s.size());
  state.counters["us_per_atom"] = benchmark::Counter(
      n * 1e-6, benchmark::Counter::kIsIterationInvariantRate | benchmark::Counter::kInvert);
  state.counters["atoms"] = n;
  state.counters["bytes_per_atom"] = ev.memory_bytes() / n;
}

class TableReporter : public benchmark::ConsoleReporter {
 public:
  void ReportRuns(const std::vector<Run>& runs) override {
    ConsoleReporter::ReportRuns(runs);
    for (const auto& r : runs) {
      auto it = r.counters.find("us_per_atom");
      if (it != r.counters.end())
        results_[r.benchmark_name()] = {it->second.value, r.counters.at("atoms").value,
                                        r.counters.at("bytes_per_atom").value};
    }
  }
  struct R {
    double us, atoms, bytes;
  };
  std::map<std::string, R> results_;
};

}  // namespace

int main(int argc, char** argv) {
  const int max_threads = omp_get_max_threads();
  for (Precision prec : {Precision::Double, Precision::Mixed})
    for (int reps : {1, 8}) {
      auto* b = benchmark::RegisterBenchmark(
          fmt::format("cpu/{}/{}atoms", to_string(prec), 1080 * reps).c_str(),
          [=](benchmark::State& st) { run(st, Backend::Cpu, prec, reps); });
      // One thread: CPU time of the process (robust on a shared machine); all threads: wall time.
      b->Arg(1)->Unit(benchmark::kMillisecond)->MinTime(1.0);
      if (max_threads > 1) {
        auto* bt = benchmark::RegisterBenchmark(
            fmt::format("cpu/{}/{}atoms/threads", to_string(prec), 1080 * reps).c_str(),
            [=](benchmark::State& st) { run(st, Backend::Cpu, prec, reps); });
        bt->Arg(max_threads)->Unit(benchmark::kMillisecond)->MinTime(1.0)->UseRealTime();
      }
    }
  if (cuda_device_count() > 0)
    for (Precision prec : {Precision::Double, Precision::Mixed})
      for (int reps : {1, 8, 900})
        for (const char* kernels : {"team", "legacy"})
          benchmark::RegisterBenchmark(
              fmt::format("cuda{}/{}/{}atoms", std::string(kernels) == "team" ? "" : "-legacy",
                          to_string(prec), 1080 * reps)
                  .c_str(),
              [=](benchmark::State& st) { run(st, Backend::Cuda, prec, reps, kernels); })
              ->Arg(1)
              ->Unit(benchmark::kMillisecond)
              ->UseRealTime();
  else
    std::printf("no CUDA device: CUDA rows skipped\n");
  benchmark::Initialize(&argc, argv);
  TableReporter rep;
  benchmark::RunSpecifiedBenchmarks(&rep);
  // Summary against n2p2 (quoted) and the 1-thread CPU double baseline of this run.
  std::printf("\n%-40s %12s %12s %12s %14s %14s\n", "case", "us/atom", "vs n2p2", "vs cpu/dbl/1",
              "KB/atom", "vs legacy");
  for (const auto& [name, r] : rep.results_) {
    const bool big = r.atoms > 5000;
    const double n2p2 = big ? 290.0 : 255.0;
    double base = 0;
    for (const auto& [n2, r2] : rep.results_)
      if (n2.find("cpu/double") == 0 && n2.find("/1/") != std::string::npos && r2.atoms == r.atoms)
        base = r2.us;
    // Team CUDA rows: speed-up over the legacy kernels measured in this run.
    double legacy = 0;
    if (name.rfind("cuda/", 0) == 0) {
      const auto it = rep.results_.find("cuda-legacy/" + name.substr(5));
      if (it != rep.results_.end()) legacy = it->second.us;
    }
    std::printf("%-40s %12.3f %11.2fx %11.2fx %14.2f", name.c_str(), r.us, n2p2 / r.us,
                base > 0 ? base / r.us : 0.0, r.bytes / 1024.0);
    if (legacy > 0)
      std::printf(" %13.2fx\n", legacy / r.us);
    else
      std::printf(" %14s\n", "-");
  }
  std::printf(
      "(n2p2: %s; 'vs' columns are speed-ups, >1 is faster; 'vs legacy': the team "
      "kernels against the thread-per-atom ones, same run)\n",
      "255 us/atom at 1080 atoms, 290 us/atom at 8640 atoms, one core, quoted");
  return 0;
}
