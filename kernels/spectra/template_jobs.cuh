#pragma once
/// \file template_jobs.cuh
/// Host-compilable batch of per-pixel polishes of the image template fit (fit_image.hpp): the
/// polishes of one stage of one anti-diagonal wavefront (every pixel's template and neighbour
/// starts, or every pixel's background-only and leave-one-out refits), each a job with its own
/// parameter map (one of the template's maps), spectrum, background curves and start. One round
/// of the jobs runs on the CPU (polish_template_jobs_cpu: OpenMP over jobs, each the serial
/// math::polish_run) or on the GPU (launch_template_jobs: one warp per job, the polish kernel's
/// lane mapping); the rounds, the Tougaard curve between them and every decision stay on the host
/// (src/spectra/template_polish.cpp, fit_image_batched.cpp).

#include <vector>

#include "vitrum/spectra/math/polish.hpp"

namespace vitrum::spectra::detail {

struct TemplateJobs {
  // Shared by every job.
  const math::ParamMap* maps = nullptr;  ///< [n_maps] host array (0 all states, 1 none, 2 + k)
  int n_maps = 0, n_full = 0, n_bg = 0;
  long channels = 0;
  const double* x = nullptr;  ///< [channel] energies
  const double* w = nullptr;  ///< [channel] weights
  math::PolishControl control;
  /// CPU only ([n_comp] or null): LA/LA4 tables of the components with fixed shapes.
  const math::ShapeTableView* tables = nullptr;
  std::vector<double> y;  ///< [spectrum][channel] counts
  // Per job.
  std::vector<int> map, spectrum;       ///< [job] map index, spectrum index into y
  std::vector<int> active;              ///< [job] 1: polished in the next round
  std::vector<double> bg;               ///< [job][n_bg][channel] curves (counts per coefficient)
  std::vector<double> full, se;         ///< [job][n_full] in: start; out: fitted, standard errors
  std::vector<double> deviance, chi2;   ///< [job] of the last round
  std::vector<int> status, iterations;  ///< [job] status of the last round, iterations of it
  long count() const { return static_cast<long>(map.size()); }
  /// Adds a job (zeroed curves, start `start`); returns its index.
  long add(int map_index, int spectrum_index, const double* start);
};

/// One polish with the CPU's serial sums (math::SerialPolishSums), compiled once (not inlined)
/// so that the per-pixel schedule and the CPU jobs run the same machine code, bit for bit.
void serial_polish(const math::ParamMap& m, const math::PolishControl& ctl, const double* x,
                   const double* w, const double* y, const double* bg, long channels,
                   const math::ShapeTableView* tables, math::PolishOut& out,
                   math::PolishWork& work);

/// One round of every active job on the CPU (OpenMP over jobs; each job's sums serial).
void polish_template_jobs_cpu(TemplateJobs& jobs, int threads);

/// One round of every active job on the CPU with the CUDA kernel's arithmetic: each job's sums
/// split over 32 emulated lanes (channels lane, lane + 32, ...) and combined in the order of the
/// kernel's shuffle butterfly (v_l + v_{l xor o}, o = 16, 8, 4, 2, 1), no tables. Tests the GPU
/// path's batching and lane mapping on a machine without a device.
void polish_template_jobs_warp_emulated(TemplateJobs& jobs, int threads);

/// One round of every active job on the CUDA device (one warp per job, as the polish kernel:
/// lanes over channels lane, lane + 32, ..., shuffle-butterfly sums, the LM loop in lockstep;
/// exact line shapes, no tables). Throws vitrum::Error on a CUDA failure.
void launch_template_jobs(TemplateJobs& jobs);

}  // namespace vitrum::spectra::detail
