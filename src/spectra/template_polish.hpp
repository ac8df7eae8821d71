// Internal to the image template fit (fit_image.cpp, fit_image_output.cpp): the per-pixel model
// built from the sum spectrum's polished fit and the per-pixel maximum-likelihood polish
// (math::polish_run, the CPU driver's serial sums).
//
// The template is the polished sum spectrum: every component keeps its line shape (kind and
// shape parameters, e.g. LA(α, β, m), GL(m), DS, pseudo-Voigt η) and FWHM fixed; each chemical
// state k (a component whose position is not linked, with the components linked to it: its
// doublet partner) has a free area ≥ 0 and a position bounded to μ⁰_k ± max_shift (with
// [image] widths = "free" also a FWHM within [0.1, 3] × the template's); partners
// follow their links (offset, area ratio, width); the background terms of the sum's polish
// (the EM's fixed shapes, the iterated Shirley of the pixel's own window, the active Tougaard
// term recomputed from the pixel's components) have free coefficients ≥ 0.
#pragma once

#include <functional>
#include <vector>

#include "spectra/template_jobs.cuh"
#include "vitrum/spectra/fit.hpp"
#include "vitrum/spectra/math/polish.hpp"
#include "vitrum/spectra/model.hpp"
#include "vitrum/spectra/shape_table.hpp"

namespace vitrum::spectra::detail {

struct TemplatePolish {
  PeakModel model;                          ///< per-pixel model, areas in counts
  math::ParamMap map_full;                  ///< every state free
  std::vector<math::ParamMap> map_without;  ///< [K]: state k's area fixed at 0
  math::ParamMap map_none;                  ///< every state's area fixed at 0 (background only)
  std::vector<math::ParamMap> maps;  ///< the maps as one array: 0 full, 1 none, 2 + k without k
  int K = 0, n_full = 0, n_bg = 0, n_fixed_curves = 0;
  bool shirley = false, tougaard = false;
  bool free_widths = false;  ///< each state's FWHM free within [0.1, 3] × the template's
  math::TougaardCrossSection xs;
  std::vector<int> main;                   ///< [K] component of state k's main line
  std::vector<double> state_factor;        ///< [K] state area / main-line area (1 + doublet ratio)
  std::vector<double> start;               ///< [n_full] the sum's polished parameters (counts)
  double ref_total = 0.0;                  ///< counts of the sum spectrum in the window
  std::vector<double> mu0, fwhm0, lo, hi;  ///< [K] template positions, FWHMs, shift bounds
  std::vector<std::string> line_shape;     ///< [K] CasaXPS notation of the main line
  std::vector<std::string> background_names;  ///< [n_bg]
  std::vector<double> x, w;                   ///< channels (eV), weights (1)
  std::vector<double> fixed_curves;           ///< [n_fixed][channel] stored units per coefficient
  double scale = 1.0;                         ///< stored intensity → counts
  math::PolishControl control;
  PolishTables tables;  ///< LA/LA4 tables (fixed shapes), shared by every pixel
  int channels() const { return static_cast<int>(x.size()); }
};

/// Builds the per-pixel model from the polished sum: `model` and `params` (stored units, one
/// fit) of the sum's polish, `ref` the sum's EM fit (window, background shapes), `ref_total`
/// the sum's counts, `max_shift` the requested bound (held at 0.45 × the smallest separation of
/// two states). Throws vitrum::Error when the model cannot be built.
TemplatePolish make_template_polish(const FitResult& ref, const PeakModel& model,
                                    const std::vector<double>& params, const FitConfig& cfg,
                                    double ref_total, double max_shift);

/// Background curves of one pixel in counts per coefficient ([n_bg][channel]): the fixed
/// shapes, the Shirley of its window `data` (stored units), the Tougaard slot left at 0.
void pixel_background(const TemplatePolish& tp, const FitResult& ref, const float* data,
                      double* bgc);

/// Tougaard slot of bgc from the components of `full` (counts); nothing without Tougaard.
void pixel_tougaard(const TemplatePolish& tp, const math::ParamMap& map, const double* full,
                    double* bgc, const math::ShapeTableView* views);

/// Outcome of one per-pixel polish.
struct PixelPolish {
  double deviance = INFINITY, chi2 = INFINITY;
  int iterations = 0;
  math::PolishStatus status = math::PolishStatus::InvalidStart;
};

/// Polishes `full` (counts; fixed entries taken as they are) with `map` on counts y; with the
/// Tougaard term the curve is computed from the start's components, the spectrum polished,
/// the curve recomputed from the result and polished again. se: [n_full] standard errors.
PixelPolish polish_pixel(const TemplatePolish& tp, const math::ParamMap& map, const double* y,
                         double* bgc, double* full, double* se, math::PolishWork& work,
                         const math::ShapeTableView* views);

/// polish_pixel for every job of `jobs` (map jobs.maps[map], its spectrum, its curves, its
/// start): the rounds run by `round` over the active jobs, the Tougaard curve of each job
/// recomputed on the host before each round; returns each job's outcome. jobs.maps etc. are set
/// here from tp.
using JobRound = std::function<void(TemplateJobs&)>;
std::vector<PixelPolish> polish_jobs(const TemplatePolish& tp, TemplateJobs& jobs,
                                     const JobRound& round, const math::ShapeTableView* views);

/// λ per channel of `full` (counts) with curves bgc; comps (optional, [K][channel]) receives
/// each state's line-shape sum.
void pixel_lambda(const TemplatePolish& tp, const double* full, const double* bgc, double* lam,
                  double* comps = nullptr);

}  // namespace vitrum::spectra::detail
