// Internal to the image template fit: the steps of one pixel's fit (fit_image.cpp), shared by
// the per-pixel schedule (each pixel's polishes one after the other on a CPU thread) and the
// batched one (fit_image_batched.cpp: every polish of one step of one wavefront in one batch,
// on the CPU or the GPU). Both schedules call these steps in the same order with the same
// numbers, so they differ only in where the polishes run.
#pragma once

#include <vector>

#include "template_polish.hpp"
#include "vitrum/spectra/fit_image.hpp"

namespace vitrum::spectra::detail {

struct ImageRun {
  const SpectrumImage& im;
  const FitConfig& cfg;
  const TemplatePolish& tp;
  TemplateFitResult& r;
  long first = 0;
};

/// Working memory of one pixel being fitted (one per thread, or one per pixel of a wavefront).
struct Scratch {
  explicit Scratch(const TemplatePolish& tp);
  std::vector<double> y, bgc, lam, full, se, best, best_se;
  std::vector<float> window;
  math::PolishWork work;
  math::ShapeTableView views[math::kPolishMaxComponents];
  const math::ShapeTableView* v = nullptr;
  // The pixel's numbers between the steps.
  double total = 0.0, lny = 0.0, ylny = 0.0;
};

/// Step 1: pixel p's counts (s.y), window and own background curves (s.bgc), totals; false
/// (and the pixel reported as not fitted) for invalid, negative or empty data.
bool prepare_pixel(ImageRun& run, long p, Scratch& s);

/// Step 2: the template's start scaled to the pixel's counts, into full.
void template_start(const TemplatePolish& tp, double total, double* full);
/// The neighbours' start (already-fitted (y−1, x), (y, x−1), (y−1, x−1)); false if none.
bool neighbour_start(const ImageRun& run, long p, double total, double* full);
/// The polish succeeded (converged or at the iteration limit).
bool usable(const PixelPolish& f);
/// Step 3: after the template fit `best` (s.best, s.best_se) and the neighbour fit `nb` (s.full,
/// s.se): keeps the better in best/s.best/s.best_se (iterations summed); start 1 if nb won.
void keep_better(PixelPolish& best, const PixelPolish& nb, Scratch& s, int& start);

/// Step 4: starts of the background-only refit (uses s.bgc's curves; its Tougaard slot is
/// overwritten) and of the refit without state k, from s.best, into full.
void none_start(const TemplatePolish& tp, Scratch& s, double* full);
void without_start(const TemplatePolish& tp, const Scratch& s, int k, double* full);

/// Step 5: per-state statistics from the deviances of the refits (d_without[k]: without k,
/// already min'ed with d_none) and the pixel's results; returns the significant states.
int store_states(ImageRun& run, long p, const Scratch& s, const PixelPolish& best,
                 const std::vector<double>& d_without);
/// Step 6: residuals, χ², background, likelihoods, status of pixel p.
void finish_pixel(ImageRun& run, long p, Scratch& s, const PixelPolish& best, double d_none,
                  int n_sig, int iterations, int start);

/// The batched schedule over every wavefront of run.r (fit_image_batched.cpp): the polishes of
/// each step of a wavefront in one call of `round` (see polish_jobs).
void fit_wavefronts_batched(ImageRun& run, const JobRound& round, int threads,
                            const std::function<void(long, long)>& progress);

}  // namespace vitrum::spectra::detail
