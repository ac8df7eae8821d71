#pragma once
/// \file neighbor_list.cuh
/// Cell list and full CSR neighbor list on the GPU (host-compilable declaration). Mirrors the
/// CPU build: atoms are binned into cells of edge >= cutoff (stable sort by cell key, so the
/// order is deterministic), each local atom scans the 27 surrounding cells, counts, a scan gives
/// the offsets, and a second pass fills the list. The transposed list (entries sorted by target
/// atom, stable, so by centre within a target) drives the deterministic force gather.

#include <memory>

#include "vitrum/core/vec3.hpp"

namespace vitrum::neighbor::cuda {

class NeighborBuilder {
 public:
  NeighborBuilder();
  ~NeighborBuilder();
  /// Builds the list of the first n_local of n_total device positions within `cutoff`; lo/hi
  /// bound all positions (host values).
  void build(const Vec3* d_pos, int n_local, int n_total, Vec3 lo, Vec3 hi, double cutoff);
  long entries() const;
  const int* offsets() const;             ///< n_local + 1, device
  const int* neighbors() const;           ///< entries(), device
  const int* transposed_entries() const;  ///< entries sorted by target atom, device
  const int* transposed_offsets() const;  ///< n_total + 1, device
  size_t device_bytes() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace vitrum::neighbor::cuda
