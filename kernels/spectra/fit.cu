// CUDA backend of the EM fit: the per-spectrum algorithm of vitrum/spectra/math/em.hpp run by
// one warp per spectrum, several spectra per block. A spectrum's passes over its channels are
// short (≈ 250 screening channels), so the sums are reduced with warp shuffles alone: lane 0
// adds the 32 partial sums in a fixed tree order and broadcasts the total, so every lane holds
// the same state and runs the M-step itself. Deterministic for a given device.
#include <cuda_runtime.h>

#include <algorithm>
#include <vector>

#include "core/device.cuh"
#include "core/device_array.cuh"
#include "spectra/fit.cuh"
#include "vitrum/spectra/math/em.hpp"

namespace vitrum::spectra {

namespace {

constexpr int kWarpsPerBlock = 4;
constexpr int kThreads = 32 * kWarpsPerBlock;

/// Executor of one warp (see math::SerialExec for the contract).
struct WarpExec {
  static constexpr bool kStaged = false;  ///< fused E-passes: recomputing beats the traffic
  __device__ int lane() const { return static_cast<int>(threadIdx.x & 31u); }
  __device__ int lanes() const { return 32; }
  __device__ bool leader() const { return (threadIdx.x & 31u) == 0; }
  __device__ void sync() const { __syncwarp(); }
  __device__ void reduce(double* v, int m) const {
    for (int i = 0; i < m; ++i) {
      double x = v[i];
      for (int o = 16; o > 0; o >>= 1) x += __shfl_down_sync(0xffffffffu, x, o);
      v[i] = __shfl_sync(0xffffffffu, x, 0);
    }
  }
};

/// Doubles of workspace one warp needs (see math::Workspace).
__host__ __device__ long workspace_doubles(int n, int nb) {
  return 4L * n + 3L * nb + static_cast<long>(math::kMaxParams) * math::kMaxParams;
}

__global__ void __launch_bounds__(kThreads)
    spectra_fit_kernel(math::EmProblem pb, const float* spectra, long stride, long first,
                       long count, double scale, math::ResultView out, double* pool,
                       math::EmState* states) {
  const WarpExec ex;
  const long warp = static_cast<long>(blockIdx.x) * kWarpsPerBlock + (threadIdx.x >> 5);
  const long warps = static_cast<long>(gridDim.x) * kWarpsPerBlock;
  const int n = pb.full.n, nb = pb.screen.n;
  double* p = pool + warp * workspace_doubles(n, nb);
  math::Workspace ws;
  ws.y = p;
  ws.shirley = p + n;
  ws.peaks = p + 2L * n;
  ws.inv_lam = p + 3L * n;
  ws.yb = p + 4L * n;
  ws.smooth = ws.yb + nb;
  ws.resid = ws.smooth + nb;
  ws.info = ws.resid + nb;
  ws.shared = states + warp;
  for (long i = first + warp; i < first + count; i += warps) {
    math::fit_spectrum(ex, pb, spectra + i * stride, i, ws, out, scale);
    __syncwarp();
  }
}

/// Device copies of the result arrays, laid out as math::ResultView.
struct DeviceResults {
  cuda::DeviceArray<int> ints;
  cuda::DeviceArray<double> dbls;
  math::ResultView view;
};

}  // namespace

void launch_spectra_fit(const FitBatch& b) {
  const math::EmProblem& hp = b.problem;
  const long count = b.count;
  if (count <= 0) return;
  const int n = hp.full.n, nb = hp.screen.n;
  const int nbf = hp.model.n_bg_fixed;

  // Grids.
  cuda::DeviceArray<double> grid;
  std::vector<double> g;
  auto put = [&](const double* src, size_t len) {
    const size_t off = g.size();
    g.insert(g.end(), src, src + len);
    return off;
  };
  const size_t ox = put(hp.full.x, n), om = put(hp.full.mult, n),
               ob = put(hp.full.bg, size_t(nbf) * n);
  const size_t sx = put(hp.screen.x, nb), sm = put(hp.screen.mult, nb),
               sb = put(hp.screen.bg, size_t(nbf) * nb);
  grid.upload(g);
  math::EmProblem dp = hp;
  dp.full.x = grid.data() + ox;
  dp.full.mult = grid.data() + om;
  dp.full.bg = grid.data() + ob;
  dp.screen.x = grid.data() + sx;
  dp.screen.mult = grid.data() + sm;
  dp.screen.bg = grid.data() + sb;

  // Spectra (whole rows from the first fitted channel; the kernel reads n of each).
  cuda::DeviceArray<float> spectra;
  spectra.upload(b.spectra, static_cast<size_t>((count - 1) * b.stride + n));

  // Results.
  const math::ResultView& ho = b.out;
  const size_t F = static_cast<size_t>(count), KP = F * ho.max_peaks;
  const size_t NB = F * std::max(ho.n_bg, 1), NK = F * ho.n_k;
  DeviceResults dr;
  dr.ints.resize(4 * F);
  dr.dbls.resize(8 * KP + NB + 3 * F + NK);
  math::ResultView dv = ho;
  int* ip = dr.ints.data();
  dv.n_peaks = ip;
  dv.status = ip + F;
  dv.iterations = ip + 2 * F;
  dv.start = ip + 3 * F;
  double* dp_ = dr.dbls.data();
  double* arrays[8];
  for (int a = 0; a < 8; ++a) arrays[a] = dp_ + a * KP;
  dv.position = arrays[0];
  dv.fwhm = arrays[1];
  dv.area = arrays[2];
  dv.eta = arrays[3];
  dv.position_se = arrays[4];
  dv.fwhm_se = arrays[5];
  dv.area_se = arrays[6];
  dv.eta_se = arrays[7];
  dv.background = dp_ + 8 * KP;
  dv.log_likelihood = dv.background + NB;
  dv.bic = dv.log_likelihood + F;
  dv.total_counts = dv.bic + F;
  dv.bic_by_k = dv.total_counts + F;

  // Launch: as many warps as fit at once, each with its own workspace, in chunks for progress.
  int device = 0, sms = 0, per_sm = 0;
  VITRUM_CUDA_CHECK(cudaGetDevice(&device));
  VITRUM_CUDA_CHECK(cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, device));
  VITRUM_CUDA_CHECK(
      cudaOccupancyMaxActiveBlocksPerMultiprocessor(&per_sm, spectra_fit_kernel, kThreads, 0));
  const long need_blocks = (count + kWarpsPerBlock - 1) / kWarpsPerBlock;
  const long blocks =
      std::max(1L, std::min<long>(need_blocks, static_cast<long>(sms) * std::max(per_sm, 1)));
  cuda::DeviceArray<double> pool(static_cast<size_t>(blocks) * kWarpsPerBlock *
                                 workspace_doubles(n, nb));
  cuda::DeviceArray<math::EmState> states(static_cast<size_t>(blocks) * kWarpsPerBlock);
  const long resident = blocks * kWarpsPerBlock;
  const long chunk = b.progress ? std::max(resident * 4, count / 20) : count;
  for (long first = 0; first < count; first += chunk) {
    const long len = std::min(chunk, count - first);
    const unsigned grid_blocks =
        static_cast<unsigned>(std::min(blocks, (len + kWarpsPerBlock - 1) / kWarpsPerBlock));
    spectra_fit_kernel<<<grid_blocks, kThreads>>>(dp, spectra.data(), b.stride, first, len,
                                                  b.intensity_scale, dv, pool.data(),
                                                  states.data());
    VITRUM_CUDA_CHECK(cudaGetLastError());
    VITRUM_CUDA_CHECK(cudaDeviceSynchronize());
    if (b.progress) b.progress(first + len, count);
  }

