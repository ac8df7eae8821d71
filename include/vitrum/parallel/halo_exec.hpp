#pragma once
/// \file halo_exec.hpp
/// Applying a halo plan (comm_plan.hpp), written once for every memory space. The host plan
/// (HaloPlan::forward/reverse, arrays in host memory) and the device halo (device_halo.hpp,
/// arrays in GPU memory) run the same sequence of swaps through these templates; a memory
/// space supplies the element operations and the transport:
///
///   const int* send_list(s)             the send list of swap s, in that space's memory
///   Vec3* buffer()                      scratch for the largest swap, in that space's memory
///   void pack(idx, n, src, shift, dst)  dst[k] = src[idx[k]] + shift, k < n   (math/halo_pack.hpp)
///   void unpack_add(idx, n, src, dst)   dst[idx[k]] += src[k],         k < n (math/halo_pack.hpp)
///   void sendrecv(send, n_send, dest, recv, n_recv, source, tag)
///                                       MPI_Sendrecv of Vec3 arrays in that space's memory
///                                       (directly, or staged through host buffers)
///
/// Forward: in plan order, each swap gathers its atoms (+ the periodic image shift of the
/// current cell) and either writes them in place (a periodic self-exchange) or sends them to
/// its neighbor while receiving its ghosts. Reverse: in the opposite order, each swap sends the
/// forces on the ghosts it received back to where they came from, which adds them onto the
/// atoms it sent. Later swaps read what earlier ones received (edges, corners, multi-hop), so
/// the order is the plan's and is kept on the device by one stream.

#include <vector>

#include "vitrum/core/structure.hpp"
#include "vitrum/core/vec3.hpp"
#include "vitrum/parallel/comm.hpp"
#include "vitrum/parallel/comm_plan.hpp"

namespace vitrum::parallel {

template <class Space>
void halo_forward(const std::vector<HaloSwap>& swaps, int me, const Box& box, Vec3* pos,
                  Space& space) {
  for (std::size_t s = 0; s < swaps.size(); ++s) {
    const HaloSwap& sw = swaps[s];
    const Vec3 shift = static_cast<double>(sw.image) * box.h[sw.dim];
    const int n = static_cast<int>(sw.send_index.size());
    const int* index = space.send_list(s);
    if (sw.send_rank == me && sw.recv_rank == me) {
      // The send list only names entries before recv_first, so gathering in place is safe.
      space.pack(index, n, pos, shift, pos + sw.recv_first);
      continue;
    }
    Vec3* buf = space.buffer();
    space.pack(index, n, pos, shift, buf);
    space.sendrecv(buf, n, sw.send_rank, pos + sw.recv_first, sw.recv_count, sw.recv_rank,
                   static_cast<int>(s));
  }
}

template <class Space>
void halo_reverse(const std::vector<HaloSwap>& swaps, int me, Vec3* forces, Space& space) {
  for (std::size_t s = swaps.size(); s-- > 0;) {
    const HaloSwap& sw = swaps[s];
    const int n = static_cast<int>(sw.send_index.size());
    const int* index = space.send_list(s);
    const Vec3* in = forces + sw.recv_first;
    if (!(sw.send_rank == me && sw.recv_rank == me)) {
      Vec3* buf = space.buffer();
      space.sendrecv(forces + sw.recv_first, sw.recv_count, sw.recv_rank, buf, n, sw.send_rank,
                     static_cast<int>(s));
      in = buf;
    }
    // The indices of one swap are distinct, so the scatter-add is race free.
    space.unpack_add(index, n, in, forces);
  }
}

/// A sendrecv through host staging buffers, for memory MPI must not be given (device memory
/// without a CUDA-aware MPI): the outgoing array is copied to `host_send`, MPI runs between the
/// host buffers, and the incoming array is copied from `host_recv`. `Copy` supplies
/// to_host(dst, src, n) and to_device(dst, src, n) (may be asynchronous, in order) and wait()
/// (all copies issued so far complete). Waiting before MPI also completes the previous call's
/// to_device from `host_recv`, so one pair of buffers serves every swap.
template <class Copy>
void staged_sendrecv(const Comm& comm, Copy& copy, Vec3* host_send, Vec3* host_recv,
                     const Vec3* send, int n_send, int dest, Vec3* recv, int n_recv, int source,
                     int tag) {
  if (n_send > 0) copy.to_host(host_send, send, n_send);
  copy.wait();
  comm.sendrecv(reinterpret_cast<const double*>(host_send), 3L * n_send, dest,
                reinterpret_cast<double*>(host_recv), 3L * n_recv, source, tag);
  if (n_recv > 0) copy.to_device(recv, host_recv, n_recv);
}

}  // namespace vitrum::parallel
