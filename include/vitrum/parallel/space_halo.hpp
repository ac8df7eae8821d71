#pragma once
/// \file space_halo.hpp
/// The halo exchange of a halo plan (comm_plan.hpp) on the arrays of a device memory space
/// (exec::Space: the emulated device of CPU CI or a CUDA GPU), with the swap sequence of
/// halo_exec.hpp and the element operations of math/halo_pack.hpp run as launcher kernels, so
/// the same code runs and is tested without a GPU. Send lists go up once per attach; per step
/// the ghosts are packed, exchanged and unpacked in device memory. Transport: `direct` hands the
/// device buffers to MPI (a CUDA-aware MPI; the emulated device's memory is host memory, so
/// always possible there), otherwise each exchange is staged through host buffers and the two
/// copies are recorded in the space's ledger ("halo:staging"). Periodic self-exchanges never
/// leave the device.
///
/// (The CUDA-only DeviceHalo of device_halo.hpp, used by the host engine's domain path, predates
/// this class; both run the same swap sequence.)

#include <memory>

#include "vitrum/core/exec_space.hpp"
#include "vitrum/core/structure.hpp"
#include "vitrum/core/vec3.hpp"
#include "vitrum/parallel/comm.hpp"
#include "vitrum/parallel/comm_plan.hpp"

namespace vitrum::parallel {

class SpaceHalo {
 public:
  /// The space and communicator must outlive the halo.
  SpaceHalo(exec::Space& space, const Comm& comm, bool direct);
  ~SpaceHalo();
  SpaceHalo(const SpaceHalo&) = delete;
  SpaceHalo& operator=(const SpaceHalo&) = delete;

  /// Takes a freshly built plan (which must outlive the next attach): uploads its send lists
  /// (ledger "halo:send_lists") and sizes the exchange buffers. Not collective.
  void attach(const HaloPlan& plan);
  /// Fills the ghosts d_positions[n_local, n_local + n_ghost) from the locals (device memory)
  /// with the image shifts of `box`. Collective over the plan's domain.
  void forward(const Box& box, Vec3* d_positions);
  /// Adds the forces on ghosts (device memory, d_forces[n_local ...]) onto the atoms they are
  /// images of, over the ranks. Collective.
  void reverse(Vec3* d_forces);

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace vitrum::parallel
