#pragma once
/// \file space_halo_impl.hpp
/// SpaceHalo's memory space for halo_exec.hpp, written once over a launcher (instantiated in
/// src/parallel/space_halo.cpp and kernels/parallel/space_halo.cu). Host-compilable.

#include <algorithm>
#include <string>
#include <vector>

#include "vitrum/core/error.hpp"
#include "vitrum/core/exec_space.hpp"
#include "vitrum/parallel/halo_exec.hpp"
#include "vitrum/parallel/math/halo_pack.hpp"
#include "vitrum/parallel/space_halo.hpp"

namespace vitrum::parallel {

namespace space_halo_detail {

struct Pack {
  const int* index;
  const Vec3* src;
  Vec3 shift;
  Vec3* dst;
  VITRUM_HD void operator()(long k) const {
    pack_shifted(static_cast<int>(k), index, src, shift, dst);
  }
};

struct Unpack {
  const int* index;
  const Vec3* src;
  Vec3* dst;
  VITRUM_HD void operator()(long k) const { unpack_add(static_cast<int>(k), index, src, dst); }
};

/// Staging copies through the space (counted), for staged_sendrecv.
struct SpaceCopy {
  exec::Space* space;
  void to_host(Vec3* dst, const Vec3* src, int n) {
    space->to_host(dst, src, n * sizeof(Vec3), "halo:staging");
  }
  void to_device(Vec3* dst, const Vec3* src, int n) {
    space->to_device(dst, src, n * sizeof(Vec3), "halo:staging");
  }
  void wait() { space->synchronize(); }
};

}  // namespace space_halo_detail

/// The per-launcher part of SpaceHalo: attach/forward/reverse.
struct SpaceHalo::Impl {
  virtual ~Impl() = default;
  virtual void attach(const HaloPlan& plan) = 0;
  virtual void forward(const Box& box, Vec3* pos) = 0;
  virtual void reverse(Vec3* forces) = 0;
};

template <class Launcher>
class SpaceHaloT final : public SpaceHalo::Impl {
 public:
  SpaceHaloT(exec::Space& space, const Comm& comm, bool direct)
      : space_(space), launch_{&space}, comm_(comm), direct_(direct), index_(space), buf_(space) {}

  // ---- the memory space of halo_exec.hpp
  const int* send_list(std::size_t s) const { return index_.data() + first_[s]; }
  Vec3* buffer() { return buf_.data(); }
  void pack(const int* idx, int n, const Vec3* src, Vec3 shift, Vec3* dst) {
    launch_.for_each(n, space_halo_detail::Pack{idx, src, shift, dst});
  }
  void unpack_add(const int* idx, int n, const Vec3* src, Vec3* dst) {
    launch_.for_each(n, space_halo_detail::Unpack{idx, src, dst});
  }
  void sendrecv(const Vec3* send, int n_send, int dest, Vec3* recv, int n_recv, int source,
                int tag) {
    if (direct_) {
      space_.synchronize();  // MPI reads what the kernels wrote
      comm_.sendrecv(reinterpret_cast<const double*>(send), 3L * n_send, dest,
                     reinterpret_cast<double*>(recv), 3L * n_recv, source, tag);
      return;
    }
    space_halo_detail::SpaceCopy copy{&space_};
    staged_sendrecv(comm_, copy, send_host_.data(), recv_host_.data(), send, n_send, dest, recv,
                    n_recv, source, tag);
  }

  // ---- SpaceHalo
  void attach(const HaloPlan& plan) override {
    plan_ = &plan;
    const auto& swaps = plan.swaps();
    first_.assign(swaps.size() + 1, 0);
    std::size_t largest = 1;
    for (std::size_t s = 0; s < swaps.size(); ++s) {
      first_[s + 1] = first_[s] + static_cast<long>(swaps[s].send_index.size());
      largest = std::max(
          {largest, swaps[s].send_index.size(), static_cast<std::size_t>(swaps[s].recv_count)});
    }
    std::vector<int> flat(static_cast<std::size_t>(first_.back()));
    for (std::size_t s = 0; s < swaps.size(); ++s)
      std::copy(swaps[s].send_index.begin(), swaps[s].send_index.end(), flat.begin() + first_[s]);
    index_.resize(std::max<std::size_t>(flat.size(), 1));
    index_.upload(flat.data(), flat.size(), "halo:send_lists");
    buf_.resize(largest);
    if (!direct_) {
      send_host_.resize(largest);
      recv_host_.resize(largest);
    }
  }
  void forward(const Box& box, Vec3* pos) override {
    if (plan_ == nullptr) fail("space halo: forward() before attach()");
    halo_forward(plan_->swaps(), comm_.rank(), box, pos, *this);
  }
  void reverse(Vec3* forces) override {
    if (plan_ == nullptr) fail("space halo: reverse() before attach()");
    halo_reverse(plan_->swaps(), comm_.rank(), forces, *this);
  }

 private:
  exec::Space& space_;
  Launcher launch_;
  Comm comm_;
  bool direct_;
  const HaloPlan* plan_ = nullptr;
  std::vector<long> first_;
  exec::DeviceBuffer<int> index_;
  exec::DeviceBuffer<Vec3> buf_;
  std::vector<Vec3> send_host_, recv_host_;
};

/// The CUDA instantiation (kernels/parallel/space_halo.cu).
std::unique_ptr<SpaceHalo::Impl> make_cuda_space_halo(exec::Space& space, const Comm& comm,
                                                      bool direct);

}  // namespace vitrum::parallel
