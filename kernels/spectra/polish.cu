// CUDA backend of the maximum-likelihood polish: the Levenberg–Marquardt loop of
// vitrum/spectra/math/polish.hpp run by one warp per spectrum. The lanes take channels lane,
// lane + 32, ... (math::polish_sums with first = lane, stride = 32) and the partial sums are
// combined by a butterfly of shuffles, which leaves the same total in every lane (a + b = b + a
// bitwise), so every lane runs the same iteration in lockstep. The host prepares the counts,
// starts and background curves with the CPU backend's functions (polish.cuh), so both backends
// feed the same numbers to the same math. Deterministic for a given device.
#include <cuda_runtime.h>

#include <algorithm>
#include <vector>

#include "core/device.cuh"
#include "core/device_array.cuh"
#include "spectra/polish.cuh"
#include "spectra/template_jobs.cuh"
#include "vitrum/spectra/math/polish.hpp"

namespace vitrum::spectra {

namespace {

constexpr int kWarpsPerBlock = 2;
constexpr int kThreads = 32 * kWarpsPerBlock;

/// The sums functor of one warp.
struct WarpPolishSums {
  const math::ParamMap* m;
  const double *x, *w, *y, *bg;
  long channels;
  __device__ void operator()(const double* full, bool derivs, const int* held, double* out) const {
    const int lane = static_cast<int>(threadIdx.x & 31u);
    math::polish_sums(*m, full, x, w, y, bg, channels, lane, 32, derivs, held, out);
    const int p = m->n_free;
    const int n = derivs ? 2 + p + p * (p + 1) / 2 : 2;
    for (int i = 0; i < n; ++i) {
      double v = out[i];
      for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
      out[i] = v;
    }
  }
};

/// A batch of polish jobs, one warp each: job j fits counts y + spectrum[j] · channels (j when
/// `spectrum` is null) with background curves bg + j · bg_stride (bg_stride 0: one set shared by
/// all) and the map maps[map[j]] (maps[0] when `map` is null). The image template fit's rounds
/// (template_jobs.cuh) and the per-spectrum polish (one map, every spectrum) are both such
/// batches, so one kernel serves both (one copy of the polish for ptxas to compile).
struct DeviceJobs {
  const math::ParamMap* maps;
  math::PolishControl ctl;
  const double *x, *w, *y, *bg;
  long channels, bg_stride, count;
  int n_full;
  const int *map, *spectrum, *active;
  double *full, *se, *scalars;  ///< scalars: [job][2] deviance, χ²
  int* ints;                    ///< [job][3] status, iterations, at_bound
};

__global__ void __launch_bounds__(kThreads) polish_jobs_kernel(DeviceJobs b) {
  const long warp = (static_cast<long>(blockIdx.x) * blockDim.x + threadIdx.x) >> 5;
  const long warps = (static_cast<long>(gridDim.x) * blockDim.x) >> 5;
  const bool leader = (threadIdx.x & 31u) == 0;
  math::PolishWork work;
  double full[math::kPolishMaxFull], se[math::kPolishMaxFull];
  for (long j = warp; j < b.count; j += warps) {
    if (!b.active[j]) continue;
    const math::ParamMap* m = b.maps + (b.map != nullptr ? b.map[j] : 0);
    const long spectrum = b.spectrum != nullptr ? b.spectrum[j] : j;
    for (int i = 0; i < b.n_full; ++i) full[i] = b.full[j * b.n_full + i];
    const WarpPolishSums sums{
        m, b.x, b.w, b.y + spectrum * b.channels, b.bg + j * b.bg_stride, b.channels};
    math::PolishOut out{full, se, 0.0, 0.0, 0, 0, math::PolishStatus::Converged};
    math::polish_run(*m, b.ctl, sums, out, work);
    if (leader) {
      for (int i = 0; i < b.n_full; ++i) {
        b.full[j * b.n_full + i] = full[i];
        b.se[j * b.n_full + i] = se[i];
      }
      b.scalars[2 * j] = out.deviance;
      b.scalars[2 * j + 1] = out.chi2;
      b.ints[3 * j] = static_cast<int>(out.status);
      b.ints[3 * j + 1] = out.iterations;
      b.ints[3 * j + 2] = out.at_bound;
    }
  }
}

/// Blocks for `count` warps of `kernel`: at most what the device keeps resident.
template <typename Kernel>
long resident_blocks(Kernel kernel, long count) {
  int device = 0, sms = 0, per_sm = 0;
  VITRUM_CUDA_CHECK(cudaGetDevice(&device));
  VITRUM_CUDA_CHECK(cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, device));
  VITRUM_CUDA_CHECK(cudaOccupancyMaxActiveBlocksPerMultiprocessor(&per_sm, kernel, kThreads, 0));
  const long need = (count + kWarpsPerBlock - 1) / kWarpsPerBlock;
  return std::max(1L, std::min<long>(need, static_cast<long>(sms) * std::max(per_sm, 1)));
}

}  // namespace

