#pragma once
/// \file polish.cuh
/// Host-compilable internals of the maximum-likelihood polish shared by the CPU backend
/// (src/spectra/polish.cpp) and the CUDA backend (kernels/spectra/polish.cu): the plan (model in
/// counts, its ParamMap, channel grid and widths, background bases) and the per-spectrum set-up
/// and result storage, so that both backends feed the same math the same numbers.

#include <vector>

#include "vitrum/spectra/polish.hpp"

namespace vitrum::spectra {

namespace detail {

struct PolishPlan {
  PeakModel model;  ///< in counts
  math::ParamMap map;
  long channels = 0;
  std::vector<double> x, w;   ///< channel energies and widths
  std::vector<double> basis;  ///< sum-1 bases of the non-curve terms, [term][channel]
  int n_curve = 0;
  long curve_stride = 0;  ///< values from one spectrum's curves to the next (0: shared)
};

PolishPlan make_polish_plan(const PolishBatch& batch);
/// Background of spectrum `fit`: [term][channel] in counts per unit coefficient.
void spectrum_background(const PolishPlan& p, const PolishBatch& b, long fit, double* out);
/// Counts y[channel] and start full[n_full] (counts) of spectrum `fit`; false for bad data.
bool spectrum_setup(const PolishPlan& p, const PolishBatch& b, long fit, double* y, double* full);
/// Result arrays sized for the batch.
PolishResult empty_result(const PolishPlan& p, const PolishBatch& b, const PolishOptions& o);
/// Status, iterations, deviance, reduced χ² of one spectrum.
void store_outcome(const PolishPlan& p, const math::PolishOut& out, long fit, PolishResult& r);
/// Areas and coefficients back to stored intensity units; area fractions; residual maps.
void finish_result(const PolishPlan& p, const PolishBatch& b, const PolishOptions& o,
                   PolishResult& r);

}  // namespace detail

/// CPU backend: OpenMP over spectra (dynamic schedule; each spectrum's arithmetic is serial, so
/// the results do not depend on the thread count).
void polish_spectra_cpu(const detail::PolishPlan& p, const PolishBatch& b, const PolishOptions& o,
                        PolishResult& r);

/// CUDA backend: one warp per spectrum, lanes striding over channels, sums reduced with a
/// butterfly of shuffles (every lane holds the same total, so the LM loop runs in lockstep).
/// Throws vitrum::Error on a CUDA failure.
void launch_spectra_polish(const detail::PolishPlan& p, const PolishBatch& b,
                           const PolishOptions& o, PolishResult& r);

}  // namespace vitrum::spectra
