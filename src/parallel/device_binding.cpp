/// \file device_binding.cpp
/// One rank per GPU: node-local rank numbering and the device choice (device_binding.hpp).

#include "vitrum/parallel/device_binding.hpp"

#include <fmt/format.h>

#include <cerrno>
#include <cstdlib>
#include <optional>

#include "vitrum/core/backend.hpp"
#include "vitrum/core/error.hpp"
#ifdef VITRUM_HAVE_CUDA
#include "core/device.cuh"
#endif

namespace vitrum::parallel {

NodePlacement node_placement(const Comm& world) {
  NodePlacement p;
#ifdef VITRUM_HAVE_MPI
  if (world.size() > 1) {
    MPI_Comm node = MPI_COMM_NULL;
    MPI_Comm_split_type(world.mpi(), MPI_COMM_TYPE_SHARED, world.rank(), MPI_INFO_NULL, &node);
    MPI_Comm_rank(node, &p.local_rank);
    MPI_Comm_size(node, &p.local_size);
    MPI_Comm_free(&node);
  }
#else
  (void)world;
#endif
  return p;
}

int parse_forced_device(const char* value) {
  if (value == nullptr || *value == '\0') return -1;
  char* end = nullptr;
  errno = 0;
  const long k = std::strtol(value, &end, 10);
  if (errno != 0 || end == value || *end != '\0' || k < 0 || k > 1024)
    fail("VITRUM_CUDA_DEVICE = '{}': expected a device index (0, 1, ...)", value);
  return static_cast<int>(k);
}

int choose_device(const NodePlacement& place, int device_count, int forced) {
  if (device_count <= 0)
    fail("the CUDA backend was requested but no CUDA device is visible on this machine");
  if (forced >= 0) {
    if (forced >= device_count)
      fail("VITRUM_CUDA_DEVICE = {} but this rank sees {} CUDA device(s) (0..{})", forced,
           device_count, device_count - 1);
    return forced;
  }
  return place.local_rank % device_count;
}

std::string DeviceBinding::describe() const {
  std::string s = fmt::format("CUDA device {} of {} visible (rank {} of {} on this node)", device,
                              device_count, place.local_rank, place.local_size);
  if (place.local_size > device_count)
    s += fmt::format("; {} ranks share {} device(s) on this node", place.local_size, device_count);
  return s;
}

const DeviceBinding& bind_cuda_device() {
  static std::optional<DeviceBinding> bound;
  if (bound) return *bound;
  require_backend(Backend::Cuda);
  DeviceBinding b;
  b.place = node_placement(Comm::world());
  b.device_count = cuda_device_count();
  b.device = choose_device(b.place, b.device_count,
                           parse_forced_device(std::getenv("VITRUM_CUDA_DEVICE")));
#ifdef VITRUM_HAVE_CUDA
  cuda::set_device(b.device);
#endif
  bound = b;
  return *bound;
}

}  // namespace vitrum::parallel
