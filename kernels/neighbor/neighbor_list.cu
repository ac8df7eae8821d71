#include <thrust/binary_search.h>
#include <thrust/device_ptr.h>
#include <thrust/iterator/counting_iterator.h>
#include <thrust/scan.h>
#include <thrust/sequence.h>
#include <thrust/sort.h>

#include <algorithm>
#include <cmath>

#include "core/device_array.cuh"
#include "neighbor/neighbor_list.cuh"

namespace vitrum::neighbor::cuda {

using vitrum::cuda::DeviceArray;

namespace {

struct Grid {
  double lo[3];
  double inv_edge[3];
  int dim[3];
};

__device__ int cell_coord(const Grid& g, double x, int d) {
  int c = static_cast<int>((x - g.lo[d]) * g.inv_edge[d]);
  return c < 0 ? 0 : (c >= g.dim[d] ? g.dim[d] - 1 : c);
}

__global__ void bin_kernel(const Vec3* pos, int n, Grid g, int* cell, int* idx) {
  const int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i >= n) return;
  const Vec3 p = pos[i];
  cell[i] =
      (cell_coord(g, p.z, 2) * g.dim[1] + cell_coord(g, p.y, 1)) * g.dim[0] + cell_coord(g, p.x, 0);
  idx[i] = i;
}

// Visits every atom j != i within the cutoff, cells in a fixed order (deterministic).
template <typename F>
__device__ void for_each_neighbor(const Vec3* pos, const Grid& g, const int* cell_start,
                                  const int* sorted_idx, int i, double rc2, F&& f) {
  const Vec3 p = pos[i];
  const int cx = cell_coord(g, p.x, 0), cy = cell_coord(g, p.y, 1), cz = cell_coord(g, p.z, 2);
  for (int z = max(cz - 1, 0); z <= min(cz + 1, g.dim[2] - 1); ++z)
    for (int y = max(cy - 1, 0); y <= min(cy + 1, g.dim[1] - 1); ++y)
      for (int x = max(cx - 1, 0); x <= min(cx + 1, g.dim[0] - 1); ++x) {
        const int c = (z * g.dim[1] + y) * g.dim[0] + x;
        for (int s = cell_start[c]; s < cell_start[c + 1]; ++s) {
          const int j = sorted_idx[s];
          if (j == i) continue;
          const Vec3 d = pos[j] - p;
          if (dot(d, d) < rc2) f(j);
        }
      }
}

__global__ void count_kernel(const Vec3* pos, int n_local, Grid g, const int* cell_start,
                             const int* sorted_idx, double rc2, int* count) {
  const int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i >= n_local) return;
  int c = 0;
  for_each_neighbor(pos, g, cell_start, sorted_idx, i, rc2, [&](int) { ++c; });
  count[i] = c;
}

__global__ void fill_kernel(const Vec3* pos, int n_local, Grid g, const int* cell_start,
                            const int* sorted_idx, double rc2, const int* offsets, int* nbr) {
  const int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i >= n_local) return;
  int q = offsets[i];
  for_each_neighbor(pos, g, cell_start, sorted_idx, i, rc2, [&](int j) { nbr[q++] = j; });
}

}  // namespace

struct NeighborBuilder::Impl {
  DeviceArray<int> cell, sorted_idx, cell_start, offsets, neighbors, t_entries, t_keys, t_offsets;
  long entries = 0;
};

NeighborBuilder::NeighborBuilder() : impl_(new Impl) {}
NeighborBuilder::~NeighborBuilder() = default;
long NeighborBuilder::entries() const {
  return impl_->entries;
}
const int* NeighborBuilder::offsets() const {
  return impl_->offsets.data();
}
const int* NeighborBuilder::neighbors() const {
  return impl_->neighbors.data();
}
const int* NeighborBuilder::transposed_entries() const {
  return impl_->t_entries.data();
}
const int* NeighborBuilder::transposed_offsets() const {
  return impl_->t_offsets.data();
}
size_t NeighborBuilder::device_bytes() const {
  auto& m = *impl_;
  return m.cell.bytes() + m.sorted_idx.bytes() + m.cell_start.bytes() + m.offsets.bytes() +
         m.neighbors.bytes() + m.t_entries.bytes() + m.t_keys.bytes() + m.t_offsets.bytes();
}

