#pragma once
/// \file device_neighbor_impl.hpp
/// DeviceNeighbor (device_neighbor.hpp) written once over a launcher (exec::HostLauncher or
/// exec::CudaLauncher) and a set of primitives `Prim` (exclusive scan and stable sort by key:
/// sequential host loops on the emulated device, Thrust/CUB on CUDA). Instantiated in
/// src/neighbor/device_neighbor.cpp and kernels/neighbor/device_neighbor.cu. Host-compilable.

#include <algorithm>
#include <array>
#include <atomic>
#include <cmath>
#include <cstdint>
#include <vector>

#include "vitrum/core/error.hpp"
#include "vitrum/core/exec_space.hpp"
#include "vitrum/core/math/block_reduce.hpp"
#include "vitrum/neighbor/device_neighbor.hpp"
#include "vitrum/neighbor/math/device_nlist.hpp"

namespace vitrum::neighbor {
namespace device_nl {

/// Six image bounds of one atom (the unit the wrap writes and the reorder permutes).
struct Range6 {
  int v[6];
};

/// index[i] = i.
struct FillIndex {
  int* index;
  VITRUM_HD void operator()(long i) const { index[i] = static_cast<int>(i); }
};

/// a[i] = v.
struct FillInt {
  int* a;
  int v;
  VITRUM_HD void operator()(long i) const { a[i] = v; }
};

/// out[n] = out[n-1] + in[n-1] after an exclusive scan of n entries: the total in place.
struct ScanTotal {
  const int* in;
  int* out;
  long n;
  VITRUM_HD void operator()(long) const { out[n] = out[n - 1] + in[n - 1]; }
};

std::uint64_t next_build_id();

template <class Launcher, class Prim>
class Builder final : public DeviceNeighbor {
 public:
  explicit Builder(exec::Space& space)
      : space_(space),
        launch_{&space},
        red_a_(space),
        red_b_(space),
        range_(space),
        bad_(space),
        images_(space),
        image_shift_(space),
        flag_(space),
        slot_(space),
        image_count_(space),
        image_base_(space),
        pos_(space),
        species_(space),
        owner_(space),
        shift_(space),
        ghost_image_(space),
        key_(space),
        index_(space),
        sorted_pos_(space),
        cell_start_(space),
        count_(space),
        offsets_(space),
        neighbors_(space),
        sfc_key_(space),
        order_(space),
        tmp_(space) {}

  void wrap(const Box& box, double width, long n, Vec3* pos, std::array<int, 3>* image) override {
    range_.resize(static_cast<std::size_t>(std::max(n, 1L)));
    bad_.resize(static_cast<std::size_t>(std::max(n, 1L)));
    n_wrapped_ = n;
    if (!box.periodic || n == 0) return;
    const CellGeom g = geometry(box, width);
    launch_.for_each(n, Wrap{pos, image, reinterpret_cast<int*>(range_.data()), bad_.data(), g});
    if (reduce<1>(n, CountTerm{bad_.data()}, "reduce:nlist_finite")[0] > 0.0)
      fail("device neighbor list: a position is not finite (the run became unstable)");
  }

  void sort_order(const Box& box, double cell_edge, long n, const Vec3* pos,
                  const int* origin) override {
    n_order_ = n;
    order_.resize(static_cast<std::size_t>(std::max(n, 1L)));
    if (n == 0) return;
    CellGeom g{};
    int dims[3] = {1, 1, 1};
    if (box.periodic) {
      g = geometry(box, 0.0);
      const Vec3 height = box.heights();
      for (int d = 0; d < 3; ++d)
        dims[d] = static_cast<int>(std::clamp(std::floor(height[d] / cell_edge), 1.0, 1024.0));
    }
    sfc_key_.resize(static_cast<std::size_t>(n));
    launch_.for_each(
        n, SfcKey{pos, origin, g, {dims[0], dims[1], dims[2]}, sfc_key_.data(), order_.data()});
    Prim::sort_pairs(sfc_key_.data(), order_.data(), n);
    ++stats_.reorders;
    if (n_wrapped_ == n && box.periodic) permute_with(range_.data());
  }
  void permute(Vec3* a) override { permute_with(a); }
  void permute(double* a) override { permute_with(a); }
  void permute(int* a) override { permute_with(a); }
  void permute(std::array<int, 3>* a) override { permute_with(a); }
  const int* order() const override { return order_.data(); }
  void unpermute(const Vec3* src, const int* origin, long n, Vec3* dst) override {
    launch_.for_each(n, Scatter<Vec3>{src, origin, dst});
  }

