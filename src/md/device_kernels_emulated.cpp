/// \file device_kernels_emulated.cpp
/// The device MD kernels on the emulated device: device_kernels_impl.hpp with the host launcher.
#include "vitrum/core/error.hpp"
#include "vitrum/core/launch_host.hpp"
#include "vitrum/md/device_kernels_impl.hpp"

namespace vitrum::md {

std::unique_ptr<DeviceMdKernels> make_emulated_md_kernels(exec::Space& space) {
  if (space.kind() != exec::SpaceKind::Emulated)
    fail("emulated device kernels need the emulated space, got {}", to_string(space.kind()));
  return std::make_unique<device_ops::Kernels<exec::HostLauncher>>(space);
}

std::unique_ptr<DeviceMdKernels> make_device_md_kernels(exec::Space& space) {
  return space.kind() == exec::SpaceKind::Cuda ? make_cuda_md_kernels(space)
                                               : make_emulated_md_kernels(space);
}

#ifndef VITRUM_HAVE_CUDA
std::unique_ptr<DeviceMdKernels> make_cuda_md_kernels(exec::Space&) {
  fail("the CUDA device MD kernels need the CUDA backend; this vitrum was built without CUDA");
}
#endif

}  // namespace vitrum::md
