#pragma once
/// \file device_halo.hpp
/// The halo exchange of a domain-decomposed run on the GPU: the positions and forces of a rank's
/// locals and ghosts live in device memory, the plan's send lists are uploaded at each rebuild,
/// and every step the ghosts are packed, exchanged and unpacked on the device by the same swap
/// sequence as the host plan (halo_exec.hpp, element operations from math/halo_pack.hpp):
///
///   forward   the locals' positions go up (n_local atoms, not the whole shell), then each swap
///             packs its atoms with their image shift in a kernel and sends them; the ghosts
///             arrive in place in the device position array the force field reads;
///   reverse   the force field leaves the forces on locals and ghosts in the device force array;
///             each swap (in reverse order) returns the ghost forces and a kernel adds them onto
///             the atoms sent; only the locals' forces come down.
///
/// Device buffers reach MPI directly with a CUDA-aware MPI, otherwise through pinned host
/// buffers (gpu_mpi.hpp: detected at run time, overridable). Periodic self-exchanges (a
/// direction with one rank) never leave the device. Kernels run on the default stream, in
/// order with the force field's kernels; the stream is synchronised only before MPI reads a
/// buffer. Needs the CUDA backend (throws vitrum::Error in a build without it).

#include <memory>
#include <string>
#include <vector>

#include "vitrum/core/structure.hpp"
#include "vitrum/core/vec3.hpp"
#include "vitrum/parallel/comm.hpp"
#include "vitrum/parallel/comm_plan.hpp"
#include "vitrum/parallel/gpu_mpi.hpp"

namespace vitrum::parallel {

class DeviceHalo {
 public:
  /// Resolves `mode` against what the MPI library reports (detect_gpu_mpi) for the ranks of
  /// `comm`. Throws without CUDA support.
  DeviceHalo(const Comm& comm, GpuMpiMode mode);
  ~DeviceHalo();
  DeviceHalo(const DeviceHalo&) = delete;
  DeviceHalo& operator=(const DeviceHalo&) = delete;

  /// Takes a freshly built plan (which must outlive the next attach): uploads its send lists and
  /// sizes the device arrays for n_local + n_ghost entries. Not collective.
  void attach(const HaloPlan& plan);
  /// Uploads the locals' positions (n_local) and fills the ghosts on the device with the image
  /// shifts of `box`. Collective over the plan's domain.
  void forward(const Box& box, const std::vector<Vec3>& local_positions);
  /// Sums the ghost forces in the device force array back onto their atoms (over the ranks) and
  /// downloads the locals' complete forces into `local_forces` (resized to n_local). Collective.
  void reverse(std::vector<Vec3>& local_forces);

  /// Device arrays of n_local + n_ghost entries in shell order (valid until the next attach).
  Vec3* positions();
  Vec3* forces();
  /// Copies the device positions of locals and ghosts to the host (diagnostics).
  void download_positions(std::vector<Vec3>& shell_positions) const;

  /// True when device pointers go to MPI (CUDA-aware), false for pinned host staging.
  bool direct() const;
  /// One line for the run log.
  const std::string& describe() const;
  /// Bytes of device and pinned host memory held.
  std::size_t memory_bytes() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace vitrum::parallel