  void build(const DeviceRebuildInput& in, long n, const Vec3* pos, const int* species) override {
    if (!(in.cutoff > 0.0) || !(in.skin >= 0.0) || !std::isfinite(in.cutoff + in.skin))
      fail("device neighbor list: need cutoff > 0 and skin >= 0, got cutoff {} and skin {}",
           in.cutoff, in.skin);
    const double r_list = in.cutoff + in.skin;
    list_ = DeviceListView{};
    list_.cutoff = in.cutoff;
    list_.skin = in.skin;
    list_.n_local = static_cast<int>(n);
    list_.build_id = next_build_id();
    shell_.width = r_list;
    build_shell(in.box, n, pos, species);
    build_list(r_list);
    ++stats_.builds;
  }
  void sort_by_key(std::uint64_t* key, long n) override {
    n_order_ = n;
    order_.resize(static_cast<std::size_t>(std::max(n, 1L)));
    if (n == 0) return;
    launch_.for_each(n, FillIndex{order_.data()});
    Prim::sort_pairs(key, order_.data(), n);
  }
  void set_shell(long n_local, long n_all, double width) override {
    const std::size_t cap = static_cast<std::size_t>(std::max(n_all, 1L));
    pos_.resize(cap);
    species_.resize(cap);
    owner_.resize(cap);
    shift_.resize(cap);
    ghost_image_.resize(static_cast<std::size_t>(std::max(n_all - n_local, 1L)));
    if (n_local > 0) launch_.for_each(n_local, LocalIdentity{owner_.data(), shift_.data()});
    if (n_all > n_local) {
      launch_.for_each(n_all - n_local, FillInt{owner_.data() + n_local, -1});
      space_.zero(shift_.data() + n_local,
                  static_cast<std::size_t>(n_all - n_local) * sizeof(Vec3));
      space_.zero(ghost_image_.data(),
                  static_cast<std::size_t>(n_all - n_local) * sizeof(std::array<int, 3>));
    }
    max_image_ = {0, 0, 0};
    shell_.n_local = static_cast<int>(n_local);
    shell_.n_all = static_cast<int>(n_all);
    shell_.width = width;
    shell_.positions = pos_.data();
    shell_.species = species_.data();
    shell_.owner = owner_.data();
    shell_.shift = shift_.data();
    shell_.ghost_image = ghost_image_.data();
  }
  int* shell_species() override { return species_.data(); }
  void build_list(const DeviceRebuildInput& in) override {
    if (!(in.cutoff > 0.0) || !(in.skin >= 0.0) || !std::isfinite(in.cutoff + in.skin))
      fail("device neighbor list: need cutoff > 0 and skin >= 0, got cutoff {} and skin {}",
           in.cutoff, in.skin);
    list_ = DeviceListView{};
    list_.cutoff = in.cutoff;
    list_.skin = in.skin;
    list_.n_local = shell_.n_local;
    list_.build_id = next_build_id();
    build_list(in.cutoff + in.skin);
    ++stats_.builds;
  }
  DeviceShellView shell() const override { return shell_; }
  DeviceListView list() const override { return list_; }
  std::array<int, 3> max_image() const override { return max_image_; }
  Vec3* shell_positions() override { return pos_.data(); }
  Vec3* shifts() override { return shift_.data(); }
  double min_pair_distance() override {
    if (list_.entries == 0) return HUGE_VAL;
    const double m =
        reduce<1>(list_.n_local, MinDistanceTerm{pos_.data(), offsets_.data(), neighbors_.data()},
                  "reduce:min_distance")[0];
    return std::sqrt(-m);
  }
  const DeviceNeighborStats& stats() const override { return stats_; }
  DeviceNeighborMemory memory() const override {
    DeviceNeighborMemory m;
    m.shell =
        pos_.bytes() + species_.bytes() + owner_.bytes() + shift_.bytes() + ghost_image_.bytes();
    m.list = count_.bytes() + offsets_.bytes() + neighbors_.bytes();
    m.build = device_bytes() - m.shell - m.list;
    return m;
  }
  std::size_t device_bytes() const override {
    return red_a_.bytes() + red_b_.bytes() + range_.bytes() + bad_.bytes() + images_.bytes() +
           image_shift_.bytes() + flag_.bytes() + slot_.bytes() + image_count_.bytes() +
           image_base_.bytes() + pos_.bytes() + species_.bytes() + owner_.bytes() + shift_.bytes() +
           ghost_image_.bytes() + key_.bytes() + index_.bytes() + sorted_pos_.bytes() +
           cell_start_.bytes() + count_.bytes() + offsets_.bytes() + neighbors_.bytes() +
           sfc_key_.bytes() + order_.bytes() + tmp_.bytes();
  }