namespace detail {

void launch_template_jobs(TemplateJobs& jobs) {
  const long J = jobs.count(), n = jobs.channels;
  if (J == 0) return;
  cuda::DeviceArray<math::ParamMap> dmaps(jobs.n_maps);
  dmaps.upload(jobs.maps, jobs.n_maps);
  cuda::DeviceArray<double> dx(n), dw(n), dy(jobs.y.size()), dbg(jobs.bg.size()),
      dfull(jobs.full.size()), dse(jobs.full.size()), dsc(2 * static_cast<size_t>(J));
  cuda::DeviceArray<int> dmap(J), dspec(J), dact(J), dints(3 * static_cast<size_t>(J));
  dx.upload(jobs.x, n);
  dw.upload(jobs.w, n);
  dy.upload(jobs.y);
  dbg.upload(jobs.bg);
  dfull.upload(jobs.full);
  dmap.upload(jobs.map);
  dspec.upload(jobs.spectrum);
  dact.upload(jobs.active);
  const DeviceJobs db{dmaps.data(),
                      jobs.control,
                      dx.data(),
                      dw.data(),
                      dy.data(),
                      dbg.data(),
                      n,
                      jobs.n_bg * n,
                      J,
                      jobs.n_full,
                      dmap.data(),
                      dspec.data(),
                      dact.data(),
                      dfull.data(),
                      dse.data(),
                      dsc.data(),
                      dints.data()};
  const long blocks = resident_blocks(polish_jobs_kernel, J);
  polish_jobs_kernel<<<static_cast<unsigned>(blocks), kThreads>>>(db);
  VITRUM_CUDA_CHECK(cudaGetLastError());
  VITRUM_CUDA_CHECK(cudaDeviceSynchronize());
  std::vector<double> full(jobs.full.size()), se(jobs.full.size()), sc(2 * static_cast<size_t>(J));
  std::vector<int> ints(3 * static_cast<size_t>(J));
  dfull.download(full.data(), full.size());
  dse.download(se.data(), se.size());
  dsc.download(sc.data(), sc.size());
  dints.download(ints.data(), ints.size());
  for (long j = 0; j < J; ++j) {
    if (!jobs.active[j]) continue;
    std::copy_n(full.begin() + j * jobs.n_full, jobs.n_full, jobs.full.begin() + j * jobs.n_full);
    std::copy_n(se.begin() + j * jobs.n_full, jobs.n_full, jobs.se.begin() + j * jobs.n_full);
    jobs.deviance[j] = sc[2 * j];
    jobs.chi2[j] = sc[2 * j + 1];
    jobs.status[j] = ints[3 * j];
    jobs.iterations[j] = ints[3 * j + 1];
  }
}

}  // namespace detail

void launch_spectra_polish(const detail::PolishPlan& p, const PolishBatch& b,
                           const PolishOptions& o, PolishResult& r) {
  const long n = p.channels, count = b.count;
  const int nf = p.map.n_full, nbg = static_cast<int>(p.model.background.size());
  if (count == 0) return;
  // Host side: counts, starts and backgrounds exactly as the CPU backend prepares them.
  const bool shared_bg = p.curve_stride == 0;
  std::vector<double> y(static_cast<size_t>(count) * n), full(static_cast<size_t>(count) * nf);
  std::vector<double> bg(static_cast<size_t>(shared_bg ? 1 : count) * nbg * n + 1);
  std::vector<int> valid(count);
  for (long f = 0; f < count; ++f) {
    valid[f] = detail::spectrum_setup(p, b, f, y.data() + f * n, full.data() + f * nf) ? 1 : 0;
    if (!shared_bg || f == 0) detail::spectrum_background(p, b, f, bg.data() + f * nbg * n);
  }
  cuda::DeviceArray<math::ParamMap> dmap(1);
  dmap.upload(&p.map, 1);
  cuda::DeviceArray<double> dx(n), dw(n), dy(y.size()), dbg(bg.size()), dfull(full.size()),
      dse(full.size()), dsc(2 * static_cast<size_t>(count));
  cuda::DeviceArray<int> dvalid(count), dints(3 * static_cast<size_t>(count));
  dx.upload(p.x);
  dw.upload(p.w);
  dy.upload(y);
  dbg.upload(bg);
  dfull.upload(full);
  dvalid.upload(valid);
  const DeviceJobs db{
      dmap.data(),   o.control,    dx.data(),  dw.data(),
      dy.data(),     dbg.data(),   n,          shared_bg ? 0 : static_cast<long>(nbg) * n,
      count,         nf,           nullptr,    nullptr,
      dvalid.data(), dfull.data(), dse.data(), dsc.data(),
      dints.data()};
  const long blocks = resident_blocks(polish_jobs_kernel, count);
  polish_jobs_kernel<<<static_cast<unsigned>(blocks), kThreads>>>(db);
  VITRUM_CUDA_CHECK(cudaGetLastError());
  VITRUM_CUDA_CHECK(cudaDeviceSynchronize());
  std::vector<double> se(full.size()), sc(2 * static_cast<size_t>(count));
  std::vector<int> ints(3 * static_cast<size_t>(count));
  dfull.download(full.data(), full.size());
  dse.download(se.data(), se.size());
  dsc.download(sc.data(), sc.size());
  dints.download(ints.data(), ints.size());
  for (long f = 0; f < count; ++f) {
    std::copy_n(full.begin() + f * nf, nf, r.params.begin() + f * nf);
    if (!valid[f]) continue;
    std::copy_n(se.begin() + f * nf, nf, r.se.begin() + f * nf);
    const math::PolishOut out{r.params.data() + f * nf,
                              r.se.data() + f * nf,
                              sc[2 * f],
                              sc[2 * f + 1],
                              ints[3 * f + 1],
                              ints[3 * f + 2],
                              static_cast<math::PolishStatus>(ints[3 * f])};
    detail::store_outcome(p, out, f, r);
  }
}

}  // namespace vitrum::spectra
