// The device halo (vitrum/parallel/device_halo.hpp): send lists and position/force arrays in
// device memory, pack/unpack kernels calling the single-source element operations, and MPI on
// device pointers (CUDA-aware) or through pinned host buffers. The swap sequence itself is
// halo_exec.hpp's, shared with the host plan.
#include <cuda_runtime.h>

#include <algorithm>

#include "core/device_array.cuh"
#include "vitrum/core/error.hpp"
#include "vitrum/parallel/device_halo.hpp"
#include "vitrum/parallel/halo_exec.hpp"
#include "vitrum/parallel/math/halo_pack.hpp"

namespace vitrum::parallel {

namespace {

constexpr int kThreads = 256;

__global__ void pack_kernel(int n, const int* index, const Vec3* src, Vec3 shift, Vec3* dst) {
  const int k = blockIdx.x * blockDim.x + threadIdx.x;
  if (k < n) pack_shifted(k, index, src, shift, dst);
}

__global__ void unpack_add_kernel(int n, const int* index, const Vec3* src, Vec3* dst) {
  const int k = blockIdx.x * blockDim.x + threadIdx.x;
  if (k < n) unpack_add(k, index, src, dst);
}

int blocks(int n) {
  return (n + kThreads - 1) / kThreads;
}

/// Page-locked host memory that grows and is reused.
class PinnedBuffer {
 public:
  PinnedBuffer() = default;
  ~PinnedBuffer() {
    if (ptr_) cudaFreeHost(ptr_);
  }
  PinnedBuffer(const PinnedBuffer&) = delete;
  PinnedBuffer& operator=(const PinnedBuffer&) = delete;
  void reserve(std::size_t n) {
    if (n <= cap_) return;
    if (ptr_) VITRUM_CUDA_CHECK(cudaFreeHost(ptr_));
    ptr_ = nullptr;
    cap_ = 0;
    VITRUM_CUDA_CHECK(cudaMallocHost(&ptr_, std::max<std::size_t>(n, 1) * sizeof(Vec3)));
    cap_ = std::max<std::size_t>(n, 1);
  }
  Vec3* data() { return ptr_; }
  std::size_t bytes() const { return cap_ * sizeof(Vec3); }

 private:
  Vec3* ptr_ = nullptr;
  std::size_t cap_ = 0;
};

/// Copies on the default stream, for staged_sendrecv.
struct StreamCopy {
  void to_host(Vec3* dst, const Vec3* src, int n) {
    VITRUM_CUDA_CHECK(cudaMemcpyAsync(dst, src, n * sizeof(Vec3), cudaMemcpyDeviceToHost, 0));
  }
  void to_device(Vec3* dst, const Vec3* src, int n) {
    VITRUM_CUDA_CHECK(cudaMemcpyAsync(dst, src, n * sizeof(Vec3), cudaMemcpyHostToDevice, 0));
  }
  void wait() { VITRUM_CUDA_CHECK(cudaStreamSynchronize(0)); }
};

}  // namespace

struct DeviceHalo::Impl {
  Comm comm;
  GpuMpiChoice choice;
  const HaloPlan* plan = nullptr;
  std::vector<long> first;  ///< offset of each swap's send list in `index`
  cuda::DeviceArray<int> index;
  cuda::DeviceArray<Vec3> pos, force, buf;
  PinnedBuffer send_host, recv_host;

