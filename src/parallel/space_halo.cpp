/// \file space_halo.cpp
/// SpaceHalo (vitrum/parallel/space_halo.hpp): the dispatch and the emulated-device
/// instantiation; the CUDA one is in kernels/parallel/space_halo.cu.
#include "vitrum/core/launch_host.hpp"
#include "vitrum/parallel/space_halo_impl.hpp"

namespace vitrum::parallel {

SpaceHalo::SpaceHalo(exec::Space& space, const Comm& comm, bool direct) {
  if (space.kind() == exec::SpaceKind::Cuda) {
    impl_ = make_cuda_space_halo(space, comm, direct);
  } else {
    impl_ = std::make_unique<SpaceHaloT<exec::HostLauncher>>(space, comm, direct);
  }
}

SpaceHalo::~SpaceHalo() = default;

void SpaceHalo::attach(const HaloPlan& plan) {
  impl_->attach(plan);
}
void SpaceHalo::forward(const Box& box, Vec3* d_positions) {
  impl_->forward(box, d_positions);
}
void SpaceHalo::reverse(Vec3* d_forces) {
  impl_->reverse(d_forces);
}

#ifndef VITRUM_HAVE_CUDA
std::unique_ptr<SpaceHalo::Impl> make_cuda_space_halo(exec::Space&, const Comm&, bool) {
  fail(
      "the halo exchange on a CUDA device needs the CUDA backend; this vitrum was built without "
      "CUDA");
}
#endif

}  // namespace vitrum::parallel
