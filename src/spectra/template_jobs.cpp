// Batches of per-pixel polishes of the image template fit (spectra/template_jobs.cuh): job
// bookkeeping and the CPU round (the same serial math::polish_run as the per-pixel path).
#include "spectra/template_jobs.cuh"

#include <omp.h>

#include <algorithm>
#include <cmath>
#include <vector>

namespace vitrum::spectra::detail {

long TemplateJobs::add(int map_index, int spectrum_index, const double* start) {
  const long j = count();
  map.push_back(map_index);
  spectrum.push_back(spectrum_index);
  active.push_back(1);
  bg.resize(bg.size() + static_cast<size_t>(n_bg) * channels, 0.0);
  full.insert(full.end(), start, start + n_full);
  se.resize(full.size(), 0.0);
  deviance.push_back(NAN);
  chi2.push_back(NAN);
  status.push_back(static_cast<int>(math::PolishStatus::InvalidStart));
  iterations.push_back(0);
  return j;
}

namespace {

/// The sums of one job as the kernel's warp forms them (WarpPolishSums in polish.cu), lane 0's.
struct EmulatedWarpSums {
  static constexpr int kLanes = 32;
  const math::ParamMap* m;
  const double *x, *w, *y, *bg;
  long channels;
  double* lanes;  ///< [kLanes][kPolishSums] scratch
  void operator()(const double* full, bool derivs, const int* held, double* out) const {
    const int p = m->n_free;
    const int ns = derivs ? 2 + p + p * (p + 1) / 2 : 2;
    for (int l = 0; l < kLanes; ++l)
      math::polish_sums(*m, full, x, w, y, bg, channels, l, kLanes, derivs, held,
                        lanes + l * math::kPolishSums);
    double v[kLanes];
    for (int i = 0; i < ns; ++i) {
      for (int l = 0; l < kLanes; ++l) v[l] = lanes[l * math::kPolishSums + i];
      for (int o = 16; o > 0; o >>= 1) {
        double next[kLanes];
        for (int l = 0; l < kLanes; ++l) next[l] = v[l] + v[l ^ o];
        std::copy_n(next, kLanes, v);
      }
      out[i] = v[0];
    }
  }
};

/// One round of the active jobs with the sums functor made by make(job).
template <typename MakeSums>
void run_jobs(TemplateJobs& jobs, int threads, const MakeSums& make) {
  const long J = jobs.count();
#pragma omp parallel num_threads(std::max(threads, 1))
  {
    math::PolishWork work;
    std::vector<double> scratch(static_cast<size_t>(EmulatedWarpSums::kLanes) * math::kPolishSums);
#pragma omp for schedule(dynamic, 1)
    for (long j = 0; j < J; ++j) {
      if (!jobs.active[j]) continue;
      const math::ParamMap& m = jobs.maps[jobs.map[j]];
      math::PolishOut out{
          jobs.full.data() + j * jobs.n_full, jobs.se.data() + j * jobs.n_full, NAN, NAN, 0, 0,
          math::PolishStatus::InvalidStart};
      math::polish_run(m, jobs.control, make(j, m, scratch.data()), out, work);
      jobs.deviance[j] = out.deviance;
      jobs.chi2[j] = out.chi2;
      jobs.status[j] = static_cast<int>(out.status);
      jobs.iterations[j] = out.iterations;
    }
  }
}

}  // namespace

__attribute__((noinline)) void serial_polish(const math::ParamMap& m,
                                             const math::PolishControl& ctl, const double* x,
                                             const double* w, const double* y, const double* bg,
                                             long channels, const math::ShapeTableView* tables,
                                             math::PolishOut& out, math::PolishWork& work) {
  const math::SerialPolishSums sums{&m, x, w, y, bg, channels, tables};
  math::polish_run(m, ctl, sums, out, work);
}

void polish_template_jobs_cpu(TemplateJobs& jobs, int threads) {
  const long J = jobs.count(), n = jobs.channels;
#pragma omp parallel num_threads(std::max(threads, 1))
  {
    math::PolishWork work;
#pragma omp for schedule(dynamic, 1)
    for (long j = 0; j < J; ++j) {
      if (!jobs.active[j]) continue;
      math::PolishOut out{
          jobs.full.data() + j * jobs.n_full, jobs.se.data() + j * jobs.n_full, NAN, NAN, 0, 0,
          math::PolishStatus::InvalidStart};
      serial_polish(jobs.maps[jobs.map[j]], jobs.control, jobs.x, jobs.w,
                    jobs.y.data() + static_cast<long>(jobs.spectrum[j]) * n,
                    jobs.bg.data() + j * jobs.n_bg * n, n, jobs.tables, out, work);
      jobs.deviance[j] = out.deviance;
      jobs.chi2[j] = out.chi2;
      jobs.status[j] = static_cast<int>(out.status);
      jobs.iterations[j] = out.iterations;
    }
  }
}

void polish_template_jobs_warp_emulated(TemplateJobs& jobs, int threads) {
  const long n = jobs.channels;
  run_jobs(jobs, threads, [&](long j, const math::ParamMap& m, double* lanes) {
    return EmulatedWarpSums{&m,
                            jobs.x,
                            jobs.w,
                            jobs.y.data() + static_cast<long>(jobs.spectrum[j]) * n,
                            jobs.bg.data() + j * jobs.n_bg * n,
                            n,
                            lanes};
  });
}

}  // namespace vitrum::spectra::detail
