// The CUDA device space (vitrum/core/exec_space.hpp): cudaMalloc'd memory and cudaMemcpy on the
// default stream, in issue order with the kernels of core/launch_cuda.cuh.
#include <cuda_runtime.h>

#include "core/device.cuh"
#include "vitrum/core/error.hpp"
#include "vitrum/core/exec_space.hpp"

namespace vitrum::exec {

namespace {

class CudaSpace final : public Space {
 public:
  SpaceKind kind() const override { return SpaceKind::Cuda; }
  void* allocate(std::size_t bytes) override {
    void* p = nullptr;
    VITRUM_CUDA_CHECK(cudaMalloc(&p, bytes > 0 ? bytes : 1));
    return p;
  }
  void deallocate(void* ptr) noexcept override { cudaFree(ptr); }
  void copy_on_device(void* dst, const void* src, std::size_t bytes) override {
    if (bytes > 0) VITRUM_CUDA_CHECK(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDeviceToDevice, 0));
  }
  void zero(void* dst, std::size_t bytes) override {
    if (bytes > 0) VITRUM_CUDA_CHECK(cudaMemsetAsync(dst, 0, bytes, 0));
  }
  void synchronize() override { VITRUM_CUDA_CHECK(cudaStreamSynchronize(0)); }

 protected:
  // Synchronous copies: the host source may be reused and the host destination read at once.
  void raw_to_device(void* dst, const void* src, std::size_t bytes) override {
    if (bytes > 0) VITRUM_CUDA_CHECK(cudaMemcpy(dst, src, bytes, cudaMemcpyHostToDevice));
  }
  void raw_to_host(void* dst, const void* src, std::size_t bytes) override {
    if (bytes > 0) VITRUM_CUDA_CHECK(cudaMemcpy(dst, src, bytes, cudaMemcpyDeviceToHost));
  }
};

}  // namespace

std::unique_ptr<Space> make_cuda_space() {
  if (cuda::device_count() == 0) fail("the CUDA device space needs a CUDA device; none is usable");
  return std::make_unique<CudaSpace>();
}

}  // namespace vitrum::exec
