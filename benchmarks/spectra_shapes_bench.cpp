// Cost of one line-shape value per kind (vitrum/spectra/math/peak_shapes.hpp) on one CPU core:
// a 1000-channel spectrum (0.05 eV step) of one component; mode 0 = shape_value per channel,
// 1 = prepare_shape once + prepared_unit_value per channel, 2 = shape_value_and_grad.
// Counters (thread CPU time, so a busy machine does not inflate them): ns per value, and the
// ratio to the Gaussian in the same mode measured in the same run (`vs_gaussian`).
//
//   spectra_shapes_bench [google-benchmark flags]
#include <benchmark/benchmark.h>

#include <ctime>
#include <vector>

#include "vitrum/spectra/math/peak_shapes.hpp"

namespace sm = vitrum::spectra::math;

namespace {

constexpr int kChannels = 1000;

struct Setup {
  sm::ShapeKind kind;
  sm::ShapeParams s;
};

Setup setup(int k) {
  const sm::ShapeParams base{300.0, 1.2, 1000.0, {0, 0, 0, 0}};
  Setup r{static_cast<sm::ShapeKind>(k), base};
  switch (r.kind) {
    case sm::ShapeKind::PseudoVoigt:
      r.s.p[0] = 0.3;
      break;
    case sm::ShapeKind::Voigt:
      r.s.p[0] = 0.5;
      break;
    case sm::ShapeKind::GL:
    case sm::ShapeKind::SGL:
      r.s.p[0] = 30;
      break;
    case sm::ShapeKind::DoniachSunjicGauss:
      r.s.p[0] = 0.1;
      r.s.p[1] = 0.6;
      break;
    case sm::ShapeKind::LA:
      r.s.p[0] = 1.2;
      r.s.p[1] = 3.0;
      r.s.p[2] = 40;
      break;
    case sm::ShapeKind::LA4:
      r.s.p[0] = 1.2;
      r.s.p[1] = 3.0;
      r.s.p[2] = 40;
      r.s.p[3] = 20;
      break;
    default:
      break;
  }
  return r;
}

double sweep(const Setup& st, int mode) {
  double acc = 0, g[sm::kShapeGradSize];
  if (mode == 1) {
    const auto prep = sm::prepare_shape<double>(st.kind, st.s.fwhm, st.s.p);
    for (int i = 0; i < kChannels; ++i)
      acc += st.s.area * sm::prepared_unit_value(prep, 275.0 + 0.05 * i - st.s.position);
    return acc;
  }
  for (int i = 0; i < kChannels; ++i) {
    const double x = 275.0 + 0.05 * i;
    acc += mode == 2 ? sm::shape_value_and_grad(st.kind, st.s, x, g) + g[0]
                     : sm::shape_value(st.kind, st.s, x);
  }
  return acc;
}

double cpu_seconds() {
  timespec t;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return t.tv_sec + 1e-9 * t.tv_nsec;
}

double seconds_per_sweep(const Setup& st, int mode, double min_seconds) {
  const double t0 = cpu_seconds();
  double acc = 0, t = 0;
  int reps = 0;
  do {
    acc += sweep(st, mode);
    ++reps;
    t = cpu_seconds() - t0;
  } while (t < min_seconds);
  benchmark::DoNotOptimize(acc);
  return t / reps;
}

void BM_Shape(benchmark::State& state) {
  const Setup st = setup(static_cast<int>(state.range(0)));
  const int mode = static_cast<int>(state.range(1));
  for (auto _ : state) benchmark::DoNotOptimize(sweep(st, mode));
  const double per_sweep = seconds_per_sweep(st, mode, 0.05);
  const double gauss = seconds_per_sweep(setup(0), mode, 0.05);
  state.counters["ns_per_value"] = per_sweep / kChannels * 1e9;
  state.counters["vs_gaussian"] = per_sweep / gauss;
  state.SetItemsProcessed(state.iterations() * kChannels);
}

}  // namespace

BENCHMARK(BM_Shape)
    ->ArgsProduct({{0, 1, 2, 3, 4, 5, 6, 7, 8}, {0, 1, 2}})
    ->ArgNames({"kind", "mode"})
    ->Unit(benchmark::kMicrosecond);

BENCHMARK_MAIN();
