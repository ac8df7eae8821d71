// The device neighbor list on a CUDA device: vitrum/neighbor/device_neighbor_impl.hpp with the
// CUDA launcher (the same functors the emulated device runs in host loops), the exclusive scan
// and the stable radix sort by key from Thrust (CUB underneath) on the default stream.
#include <thrust/execution_policy.h>
#include <thrust/scan.h>
#include <thrust/sort.h>

#include "core/launch_cuda.cuh"
#include "vitrum/core/error.hpp"
#include "vitrum/neighbor/device_neighbor_impl.hpp"

namespace vitrum::neighbor {
namespace {

struct CudaPrim {
  static void exclusive_scan(const int* in, int* out, long n) {
    thrust::exclusive_scan(thrust::device, in, in + n, out);
  }
  template <class K>
  static void sort_pairs(K* keys, int* values, long n) {
    thrust::stable_sort_by_key(thrust::device, keys, keys + n, values);
  }
};

}  // namespace

std::unique_ptr<DeviceNeighbor> make_cuda_device_neighbor(exec::Space& space) {
  if (space.kind() != exec::SpaceKind::Cuda)
    fail("the CUDA device neighbor list needs the CUDA space, got {}", to_string(space.kind()));
  return std::make_unique<device_nl::Builder<exec::CudaLauncher, CudaPrim>>(space);
}

}  // namespace vitrum::neighbor
