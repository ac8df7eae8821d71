/// \file comm_plan.cpp
/// The halo plan: staged ghost selection with multi-hop swaps (build), position gather (forward)
/// and ghost-force scatter-add (reverse). See comm_plan.hpp.

#include "vitrum/parallel/comm_plan.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "vitrum/core/error.hpp"
#include "vitrum/parallel/halo_exec.hpp"
#include "vitrum/parallel/math/halo_pack.hpp"

namespace vitrum::parallel {
namespace {

// Fractional tolerance of the slab test: atoms this close to a slab boundary are sent anyway,
// so rounding in fractional coordinates never drops a needed ghost (as in neighbor/ghosts.cpp).
constexpr double kSlabTolerance = 1e-10;

/// What a ghost carries when the plan is built.
struct GhostRecord {
  Vec3 r;
  int species;
  int id;
  int image[3];
  int pad;
};

/// Reciprocal rows g_d with s_d = g_d · r (fractional coordinates of the current cell).
std::array<Vec3, 3> reciprocal_rows(const Box& box) {
  const Vec3 bc = cross(box.h[1], box.h[2]);
  const Vec3 ca = cross(box.h[2], box.h[0]);
  const Vec3 ab = cross(box.h[0], box.h[1]);
  const double inv_v = 1.0 / dot(box.h[0], bc);
  return {inv_v * bc, inv_v * ca, inv_v * ab};
}

/// Host memory for halo_exec.hpp: OpenMP loops over the single-source element operations and
/// MPI on the host arrays.
struct HostHaloSpace {
  const std::vector<HaloSwap>& swaps;
  std::vector<Vec3>& scratch;
  const Comm& comm;

