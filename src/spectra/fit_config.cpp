// TOML configuration of the EM fit: every key is checked for its table, type and range; an
// unknown key is an error naming the file, the line and the key (a typo must not silently
// fall back to a default).
#include <cmath>
#include <fstream>
#include <initializer_list>
#include <sstream>

#include "vitrum/core/error.hpp"
#include "vitrum/core/toml.hpp"
#include "vitrum/spectra/fit.hpp"
#include "vitrum/spectra/math/lineshapes.hpp"

namespace vitrum::spectra {

namespace {

class Reader {
 public:
  explicit Reader(std::string file) : file_(std::move(file)) {}

  [[noreturn]] void error(const toml::node* n, const std::string& msg) const {
    throw InputError(file_, n ? static_cast<long>(n->source().begin.line) : 0, msg);
  }

  /// Rejects keys of t not in `allowed` (sub-tables named in `tables` are allowed too).
  void check_keys(const toml::table& t, const std::string& name,
                  std::initializer_list<const char*> allowed) const {
    reject_unknown_keys(file_, t, name.empty() ? "the top level" : "[" + name + "]", allowed);
  }

  const toml::table* table(const toml::table& t, const char* key, const std::string& name) const {
    const toml::node* n = t.get(key);
    if (!n) return nullptr;
    if (!n->is_table()) error(n, fmt::format("'{}' must be a table [{}]", key, name));
    return n->as_table();
  }

  double number(const toml::table& t, const char* key, const std::string& tn, double def) const {
    const toml::node* n = t.get(key);
    if (!n) return def;
    if (auto v = n->value<double>(); v && (n->is_floating_point() || n->is_integer())) {
      if (!std::isfinite(*v)) error(n, fmt::format("[{}] {} must be finite", tn, key));
      return *v;
    }
    error(n, fmt::format("[{}] {} must be a number", tn, key));
  }

  double positive(const toml::table& t, const char* key, const std::string& tn, double def) const {
    const double v = number(t, key, tn, def);
    if (t.get(key) && !(v > 0.0))
      error(t.get(key), fmt::format("[{}] {} must be > 0 (got {})", tn, key, v));
    return v;
  }

  long integer(const toml::table& t, const char* key, const std::string& tn, long def, long lo,
               long hi) const {
    const toml::node* n = t.get(key);
    if (!n) return def;
    if (!n->is_integer()) error(n, fmt::format("[{}] {} must be an integer", tn, key));
    const long v = static_cast<long>(*n->value<int64_t>());
    if (v < lo || v > hi)
      error(n, fmt::format("[{}] {} = {} is outside {}..{}", tn, key, v, lo, hi));
    return v;
  }

  bool boolean(const toml::table& t, const char* key, const std::string& tn, bool def) const {
    const toml::node* n = t.get(key);
    if (!n) return def;
    if (!n->is_boolean()) error(n, fmt::format("[{}] {} must be true or false", tn, key));
    return *n->value<bool>();
  }

  std::string choice(const toml::table& t, const char* key, const std::string& tn,
                     const std::string& def, std::initializer_list<const char*> options) const {
    const toml::node* n = t.get(key);
    if (!n) return def;
    if (!n->is_string()) error(n, fmt::format("[{}] {} must be a string", tn, key));
    const std::string v = *n->value<std::string>();
    std::string list;
    for (const char* o : options) {
      if (v == o) return v;
      list += std::string(list.empty() ? "" : ", ") + "'" + o + "'";
    }
    error(n, fmt::format("[{}] {} = '{}' is not one of {}", tn, key, v, list));
  }

  const std::string& file() const { return file_; }

