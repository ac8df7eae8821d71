// Training throughput: structures per second of one optimization step (loss, analytic
// gradient of the energy + force loss, Adam update) for the 20-structure H2O RPBE-D3 reference set
// (48–192 atoms, 27/30 symmetry functions, 25-25 networks, rc = 12 bohr) with batches of 1, 4 and
// 16 structures, and the one-time cost of the symmetry functions and their derivatives (dG/dr)
// per atom. Energy-only steps are timed for comparison, and so are Kalman-filter updates
// (observations per second: Jacobian + covariance update).
//
// BM_TrainThroughput gives one row per backend ([training] backend = cpu | cuda) for energy +
// force loss steps at the default thread count: structures/s and vs_cpu, the ratio to the cpu
// row of the same batch size measured earlier in the same run. The cuda rows say "skipped" when
// the build has no CUDA support or the machine no device.
#include <benchmark/benchmark.h>
#include <omp.h>

#include <chrono>
#include <map>
#include <string>

#include "vitrum/core/backend.hpp"
#include "vitrum/core/blas_threads.hpp"
#include "vitrum/io/structure_io.hpp"
#include "vitrum/train/trainer.hpp"

using namespace vitrum;

namespace {

struct H2oSet {
  nnp::Potential pot;
  std::vector<Structure> data;
  std::vector<std::string> names;
  std::vector<bool> test;
  long atoms = 0;
};

const H2oSet& h2o() {
  static const H2oSet s = [] {
    H2oSet h;
    h.pot = nnp::Potential::load_n2p2(std::string(VITRUM_SOURCE_DIR) +
                                      "/configs/potentials/H2O_RPBE-D3");
    h.data = io::read_structures(std::string(VITRUM_SHARED_DIR) +
                                 "/reference/n2p2/outputs/H2O_RPBE-D3/dataset/input.data");
    for (size_t k = 0; k < h.data.size(); ++k) {
      h.names.push_back("structure " + std::to_string(k + 1));
      h.atoms += static_cast<long>(h.data[k].size());
    }
    h.test.assign(h.data.size(), false);
    return h;
  }();
  return s;
}

const train::TrainingSet& h2o_set() {
  static const train::TrainingSet set(h2o().pot, h2o().data, h2o().names, h2o().test, true);
  return set;
}

/// One Adam step per iteration over a cycling window of `batch` structures.
void BM_TrainStep(benchmark::State& state) {
  const int batch = static_cast<int>(state.range(0));
  const int threads = static_cast<int>(state.range(1));
  const bool forces = state.range(2) != 0;
  omp_set_num_threads(threads);
  vitrum::single_threaded_blas();
  const auto& set = h2o_set();
  train::Fitter fit(h2o().pot, set, 1e-3, 2.5e-2, 1.0, forces ? 1.0 : 0.0);
  fit.initialize(1, 0.0);
  auto& p = fit.parameters();
  std::vector<double> grad, m(p.size(), 0.0), v(p.size(), 0.0);
  const int n = set.n_structures();
  int first = 0;
  long structures = 0, atoms = 0;
  for (auto _ : state) {
    std::vector<int> b;
    for (int q = 0; q < batch; ++q) b.push_back((first + q) % n);
    first = (first + batch) % n;
    const auto loss = fit.loss(b, &grad);
    benchmark::DoNotOptimize(loss);
    for (size_t q = 0; q < p.size(); ++q) {  // Adam, lr 1e-4
      m[q] = 0.9 * m[q] + 0.1 * grad[q];
      v[q] = 0.999 * v[q] + 0.001 * grad[q] * grad[q];
      p[q] -= 1e-4 * m[q] / (std::sqrt(v[q]) + 1e-8);
    }
    structures += batch;
    for (int k : b) atoms += set.structure(k).n_atoms;
  }
  state.counters["structures/s"] =
      benchmark::Counter(static_cast<double>(structures), benchmark::Counter::kIsRate);
  state.counters["atoms/s"] =
      benchmark::Counter(static_cast<double>(atoms), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_TrainStep)
    ->ArgNames({"batch", "threads", "forces"})
    ->Args({1, 1, 1})
    ->Args({4, 1, 1})
    ->Args({16, 1, 1})
    ->Args({16, 2, 1})
    ->Args({16, 1, 0})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

/// The thread count the process started with (before any benchmark sets its own).
const int kDefaultThreads = omp_get_max_threads();

/// Structures per second of the cpu rows of BM_TrainThroughput, by batch size (the baseline of
/// the other backends' vs_cpu).
std::map<int, double>& cpu_throughput() {
  static std::map<int, double> m;
  return m;
}

/// Energy + force loss steps (loss, analytic gradient, Adam) on one backend, at the thread count
/// the process started with (OMP_NUM_THREADS or all cores).
void BM_TrainThroughput(benchmark::State& state) {
  const int default_threads = kDefaultThreads;
  const int batch = static_cast<int>(state.range(0));
  const Backend backend = state.range(1) != 0 ? Backend::Cuda : Backend::Cpu;
  if (backend == Backend::Cuda && cuda_device_count() == 0) {
    state.SkipWithError(cuda_compiled() ? "cuda skipped: no CUDA device on this machine"
                                        : "cuda skipped: this build has no CUDA support");
    for (auto _ : state) {
    }
    return;
  }
  omp_set_num_threads(default_threads);
  vitrum::single_threaded_blas();
  const auto& set = h2o_set();
  train::Fitter fit(h2o().pot, set, 1e-3, 2.5e-2, 1.0, 1.0, backend);
  fit.initialize(1, 0.0);
  auto& p = fit.parameters();
  std::vector<double> grad, m(p.size(), 0.0), v(p.size(), 0.0);
  const int n = set.n_structures();
  int first = 0;
  long structures = 0;
  const auto t0 = std::chrono::steady_clock::now();
  for (auto _ : state) {
    std::vector<int> b;
    for (int q = 0; q < batch; ++q) b.push_back((first + q) % n);
    first = (first + batch) % n;
    const auto loss = fit.loss(b, &grad);
    benchmark::DoNotOptimize(loss);
    for (size_t q = 0; q < p.size(); ++q) {  // Adam, lr 1e-4
      m[q] = 0.9 * m[q] + 0.1 * grad[q];
      v[q] = 0.999 * v[q] + 0.001 * grad[q] * grad[q];
      p[q] -= 1e-4 * m[q] / (std::sqrt(v[q]) + 1e-8);
    }
    structures += batch;
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const double rate = seconds > 0 ? structures / seconds : 0.0;
  if (backend == Backend::Cpu) cpu_throughput()[batch] = rate;
  const auto base = cpu_throughput().find(batch);
  state.counters["structures/s"] =
      benchmark::Counter(static_cast<double>(structures), benchmark::Counter::kIsRate);
  state.counters["threads"] = default_threads;
  if (base != cpu_throughput().end() && base->second > 0)
    state.counters["vs_cpu"] = rate / base->second;
  state.SetLabel(to_string(backend));
}
// The cpu rows first: they are the baseline of the cuda rows' vs_cpu.
BENCHMARK(BM_TrainThroughput)
    ->ArgNames({"batch", "cuda"})
    ->Args({4, 0})
    ->Args({16, 0})
    ->Args({4, 1})
    ->Args({16, 1})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

/// Symmetry functions and dG/dr of the whole set (done once per training run).
void BM_TrainingSetSetup(benchmark::State& state) {
  omp_set_num_threads(static_cast<int>(state.range(0)));
  vitrum::single_threaded_blas();
  const auto& h = h2o();
  for (auto _ : state) {
    train::TrainingSet set(h.pot, h.data, h.names, h.test, true);
    benchmark::DoNotOptimize(set.n_atoms());
  }
  state.counters["us/atom"] = benchmark::Counter(
      static_cast<double>(h.atoms) * 1e-6,
      benchmark::Counter::kIsIterationInvariantRate | benchmark::Counter::kInvert);
}
BENCHMARK(BM_TrainingSetSetup)
    ->ArgNames({"threads"})
    ->Arg(1)
    ->Arg(2)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime()
    ->Iterations(1);

/// Kalman-filter updates (optimizer = "kalman"): the Jacobian of one energy observation, or of
/// `obs` force components at once, and the update of the global filter (2827 weights, P 64 MB),
/// on the cpu or (cuda = 1: networks and P on the GPU; skipped without a device) on cuda.
void BM_KalmanUpdate(benchmark::State& state) {
  const bool force = state.range(0) != 0;
  const int m = force ? static_cast<int>(state.range(1)) : 1;
  const Backend backend = state.range(3) != 0 ? Backend::Cuda : Backend::Cpu;
  if (backend == Backend::Cuda && cuda_device_count() == 0) {
    state.SkipWithError(cuda_compiled() ? "cuda skipped: no CUDA device on this machine"
                                        : "cuda skipped: this build has no CUDA support");
    for (auto _ : state) {
    }
    return;
  }
  omp_set_num_threads(static_cast<int>(state.range(2)));
  vitrum::single_threaded_blas();
  const auto& set = h2o_set();
  const double sigma_e = 1e-3, sigma_f = 2.5e-2;
  train::Fitter fit(h2o().pot, set, sigma_e, sigma_f, 1.0, 1.0, backend);
  fit.initialize(1, 0.0);
  const long np = fit.n_parameters();
  train::KalmanFilter kf({np}, train::KalmanSettings{}, 1000, backend);
  std::vector<double> h(static_cast<size_t>(np) * m), xi(m);
  long obs = 0, q = 0;
  for (auto _ : state) {
    for (int b = 0; b < m; ++b, ++q) {
      const int k = static_cast<int>(q % set.n_structures());
      const auto& s = set.structure(k);
      double* hb = h.data() + b * np;
      if (force) {
        const int atom = static_cast<int>((q * 7) % s.n_atoms), c = static_cast<int>(q % 3);
        xi[b] = (s.forces[atom][c] - fit.force_jacobian(k, atom, c, hb)) / sigma_f;
        for (long j = 0; j < np; ++j) hb[j] /= sigma_f;
      } else {
        xi[b] = (s.energy - fit.energy_jacobian(k, hb)) / sigma_e;
        for (long j = 0; j < np; ++j) hb[j] /= sigma_e;
      }
    }
    kf.update(m, h.data(), xi.data(), fit.parameters().data());
    obs += m;
  }
  state.counters["observations/s"] =
      benchmark::Counter(static_cast<double>(obs), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_KalmanUpdate)
    ->ArgNames({"force", "obs", "threads", "cuda"})
    ->Args({0, 1, 1, 0})
    ->Args({1, 1, 1, 0})
    ->Args({1, 4, 1, 0})
    ->Args({1, 4, 2, 0})
    ->Args({1, 4, 2, 1})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
