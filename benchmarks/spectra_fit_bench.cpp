// Benchmark of the EM fit (`vitrum spectra fit`): spectra per second for a synthetic image of
// ny × nx spectra × 1000 channels with 1 to 4 pseudo-Voigt peaks per pixel, per backend, with the
// accuracy against the truth. scripts/bench_spectra.sh runs it with --out and puts it next to
// the same fits done by lmfit (scripts/lmfit_baseline.py) on a subset of the same spectra.
//
//   spectra_fit_bench [--size N] [--out DIR] [--subset S] [google-benchmark flags]
//
// Image: pixel (y, x) holds K = 1 + ((y/32 + x/32) mod 4) peaks (32-pixel tiles), peak j at
// 284 + 3.5 j + U(−0.5, 0.5) eV binding (separations ≥ 2.5 eV), FWHM U(1.0, 1.8) eV,
// η U(0.1, 0.5), area U(4000, 12000) counts, background 40–80 counts/channel with a slope of
// ±0.4 counts/channel/eV, Poisson noise; channels 270–319.95 eV, step 0.05 eV. Deterministic.
// The fit starts from no guesses: K ∈ [1, 4] by BIC, FWHM bounds [0.8, 4] eV, constant + ramps.
#include <benchmark/benchmark.h>
#include <omp.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <string>
#include <vector>

#include "vitrum/core/backend.hpp"
#include "vitrum/spectra/fit.hpp"
#include "vitrum/spectra/math/lineshapes.hpp"
#include "vitrum/spectra/polish_fit.hpp"
#include "vitrum/spectra/spectrum_io.hpp"
#include "vitrum/spectra/synth.hpp"

namespace sp = vitrum::spectra;