 private:
  static CellGeom geometry(const Box& box, double width) {
    CellGeom g;
    g.recip[0] = cross(box.h[1], box.h[2]);
    g.recip[1] = cross(box.h[2], box.h[0]);
    g.recip[2] = cross(box.h[0], box.h[1]);
    g.inv_volume = 1.0 / dot(box.h[0], g.recip[0]);
    const Vec3 height = box.heights();
    for (int d = 0; d < 3; ++d) {
      if (!(height[d] > 0.0) || !std::isfinite(height[d]))
        fail(
            "device neighbor list: the periodic cell has zero or invalid height {} along cell "
            "vector {}; expected three linearly independent lattice vectors",
            height[d], "abc"[d]);
      g.h[d] = box.h[d];
      g.m[d] = width / height[d];
    }
    return g;
  }

  template <class T>
  void permute_with(T* a) {
    static_assert(alignof(T) <= alignof(double), "permute(): the shared buffer is double-aligned");
    const long n = n_order_;
    if (n == 0) return;
    const std::size_t bytes = static_cast<std::size_t>(n) * sizeof(T);
    tmp_.resize((bytes + sizeof(double) - 1) / sizeof(double));
    T* tmp = reinterpret_cast<T*>(tmp_.data());
    launch_.for_each(n, Gather<T>{a, order_.data(), tmp});
    space_.copy_on_device(a, tmp, bytes);
  }

  /// Exclusive scan of n ints into out[0..n] (out[n]: the total, returned).
  int scan(const int* in, int* out, long n, const char* name) {
    if (n == 0) return 0;
    Prim::exclusive_scan(in, out, n);
    launch_.for_each(1, ScanTotal{in, out, n});
    int total = 0;
    space_.to_host(&total, out + n, sizeof(int), name);
    return total;
  }

