// CPU backend of the EM fit: OpenMP over spectra, each spectrum by one thread with the serial
// executor and its own workspace. Results do not depend on the thread count: every spectrum's
// random starts are seeded from (seed, spectrum index, K, start).
#include <omp.h>

#include <atomic>
#include <chrono>
#include <vector>

#include "vitrum/spectra/fit_batch.hpp"

namespace vitrum::spectra {

namespace {

/// Workspace storage of one thread.
struct ThreadScratch {
  std::vector<double> data;
  math::EmState shared;
  math::Workspace ws;

  ThreadScratch(int n, int nb) {
    data.assign(static_cast<size_t>(4 * n + 3 * nb + math::stage_doubles(n)) +
                    math::kMaxParams * math::kMaxParams,
                0.0);
    double* p = data.data();
    ws.y = p;
    p += n;
    ws.shirley = p;
    p += n;
    ws.peaks = p;
    p += n;
    ws.inv_lam = p;
    p += n;
    ws.yb = p;
    p += nb;
    ws.smooth = p;
    p += nb;
    ws.resid = p;
    p += nb;
    ws.stage = p;
    p += math::stage_doubles(n);
    ws.info = p;
    ws.shared = &shared;
  }
};

}  // namespace

void fit_spectra_cpu(const FitBatch& b) {
  const int n = b.problem.full.n;
  const int nb = b.problem.screen.n;
  const long count = b.count;
  std::atomic<long> done{0};
  const auto t0 = std::chrono::steady_clock::now();
  auto last = t0;
  const int threads = b.threads > 0 ? b.threads : omp_get_max_threads();
#pragma omp parallel num_threads(threads)
  {
    ThreadScratch scratch(n, nb);
    math::SerialExec ex;
#pragma omp for schedule(dynamic, 4)
    for (long i = 0; i < count; ++i) {
      math::fit_spectrum(ex, b.problem, b.spectra + i * b.stride, i, scratch.ws, b.out,
                         b.intensity_scale);
      const long d = done.fetch_add(1, std::memory_order_relaxed) + 1;
      if (b.progress && omp_get_thread_num() == 0) {
        const auto now = std::chrono::steady_clock::now();
        if (std::chrono::duration<double>(now - last).count() > 0.5) {
          last = now;
          b.progress(d, count);
        }
      }
    }
  }
  if (b.progress) b.progress(count, count);
}

}  // namespace vitrum::spectra
