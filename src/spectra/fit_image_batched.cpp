// The batched schedule of the image template fit (fit_image_detail.hpp): per anti-diagonal
// wavefront, every pixel's polishes of one step in one batch of jobs (template_jobs.cuh) run by
// `round` (CPU: OpenMP over jobs; CUDA: one launch, one warp per job):
//   1. every pixel's counts and background curves (host);
//   2. batch A: the template start and the neighbours' start of every pixel (the neighbours are
//      on earlier wavefronts, already fitted);
//   3. the better start kept per pixel (host);
//   4. batch B: the background-only refit and the refits without each state of every pixel;
//   5. the significance test from the deviances of A and B, residuals, results (host).
// The steps are those of the per-pixel schedule (fit_image.cpp), in the same order with the same
// starts, so with the CPU round both schedules give the same numbers.
#include <omp.h>

#include <algorithm>
#include <memory>

#include "fit_image_detail.hpp"

namespace vitrum::spectra::detail {

namespace {

/// Empty jobs sized for the template's model and channels.
TemplateJobs new_jobs(const TemplatePolish& tp, long spectra) {
  TemplateJobs j;
  j.n_full = tp.n_full;
  j.n_bg = tp.n_bg;
  j.channels = tp.channels();
  j.y.assign(static_cast<size_t>(spectra) * tp.channels(), 0.0);
  return j;
}

/// Adds a job of pixel slot i with map `map`, start `full` and the pixel's curves s.bgc.
long add_job(TemplateJobs& jobs, int map, long i, const Scratch& s, const double* full) {
  const long j = jobs.add(map, static_cast<int>(i), full);
  const long nb = static_cast<long>(jobs.n_bg) * jobs.channels;
  std::copy_n(s.bgc.begin(), nb, jobs.bg.begin() + j * nb);
  return j;
}

/// Copies job j's fitted parameters and standard errors into full and se.
void take_job(const TemplateJobs& jobs, long j, std::vector<double>& full,
              std::vector<double>& se) {
  std::copy_n(jobs.full.begin() + j * jobs.n_full, jobs.n_full, full.begin());
  std::copy_n(jobs.se.begin() + j * jobs.n_full, jobs.n_full, se.begin());
}

/// The per-pixel state of one wavefront between the batches.
struct Front {
  std::vector<long> pixel;  ///< [slot] pixel index
  std::vector<int> ok;      ///< [slot] prepared (fitted)
  std::vector<PixelPolish> best;
  std::vector<int> start;
};

/// Batch A (template and neighbour starts) and the better start of every pixel.
void fit_starts(ImageRun& run, Front& f, std::vector<std::unique_ptr<Scratch>>& slots,
                const JobRound& round) {
  const TemplatePolish& tp = run.tp;
  const long m = static_cast<long>(f.pixel.size()), n = tp.channels();
  TemplateJobs jobs = new_jobs(tp, m);
  std::vector<long> tjob(m, -1), njob(m, -1);
  for (long i = 0; i < m; ++i) {
    if (!f.ok[i]) continue;
    Scratch& s = *slots[i];
    std::copy_n(s.y.begin(), n, jobs.y.begin() + i * n);
    template_start(tp, s.total, s.full.data());
    tjob[i] = add_job(jobs, 0, i, s, s.full.data());
    if (run.cfg.image_neighbors && neighbour_start(run, f.pixel[i], s.total, s.full.data()))
      njob[i] = add_job(jobs, 0, i, s, s.full.data());
  }
  const std::vector<PixelPolish> out = polish_jobs(tp, jobs, round, slots[0]->v);
  for (long i = 0; i < m; ++i) {
    if (!f.ok[i]) continue;
    Scratch& s = *slots[i];
    f.best[i] = out[tjob[i]];
    take_job(jobs, tjob[i], s.best, s.best_se);
    f.start[i] = 0;
    if (njob[i] < 0) continue;
    take_job(jobs, njob[i], s.full, s.se);
    keep_better(f.best[i], out[njob[i]], s, f.start[i]);
  }
}

/// Batch B (background only, without each state) and every pixel's results.
void test_front(ImageRun& run, Front& f, std::vector<std::unique_ptr<Scratch>>& slots,
                const JobRound& round, int threads) {
  const TemplatePolish& tp = run.tp;
  const long m = static_cast<long>(f.pixel.size()), n = tp.channels();
  const int K = tp.K;
  TemplateJobs jobs = new_jobs(tp, m);
  std::vector<long> first(m, -1);  // job of the background-only refit; then K without-k jobs
  for (long i = 0; i < m; ++i) {
    if (!f.ok[i]) continue;
    Scratch& s = *slots[i];
    std::copy_n(s.y.begin(), n, jobs.y.begin() + i * n);
    none_start(tp, s, s.full.data());
    first[i] = add_job(jobs, 1, i, s, s.full.data());
    for (int k = 0; k < K && K > 1; ++k) {
      without_start(tp, s, k, s.full.data());
      add_job(jobs, 2 + k, i, s, s.full.data());
    }
  }
  const std::vector<PixelPolish> out = polish_jobs(tp, jobs, round, slots[0]->v);
#pragma omp parallel for num_threads(threads) schedule(dynamic, 1)
  for (long i = 0; i < m; ++i) {
    if (!f.ok[i]) continue;
    const PixelPolish& none = out[first[i]];
    int iterations = f.best[i].iterations + none.iterations;
    std::vector<double> d_without(K, none.deviance);
    for (int k = 0; k < K && K > 1; ++k) {
      const PixelPolish& w = out[first[i] + 1 + k];
      iterations += w.iterations;
      if (usable(w)) d_without[k] = std::min(w.deviance, none.deviance);
    }
    const int n_sig = store_states(run, f.pixel[i], *slots[i], f.best[i], d_without);
    finish_pixel(run, f.pixel[i], *slots[i], f.best[i], none.deviance, n_sig, iterations,
                 f.start[i]);
  }
}

}  // namespace

void fit_wavefronts_batched(ImageRun& run, const JobRound& round, int threads,
                            const std::function<void(long, long)>& progress) {
  TemplateFitResult& r = run.r;
  const long width = std::min(r.ny, r.nx);
  std::vector<std::unique_ptr<Scratch>> slots;  // one per pixel of the widest wavefront
  for (long i = 0; i < width; ++i) slots.push_back(std::make_unique<Scratch>(run.tp));
  long done = 0;
  for (long d = 0; d <= static_cast<long>(r.ny) + r.nx - 2; ++d) {
    const long ylo = std::max(0L, d - (r.nx - 1)), yhi = std::min<long>(d, r.ny - 1);
    const long m = yhi - ylo + 1;
    Front f;
    f.pixel.resize(m);
    f.ok.assign(m, 0);
    f.best.assign(m, PixelPolish{});
    f.start.assign(m, 0);
#pragma omp parallel for num_threads(threads) schedule(dynamic, 1)
    for (long i = 0; i < m; ++i) {
      f.pixel[i] = (ylo + i) * r.nx + (d - ylo - i);
      f.ok[i] = prepare_pixel(run, f.pixel[i], *slots[i]) ? 1 : 0;
    }
    fit_starts(run, f, slots, round);
    test_front(run, f, slots, round, threads);
    done += m;
    if (progress) progress(done, r.pixels());
  }
}

}  // namespace vitrum::spectra::detail