void NeighborBuilder::build(const Vec3* d_pos, int n_local, int n_total, Vec3 lo, Vec3 hi,
                            double cutoff) {
  auto& m = *impl_;
  Grid g;
  long ncell = 1;
  for (int d = 0; d < 3; ++d) {
    const double len = std::max(hi[d] - lo[d], 1e-12);
    g.dim[d] = std::max(1, std::min(1024, static_cast<int>(len / cutoff)));
    g.lo[d] = lo[d];
    g.inv_edge[d] = g.dim[d] / len;
    ncell *= g.dim[d];
  }
  const int threads = 128;
  const int blocks_total = (n_total + threads - 1) / threads;
  const int blocks_local = (n_local + threads - 1) / threads;
  m.cell.resize(n_total);
  m.sorted_idx.resize(n_total);
  bin_kernel<<<std::max(blocks_total, 1), threads>>>(d_pos, n_total, g, m.cell.data(),
                                                     m.sorted_idx.data());
  VITRUM_CUDA_CHECK(cudaGetLastError());
  thrust::device_ptr<int> cell(m.cell.data()), idx(m.sorted_idx.data());
  thrust::stable_sort_by_key(cell, cell + n_total, idx);
  m.cell_start.resize(ncell + 1);
  thrust::device_ptr<int> start(m.cell_start.data());
  thrust::lower_bound(cell, cell + n_total, thrust::counting_iterator<int>(0),
                      thrust::counting_iterator<int>(static_cast<int>(ncell) + 1), start);
  m.offsets.resize(n_local + 1);
  m.offsets.zero();
  const double rc2 = cutoff * cutoff;
  count_kernel<<<std::max(blocks_local, 1), threads>>>(d_pos, n_local, g, m.cell_start.data(),
                                                       m.sorted_idx.data(), rc2, m.offsets.data());
  VITRUM_CUDA_CHECK(cudaGetLastError());
  thrust::device_ptr<int> off(m.offsets.data());
  thrust::exclusive_scan(off, off + n_local + 1, off);
  int total = 0;
  VITRUM_CUDA_CHECK(
      cudaMemcpy(&total, m.offsets.data() + n_local, sizeof(int), cudaMemcpyDeviceToHost));
  m.entries = total;
  m.neighbors.resize(std::max(total, 1));
  fill_kernel<<<std::max(blocks_local, 1), threads>>>(d_pos, n_local, g, m.cell_start.data(),
                                                      m.sorted_idx.data(), rc2, m.offsets.data(),
                                                      m.neighbors.data());
  VITRUM_CUDA_CHECK(cudaGetLastError());
  // Transposed list: entry indices stably sorted by their target atom.
  m.t_keys.resize(std::max(total, 1));
  m.t_entries.resize(std::max(total, 1));
  VITRUM_CUDA_CHECK(cudaMemcpy(m.t_keys.data(), m.neighbors.data(), total * sizeof(int),
                               cudaMemcpyDeviceToDevice));
  thrust::device_ptr<int> keys(m.t_keys.data()), ent(m.t_entries.data());
  thrust::sequence(ent, ent + total);
  thrust::stable_sort_by_key(keys, keys + total, ent);
  m.t_offsets.resize(n_total + 1);
  thrust::device_ptr<int> toff(m.t_offsets.data());
  thrust::lower_bound(keys, keys + total, thrust::counting_iterator<int>(0),
                      thrust::counting_iterator<int>(n_total + 1), toff);
}

}  // namespace vitrum::neighbor::cuda
