/// \file device_neighbor.cpp
/// The device neighbor list on the emulated device (device_neighbor_impl.hpp with the host
/// launcher and sequential, deterministic scan and stable sort), and its host-side helpers: the
/// ordered image list and the cell grid from a bounding box.
#include "vitrum/neighbor/device_neighbor.hpp"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <numeric>

#include "vitrum/core/error.hpp"
#include "vitrum/core/launch_host.hpp"
#include "vitrum/neighbor/device_neighbor_impl.hpp"

namespace vitrum::neighbor {
namespace device_nl {

std::uint64_t next_build_id() {
  static std::atomic<std::uint64_t> ids{0};
  return ++ids;
}

namespace {

/// The emulated device's scan and sort: the "device" memory is host memory.
struct HostPrim {
  static void exclusive_scan(const int* in, int* out, long n) {
    int s = 0;
    for (long i = 0; i < n; ++i) {
      out[i] = s;
      s += in[i];
    }
  }
  template <class K>
  static void sort_pairs(K* keys, int* values, long n) {
    std::vector<long> p(static_cast<std::size_t>(n));
    std::iota(p.begin(), p.end(), 0L);
    std::stable_sort(p.begin(), p.end(), [&](long a, long b) { return keys[a] < keys[b]; });
    std::vector<K> k(static_cast<std::size_t>(n));
    std::vector<int> v(static_cast<std::size_t>(n));
    for (long i = 0; i < n; ++i) {
      k[i] = keys[p[i]];
      v[i] = values[p[i]];
    }
    std::copy(k.begin(), k.end(), keys);
    std::copy(v.begin(), v.end(), values);
  }
};

}  // namespace
}  // namespace device_nl

std::vector<std::array<int, 3>> ordered_images(const int lo[3], const int hi[3]) {
  std::vector<std::array<int, 3>> images;
  for (int a = lo[0]; a <= hi[0]; ++a)
    for (int b = lo[1]; b <= hi[1]; ++b)
      for (int c = lo[2]; c <= hi[2]; ++c)
        if (a != 0 || b != 0 || c != 0) images.push_back({a, b, c});
  auto layer = [](const std::array<int, 3>& v) {
    return std::max({std::abs(v[0]), std::abs(v[1]), std::abs(v[2])});
  };
  std::stable_sort(images.begin(), images.end(),
                   [&](const auto& u, const auto& v) { return layer(u) < layer(v); });
  return images;
}

std::unique_ptr<DeviceNeighbor> make_device_neighbor(exec::Space& space) {
  if (space.kind() == exec::SpaceKind::Cuda) return make_cuda_device_neighbor(space);
  return std::make_unique<device_nl::Builder<exec::HostLauncher, device_nl::HostPrim>>(space);
}

#ifndef VITRUM_HAVE_CUDA
std::unique_ptr<DeviceNeighbor> make_cuda_device_neighbor(exec::Space&) {
  fail("the CUDA device neighbor list needs the CUDA backend; this vitrum was built without CUDA");
}
#endif

}  // namespace vitrum::neighbor
