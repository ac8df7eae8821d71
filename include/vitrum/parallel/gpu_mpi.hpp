#pragma once
/// \file gpu_mpi.hpp
/// How the device-resident halo exchange (parallel/device_halo.hpp) hands GPU buffers to MPI.
///
///   direct   device pointers go to MPI_Sendrecv as they are: needs a CUDA-aware MPI (Open MPI
///            built with CUDA/UCX, MVAPICH2-GDR, Cray MPICH with MPICH_GPU_SUPPORT_ENABLED=1, ...);
///            with any other MPI this crashes inside MPI, so it is only chosen when asked for or
///            detected;
///   staged   the packed halo is copied to pinned (page-locked) host buffers, sent by MPI from
///            there, and copied back to the device: works with every MPI.
///
/// The mode is `auto` (detect at run time), `on` (direct) or `off` (staged). Precedence: the
/// command line (`--gpu-aware-mpi`), then the environment (VITRUM_GPU_AWARE_MPI), then the run
/// configuration ([parallel] gpu_aware_mpi), then `auto`.

#include <string>
#include <string_view>

namespace vitrum::parallel {

enum class GpuMpiMode { Auto, On, Off };

/// "auto", "on" or "off"; throws vitrum::Error naming `where` (a key, option or variable) and
/// the accepted values otherwise.
GpuMpiMode parse_gpu_mpi_mode(std::string_view value, const std::string& where);
std::string to_string(GpuMpiMode mode);

/// What the MPI library says about device buffers, asked at run time (MPI initialised).
struct GpuMpiSupport {
  /// 1: the library reports CUDA support at run time; 0: it reports none (or is known not to
  /// have it); -1: it cannot be asked (no query in this MPI).
  int runtime = -1;
  std::string how;  ///< which query or variable gave the answer, for the run log
};

/// Asks the MPI library: Open MPI's MPIX_Query_cuda_support() (mpi-ext.h), MPICH's
/// MPIX_GPU_query_support() (MPICH >= 4.0), else the documented switches of Cray MPICH
/// (MPICH_GPU_SUPPORT_ENABLED=1) and MVAPICH2 (MV2_USE_CUDA=1). Without MPI: runtime 0.
GpuMpiSupport detect_gpu_mpi();

/// The decision for one run.
struct GpuMpiChoice {
  bool direct = false;   ///< true: device pointers to MPI; false: pinned host staging
  std::string describe;  ///< one line for the run log (mode, detection, what is used)
};

/// Resolves a mode against a detection: on -> direct (describe warns when the library reports
/// no CUDA support); off -> staged; auto -> direct exactly when support.runtime == 1.
GpuMpiChoice choose_gpu_mpi(GpuMpiMode mode, const GpuMpiSupport& support);

/// The mode after the environment: VITRUM_GPU_AWARE_MPI (when set and not empty) overrides
/// `configured`; a bad value throws naming the variable.
GpuMpiMode gpu_mpi_mode_from_env(GpuMpiMode configured);

}  // namespace vitrum::parallel