  void build_shell(const Box& box, long n, const Vec3* pos, const int* species) {
    long n_img = 0;
    max_image_ = {0, 0, 0};
    std::vector<std::array<int, 3>> images;
    if (box.periodic && n > 0) {
      if (n_wrapped_ != n)
        fail("device neighbor list: build() of {} atoms after wrap() of {}", n, n_wrapped_);
      const auto ext = reduce<6>(n, RangeTerm{reinterpret_cast<const int*>(range_.data())},
                                 "reduce:image_range");
      int lo[3], hi[3];
      for (int d = 0; d < 3; ++d) {
        lo[d] = std::min(0, -static_cast<int>(ext[d]));
        hi[d] = std::max(0, static_cast<int>(ext[3 + d]));
      }
      for (int d = 0; d < 3; ++d) max_image_[d] = std::max(-lo[d], hi[d]);
      images = ordered_images(lo, hi);
      n_img = static_cast<long>(images.size());
    }
    std::vector<Vec3> shifts(images.size());
    for (std::size_t k = 0; k < images.size(); ++k)
      shifts[k] = static_cast<double>(images[k][0]) * box.h[0] +
                  static_cast<double>(images[k][1]) * box.h[1] +
                  static_cast<double>(images[k][2]) * box.h[2];
    // Ghosts image by image (flags and scan over the n atoms of one image at a time: 8 B per
    // atom, not per (image, atom)): the counts per image, their scan (each image's first ghost,
    // on the device; the total up), then the fill, in the host shell's order.
    long n_ghost = 0;
    if (n_img > 0) {
      images_.upload(images.data(), images.size(), "rebuild:image_list");
      image_shift_.upload(shifts.data(), shifts.size(), "rebuild:image_list");
      flag_.resize(static_cast<std::size_t>(n));
      slot_.resize(static_cast<std::size_t>(n + 1));
      image_count_.resize(static_cast<std::size_t>(n_img));
      image_base_.resize(static_cast<std::size_t>(n_img + 1));
      for (long k = 0; k < n_img; ++k) {
        image_scan(k, n);
        launch_.for_each(1, CopyTotal{slot_.data(), n, image_count_.data(), static_cast<int>(k)});
      }
      n_ghost = scan(image_count_.data(), image_base_.data(), n_img, "nlist:ghosts");
    }
    const long n_all = n + n_ghost;
    const std::size_t cap = static_cast<std::size_t>(std::max(n_all, 1L));
    pos_.resize(cap);
    species_.resize(cap);
    owner_.resize(cap);
    shift_.resize(cap);
    ghost_image_.resize(static_cast<std::size_t>(std::max(n_ghost, 1L)));
    if (n > 0) {
      space_.copy_on_device(pos_.data(), pos, static_cast<std::size_t>(n) * sizeof(Vec3));
      space_.copy_on_device(species_.data(), species, static_cast<std::size_t>(n) * sizeof(int));
      launch_.for_each(n, LocalIdentity{owner_.data(), shift_.data()});
    }
    if (n_ghost > 0)
      for (long k = 0; k < n_img; ++k) {
        image_scan(k, n);
        launch_.for_each(
            n, GhostFillImage{flag_.data(), slot_.data(), image_base_.data(), static_cast<int>(k),
                              images[k], shifts[k], n, pos_.data(), species_.data(), owner_.data(),
                              shift_.data(), ghost_image_.data()});
      }
    shell_.n_local = static_cast<int>(n);
    shell_.n_all = static_cast<int>(n_all);
    shell_.positions = pos_.data();
    shell_.species = species_.data();
    shell_.owner = owner_.data();
    shell_.shift = shift_.data();
    shell_.ghost_image = ghost_image_.data();
  }

  /// flag_ (n) = atom i has a ghost in image k; slot_ (n + 1) = their exclusive scan and total.
  void image_scan(long k, long n) {
    launch_.for_each(n, ImageFlag{reinterpret_cast<const int*>(range_.data()), images_.data() + k,
                                  n, flag_.data()});
    Prim::exclusive_scan(flag_.data(), slot_.data(), n);
    launch_.for_each(1, ScanTotal{flag_.data(), slot_.data(), n});
  }

