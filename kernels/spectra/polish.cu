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

struct DeviceBatch {
  const math::ParamMap* map;
  math::PolishControl ctl;
  const double *x, *w, *y, *bg;
  long channels, bg_stride, count;
  int n_full;
  const int* valid;
  double *full, *se, *scalars;  ///< scalars: [fit][2] deviance, χ²
  int* ints;                    ///< [fit][3] status, iterations, at_bound
};

__global__ void __launch_bounds__(kThreads) spectra_polish_kernel(DeviceBatch b) {
  const long warp = (static_cast<long>(blockIdx.x) * blockDim.x + threadIdx.x) >> 5;
  const long warps = (static_cast<long>(gridDim.x) * blockDim.x) >> 5;
  const bool leader = (threadIdx.x & 31u) == 0;
  math::PolishWork work;
  double full[math::kPolishMaxFull], se[math::kPolishMaxFull];
  for (long f = warp; f < b.count; f += warps) {
    if (!b.valid[f]) continue;
    for (int i = 0; i < b.n_full; ++i) full[i] = b.full[f * b.n_full + i];
    const WarpPolishSums sums{b.map,     b.x, b.w, b.y + f * b.channels, b.bg + f * b.bg_stride,
                              b.channels};
    math::PolishOut out{full, se, 0.0, 0.0, 0, 0, math::PolishStatus::Converged};
    math::polish_run(*b.map, b.ctl, sums, out, work);
    if (leader) {
      for (int i = 0; i < b.n_full; ++i) {
        b.full[f * b.n_full + i] = full[i];
        b.se[f * b.n_full + i] = se[i];
      }
      b.scalars[2 * f] = out.deviance;
      b.scalars[2 * f + 1] = out.chi2;
      b.ints[3 * f] = static_cast<int>(out.status);
      b.ints[3 * f + 1] = out.iterations;
      b.ints[3 * f + 2] = out.at_bound;
    }
  }
}

}  // namespace

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
  const DeviceBatch db{dmap.data(),
                       o.control,
                       dx.data(),
                       dw.data(),
                       dy.data(),
                       dbg.data(),
                       n,
                       shared_bg ? 0 : nbg * n,
                       count,
                       nf,
                       dvalid.data(),
                       dfull.data(),
                       dse.data(),
                       dsc.data(),
                       dints.data()};
  int device = 0, sms = 0, per_sm = 0;
  VITRUM_CUDA_CHECK(cudaGetDevice(&device));
  VITRUM_CUDA_CHECK(cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, device));
  VITRUM_CUDA_CHECK(
      cudaOccupancyMaxActiveBlocksPerMultiprocessor(&per_sm, spectra_polish_kernel, kThreads, 0));
  const long need = (count + kWarpsPerBlock - 1) / kWarpsPerBlock;
  const long blocks =
      std::max(1L, std::min<long>(need, static_cast<long>(sms) * std::max(per_sm, 1)));
  spectra_polish_kernel<<<static_cast<unsigned>(blocks), kThreads>>>(db);
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
