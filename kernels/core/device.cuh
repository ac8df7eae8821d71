#pragma once
/// \file device.cuh
/// Host-compilable declarations of the CUDA runtime helpers (defined in device.cu).

#include <cstddef>

namespace vitrum::cuda {

/// Number of CUDA devices; 0 when the driver or a device is missing (never throws).
int device_count();
/// Makes `device` the current device of the calling host thread (vitrum makes its CUDA calls from
/// the main thread); throws vitrum::Error on failure.
void set_device(int device);
/// Throws vitrum::Error with file and line when a CUDA call failed.
void check(int status, const char* what, const char* file, int line);

}  // namespace vitrum::cuda

#define VITRUM_CUDA_CHECK(call) \
  ::vitrum::cuda::check(static_cast<int>(call), #call, __FILE__, __LINE__)
