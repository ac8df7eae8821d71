// The device MD kernels on a CUDA device: vitrum/md/device_kernels_impl.hpp with the CUDA
// launcher (the same functors the emulated device runs in host loops).
#include "core/launch_cuda.cuh"
#include "vitrum/core/error.hpp"
#include "vitrum/md/device_kernels_impl.hpp"

namespace vitrum::md {

std::unique_ptr<DeviceMdKernels> make_cuda_md_kernels(exec::Space& space) {
  if (space.kind() != exec::SpaceKind::Cuda)
    fail("CUDA device kernels need the CUDA space, got {}", to_string(space.kind()));
  return std::make_unique<device_ops::Kernels<exec::CudaLauncher>>(space);
}

}  // namespace vitrum::md
