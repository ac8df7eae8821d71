#pragma once
/// \file device_neighbor.hpp
/// The ghost shell and Verlet list of a serial periodic (or open) cell built in the memory of a
/// device space (exec::Space: a CUDA GPU or the emulated device of CPU CI) from device
/// positions, with only scalars reaching the host:
///
///   wrap       the locals into the cell, their image counts updated (one thread per atom);
///   reorder    (optional, every few rebuilds) the locals along a Morton curve over cells of the
///              cell, keyed by (cell code, original index): the caller permutes its per-atom
///              arrays with permute() (gathers on the device);
///   ghosts     every periodic image within the shell width: per-atom slab ranges, their extent
///              (a max reduction, 48 bytes), the image list of that extent (layer by layer, as
///              neighbor::build_ghost_shell orders it; a few hundred bytes up, independent of N),
///              per image flags over the atoms and their scan (each image's count; the counts'
///              scan gives its first ghost), then per image the fill: the host shell's order;
///   cells      bounding box (a reduction), cell keys, a stable sort by key (CUB/Thrust radix
///              sort on CUDA, std::stable_sort on the emulated device), cell starts by binary
///              search;
///   list       one thread per local scans the 27 cells twice: a count pass (per-atom counts,
///              the longest row by a max reduction, CSR offsets by a scan) and a fill pass that
///              writes each row into its CSR slot and sorts it by shell index. One copy of the
///              list (CSR: what the force-field kernels read), never truncated.
///
/// Without the reorder the shell and list equal neighbor::build_ghost_shell and
/// neighbor::build_neighbor_list entry for entry (tests/md/device_neighbor_test.cpp).

#include <array>
#include <cstdint>
#include <memory>
#include <vector>

#include "vitrum/core/exec_space.hpp"
#include "vitrum/core/structure.hpp"
#include "vitrum/core/vec3.hpp"
#include "vitrum/neighbor/cell_list.hpp"

namespace vitrum::neighbor {

/// The shell in device memory: locals [0, n_local), ghosts [n_local, n_all).
struct DeviceShellView {
  int n_local = 0;
  int n_all = 0;
  double width = 0.0;
  const Vec3* positions = nullptr;
  const int* species = nullptr;
  const int* owner = nullptr;                       ///< n_all: the local each entry images
  const Vec3* shift = nullptr;                      ///< n_all: positions[g] - positions[owner[g]]
  const std::array<int, 3>* ghost_image = nullptr;  ///< n_all - n_local: cell vectors of ghosts
};

/// The Verlet list in device memory (CSR, rows ascending by shell index).
struct DeviceListView {
  double cutoff = 0.0;
  double skin = 0.0;
  int n_local = 0;
  long entries = 0;                ///< pairs (each from both sides)
  int max_neighbors = 0;           ///< longest row
  const int* count = nullptr;      ///< n_local: row lengths
  const int* offsets = nullptr;    ///< CSR, n_local + 1
  const int* neighbors = nullptr;  ///< CSR, entries
  std::uint64_t build_id = 0;      ///< unique per build (never 0)
};

/// What one rebuild needs besides the positions.
struct DeviceRebuildInput {
  Box box;
  double cutoff = 0.0;
  double skin = 0.0;
  bool reorder = false;  ///< sort the locals along the space-filling curve this time
};

/// Device memory of a DeviceNeighbor (bytes), by what it holds.
struct DeviceNeighborMemory {
  std::size_t shell = 0;  ///< shell positions, species, owners, shifts, ghost image vectors
  std::size_t list = 0;   ///< the Verlet list: CSR offsets and entries, row lengths
  std::size_t build = 0;  ///< rebuild scratch kept between rebuilds (cells, sort keys, flags)
  std::size_t total() const { return shell + list + build; }
};

/// Counters of the builds so far.
struct DeviceNeighborStats {
  long builds = 0;
  long reorders = 0;
};

class DeviceNeighbor {
 public:
  virtual ~DeviceNeighbor() = default;

