#include <cuda_runtime.h>

#include "core/device.cuh"
#include "vitrum/core/error.hpp"

namespace vitrum::cuda {

int device_count() {
  int n = 0;
  if (cudaGetDeviceCount(&n) != cudaSuccess) {
    cudaGetLastError();  // clear the sticky "no device" error
    return 0;
  }
  return n;
}

void set_device(int device) {
  VITRUM_CUDA_CHECK(cudaSetDevice(device));
}

void check(int status, const char* what, const char* file, int line) {
  if (status != cudaSuccess) {
    auto err = static_cast<cudaError_t>(status);
    fail("CUDA error {} ({}) in {} at {}:{}", cudaGetErrorName(err), cudaGetErrorString(err), what,
         file, line);
  }
}

}  // namespace vitrum::cuda
