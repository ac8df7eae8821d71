// SpaceHalo on a CUDA device: space_halo_impl.hpp with the CUDA launcher.
#include "core/launch_cuda.cuh"
#include "vitrum/parallel/space_halo_impl.hpp"

namespace vitrum::parallel {

std::unique_ptr<SpaceHalo::Impl> make_cuda_space_halo(exec::Space& space, const Comm& comm,
                                                      bool direct) {
  return std::make_unique<SpaceHaloT<exec::CudaLauncher>>(space, comm, direct);
}

}  // namespace vitrum::parallel
