#pragma once
/// \file polish.hpp
/// Maximum-likelihood polish of a batch of spectra with a constrained peak model (model.hpp):
/// bounded Levenberg–Marquardt on the Poisson deviance over every free parameter (the math,
/// one copy for CPU and GPU: vitrum/spectra/math/polish.hpp). Spectra are independent: the CPU
/// backend runs them on OpenMP threads, each one the same serial code, so results do not depend
/// on the thread count; the CUDA backend runs one warp per spectrum (kernels/spectra/polish.cu).
///
/// Outputs per spectrum: every full parameter and its standard error (Fisher information with
/// the links: a linked parameter's error follows its target's), area fractions of the
/// components, status, iterations, parameters held at a bound, deviance, reduced χ² (Pearson,
/// over N − free parameters) and, when asked, the Pearson residual map (y − λ)/√λ.

#include <string>
#include <vector>

#include "vitrum/core/backend.hpp"
#include "vitrum/spectra/model.hpp"
#include "vitrum/spectra/spectrum.hpp"

namespace vitrum::spectra {

using math::PolishStatus;

/// "converged", "iteration-limit", "invalid-start", "invalid-data", "singular".
const char* polish_status_name(PolishStatus s);

/// A batch to polish: spectra on one grid of fitted channels.
struct PolishBatch {
  PeakModel model;
  std::vector<double> energy;      ///< fitted channels (eV, ascending; the model's axis)
  const float* spectra = nullptr;  ///< first fitted channel of spectrum 0
  long stride = 0;                 ///< floats from one spectrum to the next
  long count = 0;
  double intensity_scale = 1.0;  ///< stored intensity → Poisson counts
  /// Optional per-spectrum starts [count][model.n_full()] (e.g. the EM's answer); empty: the
  /// model's values for every spectrum. Fixed parameters always take the start's value.
  std::vector<double> starts;  // stored intensity units (areas, coefficients), like the results
  /// Curves of the background terms with basis Curve, in stored intensity per unit coefficient:
  /// [count][n_curve][channel], or [n_curve][channel] shared by all spectra.
  std::vector<double> curves;
};

struct PolishOptions {
  math::PolishControl control;
  Backend backend = Backend::Cpu;
  int threads = 0;         ///< CPU threads (0: OpenMP default)
  bool residuals = false;  ///< fill PolishResult::residuals
  /// CPU: LA/LA4 components with fixed shape parameters from tables in the reduced variable
  /// (shape_table.hpp; interpolation error < 1e-7 of the peak value) instead of direct values.
  bool tabulate = true;
};

struct PolishResult {
  long fits = 0;
  int n_full = 0, n_comp = 0, n_free = 0;
  std::vector<std::string> param_names;           ///< [n_full]
  std::vector<double> energy;                     ///< fitted channels (eV)
  std::vector<double> params, se;                 ///< [fit][n_full] (intensity units: areas in
                                                  ///< stored intensity × eV)
  std::vector<double> area_fraction;              ///< [fit][n_comp]
  std::vector<int> status, iterations, at_bound;  ///< [fit]
  std::vector<double> deviance, chi2_reduced;     ///< [fit]
  std::vector<float> residuals;                   ///< [fit][channel] Pearson residuals, if asked
  Backend backend = Backend::Cpu;
  double seconds = 0.0;
  double param(long fit, int i) const { return params[fit * n_full + i]; }
  double error(long fit, int i) const { return se[fit * n_full + i]; }
};

/// Basis curves of the non-Curve background terms over the channels ([term][channel]).
std::vector<double> background_basis(const PeakModel& model, long channels);

/// Polishes every spectrum of the batch. Throws vitrum::Error for a bad request (model, sizes,
/// no CUDA device); per-spectrum problems only set that spectrum's status.
PolishResult polish_spectra(const PolishBatch& batch, const PolishOptions& options = {});

/// Model curve of one fitted spectrum: total, and each component (same units as the data).
std::vector<double> polish_model_curve(const PolishBatch& batch, const PolishResult& result,
                                       long fit, int component = -1);

}  // namespace vitrum::spectra
