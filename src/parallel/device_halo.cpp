/// \file device_halo.cpp
/// Without the CUDA backend the device halo cannot be made (kernels/parallel/device_halo.cu
/// defines it otherwise).
#include "vitrum/parallel/device_halo.hpp"

#ifndef VITRUM_HAVE_CUDA
#include "vitrum/core/error.hpp"

namespace vitrum::parallel {

struct DeviceHalo::Impl {};

DeviceHalo::DeviceHalo(const Comm&, GpuMpiMode) {
  fail("the device halo exchange needs the CUDA backend; this vitrum was built without CUDA");
}
DeviceHalo::~DeviceHalo() = default;
void DeviceHalo::attach(const HaloPlan&) {}
void DeviceHalo::forward(const Box&, const std::vector<Vec3>&) {}
void DeviceHalo::reverse(std::vector<Vec3>&) {}
Vec3* DeviceHalo::positions() {
  return nullptr;
}
Vec3* DeviceHalo::forces() {
  return nullptr;
}
void DeviceHalo::download_positions(std::vector<Vec3>&) const {}
bool DeviceHalo::direct() const {
  return false;
}
const std::string& DeviceHalo::describe() const {
  static const std::string none = "no device halo (built without CUDA)";
  return none;
}
std::size_t DeviceHalo::memory_bytes() const {
  return 0;
}

}  // namespace vitrum::parallel
#endif
