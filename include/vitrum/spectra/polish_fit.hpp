#pragma once
/// \file polish_fit.hpp
/// The polish as a step of `vitrum spectra fit` ([polish] in the fit configuration): after the
/// EM has chosen the number of peaks and their starts, every spectrum is polished by maximum
/// likelihood with
///   start = "em"     a model built from the EM's answer (its shape; doublet partners linked
///                    with the configured splitting and ratio, equal widths; the EM's background
///                    components as terms with free weights: its fixed shapes as they are, the
///                    Shirley as the iterated Shirley of the data's window, step normalised);
///                    spectra are grouped by their number of peaks;
///   start = "model"  the [model] table, the same start for every spectrum;
///   start = "casa"   the CasaXPS model stored in the block's comment lines (casa_template.hpp).
/// The results join the block's maps: polish_status, polish_iterations, polish_chi2_reduced,
/// polish_deviance, and per component polish_position/fwhm/area/area_fraction with their
/// polish_*_se; the Pearson residuals (y − λ)/√λ as a spectrum cube "<block>_residual".

#include <string>
#include <vector>

#include "vitrum/spectra/fit.hpp"
#include "vitrum/spectra/polish.hpp"
#include "vitrum/spectra/spectrum_io.hpp"

namespace vitrum::spectra {

/// One polished block: the batches (one per group of spectra sharing a model) and their results,
/// with the pixel of each fit of each group.
struct PolishedBlock {
  std::vector<PolishBatch> batches;
  std::vector<PolishResult> results;
  std::vector<std::vector<long>> pixels;         ///< [group][fit] → pixel of the block
  std::vector<std::vector<float>> data;          ///< [group] spectra the batches point into
  std::string name;                              ///< block name
  EnergyKind energy_kind = EnergyKind::Binding;  ///< axis of the batches' energies
  int ny = 1, nx = 1;
  int max_components = 0;
  std::vector<std::string> component_names;  ///< of the largest model
  /// [group] background curves without the active Tougaard term ([polish] tougaard only)
  std::vector<std::vector<double>> tougaard_base;
};

/// Polishes a block fitted by fit_spectra (r) as cfg.polish says. Throws vitrum::Error for a
/// bad request (no template in the block, a model that does not fit the window).
PolishedBlock polish_fitted_block(const FitResult& r, const SpectrumImage& im, const FitConfig& cfg,
                                  const PolishOptions& options);

/// Curves of a polished single spectrum (the block's only fit): data, total model, background
/// (the sum of its terms) and each component, for write_spectrum_fit_csv; and comment lines
/// with the components ± standard errors and the CasaXPS-style line of each.
FitCurves polish_curves(const PolishedBlock& p, std::vector<std::string>& comments);

/// Adds the polish maps to `maps` and the residual cube to `cubes`.
void add_polish_maps(const PolishedBlock& p, MapSet& maps, std::vector<SpectrumImage>& cubes);

}  // namespace vitrum::spectra
