#include "vitrum/core/backend.hpp"

#include "vitrum/core/error.hpp"
#ifdef VITRUM_HAVE_CUDA
#include "core/device.cuh"
#endif

namespace vitrum {

Backend parse_backend(const std::string& s) {
  if (s == "cpu") return Backend::Cpu;
  if (s == "cuda" || s == "gpu") return Backend::Cuda;
  fail("unknown backend '{}': expected 'cpu' or 'cuda'", s);
}

Precision parse_precision(const std::string& s) {
  if (s == "double") return Precision::Double;
  if (s == "mixed") return Precision::Mixed;
  fail("unknown precision '{}': expected 'double' or 'mixed'", s);
}

const char* to_string(Backend b) {
  return b == Backend::Cpu ? "cpu" : "cuda";
}
const char* to_string(Precision p) {
  return p == Precision::Double ? "double" : "mixed";
}

bool cuda_compiled() {
#ifdef VITRUM_HAVE_CUDA
  return true;
#else
  return false;
#endif
}

int cuda_device_count() {
#ifdef VITRUM_HAVE_CUDA
  return cuda::device_count();
#else
  return 0;
#endif
}

void require_backend(Backend b) {
  if (b != Backend::Cuda) return;
  if (!cuda_compiled())
    fail(
        "the CUDA backend was requested but this build has no CUDA support "
        "(rebuild with -DVITRUM_ENABLE_CUDA=ON on a machine with nvcc)");
  if (cuda_device_count() == 0)
    fail("the CUDA backend was requested but no CUDA device is visible on this machine");
}

}  // namespace vitrum