  /// Wraps the n device positions `pos` into the box (periodic only) and updates `image`
  /// (device, n entries). Throws vitrum::Error for a non-finite position.
  virtual void wrap(const Box& box, double width, long n, Vec3* pos, std::array<int, 3>* image) = 0;
  /// The space-filling-curve order of the n wrapped device positions: afterwards permute()
  /// gathers any per-atom array into it (new slot k <- old slot order[k]). `origin` (device, n)
  /// breaks ties, so the order is a function of the positions and origins alone.
  virtual void sort_order(const Box& box, double cell_edge, long n, const Vec3* pos,
                          const int* origin) = 0;
  virtual void permute(Vec3* a) = 0;
  virtual void permute(double* a) = 0;
  virtual void permute(int* a) = 0;
  virtual void permute(std::array<int, 3>* a) = 0;
  /// The slot order of the last sort_order (device; n entries).
  virtual const int* order() const = 0;
  /// dst[origin[k]] = src[k] for k < n (device arrays): back to the original order.
  virtual void unpermute(const Vec3* src, const int* origin, long n, Vec3* dst) = 0;

  /// Builds the shell (width cutoff + skin) from the n wrapped device positions and species,
  /// and the list of its locals within cutoff + skin.
  virtual void build(const DeviceRebuildInput& in, long n, const Vec3* pos, const int* species) = 0;

  // ---- a shell made by the caller (MPI domain decomposition: locals then the halo plan's ghosts)
  /// The order of the n device keys (stable; `key` is sorted in place): afterwards permute()
  /// gathers any per-atom array into it (new slot k <- old slot order[k]).
  virtual void sort_by_key(std::uint64_t* key, long n) = 0;
  /// Sizes the shell for n_local locals and n_all - n_local ghosts of width `width`: owners are
  /// the locals themselves and -1 for the ghosts (their atoms live on other ranks or are images
  /// of locals made by the caller), shifts and ghost image counts zero. The caller then fills
  /// shell_positions() and shell_species() (n_all each) and calls build_list().
  virtual void set_shell(long n_local, long n_all, double width) = 0;
  virtual int* shell_species() = 0;
  /// The list of the caller's shell (set_shell) within cutoff + skin; `in.box` is not used.
  virtual void build_list(const DeviceRebuildInput& in) = 0;
  virtual DeviceShellView shell() const = 0;
  virtual DeviceListView list() const = 0;
  /// Largest |image index| of a ghost per cell direction (for the rebuild criterion under a
  /// changing cell).
  virtual std::array<int, 3> max_image() const = 0;
  /// The shell positions (device, n_all), for the caller's per-step ghost update.
  virtual Vec3* shell_positions() = 0;
  virtual Vec3* shifts() = 0;
  /// Smallest pair distance (Å) in the list at the build's positions (a device reduction; +inf
  /// without pairs).
  virtual double min_pair_distance() = 0;
  virtual const DeviceNeighborStats& stats() const = 0;
  virtual std::size_t device_bytes() const = 0;
  /// device_bytes() by what the memory holds.
  virtual DeviceNeighborMemory memory() const = 0;
};

/// The builder of `space` (emulated or CUDA; the latter throws in a build without CUDA). The
/// space must outlive it.
std::unique_ptr<DeviceNeighbor> make_device_neighbor(exec::Space& space);
/// The CUDA instantiation (kernels/neighbor/device_neighbor.cu).
std::unique_ptr<DeviceNeighbor> make_cuda_device_neighbor(exec::Space& space);

/// The ordered image list of build_ghost_shell for the extent [lo_d, hi_d] (origin excluded):
/// layer by layer (Chebyshev norm), lexicographic within a layer.
std::vector<std::array<int, 3>> ordered_images(const int lo[3], const int hi[3]);

}  // namespace vitrum::neighbor
