// Internal to the image template fit (fit_image.cpp): the fit of one pixel's spectrum with a
// subset of the template's components, each with fixed shape (FWHM, η, doublet), a free area and
// a position bounded to its own interval, plus the configured background. The E-pass is the EM
// fit's (math::e_pass); the M-step is its CM steps restricted to A and μ (one Fisher-scoring
// step in μ per iteration, clamped to the component's interval), accelerated by SQUAREM as
// math::em_run is.
#pragma once

#include <vector>

#include "vitrum/spectra/math/em.hpp"

namespace vitrum::spectra::detail {

/// The template and the window grid, shared by every pixel.
struct TemplateModel {
  math::EmModel model;  ///< shape, doublet, backgrounds (its FWHM/μ bounds only for clamping)
  math::Grid grid;      ///< the fitted window (full grid, multiplicity 1)
  int K = 0;            ///< template components
  std::vector<double> mu0, t0, eta0;  ///< per component: position, ln FWHM, η
  std::vector<double> lo, hi;         ///< per component: position bounds
  int max_iterations = 1000;
  double tolerance = 1e-9, abs_tolerance = 1e-2;
};

/// Scratch of one thread (sized for the grid).
class PixelScratch {
 public:
  explicit PixelScratch(int n);
  math::Workspace ws;

 private:
  std::vector<double> data_;
  math::EmState shared_;
};

/// Fits state `s` (s.k slots; slot j is template component comp[j]; s.t, s.eta must hold the
/// template's values) to the intensities y (scaled counts, total Σy) by ECM + SQUAREM. On
/// return s holds the fit, s.loglik its ℓ = Σ y ln λ − λ (without ln y!), s.iterations the
/// E-passes spent, s.status the math::FitStatus (Converged or IterationLimit).
void fit_template_state(const TemplateModel& tm, PixelScratch& scratch, const double* y,
                        double total, const int* comp, math::EmState& s);

/// Expected counts λ_n of state s (slots as above) on the grid, into lam (grid.n values).
void template_lambda(const TemplateModel& tm, PixelScratch& scratch, const double* y,
                     const math::EmState& s, double* lam);

}  // namespace vitrum::spectra::detail
