// The dispatch point of training's GEMM backends (train_backend.hpp): the one place that turns
// a Backend into the network passes and the Kalman covariance that run on it.
#include "vitrum/train/train_backend.hpp"

#include "vitrum/core/error.hpp"

namespace vitrum::train {

std::unique_ptr<NetworkPasses> make_network_passes(const NetworkLayout& layout, Backend backend) {
  require_backend(backend);
  return backend == Backend::Cuda ? make_cuda_network_passes(layout)
                                  : make_cpu_network_passes(layout);
}

std::unique_ptr<KalmanCovariance> make_kalman_covariance(const std::vector<long>& blocks,
                                                         double epsilon, Backend backend) {
  require_backend(backend);
  return backend == Backend::Cuda ? make_cuda_kalman_covariance(blocks, epsilon)
                                  : make_cpu_kalman_covariance(blocks, epsilon);
}

#ifndef VITRUM_HAVE_CUDA
std::unique_ptr<NetworkPasses> make_cuda_network_passes(const NetworkLayout&) {
  fail("the CUDA backend is not compiled into this build");
}
std::unique_ptr<KalmanCovariance> make_cuda_kalman_covariance(const std::vector<long>&, double) {
  fail("the CUDA backend is not compiled into this build");
}
#endif

}  // namespace vitrum::train
