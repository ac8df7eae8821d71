#pragma once
/// \file fit_batch.hpp
/// The one parameter struct the fit dispatch point (src/spectra/fit.cpp) hands to a backend:
/// fit_spectra_cpu (src/spectra/fit_cpu.cpp) or launch_spectra_fit (kernels/spectra/fit.cu).
/// Host pointers throughout; the CUDA driver copies what it needs to the device.

#include <functional>

#include "vitrum/spectra/math/em.hpp"

namespace vitrum::spectra {

/// A batch of spectra sharing one window grid, and where their results go.
struct FitBatch {
  math::EmProblem problem;                   ///< model, control and both grids (host arrays)
  const float* spectra = nullptr;            ///< first fitted channel of spectrum 0
  long stride = 0;                           ///< floats from one spectrum to the next
  long count = 0;                            ///< number of spectra
  double intensity_scale = 1.0;              ///< stored intensity → counts
  math::ResultView out;                      ///< host result arrays, [fit][param]
  int threads = 0;                           ///< CPU threads (0: OpenMP default)
  std::function<void(long, long)> progress;  ///< (done, total); may be empty
};

/// CPU backend: OpenMP over spectra, one SerialExec each.
void fit_spectra_cpu(const FitBatch& batch);

}  // namespace vitrum::spectra