  // ---- the memory space of halo_exec.hpp
  const int* send_list(std::size_t s) const { return index.data() + first[s]; }
  Vec3* buffer() { return buf.data(); }
  void pack(const int* idx, int n, const Vec3* src, Vec3 shift, Vec3* dst) {
    if (n == 0) return;
    pack_kernel<<<blocks(n), kThreads>>>(n, idx, src, shift, dst);
    VITRUM_CUDA_CHECK(cudaGetLastError());
  }
  void unpack_add(const int* idx, int n, const Vec3* src, Vec3* dst) {
    if (n == 0) return;
    unpack_add_kernel<<<blocks(n), kThreads>>>(n, idx, src, dst);
    VITRUM_CUDA_CHECK(cudaGetLastError());
  }
  void sendrecv(const Vec3* send, int n_send, int dest, Vec3* recv, int n_recv, int source,
                int tag) {
    if (choice.direct) {
      // MPI reads what the kernels wrote: finish them first. MPI_Sendrecv returns with the
      // receive complete, so later kernels may read it.
      VITRUM_CUDA_CHECK(cudaStreamSynchronize(0));
      comm.sendrecv(reinterpret_cast<const double*>(send), 3L * n_send, dest,
                    reinterpret_cast<double*>(recv), 3L * n_recv, source, tag);
      return;
    }
    // Staged: device -> pinned, MPI between pinned buffers, pinned -> device (halo_exec.hpp).
    StreamCopy copy;
    staged_sendrecv(comm, copy, send_host.data(), recv_host.data(), send, n_send, dest, recv,
                    n_recv, source, tag);
  }
};

DeviceHalo::DeviceHalo(const Comm& comm, GpuMpiMode mode) : impl_(std::make_unique<Impl>()) {
  impl_->comm = comm;
  impl_->choice = choose_gpu_mpi(mode, detect_gpu_mpi());
}

DeviceHalo::~DeviceHalo() = default;

void DeviceHalo::attach(const HaloPlan& plan) {
  Impl& m = *impl_;
  m.plan = &plan;
  const auto& swaps = plan.swaps();
  m.first.assign(swaps.size() + 1, 0);
  std::size_t largest = 0;
  for (std::size_t s = 0; s < swaps.size(); ++s) {
    m.first[s + 1] = m.first[s] + static_cast<long>(swaps[s].send_index.size());
    largest = std::max(
        {largest, swaps[s].send_index.size(), static_cast<std::size_t>(swaps[s].recv_count)});
  }
  std::vector<int> flat(static_cast<std::size_t>(m.first.back()));
  for (std::size_t s = 0; s < swaps.size(); ++s)
    std::copy(swaps[s].send_index.begin(), swaps[s].send_index.end(), flat.begin() + m.first[s]);
  m.index.resize(std::max<std::size_t>(flat.size(), 1));
  if (!flat.empty()) m.index.upload(flat);
  const std::size_t n_all = static_cast<std::size_t>(plan.n_local() + plan.n_ghost());
  m.pos.resize(std::max<std::size_t>(n_all, 1));
  m.force.resize(std::max<std::size_t>(n_all, 1));
  m.buf.resize(std::max<std::size_t>(largest, 1));
  if (!m.choice.direct) {
    m.send_host.reserve(largest);
    m.recv_host.reserve(largest);
  }
}

void DeviceHalo::forward(const Box& box, const std::vector<Vec3>& local_positions) {
  Impl& m = *impl_;
  if (m.plan == nullptr) fail("device halo: forward() before attach()");
  const int n = m.plan->n_local();
  if (static_cast<int>(local_positions.size()) != n)
    fail("device halo: {} local positions for a plan with {} locals", local_positions.size(), n);
  if (n > 0)
    VITRUM_CUDA_CHECK(cudaMemcpyAsync(m.pos.data(), local_positions.data(), n * sizeof(Vec3),
                                      cudaMemcpyHostToDevice, 0));
  halo_forward(m.plan->swaps(), m.comm.rank(), box, m.pos.data(), m);
}

void DeviceHalo::reverse(std::vector<Vec3>& local_forces) {
  Impl& m = *impl_;
  if (m.plan == nullptr) fail("device halo: reverse() before attach()");
  halo_reverse(m.plan->swaps(), m.comm.rank(), m.force.data(), m);
  const int n = m.plan->n_local();
  local_forces.resize(n);
  if (n > 0) m.force.download(local_forces.data(), n);  // synchronous: waits for the kernels
}

Vec3* DeviceHalo::positions() {
  return impl_->pos.data();
}
Vec3* DeviceHalo::forces() {
  return impl_->force.data();
}

void DeviceHalo::download_positions(std::vector<Vec3>& shell_positions) const {
  const Impl& m = *impl_;
  const int n = m.plan == nullptr ? 0 : m.plan->n_local() + m.plan->n_ghost();
  shell_positions.resize(n);
  if (n > 0) m.pos.download(shell_positions.data(), n);
}

bool DeviceHalo::direct() const {
  return impl_->choice.direct;
}
const std::string& DeviceHalo::describe() const {
  return impl_->choice.describe;
}

std::size_t DeviceHalo::memory_bytes() const {
  const Impl& m = *impl_;
  return m.index.bytes() + m.pos.bytes() + m.force.bytes() + m.buf.bytes() + m.send_host.bytes() +
         m.recv_host.bytes();
}

}  // namespace vitrum::parallel