  const int* send_list(std::size_t s) const { return swaps[s].send_index.data(); }
  Vec3* buffer() { return scratch.data(); }
  void pack(const int* index, int n, const Vec3* src, Vec3 shift, Vec3* dst) const {
#pragma omp parallel for schedule(static) if (n > 20000)
    for (int k = 0; k < n; ++k) pack_shifted(k, index, src, shift, dst);
  }
  void unpack_add(const int* index, int n, const Vec3* src, Vec3* dst) const {
#pragma omp parallel for schedule(static) if (n > 20000)
    for (int k = 0; k < n; ++k) parallel::unpack_add(k, index, src, dst);
  }
  void sendrecv(const Vec3* send, int n_send, int dest, Vec3* recv, int n_recv, int source,
                int tag) const {
    comm.sendrecv(reinterpret_cast<const double*>(send), 3L * n_send, dest,
                  reinterpret_cast<double*>(recv), 3L * n_recv, source, tag);
  }
};

#ifdef VITRUM_HAVE_MPI
/// Exchanges a vector of trivially copyable records with two ranks: `send` goes to `dest`, the
/// returned vector comes from `source` (counts first, then the data).
template <typename T>
std::vector<T> exchange(const Comm& comm, const std::vector<T>& send, int dest, int source,
                        int tag) {
  int n_send = static_cast<int>(send.size()), n_recv = 0;
  MPI_Sendrecv(&n_send, 1, MPI_INT, dest, tag, &n_recv, 1, MPI_INT, source, tag, comm.mpi(),
               MPI_STATUS_IGNORE);
  std::vector<T> recv(static_cast<std::size_t>(n_recv));
  const long send_bytes = static_cast<long>(n_send) * static_cast<long>(sizeof(T));
  const long recv_bytes = static_cast<long>(n_recv) * static_cast<long>(sizeof(T));
  if (send_bytes > INT32_MAX || recv_bytes > INT32_MAX)
    fail("halo exchange: {} / {} atoms exceed what one MPI message holds", n_send, n_recv);
  MPI_Sendrecv(send.data(), static_cast<int>(send_bytes), MPI_BYTE, dest, tag + 1, recv.data(),
               static_cast<int>(recv_bytes), MPI_BYTE, source, tag + 1, comm.mpi(),
               MPI_STATUS_IGNORE);
  return recv;
}
#endif

}  // namespace

void HaloPlan::build(const Domain& domain, const Box& box, double width,
                     neighbor::GhostShell& shell, std::vector<int>& ids,
                     std::vector<std::array<int, 3>>& images) {
  if (!box.periodic) fail("halo plan: domain decomposition needs a periodic cell");
  if (!(width > 0.0) || !std::isfinite(width))
    fail("halo plan: the halo width must be finite and > 0, got {}", width);
  const int n_local = shell.size();
  if (shell.species.size() != shell.positions.size() || ids.size() != shell.positions.size() ||
      images.size() != shell.positions.size())
    fail("halo plan: {} positions, {} species, {} ids and {} images for the locals",
         shell.positions.size(), shell.species.size(), ids.size(), images.size());
  domain_ = &domain;
  n_local_ = n_local;
  shell.n_local = n_local;
  shell.width = width;
  shell.fold_ghosts = false;
  shell.owner.resize(n_local);
  for (int i = 0; i < n_local; ++i) shell.owner[i] = i;
  shell.shift.assign(n_local, Vec3{0, 0, 0});
  swaps_.clear();

  const Comm& comm = domain.comm();
  const int me = comm.rank();
  const Vec3 height = box.heights();
  const std::array<Vec3, 3> recip = reciprocal_rows(box);
  std::vector<GhostRecord> send;
  for (int d = 0; d < 3; ++d) {
    if (!(height[d] > 0.0) || !std::isfinite(height[d]))
      fail("halo plan: the cell has zero or invalid height {} along cell vector {}", height[d],
           "abc"[d]);
    const int p = domain.grid()[d];
    const double w = width / height[d];
    hops_[d] = std::max(1, static_cast<int>(std::ceil(w * p - 1e-9)));
    const double lo = domain.lower(d), hi = domain.upper(d);
    const int n_before = shell.size();
    // Candidates of the next swap per side: hop 1 chooses among all atoms present before this
    // direction (locals and earlier directions' ghosts), hop k among what hop k-1 brought.
    int cand_first[2] = {0, 0}, cand_count[2] = {n_before, n_before};
    for (int hop = 0; hop < hops_[d]; ++hop) {
      for (int side = 0; side < 2; ++side) {
        HaloSwap sw;
        sw.dim = d;
        sw.dir = side == 0 ? -1 : +1;
        sw.send_rank = domain.neighbor(d, sw.dir);
        sw.recv_rank = domain.neighbor(d, -sw.dir);
        if (sw.dir < 0 && domain.coords()[d] == 0) sw.image = +1;
        if (sw.dir > 0 && domain.coords()[d] == p - 1) sw.image = -1;
        const Vec3 shift = static_cast<double>(sw.image) * box.h[d];
        const int c0 = cand_first[side], c1 = c0 + cand_count[side];
        for (int i = c0; i < c1; ++i) {
          const double s = dot(recip[d], shell.positions[i]);
          const bool take = sw.dir < 0 ? s < lo + w + kSlabTolerance : s >= hi - w - kSlabTolerance;
          if (take) sw.send_index.push_back(i);
        }
        send.resize(sw.send_index.size());
        for (std::size_t k = 0; k < send.size(); ++k) {
          const int i = sw.send_index[k];
          GhostRecord& g = send[k];
          g.r = shell.positions[i] + shift;
          g.species = shell.species[i];
          g.id = ids[i];
          for (int a = 0; a < 3; ++a) g.image[a] = images[i][a] + (a == d ? sw.image : 0);
          g.pad = 0;
        }
        std::vector<GhostRecord> recv;
        if (sw.send_rank == me && sw.recv_rank == me) {
          recv.swap(send);
        } else {
#ifdef VITRUM_HAVE_MPI
          recv =
              exchange(comm, send, sw.send_rank, sw.recv_rank, 2 * static_cast<int>(swaps_.size()));
#else
          fail("halo plan: a neighbor on another rank needs a build with MPI");
#endif
        }
        sw.recv_first = shell.size();
        sw.recv_count = static_cast<int>(recv.size());
        for (const GhostRecord& g : recv) {
          shell.positions.push_back(g.r);
          shell.species.push_back(g.species);
          shell.owner.push_back(-1);
          shell.shift.push_back(Vec3{0, 0, 0});
          ids.push_back(g.id);
          images.push_back({g.image[0], g.image[1], g.image[2]});
        }
        cand_first[side] = sw.recv_first;
        cand_count[side] = sw.recv_count;
        swaps_.push_back(std::move(sw));
      }
    }
  }
  n_ghost_ = shell.size() - n_local_;
  std::size_t largest = 0;
  for (const HaloSwap& sw : swaps_)
    largest = std::max({largest, sw.send_index.size(), static_cast<std::size_t>(sw.recv_count)});
  buffer_.resize(largest);
}

void HaloPlan::forward(const Box& box, std::vector<Vec3>& positions) {
  if (static_cast<int>(positions.size()) != n_local_ + n_ghost_)
    fail("halo forward: {} positions for {} locals and {} ghosts", positions.size(), n_local_,
         n_ghost_);
  HostHaloSpace space{swaps_, buffer_, domain_->comm()};
  halo_forward(swaps_, domain_->comm().rank(), box, positions.data(), space);
}

void HaloPlan::reverse(std::vector<Vec3>& forces) {
  if (static_cast<int>(forces.size()) != n_local_ + n_ghost_)
    fail("halo reverse: {} forces for {} locals and {} ghosts", forces.size(), n_local_, n_ghost_);
  HostHaloSpace space{swaps_, buffer_, domain_->comm()};
  halo_reverse(swaps_, domain_->comm().rank(), forces.data(), space);
}

long HaloPlan::sent_per_step() const {
  long n = 0;
  for (const HaloSwap& sw : swaps_) n += static_cast<long>(sw.send_index.size());
  return n;
}

}  // namespace vitrum::parallel