  // Copy back.
  std::vector<int> ih(4 * F);
  dr.ints.download(ih.data(), ih.size());
  std::copy(ih.begin(), ih.begin() + F, ho.n_peaks);
  std::copy(ih.begin() + F, ih.begin() + 2 * F, ho.status);
  std::copy(ih.begin() + 2 * F, ih.begin() + 3 * F, ho.iterations);
  std::copy(ih.begin() + 3 * F, ih.begin() + 4 * F, ho.start);
  std::vector<double> dh(dr.dbls.size());
  dr.dbls.download(dh.data(), dh.size());
  double* dst[8] = {ho.position,    ho.fwhm,    ho.area,    ho.eta,
                    ho.position_se, ho.fwhm_se, ho.area_se, ho.eta_se};
  for (int a = 0; a < 8; ++a) std::copy(dh.begin() + a * KP, dh.begin() + (a + 1) * KP, dst[a]);
  size_t o = 8 * KP;
  if (ho.n_bg > 0) std::copy(dh.begin() + o, dh.begin() + o + F * ho.n_bg, ho.background);
  o += NB;
  std::copy(dh.begin() + o, dh.begin() + o + F, ho.log_likelihood);
  o += F;
  std::copy(dh.begin() + o, dh.begin() + o + F, ho.bic);
  o += F;
  std::copy(dh.begin() + o, dh.begin() + o + F, ho.total_counts);
  o += F;
  std::copy(dh.begin() + o, dh.begin() + o + NK, ho.bic_by_k);
}

}  // namespace vitrum::spectra