  void bin(double r_list) {
    const long n_all = shell_.n_all;
    const auto b = reduce<6>(n_all, BoundsTerm{pos_.data()}, "reduce:bounds");
    grid_ = cell_grid_from_bounds(Vec3{-b[0], -b[1], -b[2]}, Vec3{b[3], b[4], b[5]}, n_all,
                                  r_list * (1.0 + 1e-9));
    const std::size_t cap = static_cast<std::size_t>(n_all);
    key_.resize(cap);
    index_.resize(cap);
    sorted_pos_.resize(cap);
    launch_.for_each(n_all, BinKey{pos_.data(), grid_, key_.data(), index_.data()});
    Prim::sort_pairs(key_.data(), index_.data(), n_all);
    launch_.for_each(n_all, Gather<Vec3>{pos_.data(), index_.data(), sorted_pos_.data()});
    const long nc = grid_.n_cells();
    cell_start_.resize(static_cast<std::size_t>(nc + 1));
    launch_.for_each(nc + 1, CellStart{key_.data(), n_all, cell_start_.data()});
  }

  void build_list(double r_list) {
    const long n = shell_.n_local;
    offsets_.resize(static_cast<std::size_t>(n + 1));
    count_.resize(static_cast<std::size_t>(std::max(n, 1L)));
    if (n == 0) {
      space_.zero(offsets_.data(), sizeof(int));
      list_.offsets = offsets_.data();
      return;
    }
    bin(r_list);
    const Search search{pos_.data(),  sorted_pos_.data(), index_.data(), cell_start_.data(),
                        grid_,        r_list * r_list,    nullptr,       nullptr,
                        count_.data()};
    launch_.for_each(n, search);  // count pass
    list_.max_neighbors =
        static_cast<int>(reduce<1>(n, CountTerm{count_.data()}, "reduce:max_neighbors")[0]);
    const int entries = scan(count_.data(), offsets_.data(), n, "nlist:entries");
    neighbors_.resize(static_cast<std::size_t>(std::max(entries, 1)));
    Search fill = search;  // fill pass: the rows written in place, sorted
    fill.offsets = offsets_.data();
    fill.neighbors = neighbors_.data();
    launch_.for_each(n, fill);
    list_.entries = entries;
    list_.count = count_.data();
    list_.offsets = offsets_.data();
    list_.neighbors = neighbors_.data();
  }

  template <int W, class Term>
  std::array<double, W> reduce(long n, const Term& term, const char* name) {
    const std::size_t need = static_cast<std::size_t>(vitrum::math::reduce_blocks(n) + 1) * W;
    if (red_a_.size() < need) {
      red_a_.resize(need);
      red_b_.resize(need);
    }
    std::array<double, W> out{};
    launch_.template reduce<W>(n, term, vitrum::math::MaxOp{}, red_a_.data(), red_b_.data(),
                               out.data(), name);
    return out;
  }

  exec::Space& space_;
  Launcher launch_;
  exec::DeviceBuffer<double> red_a_, red_b_;
  exec::DeviceBuffer<Range6> range_;
  exec::DeviceBuffer<int> bad_;
  exec::DeviceBuffer<std::array<int, 3>> images_;
  exec::DeviceBuffer<Vec3> image_shift_;
  exec::DeviceBuffer<int> flag_, slot_, image_count_, image_base_;
  exec::DeviceBuffer<Vec3> pos_;
  exec::DeviceBuffer<int> species_, owner_;
  exec::DeviceBuffer<Vec3> shift_;
  exec::DeviceBuffer<std::array<int, 3>> ghost_image_;
  exec::DeviceBuffer<int> key_, index_;  ///< index_: cell_atoms after the sort
  exec::DeviceBuffer<Vec3> sorted_pos_;
  exec::DeviceBuffer<int> cell_start_, count_, offsets_, neighbors_;
  exec::DeviceBuffer<std::uint64_t> sfc_key_;
  exec::DeviceBuffer<int> order_;
  /// The gather target of permute(), shared by every element type (in doubles: aligned for all).
  exec::DeviceBuffer<double> tmp_;
  CellGrid grid_;
  DeviceShellView shell_;
  DeviceListView list_;
  DeviceNeighborStats stats_;
  std::array<int, 3> max_image_{0, 0, 0};
  long n_wrapped_ = -1, n_order_ = 0;
};

}  // namespace device_nl
}  // namespace vitrum::neighbor