 private:
  std::string file_;
};

void read_data(const Reader& r, const toml::table& t, FitConfig& c) {
  const std::string tn = "data";
  r.check_keys(
      t, tn,
      {"blocks", "energy", "photon_energy", "intensity_scale", "rate_to_counts", "negative"});
  if (const toml::node* n = t.get("blocks")) {
    if (n->is_string()) {
      c.blocks.push_back(*n->value<std::string>());
    } else if (n->is_array()) {
      for (const toml::node& e : *n->as_array()) {
        if (!e.is_string()) r.error(&e, "[data] blocks must be a string or an array of strings");
        c.blocks.push_back(*e.value<std::string>());
      }
    } else {
      r.error(n, "[data] blocks must be a string or an array of strings");
    }
  }
  const std::string axis =
      r.choice(t, "energy", tn, "as-recorded", {"as-recorded", "binding", "kinetic"});
  c.axis = axis == "binding" ? FitAxis::Binding
                             : (axis == "kinetic" ? FitAxis::Kinetic : FitAxis::AsRecorded);
  c.photon_energy = r.number(t, "photon_energy", tn, c.photon_energy);
  c.intensity_scale = r.positive(t, "intensity_scale", tn, c.intensity_scale);
  c.rate_to_counts = r.boolean(t, "rate_to_counts", tn, c.rate_to_counts);
  c.clip_negative = r.choice(t, "negative", tn, "reject", {"reject", "clip"}) == "clip";
}

void read_window(const Reader& r, const toml::table& t, FitConfig& c) {
  const std::string tn = "window";
  r.check_keys(t, tn, {"min", "max"});
  if (!t.get("min") || !t.get("max"))
    r.error(&t, "[window] needs both min and max (eV on the fitted axis)");
  c.has_window = true;
  c.window_min = r.number(t, "min", tn, 0.0);
  c.window_max = r.number(t, "max", tn, 0.0);
  if (!(c.window_min < c.window_max))
    r.error(t.get("max"),
            fmt::format("[window] min = {} must be below max = {}", c.window_min, c.window_max));
}

void read_doublet(const Reader& r, const toml::table& t, FitConfig& c) {
  const std::string tn = "peaks.doublet";
  r.check_keys(t, tn, {"orbital", "splitting", "ratio"});
  c.doublet = true;
  if (!t.get("splitting"))
    r.error(&t, "[peaks.doublet] needs splitting (eV between the two spin-orbit lines)");
  c.doublet_splitting = r.positive(t, "splitting", tn, 0.0);
  const std::string orb = r.choice(t, "orbital", tn, "", {"p", "d", "f"});
  if (!orb.empty()) {
    const int l = orb == "p" ? 1 : (orb == "d" ? 2 : 3);
    c.doublet_ratio = math::doublet_area_ratio<double>(l);
  }
  if (t.get("ratio")) c.doublet_ratio = r.positive(t, "ratio", tn, 0.0);
  if (!(c.doublet_ratio > 0.0))
    r.error(&t, "[peaks.doublet] needs orbital = \"p\"|\"d\"|\"f\" or ratio (minor/major area)");
}

void read_peaks(const Reader& r, const toml::table& t, FitConfig& c) {
  const std::string tn = "peaks";
  r.check_keys(t, tn,
               {"shape", "count", "position_min", "position_max", "fwhm_min", "fwhm_max", "eta",
                "eta_free", "eta_min", "eta_max", "doublet"});
  c.shape = r.choice(t, "shape", tn, "pseudo-voigt", {"gaussian", "pseudo-voigt"}) == "gaussian"
                ? PeakShape::Gaussian
                : PeakShape::PseudoVoigt;
  if (const toml::node* n = t.get("count")) {
    const long kmax = math::kMaxPeaks;
    if (n->is_integer()) {
      c.k_min = c.k_max = static_cast<int>(r.integer(t, "count", tn, 1, 1, kmax));
    } else if (n->is_array() && n->as_array()->size() == 2 && (*n->as_array())[0].is_integer() &&
               (*n->as_array())[1].is_integer()) {
      c.k_min = static_cast<int>(*(*n->as_array())[0].value<int64_t>());
      c.k_max = static_cast<int>(*(*n->as_array())[1].value<int64_t>());
      if (c.k_min < 1 || c.k_max < c.k_min || c.k_max > kmax)
        r.error(n, fmt::format("[peaks] count = [{}, {}] must be a range within 1..{}", c.k_min,
                               c.k_max, kmax));
    } else {
      r.error(n, "[peaks] count must be an integer or a range [min, max]");
    }
  }
  c.position_min = r.number(t, "position_min", tn, c.position_min);
  c.position_max = r.number(t, "position_max", tn, c.position_max);
  c.fwhm_min = r.positive(t, "fwhm_min", tn, c.fwhm_min);
  c.fwhm_max = r.positive(t, "fwhm_max", tn, c.fwhm_max);
  c.eta = r.number(t, "eta", tn, c.eta);
  c.eta_free = r.boolean(t, "eta_free", tn, c.eta_free);
  c.eta_min = r.number(t, "eta_min", tn, c.eta_min);
  c.eta_max = r.number(t, "eta_max", tn, c.eta_max);
  if (c.eta < 0.0 || c.eta > 1.0 || c.eta_min < 0.0 || c.eta_max > 1.0 || c.eta_min > c.eta_max)
    r.error(&t, fmt::format("[peaks] need 0 <= eta_min <= eta_max <= 1 and 0 <= eta <= 1 "
                            "(got eta = {}, eta_min = {}, eta_max = {})",
                            c.eta, c.eta_min, c.eta_max));
  if (!std::isnan(c.fwhm_min) && !std::isnan(c.fwhm_max) && !(c.fwhm_min < c.fwhm_max))
    r.error(t.get("fwhm_max"), fmt::format("[peaks] fwhm_min = {} must be below fwhm_max = {}",
                                           c.fwhm_min, c.fwhm_max));
  if (!std::isnan(c.position_min) && !std::isnan(c.position_max) &&
      !(c.position_min < c.position_max))
    r.error(t.get("position_max"),
            fmt::format("[peaks] position_min = {} must be below position_max = {}", c.position_min,
                        c.position_max));
  if (const toml::table* d = r.table(t, "doublet", "peaks.doublet")) read_doublet(r, *d, c);
}

void read_background(const Reader& r, const toml::table& t, FitConfig& c) {
  const std::string tn = "background";
  r.check_keys(t, tn, {"uniform", "ramps", "steps", "shirley"});
  c.bg_uniform = r.boolean(t, "uniform", tn, c.bg_uniform);
  c.bg_ramps = r.boolean(t, "ramps", tn, c.bg_ramps);
  c.bg_steps = static_cast<int>(r.integer(t, "steps", tn, c.bg_steps, 0, 12));
  c.bg_shirley = r.boolean(t, "shirley", tn, c.bg_shirley);
}

void read_em(const Reader& r, const toml::table& t, FitConfig& c) {
  const std::string tn = "em";
  r.check_keys(
      t, tn,
      {"tolerance", "abs_tolerance", "max_iterations", "random_starts", "screening_iterations",
       "seed", "screen_bin", "bic_patience", "smooth_fwhm", "min_peak_fraction", "uncertainties"});
  c.tolerance = r.positive(t, "tolerance", tn, c.tolerance);
  c.abs_tolerance = r.positive(t, "abs_tolerance", tn, c.abs_tolerance);
  c.max_iterations =
      static_cast<int>(r.integer(t, "max_iterations", tn, c.max_iterations, 1, 10000000));
  c.random_starts = static_cast<int>(r.integer(t, "random_starts", tn, c.random_starts, 0, 1000));
  c.screening_iterations =
      static_cast<int>(r.integer(t, "screening_iterations", tn, c.screening_iterations, 1, 100000));
  c.bic_patience = static_cast<int>(r.integer(t, "bic_patience", tn, c.bic_patience, 0, 8));
  c.seed = static_cast<std::uint64_t>(r.integer(t, "seed", tn, 1, 0, INT64_MAX));
  c.screen_bin = static_cast<int>(r.integer(t, "screen_bin", tn, c.screen_bin, 0, 1000));
  c.smooth_fwhm = r.positive(t, "smooth_fwhm", tn, c.smooth_fwhm);
  c.min_peak_fraction = r.positive(t, "min_peak_fraction", tn, c.min_peak_fraction);
  c.uncertainties = r.boolean(t, "uncertainties", tn, c.uncertainties);
}

void read_output(const Reader& r, const toml::table& t, FitConfig& c) {
  const std::string tn = "output";
  r.check_keys(t, tn, {"curves", "png"});
  c.write_curves = r.boolean(t, "curves", tn, c.write_curves);
  c.write_png = r.boolean(t, "png", tn, c.write_png);
}

}  // namespace

FitConfig parse_fit_config(const std::string& text, const std::string& source) {
  toml::table root;
  try {
    root = toml::parse(text, source);
  } catch (const toml::parse_error& e) {
    throw InputError(source, static_cast<long>(e.source().begin.line),
                     fmt::format("TOML syntax error: {}", e.description()));
  }
  Reader r(source);
  FitConfig c;
  c.source = source;
  r.check_keys(root, "", {"data", "window", "peaks", "background", "em", "output"});
  if (const toml::table* t = r.table(root, "data", "data")) read_data(r, *t, c);
  if (const toml::table* t = r.table(root, "window", "window")) read_window(r, *t, c);
  if (const toml::table* t = r.table(root, "peaks", "peaks")) read_peaks(r, *t, c);
  if (const toml::table* t = r.table(root, "background", "background")) read_background(r, *t, c);
  if (const toml::table* t = r.table(root, "em", "em")) read_em(r, *t, c);
  if (const toml::table* t = r.table(root, "output", "output")) read_output(r, *t, c);
  return c;
}

FitConfig read_fit_config(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError(path, 0, "cannot open the fit configuration file");
  std::stringstream ss;
  ss << in.rdbuf();
  return parse_fit_config(ss.str(), path);
}

std::string fit_config_help() {
  return R"(Fit configuration (TOML; every key optional; unknown keys are errors):
  [data]
    blocks = ["Sn3d5"]        blocks/datasets to fit by name (default: all)
    energy = "as-recorded"    axis to fit on: "as-recorded" | "binding" | "kinetic"
    photon_energy = 0.0       hν (eV) for the conversion when the file gives none
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
  [output]
    curves = true             single spectra: CSV of data, fit, components (+ PNG)
    png = true                PNG maps / plots when matplotlib is available
)";
}

}  // namespace vitrum::spectra
