// TOML configuration of the EM fit: every key is checked for its table, type and range; an
// unknown key is an error naming the file, the line and the key (a typo must not silently
// fall back to a default).
#include <cmath>
#include <utility>

#include "vitrum/core/error.hpp"
#include "vitrum/core/toml.hpp"
#include "vitrum/spectra/casa_lineshape.hpp"
#include "vitrum/spectra/fit.hpp"
#include "vitrum/spectra/math/lineshapes.hpp"

namespace vitrum::spectra {

namespace {

void read_data(TomlTable& t, FitConfig& c) {
  t.reject_unknown({"blocks", "energy", "photon_energy", "work_function", "energy_kind",
                    "energy_dimension", "intensity_scale", "rate_to_counts", "negative"});
  c.blocks = t.strings("blocks");
  const std::string axis = t.choice("energy", "as-recorded", {"as-recorded", "binding", "kinetic"});
  c.axis = axis == "binding" ? FitAxis::Binding
                             : (axis == "kinetic" ? FitAxis::Kinetic : FitAxis::AsRecorded);
  c.photon_energy = t.number("photon_energy", c.photon_energy, "eV");
  c.work_function = t.number("work_function", c.work_function, "eV");
  const std::string kind =
      t.choice("energy_kind", "from-file", {"from-file", "binding", "kinetic", "E-E_F"});
  c.energy_kind = kind == "binding"   ? EnergyDeclared::Binding
                  : kind == "kinetic" ? EnergyDeclared::Kinetic
                  : kind == "E-E_F"   ? EnergyDeclared::RelativeToFermi
                                      : EnergyDeclared::FromFile;
  c.energy_dimension = t.string("energy_dimension", "");
  c.intensity_scale = t.positive("intensity_scale", c.intensity_scale);
  c.rate_to_counts = t.boolean("rate_to_counts", c.rate_to_counts);
  c.clip_negative = t.choice("negative", "reject", {"reject", "clip"}) == "clip";
}

void read_window(TomlTable& t, FitConfig& c) {
  t.reject_unknown({"min", "max"});
  if (!t.has("min") || !t.has("max"))
    t.error_at(nullptr, "[window] needs both min and max (eV on the fitted axis)");
  c.has_window = true;
  c.window_min = t.number("min", std::nullopt, "eV");
  c.window_max = t.number("max", std::nullopt, "eV");
  if (!(c.window_min < c.window_max))
    t.error("max", fmt::format("min = {} must be below max = {}", c.window_min, c.window_max));
}

void read_doublet(TomlTable& t, FitConfig& c) {
  t.reject_unknown({"orbital", "splitting", "ratio"});
  c.doublet = true;
  if (!t.has("splitting"))
    t.error_at(nullptr, "[peaks.doublet] needs splitting (eV between the two spin-orbit lines)");
  c.doublet_splitting = t.positive("splitting", std::nullopt, "eV");
  const std::string orb = t.choice("orbital", "", {"p", "d", "f"});
  if (!orb.empty()) {
    const int l = orb == "p" ? 1 : (orb == "d" ? 2 : 3);
    c.doublet_ratio = math::doublet_area_ratio<double>(l);
  }
  if (t.has("ratio")) c.doublet_ratio = t.positive("ratio", std::nullopt);
  if (!(c.doublet_ratio > 0.0))
    t.error_at(nullptr,
               "[peaks.doublet] needs orbital = \"p\"|\"d\"|\"f\" or ratio (minor/major area)");
}

/// count = K or a range [K_min, K_max].
void read_peak_count(TomlTable& t, FitConfig& c) {
  const toml::node* n = t.get("count");
  if (n == nullptr) return;
  const long kmax = math::kMaxPeaks;
  if (n->is_array()) {
    const std::vector<int> k = t.integers("count", std::nullopt, 1, static_cast<int>(kmax));
    if (k.size() != 2 || k[1] < k[0])
      t.error("count", fmt::format("expected a range [min, max] within 1..{}", kmax));
    c.k_min = k[0];
    c.k_max = k[1];
  } else if (n->is_integer()) {
    c.k_min = c.k_max = static_cast<int>(t.integer("count", 1, 1, kmax));
  } else {
    t.error("count", "expected an integer or a range [min, max]");
  }
}

void check_peak_bounds(TomlTable& t, const FitConfig& c) {
  if (c.eta < 0.0 || c.eta > 1.0 || c.eta_min < 0.0 || c.eta_max > 1.0 || c.eta_min > c.eta_max)
    t.error_at(nullptr, fmt::format("[peaks] need 0 <= eta_min <= eta_max <= 1 and 0 <= eta <= 1 "
                                    "(got eta = {}, eta_min = {}, eta_max = {})",
                                    c.eta, c.eta_min, c.eta_max));
  if (!std::isnan(c.fwhm_min) && !std::isnan(c.fwhm_max) && !(c.fwhm_min < c.fwhm_max))
    t.error("fwhm_max",
            fmt::format("fwhm_min = {} must be below fwhm_max = {}", c.fwhm_min, c.fwhm_max));
  if (!std::isnan(c.position_min) && !std::isnan(c.position_max) &&
      !(c.position_min < c.position_max))
    t.error("position_max", fmt::format("position_min = {} must be below position_max = {}",
                                        c.position_min, c.position_max));
}

void read_peaks(TomlTable& t, FitConfig& c) {
  t.reject_unknown({"shape", "count", "position_min", "position_max", "fwhm_min", "fwhm_max", "eta",
                    "eta_free", "eta_min", "eta_max", "doublet"});
  c.shape = t.choice("shape", "pseudo-voigt", {"gaussian", "pseudo-voigt"}) == "gaussian"
                ? PeakShape::Gaussian
                : PeakShape::PseudoVoigt;
  read_peak_count(t, c);
  c.position_min = t.number("position_min", c.position_min, "eV");
  c.position_max = t.number("position_max", c.position_max, "eV");
  c.fwhm_min = t.positive("fwhm_min", c.fwhm_min, "eV");
  c.fwhm_max = t.positive("fwhm_max", c.fwhm_max, "eV");
  c.eta = t.number("eta", c.eta);
  c.eta_free = t.boolean("eta_free", c.eta_free);
  c.eta_min = t.number("eta_min", c.eta_min);
  c.eta_max = t.number("eta_max", c.eta_max);
  check_peak_bounds(t, c);
  TomlTable d = t.child("doublet");
  if (d.present()) read_doublet(d, c);
}

void read_background(TomlTable& t, FitConfig& c) {
  t.reject_unknown({"uniform", "ramps", "steps", "shirley"});
  c.bg_uniform = t.boolean("uniform", c.bg_uniform);
  c.bg_ramps = t.boolean("ramps", c.bg_ramps);
  c.bg_steps = static_cast<int>(t.integer("steps", c.bg_steps, 0, 12));
  c.bg_shirley = t.boolean("shirley", c.bg_shirley);
}

void read_em(TomlTable& t, FitConfig& c) {
  t.reject_unknown({"tolerance", "abs_tolerance", "max_iterations", "random_starts",
                    "screening_iterations", "seed", "screen_bin", "bic_patience", "smooth_fwhm",
                    "min_peak_fraction", "uncertainties"});
  c.tolerance = t.positive("tolerance", c.tolerance);
  c.abs_tolerance = t.positive("abs_tolerance", c.abs_tolerance);
  c.max_iterations = static_cast<int>(t.integer("max_iterations", c.max_iterations, 1, 10000000));
  c.random_starts = static_cast<int>(t.integer("random_starts", c.random_starts, 0, 1000));
  c.screening_iterations =
      static_cast<int>(t.integer("screening_iterations", c.screening_iterations, 1, 100000));
  c.bic_patience = static_cast<int>(t.integer("bic_patience", c.bic_patience, 0, 8));
  c.seed = static_cast<std::uint64_t>(t.integer("seed", 1, 0, INT64_MAX));
  c.screen_bin = static_cast<int>(t.integer("screen_bin", c.screen_bin, 0, 1000));
  c.smooth_fwhm = t.positive("smooth_fwhm", c.smooth_fwhm, "eV");
  c.min_peak_fraction = t.positive("min_peak_fraction", c.min_peak_fraction);
  c.uncertainties = t.boolean("uncertainties", c.uncertainties);
}

void read_image(TomlTable& t, FitConfig& c) {
  t.reject_unknown({"mode", "reference", "max_shift", "level", "neighbor_starts", "widths"});
  c.image_template = t.choice("mode", "pixels", {"pixels", "template"}) == "template";
  t.choice("reference", "sum", {"sum"});
  c.image_max_shift = t.positive("max_shift", c.image_max_shift, "eV");
  c.image_level = t.positive("level", c.image_level);
  if (!(c.image_level < 0.5))
    t.error("level",
            fmt::format("the significance level must lie in (0, 0.5); got {}", c.image_level));
  c.image_neighbors = t.boolean("neighbor_starts", c.image_neighbors);
  c.image_free_widths = t.choice("widths", "template", {"template", "free"}) == "free";
}

void read_output(TomlTable& t, FitConfig& c) {
  t.reject_unknown({"curves", "png"});
  c.write_curves = t.boolean("curves", c.write_curves);
  c.write_png = t.boolean("png", c.write_png);
}

void read_polish(TomlTable& t, FitConfig& c) {
  t.reject_unknown({"enabled", "start", "max_iterations", "tolerance", "abs_tolerance", "residuals",
                    "line_shape", "tougaard", "tougaard_c", "tougaard_d", "bic"});
  c.polish = t.boolean("enabled", true);
  c.polish_start = t.choice("start", c.polish_start, {"em", "model", "casa"});
  c.polish_control.max_iterations =
      static_cast<int>(t.integer("max_iterations", c.polish_control.max_iterations, 1, 1000000));
  c.polish_control.rel_tol = t.positive("tolerance", c.polish_control.rel_tol);
  c.polish_control.abs_tol = t.positive("abs_tolerance", c.polish_control.abs_tol);
  c.polish_residuals = t.boolean("residuals", c.polish_residuals);
  c.polish_line_shape = t.string("line_shape", c.polish_line_shape);
  c.polish_bic = t.choice("bic", "em", {"em", "polish"}) == "polish";
  if (!c.polish_line_shape.empty())  // InputError names the key when the text is not a shape
    parse_casa_lineshape(
        c.polish_line_shape,
        fmt::format("{}:{}: {}", t.file(), t.line("line_shape"), t.key_label("line_shape")));
  const std::string tg = t.choice("tougaard", "none", {"none", "u2", "u3"});
  c.polish_tougaard = tg != "none";
  c.polish_tougaard_xs.three_param = tg == "u3";
  c.polish_tougaard_xs.C = t.positive("tougaard_c", tg == "u3" ? 551.0 : 1643.0, "eV^2");
  c.polish_tougaard_xs.D = t.non_negative("tougaard_d", tg == "u3" ? 436.0 : 0.0, "eV^2");
  c.polish_tougaard_xs.B = 1.0;  // the fitted coefficient is B
}

void read_model(TomlTable& t, FitConfig& c) {
  c.model = parse_peak_model(t);
  c.has_model = true;
}

}  // namespace

namespace {

FitConfig fit_config_of(const toml::table& root, const std::string& source) {
  FitConfig c;
  c.source = source;
  TomlTable top(root, source, "");
  top.reject_unknown(
      {"data", "window", "peaks", "background", "em", "image", "output", "polish", "model"});
  const std::pair<const char*, void (*)(TomlTable&, FitConfig&)> tables[] = {
      {"data", read_data},     {"window", read_window},
      {"peaks", read_peaks},   {"background", read_background},
      {"em", read_em},         {"image", read_image},
      {"output", read_output}, {"polish", read_polish},
      {"model", read_model}};
  for (const auto& [name, read] : tables) {
    TomlTable t = top.child(name);
    if (t.present()) read(t, c);
  }
  if (c.polish && c.polish_start == "model" && !c.has_model)
    top.error("polish", "start = \"model\" needs a [model] table");
  if (c.has_model && !(c.polish && c.polish_start == "model"))
    top.error("model",
              "a [model] is used by [polish] start = \"model\" only: add it or remove "
              "the [model] table");
  return c;
}

}  // namespace

FitConfig parse_fit_config(const std::string& text, const std::string& source) {
  return fit_config_of(parse_toml(text, source), source);
}

FitConfig read_fit_config(const std::string& path) {
  return fit_config_of(parse_toml_file(path, "the fit configuration file"), path);
}

std::string fit_config_help() {
  return R"(Fit configuration (TOML; every key optional; unknown keys are errors):
  [data]
    blocks = ["Sn3d5"]        blocks/datasets to fit by name (default: all)
    energy = "as-recorded"    axis to fit on: "as-recorded" | "binding" | "kinetic"
    photon_energy = 0.0       hν (eV) for the conversion when the file gives none
    work_function = 0.0       φ (eV) of a kinetic scale: E_B = hν − φ − E_K (when the file gives
                              none)
    energy_kind = "from-file" netCDF: what the stored energy axis is when the file does not say
                              (attribute energy_axis): "binding" | "kinetic" | "E-E_F"
                              (E − E_F is read as binding energy −(E − E_F))
    energy_dimension = ""     netCDF: name of the energy dimension (default: the one named
                              energy/binding_energy/kinetic_energy/eV, or the only one in eV)
    intensity_scale = 1.0     factor from stored intensities to Poisson counts
    rate_to_counts = false    VAMAS c/s → counts (collection time × scans)
    negative = "reject"       spectra with negative values: "reject" (status) | "clip" (to 0)
  [window]                    default: all channels
    min = ..., max = ...      eV on the fitted axis, both required, inside the data
  [peaks]
    shape = "pseudo-voigt"    "gaussian" | "pseudo-voigt" (lmfit pvoigt, area mixing)
    count = [1, 3]            number of peaks (or doublets), or a range chosen by BIC
    position_min/max          default: the window
    fwhm_min = 3 channels     lower FWHM bound (eV)
    fwhm_max = window/4       upper FWHM bound (eV)
    eta = 0.3                 Lorentzian fraction: start value (fixed value if eta_free = false)
    eta_free = true, eta_min = 0.0, eta_max = 1.0
  [peaks.doublet]             every peak becomes a spin-orbit doublet (default: none)
    orbital = "f"             "p" 1:2, "d" 2:3, "f" 3:4 area ratio (or ratio = minor/major)
    splitting = 3.33          eV; the minor line lies at higher binding energy
  [background]
    uniform = true, ramps = true (increasing + decreasing linear), steps = 0 (0..12 step-like
    ramps with evenly spaced nodes), shirley = false (active Shirley)
  [em]
    tolerance = 1e-9          relative change of the log-likelihood at convergence
    abs_tolerance = 1e-2      and at most this absolute change
    max_iterations = 1000     per grid, for the kept start
    random_starts = 1         seeded random starts per number of peaks (plus 1-2 deterministic:
                              smoothed local maxima, and the best K-1 fit + the largest residual)
    screening_iterations = 5  iterations each start gets before the best is kept
    bic_patience = 1          stop the K scan after 1 K without a better (provisional) BIC;
                              0 scans the whole range
    seed = 1                  random starts depend only on (seed, spectrum, K, start)
    screen_bin = 0            channels per screening bin (0: auto, fwhm_min/4 per bin)
    smooth_fwhm = fwhm_min    smoothing (eV) for the start detection
    min_peak_fraction = 1e-6  peaks with less of the counts are degenerate
    uncertainties = true      standard errors from the observed information
  [image]                     how images (and stacks) are fitted
    mode = "pixels"           "pixels": every spectrum on its own (EM + BIC per pixel);
                              "template": as an image: the sum spectrum is fitted first (EM +
                              BIC, then the [polish] with its line_shape/tougaard/bic keys),
                              its components become a template polished on every pixel
                              (fixed line shapes and widths, free areas, positions within
                              ±max_shift), started from the fitted neighbours; each component
                              keeps its identity (chemical state) over the map; a
                              likelihood-ratio test per component (level) allows "no peak
                              here" and masks the maps
    reference = "sum"         spectrum the template comes from (the sum of all pixels)
    max_shift = 0.3           eV; held below half the smallest component separation
    level = 1e-3              significance level α: component significant when
                              2 Δln L above the χ² quantile at 1 − α with 2 degrees of freedom
                              (area, shift; 3 with widths = "free")
    neighbor_starts = true    also start each pixel from its fitted neighbours
    widths = "template"       "template": FWHMs fixed at the sum's; "free": each pixel fits
                              every state's FWHM within [0.1, 3] × the sum's (doublet partners
                              follow their links)
  [output]
    curves = true             single spectra: CSV of data, fit, components (+ PNG)
    png = true                PNG maps / plots when matplotlib is available
  [polish]                    maximum-likelihood polish after the EM (default: off; the table
                              turns it on)
    enabled = true
    start = "em"              "em": the EM's answer, spectra grouped by number of peaks;
                              "model": the [model] table; "casa": the CasaXPS model in the
                              block's comment lines (CASA region / CASA comp)
    max_iterations = 200      Levenberg-Marquardt iterations per spectrum
    tolerance = 1e-10         relative decrease of the deviance at convergence
    abs_tolerance = 1e-3      plus this absolute decrease (deviance = 2 ln L units)
    residuals = true          Pearson residual cube "<block>_residual" in the result file
    line_shape = ""           start "em": line shape of the polished components in CasaXPS
                              notation, e.g. LA(1.1,4,30) or GL(30), its shape parameters
                              held fixed; "": the EM's shape (pseudo-Voigt or Gaussian)
    tougaard = "none"         start "em": "u2" or "u3" adds an active Tougaard background, B
                              times the Tougaard integral of the fitted components (B fitted;
                              the curve recomputed from the first polish and polished again)
    bic = "em"                start "em": number of peaks by the EM's BIC ("em"), or also by
                              the BIC of the polished models ("polish": the weakest peak
                              dropped and the spectrum polished again while the BIC falls)
    tougaard_c = 1643         cross-section C (eV^2; 551 for u3)
    tougaard_d = 0            cross-section D (eV^2; 436 for u3)
)" + peak_model_help();
}

}  // namespace vitrum::spectra
