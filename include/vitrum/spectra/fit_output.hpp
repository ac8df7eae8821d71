#pragma once
/// \file fit_output.hpp
/// What `vitrum spectra fit` writes, built by spectra rather than by the CLI: the choice of
/// blocks to fit, the result maps of a fitted block (for write_maps_hdf5), the CSV of a single
/// spectrum's fit, and the PNG plots drawn by scripts/plot_spectra.py.

#include <string>
#include <vector>

#include "vitrum/spectra/fit.hpp"
#include "vitrum/spectra/spectrum_io.hpp"

namespace vitrum::spectra {

/// Blocks to fit: the named ones (an error listing what the file holds if one is missing), else
/// every block, or with an as-recorded window only those whose energies contain it. `input`
/// names the file in errors.
std::vector<const SpectrumImage*> select_blocks(const std::vector<SpectrumImage>& images,
                                                const FitConfig& cfg,
                                                const std::vector<std::string>& names,
                                                const std::string& input);

/// A block name made safe for file and group names (letters, digits and '-'; others '_').
std::string block_file_name(const std::string& name);

/// The maps of one fitted block: per-pixel scalars (n_peaks, status, iterations, ln L, BIC,
/// counts), per-peak stacks (position, FWHM, area, eta and their standard errors), background
/// weights, BIC per K, and the fit's settings as metadata. `backend` is recorded.
MapSet result_maps(const FitResult& r, const SpectrumImage& im, const FitConfig& cfg,
                   const std::string& backend);

/// CSV of data, fit, background and peaks of a single-spectrum fit (r.fits == 1), with the
/// fit summary (peaks ± standard errors, ln L, BIC, status) as comment lines. Atomic.
void write_single_fit_csv(const std::string& path, const FitResult& r, const SpectrumImage& im);

/// PNG maps of a result file into `out_dir` / a PNG plot of a fit CSV, through
/// scripts/plot_spectra.py (found beside the executable's source tree or in
/// $VITRUM_PLOT_SCRIPT) and python3 with matplotlib. False, with a note on stderr unless
/// `quiet`, when the script or python is missing or fails: the HDF5/CSV results stay complete.
bool plot_maps(const std::string& h5_path, const std::string& out_dir, bool quiet);
bool plot_fit_csv(const std::string& csv_path, const std::string& png_path, bool quiet);

}  // namespace vitrum::spectra
