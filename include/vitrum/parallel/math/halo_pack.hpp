#pragma once
/// \file halo_pack.hpp
/// The element operations of a halo exchange, single source for the host loops and the CUDA
/// kernels (kernels/parallel/device_halo.cu): one call per element k of a swap's send list.

#include "vitrum/core/hd.hpp"
#include "vitrum/core/vec3.hpp"

namespace vitrum::parallel {

/// Forward: the k-th atom sent, at its periodic image (dst[k] = src[index[k]] + shift).
VITRUM_HD void pack_shifted(int k, const int* index, const Vec3* src, Vec3 shift, Vec3* dst) {
  dst[k] = src[index[k]] + shift;
}

/// Reverse: the force on the k-th ghost returned, added onto the atom it is an image of
/// (dst[index[k]] += src[k]). The indices of one swap are distinct: no two k write one entry.
VITRUM_HD void unpack_add(int k, const int* index, const Vec3* src, Vec3* dst) {
  dst[index[k]] += src[k];
}

}  // namespace vitrum::parallel
