/// \file gpu_mpi.cpp
/// GPU-aware MPI: the mode (auto/on/off), what the MPI library reports about device buffers, and
/// the choice between device pointers and pinned host staging (gpu_mpi.hpp).

#include "vitrum/parallel/gpu_mpi.hpp"

#include <cstdlib>
#include <cstring>

#include "vitrum/core/error.hpp"

#ifdef VITRUM_HAVE_MPI
#include <mpi.h>
#if defined(__has_include)
#if __has_include(<mpi-ext.h>)
#include <mpi-ext.h>  // Open MPI: MPIX_CUDA_AWARE_SUPPORT, MPIX_Query_cuda_support()
#endif
#endif
#endif

namespace vitrum::parallel {

GpuMpiMode parse_gpu_mpi_mode(std::string_view value, const std::string& where) {
  if (value == "auto") return GpuMpiMode::Auto;
  if (value == "on") return GpuMpiMode::On;
  if (value == "off") return GpuMpiMode::Off;
  fail("{}: \"{}\" is not one of \"auto\", \"on\", \"off\"", where, value);
}

std::string to_string(GpuMpiMode mode) {
  switch (mode) {
    case GpuMpiMode::On:
      return "on";
    case GpuMpiMode::Off:
      return "off";
    case GpuMpiMode::Auto:
      break;
  }
  return "auto";
}

namespace {

#ifdef VITRUM_HAVE_MPI
[[maybe_unused]] bool mpi_initialized() {
  int init = 0;
  MPI_Initialized(&init);
  return init != 0;
}

/// The documented run-time switches of MPI libraries without a query function.
[[maybe_unused]] bool env_is_one(const char* name) {
  const char* v = std::getenv(name);
  return v != nullptr && std::strcmp(v, "1") == 0;
}
#endif

}  // namespace

GpuMpiSupport detect_gpu_mpi() {
  GpuMpiSupport s;
#ifdef VITRUM_HAVE_MPI
#if defined(MPIX_CUDA_AWARE_SUPPORT) && MPIX_CUDA_AWARE_SUPPORT
  // Open MPI built with CUDA support: whether it is usable is a run-time matter.
  if (mpi_initialized()) {
    s.runtime = MPIX_Query_cuda_support() == 1 ? 1 : 0;
    s.how = "MPIX_Query_cuda_support() (Open MPI)";
  } else {
    s.runtime = -1;
    s.how =
        "Open MPI built with CUDA support (MPIX_CUDA_AWARE_SUPPORT = 1), MPI not initialised: "
        "MPIX_Query_cuda_support() not asked";
  }
  return s;
#elif defined(MPIX_CUDA_AWARE_SUPPORT)
  s.runtime = 0;
  s.how = "Open MPI built without CUDA support (MPIX_CUDA_AWARE_SUPPORT = 0)";
  return s;
#elif defined(MPICH_NUMVERSION) && MPICH_NUMVERSION >= 40000000 && defined(MPIX_GPU_SUPPORT_CUDA)
  if (mpi_initialized()) {
    int is = 0;
    if (MPIX_GPU_query_support(MPIX_GPU_SUPPORT_CUDA, &is) == MPI_SUCCESS) {
      s.runtime = is != 0 ? 1 : 0;
      s.how = "MPIX_GPU_query_support(MPIX_GPU_SUPPORT_CUDA) (MPICH)";
      return s;
    }
  }
#endif
  // No query function (or it could not be asked): the documented switches.
  if (env_is_one("MPICH_GPU_SUPPORT_ENABLED")) {
    s.runtime = 1;
    s.how = "MPICH_GPU_SUPPORT_ENABLED=1 (Cray MPICH)";
  } else if (env_is_one("MV2_USE_CUDA")) {
    s.runtime = 1;
    s.how = "MV2_USE_CUDA=1 (MVAPICH2)";
  } else {
    s.runtime = -1;
    s.how = "no query in this MPI library";
  }
#else
  s.runtime = 0;
  s.how = "built without MPI";
#endif
  return s;
}

GpuMpiChoice choose_gpu_mpi(GpuMpiMode mode, const GpuMpiSupport& support) {
  GpuMpiChoice c;
  const std::string& how = support.how.empty() ? std::string("the MPI library") : support.how;
  switch (mode) {
    case GpuMpiMode::On:
      c.direct = true;
      if (support.runtime == 0) {
        c.describe = fmt::format(
            "halo buffers: device pointers to MPI (gpu_aware_mpi = on, although {} reports no "
            "CUDA support: MPI may fail on device pointers)",
            how);
      } else {
        c.describe = "halo buffers: device pointers to MPI (gpu_aware_mpi = on)";
      }
      break;
    case GpuMpiMode::Off:
      c.direct = false;
      c.describe = "halo buffers: pinned host staging (gpu_aware_mpi = off)";
      break;
    case GpuMpiMode::Auto:
      c.direct = support.runtime == 1;
      if (c.direct) {
        c.describe = fmt::format(
            "halo buffers: device pointers to MPI (gpu_aware_mpi = auto: CUDA-aware MPI detected "
            "by {})",
            how);
      } else if (support.runtime == 0) {
        c.describe = fmt::format(
            "halo buffers: pinned host staging (gpu_aware_mpi = auto: no CUDA support per {})",
            how);
      } else {
        c.describe = fmt::format(
            "halo buffers: pinned host staging (gpu_aware_mpi = auto: CUDA awareness unknown, {})",
            how);
      }
      break;
  }
  return c;
}

GpuMpiMode gpu_mpi_mode_from_env(GpuMpiMode configured) {
  const char* v = std::getenv("VITRUM_GPU_AWARE_MPI");
  if (v == nullptr || *v == '\0') return configured;
  return parse_gpu_mpi_mode(v, "VITRUM_GPU_AWARE_MPI");
}

}  // namespace vitrum::parallel
