// The device HDNNP evaluator on a CUDA device: vitrum/nnp/device_evaluator_impl.hpp with the
// CUDA launcher, the warp-per-atom team kernels of team_kernels.cuh (the functions the emulated
// device runs with EmulatedTeam), cuBLAS networks (network_cuda.cuh) and Thrust stable sorts for
// the rebuild's transposes. Compiled for sm_90; not yet run on hardware.
#include <thrust/binary_search.h>
#include <thrust/device_ptr.h>
#include <thrust/iterator/counting_iterator.h>
#include <thrust/sequence.h>
#include <thrust/sort.h>

#include <algorithm>

#include "core/launch_cuda.cuh"
#include "nnp/network_cuda.cuh"
#include "nnp/team_kernels.cuh"
#include "vitrum/nnp/device_evaluator_impl.hpp"

namespace vitrum::nnp {
namespace {

template <typename T>
class CudaExec {
 public:
  using Real = T;
  CudaExec(const Potential& pot, const DeviceEvalOptions&, exec::Space& space)
      : space_(space), normalize_(pot.normalize_nodes()) {
    VITRUM_CUBLAS_CHECK(cuda::blas::create(&blas_));
    int dev = 0, optin = 0;
    VITRUM_CUDA_CHECK(cudaGetDevice(&dev));
    VITRUM_CUDA_CHECK(cudaDeviceGetAttribute(&optin, cudaDevAttrMaxSharedMemoryPerBlockOptin, dev));
    smem_optin_ = optin;
    for (const auto& el : pot.elements()) {
      CudaNetwork<T> net;
      net.sizes.push_back(el.layers.front().n_in);
      for (const auto& l : el.layers) {
        net.sizes.push_back(l.n_out);
        net.act.push_back(l.activation);
        net.w.emplace_back();
        net.w.back().upload(std::vector<T>(l.weights.begin(), l.weights.end()));
        net.b.emplace_back();
        net.b.back().upload(std::vector<T>(l.bias.begin(), l.bias.end()));
      }
      nets_.push_back(std::move(net));
    }
  }
  ~CudaExec() { cuda::blas::destroy(blas_); }
  CudaExec(const CudaExec&) = delete;
  CudaExec& operator=(const CudaExec&) = delete;

  exec::CudaLauncher launcher() const { return exec::CudaLauncher{&space_}; }

  /// entries = [0, n) stably sorted by key; offsets[t] = lower bound of t (t <= targets).
  void transpose(const int* keys, long n, int targets, int* entries, int* offsets) {
    keys_.resize(std::max(1L, n));
    if (n > 0)
      VITRUM_CUDA_CHECK(cudaMemcpy(keys_.data(), keys, n * sizeof(int), cudaMemcpyDeviceToDevice));
    thrust::device_ptr<int> k(keys_.data()), e(entries), o(offsets);
    thrust::sequence(e, e + n);
    thrust::stable_sort_by_key(k, k + n, e);
    thrust::lower_bound(k, k + n, thrust::counting_iterator<int>(0),
                        thrust::counting_iterator<int>(targets + 1), o);
  }

  void team_sf(const SfPlanView& p, const TeamInputs& in, const TeamRowsView& rows, int n, int cap,
               T* G, double* dmin) {
    if (n <= 0) return;
    const TeamLaunch t = shape(p, cap, false);
    team_sf_kernel<T><<<blocks(n, t), 32 * t.warps, t.warps * t.stage_bytes>>>(
        p, in, TeamRows{rows.elem, rows.row, rows.g_off}, 0, n, t, G, dmin);
    VITRUM_CUDA_CHECK(cudaGetLastError());
  }

  void team_gradient(const SfPlanView& p, const TeamInputs& in, const TeamRowsView& rows, int n,
                     int cap, const T* dedg, Vec3* grad, double* virial) {
    if (n <= 0) return;
    const TeamLaunch t = shape(p, cap, true);
    team_gradient_kernel<T><<<blocks(n, t), 32 * t.warps, t.warps * t.stage_bytes>>>(
        p, in, TeamRows{rows.elem, rows.row, rows.g_off}, 0, n, 0, t, dedg, grad, virial);
    VITRUM_CUDA_CHECK(cudaGetLastError());
  }

  void network(int e, int n, const T* g, T* energy, T* dedg) {
    run_network(blas_, normalize_, nets_[e], n, g, energy, dedg);
  }

  std::size_t device_bytes() const {
    std::size_t b = keys_.bytes();
    for (const auto& net : nets_) {
      for (const auto& a : net.y) b += a.bytes();
      for (const auto& a : net.d) b += a.bytes();
      b += net.delta.bytes() + net.back.bytes();
    }
    return b;
  }

 private:
  /// The launch shape of a team kernel: a warp's staging area for the longest list row in
  /// shared memory, up to 4 warps per block. A row too long for the shared memory is an error
  /// (the CUDA evaluator backend's legacy fallback is not part of the device path).
  TeamLaunch shape(const SfPlanView& p, int cap, bool grad) {
    TeamLaunch t{};
    t.cap = cap;
    t.stage_bytes = team_stage_bytes(sizeof(T), cap, p.n_elements, p.max_slots, grad);
    if (t.stage_bytes > smem_optin_)
      fail(
          "device HDNNP: the team kernels need {} bytes of shared memory per warp for {} "
          "neighbors, the GPU offers {} per block (a shorter skin or the host engine helps)",
          t.stage_bytes, cap, smem_optin_);
    t.warps = static_cast<int>(std::clamp(48L * 1024 / t.stage_bytes, 1L, 4L));
    const long bytes = t.warps * t.stage_bytes;
    if (bytes > 48L * 1024) {
      if (grad)
        VITRUM_CUDA_CHECK(cudaFuncSetAttribute(
            team_gradient_kernel<T>, cudaFuncAttributeMaxDynamicSharedMemorySize, (int)bytes));
      else
        VITRUM_CUDA_CHECK(cudaFuncSetAttribute(
            team_sf_kernel<T>, cudaFuncAttributeMaxDynamicSharedMemorySize, (int)bytes));
    }
    return t;
  }
  static int blocks(int atoms, const TeamLaunch& t) {
    return std::max(1, (atoms + t.warps - 1) / t.warps);
  }

  exec::Space& space_;
  bool normalize_;
  long smem_optin_ = 0;
  cublasHandle_t blas_ = nullptr;
  std::vector<CudaNetwork<T>> nets_;
  DeviceArray<int> keys_;
};

}  // namespace

std::unique_ptr<DeviceEvaluator> make_cuda_device_evaluator(const Potential& potential,
                                                            DeviceEvalOptions options,
                                                            exec::Space& space) {
  if (space.kind() != exec::SpaceKind::Cuda)
    fail("the CUDA device HDNNP needs a CUDA space, not the {} one", to_string(space.kind()));
  if (options.precision == Precision::Mixed)
    return std::make_unique<device_detail::DeviceHdnnp<CudaExec<float>>>(potential, options, space);
  return std::make_unique<device_detail::DeviceHdnnp<CudaExec<double>>>(potential, options, space);
}

}  // namespace vitrum::nnp
