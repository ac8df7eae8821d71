#pragma once
/// \file fit.cuh
/// Host-compilable declaration of the CUDA backend of the EM fit (defined in fit.cu).

#include "vitrum/spectra/fit_batch.hpp"

namespace vitrum::spectra {

/// CUDA backend: one warp per spectrum, several spectra per block (warps loop over the batch),
/// the warp's lanes striding over channels and reducing with shuffles; the math is
/// vitrum/spectra/math/em.hpp, the same code the CPU runs. Copies the spectra and grids to the
/// device, fits, copies the results into batch.out. Throws vitrum::Error (file, line) on any CUDA
/// failure.
void launch_spectra_fit(const FitBatch& batch);

}  // namespace vitrum::spectra