namespace {

constexpr int kChannels = 1000;
constexpr double kE0 = 270.0, kStep = 0.05;
constexpr int kMaxTrue = 4;

struct BenchImage {
  sp::SpectrumImage image;
  std::vector<int> k;                        // [pixel]
  std::vector<double> pos, fwhm, eta, area;  // [pixel][kMaxTrue], area in counts
  std::vector<double> bg0, slope;            // [pixel]
};

BenchImage make_image(int size) {
  BenchImage b;
  sp::SpectrumImage& im = b.image;
  im.name = "bench";
  im.source = "spectra_fit_bench";
  im.ny = im.nx = size;
  for (int i = 0; i < kChannels; ++i) im.energy.push_back(kE0 + kStep * i);
  const long np = im.pixels();
  im.counts.resize(static_cast<size_t>(np) * kChannels);
  b.k.resize(np);
  b.pos.assign(np * kMaxTrue, NAN);
  b.fwhm = b.eta = b.area = b.pos;
  b.bg0.resize(np);
  b.slope.resize(np);
#pragma omp parallel for schedule(static)
  for (long p = 0; p < np; ++p) {
    const int y = static_cast<int>(p / size), x = static_cast<int>(p % size);
    sp::PoissonStream rng(2024, static_cast<std::uint64_t>(p));
    const int K = 1 + ((y / 32 + x / 32) % 4);
    b.k[p] = K;
    for (int j = 0; j < K; ++j) {
      b.pos[p * kMaxTrue + j] = 284.0 + 3.5 * j + (rng.uniform() - 0.5);
      b.fwhm[p * kMaxTrue + j] = 1.0 + 0.8 * rng.uniform();
      b.eta[p * kMaxTrue + j] = 0.1 + 0.4 * rng.uniform();
      b.area[p * kMaxTrue + j] = 4000.0 + 8000.0 * rng.uniform();
    }
    b.bg0[p] = 40.0 + 40.0 * rng.uniform();
    b.slope[p] = 0.8 * (rng.uniform() - 0.5);
    float* out = im.spectrum(p);
    for (int i = 0; i < kChannels; ++i) {
      const double e = im.energy[i];
      double lam = b.bg0[p] + b.slope[p] * (e - 295.0);
      for (int j = 0; j < K; ++j)
        lam += b.area[p * kMaxTrue + j] * kStep *
               sp::math::pseudo_voigt_pdf(e, b.pos[p * kMaxTrue + j], b.fwhm[p * kMaxTrue + j],
                                          b.eta[p * kMaxTrue + j]);
      out[i] = static_cast<float>(rng.poisson(lam));
    }
  }
  return b;
}

sp::FitConfig bench_config() {
  sp::FitConfig c;
  c.source = "spectra_fit_bench";
  c.shape = sp::PeakShape::PseudoVoigt;
  c.k_min = 1;
  c.k_max = 4;
  c.fwhm_min = 0.8;
  c.fwhm_max = 4.0;
  c.bg_uniform = true;
  c.bg_ramps = true;
  return c;
}

/// Sub-image of the pixels i·stride (a stack), for the per-core measurement and lmfit.
sp::SpectrumImage subset(const sp::SpectrumImage& im, long count, long stride,
                         std::vector<long>* index) {
  sp::SpectrumImage s = im;
  s.name = "bench_subset";
  s.ny = 1;
  s.nx = static_cast<int>(count);
  s.counts.resize(static_cast<size_t>(count) * kChannels);
  for (long i = 0; i < count; ++i) {
    const long p = (i * stride) % im.pixels();
    if (index) index->push_back(p);
    std::memcpy(s.spectrum(i), im.spectrum(p), sizeof(float) * kChannels);
  }
  return s;
}

struct Accuracy {
  long pixels = 0, right_k = 0, peaks = 0;
  double pos2 = 0, fwhm2 = 0, area_rel2 = 0;
};

Accuracy accuracy(const BenchImage& b, const sp::FitResult& r, const std::vector<long>& index) {
  Accuracy a;
  for (long i = 0; i < r.fits; ++i) {
    const long p = index.empty() ? i : index[i];
    ++a.pixels;
    if (r.n_peaks[i] != b.k[p]) continue;
    ++a.right_k;
    for (int j = 0; j < b.k[p]; ++j) {
      const size_t q = static_cast<size_t>(i) * r.max_peaks + j;
      const double dp = r.position[q] - b.pos[p * kMaxTrue + j];
      const double df = r.fwhm[q] - b.fwhm[p * kMaxTrue + j];
      const double da = r.area[q] / kStep / b.area[p * kMaxTrue + j] - 1.0;  // area → counts
      a.pos2 += dp * dp;
      a.fwhm2 += df * df;
      a.area_rel2 += da * da;
      ++a.peaks;
    }
  }
  return a;
}

struct Options {
  int size = 256;
  long subset = 512;
  std::string out;
};
Options g_opt;
BenchImage* g_image = nullptr;
std::vector<std::string> g_lines;  // summary lines for the driver script

/// Process CPU time (all threads), so the per-core rate does not depend on other load.
double cpu_seconds() {
  return static_cast<double>(std::clock()) / CLOCKS_PER_SEC;
}

void report(benchmark::State& st, const std::string& label, const sp::FitResult& r,
            const std::vector<long>& index, int cores, double seconds, double cpu) {
  const Accuracy a = accuracy(*g_image, r, index);
  st.counters["spectra_per_s"] = r.fits / seconds;
  st.counters["spectra_per_cpu_s"] = cpu > 0 ? r.fits / cpu : NAN;
  st.counters["cores"] = cores;
  st.counters["k_right"] = static_cast<double>(a.right_k) / a.pixels;
  st.counters["rms_pos_eV"] = std::sqrt(a.pos2 / std::max(1L, a.peaks));
  char line[512];
  std::snprintf(
      line, sizeof line,
      "RESULT backend=%s cores=%d spectra=%ld seconds=%.4f cpu_seconds=%.4f "
      "spectra_per_s=%.3f k_right=%.5f rms_pos_eV=%.6f rms_fwhm_eV=%.6f rms_area_rel=%.6f",
      label.c_str(), cores, r.fits, seconds, cpu, r.fits / seconds,
      static_cast<double>(a.right_k) / a.pixels, std::sqrt(a.pos2 / std::max(1L, a.peaks)),
      std::sqrt(a.fwhm2 / std::max(1L, a.peaks)), std::sqrt(a.area_rel2 / std::max(1L, a.peaks)));
  g_lines.push_back(line);
}

void bm_cpu_one_core(benchmark::State& st) {
  std::vector<long> index;
  const long stride = std::max(1L, g_image->image.pixels() / g_opt.subset) | 1;
  const auto sub =
      subset(g_image->image, std::min(g_opt.subset, g_image->image.pixels()), stride, &index);
  sp::FitOptions o;
  o.threads = 1;
  for (auto _ : st) {
    const double c0 = cpu_seconds();
    const auto r = sp::fit_spectra(sub, bench_config(), o);
    const double cpu = cpu_seconds() - c0;
    st.SetIterationTime(r.seconds);
    report(st, "cpu-1", r, index, 1, r.seconds, cpu);
    if (!g_opt.out.empty()) {
      // The subset, its truth and this fit, for scripts/lmfit_baseline.py.
      sp::write_spectrum_image_hdf5(g_opt.out + "/bench_subset.h5", sub);
      sp::MapSet t;
      t.name = "truth";
      t.nx = static_cast<int>(index.size());
      auto stack = [&](const char* name, const std::vector<double>& v, double scale) {
        sp::PeakStack s;
        s.name = name;
        s.n_peaks = kMaxTrue;
        s.values.resize(kMaxTrue * index.size());
        for (int j = 0; j < kMaxTrue; ++j)
          for (size_t i = 0; i < index.size(); ++i)
            s.values[j * index.size() + i] = static_cast<float>(v[index[i] * kMaxTrue + j] * scale);
        return s;
      };
      sp::Map k{"n_peaks", "", "True number of peaks", {}, true};
      sp::Map bg{"background", "counts", "Background at 295 eV", {}, false};
      sp::Map sl{"slope", "counts/eV", "Background slope", {}, false};
      for (long p : index) {
        k.values.push_back(static_cast<float>(g_image->k[p]));
        bg.values.push_back(static_cast<float>(g_image->bg0[p]));
        sl.values.push_back(static_cast<float>(g_image->slope[p]));
      }
      t.maps = {k, bg, sl};
      t.peak_stacks = {stack("position", g_image->pos, 1.0), stack("fwhm", g_image->fwhm, 1.0),
                       stack("eta", g_image->eta, 1.0), stack("area", g_image->area, kStep)};
      sp::MapSet f;
      f.name = "fit";
      f.nx = static_cast<int>(r.fits);
      std::vector<float> nk(r.fits);
      for (long i = 0; i < r.fits; ++i) nk[i] = static_cast<float>(r.n_peaks[i]);
      f.maps = {sp::Map{"n_peaks", "", "Fitted number of peaks", nk, true}};
      auto fstack = [&](const char* name, const std::vector<double>& v) {
        sp::PeakStack s;
        s.name = name;
        s.n_peaks = r.max_peaks;
        s.values.resize(v.size());
        for (int j = 0; j < r.max_peaks; ++j)
          for (long i = 0; i < r.fits; ++i)
            s.values[j * r.fits + i] = static_cast<float>(v[i * r.max_peaks + j]);
        return s;
      };
      f.peak_stacks = {fstack("position", r.position), fstack("fwhm", r.fwhm),
                       fstack("area", r.area), fstack("eta", r.eta)};
      sp::write_maps_hdf5(g_opt.out + "/bench_subset_truth_fit.h5", {t, f});
    }
  }
}

/// The same subset on one thread, EM + the maximum-likelihood polish (start = "em"); accuracy
/// of the polished positions, FWHMs and areas.
void bm_cpu_one_core_polish(benchmark::State& st) {
  std::vector<long> index;
  const long stride = std::max(1L, g_image->image.pixels() / g_opt.subset) | 1;
  const auto sub =
      subset(g_image->image, std::min(g_opt.subset, g_image->image.pixels()), stride, &index);
  sp::FitConfig cfg = bench_config();
  cfg.polish = true;
  cfg.polish_residuals = false;
  sp::FitOptions o;
  o.threads = 1;
  sp::PolishOptions po;
  po.threads = 1;
  po.control = cfg.polish_control;
  for (auto _ : st) {
    const double c0 = cpu_seconds();
    sp::FitResult r = sp::fit_spectra(sub, cfg, o);
    const sp::PolishedBlock pb = sp::polish_fitted_block(r, sub, cfg, po);
    const double cpu = cpu_seconds() - c0;
    double seconds = r.seconds;
    for (size_t g = 0; g < pb.results.size(); ++g) {
      const sp::PolishResult& q = pb.results[g];
      seconds += q.seconds;
      for (long f = 0; f < q.fits; ++f)
        for (int c = 0; c < q.n_comp; ++c) {
          const long i = pb.pixels[g][f] * r.max_peaks + c;
          const int b = c * sp::math::kPolishParamsPerComponent;
          r.position[i] = q.param(f, b + sp::kPosition);
          r.fwhm[i] = q.param(f, b + sp::kFwhm);
          r.area[i] = q.param(f, b + sp::kArea);
        }
    }
    st.SetIterationTime(seconds);
    report(st, "cpu-1+polish", r, index, 1, seconds, cpu);
  }
}

void bm_image(benchmark::State& st, vitrum::Backend backend) {
  sp::FitOptions o;
  o.backend = backend;
  for (auto _ : st) {
    const double c0 = cpu_seconds();
    const auto r = sp::fit_spectra(g_image->image, bench_config(), o);
    const double cpu = cpu_seconds() - c0;
    st.SetIterationTime(r.seconds);
    report(st, backend == vitrum::Backend::Cpu ? "cpu" : "cuda", r, {},
           backend == vitrum::Backend::Cpu ? omp_get_max_threads() : 0, r.seconds,
           backend == vitrum::Backend::Cpu ? cpu : 0.0);
  }
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<char*> rest = {argv[0]};
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--size" && i + 1 < argc)
      g_opt.size = std::atoi(argv[++i]);
    else if (a == "--subset" && i + 1 < argc)
      g_opt.subset = std::atol(argv[++i]);
    else if (a == "--out" && i + 1 < argc)
      g_opt.out = argv[++i];
    else
      rest.push_back(argv[i]);
  }
  int rargc = static_cast<int>(rest.size());
  benchmark::Initialize(&rargc, rest.data());
  if (!g_opt.out.empty()) std::filesystem::create_directories(g_opt.out);
  BenchImage image = make_image(g_opt.size);
  g_image = &image;
  const std::string sz = std::to_string(g_opt.size);
  benchmark::RegisterBenchmark(
      ("spectra_fit/cpu/threads:1/spectra:" + std::to_string(g_opt.subset)).c_str(),
      bm_cpu_one_core)
      ->UseManualTime()
      ->Iterations(1)
      ->Unit(benchmark::kSecond);
  benchmark::RegisterBenchmark(
      ("spectra_fit/cpu+polish/threads:1/spectra:" + std::to_string(g_opt.subset)).c_str(),
      bm_cpu_one_core_polish)
      ->UseManualTime()
      ->Iterations(1)
      ->Unit(benchmark::kSecond);
  benchmark::RegisterBenchmark(("spectra_fit/cpu/threads:" + std::to_string(omp_get_max_threads()) +
                                "/image:" + sz + "x" + sz)
                                   .c_str(),
                               bm_image, vitrum::Backend::Cpu)
      ->UseManualTime()
      ->Iterations(1)
      ->Unit(benchmark::kSecond);
  if (vitrum::cuda_device_count() > 0)
    benchmark::RegisterBenchmark(("spectra_fit/cuda/image:" + sz + "x" + sz).c_str(), bm_image,
                                 vitrum::Backend::Cuda)
        ->UseManualTime()
        ->Iterations(1)
        ->Unit(benchmark::kSecond);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  for (const auto& l : g_lines) std::printf("%s\n", l.c_str());
  if (vitrum::cuda_device_count() == 0)
    std::printf("NOTE no CUDA device on this machine: the cuda backend was not run\n");
  return 0;
}
