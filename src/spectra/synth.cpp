// Synthetic spectrum images with known truth (see synth.hpp for the model).
#include "vitrum/spectra/synth.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <set>
#include <string>
#include <vector>

#include "vitrum/core/error.hpp"
#include "vitrum/core/toml.hpp"
#include "vitrum/spectra/casa_lineshape.hpp"
#include "vitrum/spectra/math/backgrounds.hpp"
#include "vitrum/spectra/math/lineshapes.hpp"
#include "vitrum/spectra/math/peak_shapes.hpp"

namespace vitrum::spectra {
namespace {

std::uint64_t splitmix64(std::uint64_t& x) {
  std::uint64_t z = (x += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

std::uint64_t rotl(std::uint64_t x, int k) {
  return (x << k) | (x >> (64 - k));
}

const char* pattern_name(SynthPattern p) {
  switch (p) {
    case SynthPattern::Constant:
      return "constant";
    case SynthPattern::GradientX:
      return "gradient_x";
    case SynthPattern::GradientY:
      return "gradient_y";
    case SynthPattern::Radial:
      return "radial";
    case SynthPattern::Checker:
      return "checker";
  }
  return "?";
}

void validate(const SynthConfig& c) {
  auto need = [](bool ok, const std::string& msg) {
    if (!ok) throw Error("spectra synth: " + msg);
  };
  need(c.ny >= 1 && c.nx >= 1 && c.ny <= 65536 && c.nx <= 65536,
       fmt::format("image size {} × {} must be between 1 and 65536 per side", c.ny, c.nx));
  need(std::isfinite(c.energy_step) && c.energy_step > 0,
       fmt::format("energy step {} eV must be > 0", c.energy_step));
  need(std::isfinite(c.energy_min) && std::isfinite(c.energy_max) && c.energy_max > c.energy_min,
       fmt::format("energy window [{}, {}] eV must have min < max", c.energy_min, c.energy_max));
  const double n = (c.energy_max - c.energy_min) / c.energy_step;
  need(n >= 4 && n <= 1e6,
       fmt::format("energy window [{}, {}] eV with step {} eV gives {:.0f} channels; need 5 to "
                   "1e6",
                   c.energy_min, c.energy_max, c.energy_step, n + 1));
  need(std::isfinite(c.fwhm) && c.fwhm > 0, fmt::format("FWHM {} eV must be > 0", c.fwhm));
  need(c.eta >= 0 && c.eta <= 1, fmt::format("eta {} must be in [0, 1]", c.eta));
  need(c.doublet_splitting >= 0,
       fmt::format("doublet splitting {} eV must be ≥ 0", c.doublet_splitting));
  need(c.doublet_ratio > 0 && c.doublet_ratio <= 1,
       fmt::format("doublet ratio {} must be in (0, 1]", c.doublet_ratio));
  need(c.ratio.min >= 0 && c.ratio.max <= 1 && c.ratio.min <= c.ratio.max,
       fmt::format("intensity ratio range [{}, {}] must lie in [0, 1] with min ≤ max", c.ratio.min,
                   c.ratio.max));
  need(c.shift.min <= c.shift.max,
       fmt::format("shift range [{}, {}] eV must have min ≤ max", c.shift.min, c.shift.max));
  need(c.shift.tile >= 1 && c.ratio.tile >= 1, "checker tile must be ≥ 1 pixel");
  need(c.peak_counts >= 0 && std::isfinite(c.peak_counts),
       fmt::format("peak counts {} must be ≥ 0", c.peak_counts));
  need(c.background >= 0, fmt::format("background {} counts/channel must be ≥ 0", c.background));
  need(c.shirley >= 0, fmt::format("shirley step {} must be ≥ 0", c.shirley));
  const auto& t = c.tougaard;
  need(t.C > 0 && t.D >= 0 && t.B >= 0 && std::isfinite(t.B) && std::isfinite(t.C) &&
           std::isfinite(t.D),
       fmt::format("Tougaard cross-section B = {}, C = {}, D = {}: need B ≥ 0, C > 0, D ≥ 0", t.B,
                   t.C, t.D));
  const double lo = c.position + std::min(0.0, c.shift.min);
  const double hi = c.position + std::max(0.0, c.shift.max) + c.doublet_splitting;
  need(lo >= c.energy_min && hi <= c.energy_max,
       fmt::format("peaks span [{}, {}] eV (position, shift range, doublet splitting) but the "
                   "energy window is [{}, {}] eV: widen the window or move the peaks",
                   lo, hi, c.energy_min, c.energy_max));
}

// The peak shape of every synthetic peak: `line_shape` when given, else shape/eta.
CasaLineShape synth_line_shape(const SynthConfig& c) {
  if (!c.line_shape.empty()) {
    CasaLineShape s = parse_casa_lineshape(c.line_shape, "spectra synth: [peak] line_shape");
    math::ShapeParams p = s.params(c.position, c.fwhm, 1.0);
    if (!math::shape_params_valid(s.kind, p))
      throw Error(
          fmt::format("spectra synth: [peak] line_shape '{}' with FWHM {} eV is outside "
                      "its parameter domain",
                      c.line_shape, c.fwhm));
    return s;
  }
  CasaLineShape s;
  s.kind =
      c.shape == SynthShape::Gaussian ? math::ShapeKind::Gaussian : math::ShapeKind::PseudoVoigt;
  s.p[0] = c.shape == SynthShape::Gaussian ? 0.0 : c.eta;
  s.text = c.shape == SynthShape::Gaussian ? "Gaussian" : fmt::format("PV({})", c.eta);
  return s;
}

// Weights of the Tougaard integral of a piecewise-linear signal on a uniform grid of spacing δ:
// channel j contributes s_j·(left[i−j] + right[i−j]) to channel i (left: the half hat below x_j,
// right: above; the end channels of the window have one half only). Gauss–Legendre 10 on each
// half hat, as math::tougaard_integral does on each interval; B = 1.
void tougaard_weights(math::TougaardCrossSection k, double delta, int n, std::vector<double>& left,
                      std::vector<double>& right) {
  k.B = 1.0;  // B scales the result in expected_pixel
  left.assign(n, 0.0);
  right.assign(n, 0.0);
  for (int d = 0; d < n; ++d)
    for (int q = 0; q < 5; ++q)
      for (int sg = -1; sg <= 1; sg += 2) {
        double xn, wn;
        math::gauss_legendre10(q, xn, wn);
        const double t = 0.5 * delta * (1.0 + sg * xn), w = 0.5 * delta * wn * (1.0 - t / delta);
        left[d] += w * math::tougaard_kernel(k, d * delta + t);
        right[d] += w * math::tougaard_kernel(k, d * delta - t);
      }
}

// Tougaard background of one pixel's peak signal s (counts per channel).
void tougaard_pixel(const std::vector<double>& left, const std::vector<double>& right,
                    const double* s, int n, double* out) {
  for (int i = 0; i < n; ++i) {
    double b = i > 0 ? s[0] * right[i] + s[i] * left[0] : 0.0;
    for (int j = 1; j < i; ++j) b += s[j] * (left[i - j] + right[i - j]);
    out[i] = b;
  }
}

// Expected counts of one pixel: peaks (per channel: area · δ · profile) plus the flat part and
// the Shirley-like step or the Tougaard background. sig receives the peak signal.
void expected_pixel(const SynthConfig& c, const CasaLineShape& shape,
                    const std::vector<double>& energy, const double* x0, const double* area,
                    int npk, const std::vector<double>& tg_left,
                    const std::vector<double>& tg_right, double* sig, double* mu) {
  const int nch = static_cast<int>(energy.size());
  const double dx = c.energy_step;
  const math::ShapeParams prm = shape.params(0.0, c.fwhm, 1.0);
  const auto prep = math::prepare_shape<double>(shape.kind, c.fwhm, prm.p);
  for (int i = 0; i < nch; ++i) {
    double s = 0;
    for (int j = 0; j < npk; ++j)
      s += area[j] * dx * math::prepared_unit_value(prep, energy[i] - x0[j]);
    sig[i] = s;
  }
  if (c.background_kind == SynthBackground::Tougaard) {
    tougaard_pixel(tg_left, tg_right, sig, nch, mu);
    for (int i = 0; i < nch; ++i) mu[i] = c.background + c.tougaard.B * mu[i] + sig[i];
    return;
  }
  double cum = 0;  // peak counts at lower binding energy
  for (int i = 0; i < nch; ++i) {
    mu[i] = c.background + c.shirley * (cum + 0.5 * sig[i]) + sig[i];
    cum += sig[i];
  }
}

}  // namespace

PoissonStream::PoissonStream(std::uint64_t seed, std::uint64_t stream) {
  std::uint64_t x = seed ^ (0xD1B54A32D192ED03ull * (stream + 1));
  for (auto& s : s_) s = splitmix64(x);
}

double PoissonStream::uniform() {
  // xoshiro256**
  const std::uint64_t result = rotl(s_[1] * 5, 7) * 9;
  const std::uint64_t t = s_[1] << 17;
  s_[2] ^= s_[0];
  s_[3] ^= s_[1];
  s_[1] ^= s_[2];
  s_[0] ^= s_[3];
  s_[2] ^= t;
  s_[3] = rotl(s_[3], 45);
  return static_cast<double>(result >> 11) * 0x1.0p-53;
}

double PoissonStream::poisson(double lam) {
  if (!(lam > 0)) return 0.0;
  if (lam < 10) {
    // Inversion by sequential search.
    const double enlam = std::exp(-lam);
    double x = 0, prod = 1.0;
    while (true) {
      prod *= uniform();
      if (prod > enlam)
        x += 1;
      else
        return x;
    }
  }
  // PTRS, transformed rejection with squeeze (Hörmann 1993), as in NumPy.
  const double slam = std::sqrt(lam), loglam = std::log(lam);
  const double b = 0.931 + 2.53 * slam;
  const double a = -0.059 + 0.02483 * b;
  const double invalpha = 1.1239 + 1.1328 / (b - 3.4);
  const double vr = 0.9277 - 3.6224 / (b - 2);
  while (true) {
    const double U = uniform() - 0.5;
    const double V = uniform();
    const double us = 0.5 - std::fabs(U);
    const double k = std::floor((2 * a / us + b) * U + lam + 0.43);
    if (us >= 0.07 && V <= vr) return k;
    if (k < 0 || (us < 0.013 && V > us)) continue;
    if (std::log(V) + std::log(invalpha) - std::log(a / (us * us) + b) <=
        -lam + k * loglam - std::lgamma(k + 1))
      return k;
  }
}

double synth_pattern(const SynthMap& map, int iy, int ix, int ny, int nx) {
  const double u = nx > 1 ? static_cast<double>(ix) / (nx - 1) : 0.0;
  const double v = ny > 1 ? static_cast<double>(iy) / (ny - 1) : 0.0;
  switch (map.pattern) {
    case SynthPattern::Constant:
      return 0.0;
    case SynthPattern::GradientX:
      return u;
    case SynthPattern::GradientY:
      return v;
    case SynthPattern::Radial: {
      const double du = nx > 1 ? u - 0.5 : 0.0, dv = ny > 1 ? v - 0.5 : 0.0;
      const double r = std::sqrt(du * du + dv * dv) / std::sqrt(0.5);
      return std::clamp(1.0 - r, 0.0, 1.0);
    }
    case SynthPattern::Checker:
      return ((iy / map.tile) + (ix / map.tile)) % 2 == 0 ? 0.0 : 1.0;
  }
  return 0.0;
}

SynthPattern parse_synth_pattern(const std::string& name) {
  for (SynthPattern p : {SynthPattern::Constant, SynthPattern::GradientX, SynthPattern::GradientY,
                         SynthPattern::Radial, SynthPattern::Checker})
    if (name == pattern_name(p)) return p;
  fail(
      "unknown synthetic map pattern '{}': expected constant, gradient_x, gradient_y, radial or "
      "checker",
      name);
}

SynthResult synthesize(const SynthConfig& c) {
  validate(c);
  const int nch =
      static_cast<int>(std::floor((c.energy_max - c.energy_min) / c.energy_step + 1e-9)) + 1;
  std::vector<double> energy(nch);
  for (int i = 0; i < nch; ++i) energy[i] = c.energy_min + c.energy_step * i;

  const bool doublet = c.doublet_splitting > 0;
  const int per_state = doublet ? 2 : 1;
  const int npk = 2 * per_state;
  const long npix = static_cast<long>(c.ny) * c.nx;
  const CasaLineShape shape = synth_line_shape(c);
  const bool tougaard = c.background_kind == SynthBackground::Tougaard;
  std::vector<double> tg_left, tg_right;
  if (tougaard) tougaard_weights(c.tougaard, c.energy_step, nch, tg_left, tg_right);

  SynthResult r;
  SpectrumImage& img = r.image;
  img.name = c.name;
  img.source = "vitrum spectra synth";
  img.ny = c.ny;
  img.nx = c.nx;
  img.energy = energy;
  img.energy_kind = EnergyKind::Binding;
  img.photon_energy = c.photon_energy;
  img.counts.assign(static_cast<size_t>(npix) * nch, 0.0f);
  r.expected = img;
  r.expected.name = c.name + "_expected";

  auto& md = img.metadata;
  md["generator"] = "vitrum spectra synth";
  md["synth.shape"] = c.shape == SynthShape::Gaussian ? "gaussian" : "pseudo_voigt";
  md["synth.line_shape"] = format_casa_lineshape(shape);
  md["synth.background_kind"] = tougaard ? "tougaard" : "shirley_step";
  if (tougaard)
    md["synth.tougaard"] =
        fmt::format("{} B = {} C = {} D = {}", c.tougaard.three_param ? "U 3" : "U 2", c.tougaard.B,
                    c.tougaard.C, c.tougaard.D);
  md["synth.position_eV"] = fmt::format("{}", c.position);
  md["synth.fwhm_eV"] = fmt::format("{}", c.fwhm);
  md["synth.eta"] = fmt::format("{}", c.eta);
  md["synth.doublet_splitting_eV"] = fmt::format("{}", c.doublet_splitting);
  md["synth.doublet_ratio"] = fmt::format("{}", c.doublet_ratio);
  md["synth.shift"] =
      fmt::format("{} [{}, {}] eV", pattern_name(c.shift.pattern), c.shift.min, c.shift.max);
  md["synth.ratio"] =
      fmt::format("{} [{}, {}]", pattern_name(c.ratio.pattern), c.ratio.min, c.ratio.max);
  md["synth.peak_counts"] = fmt::format("{}", c.peak_counts);
  md["synth.background"] = fmt::format("{}", c.background);
  md["synth.shirley"] = fmt::format("{}", c.shirley);
  md["synth.noise"] = c.noise ? "poisson" : "none";
  md["synth.seed"] = fmt::format("{}", c.seed);
  md["signal.quantity"] = "Intensity (counts)";
  r.expected.metadata = md;
  r.expected.metadata["synth.noise"] = "none (expected counts)";

  MapSet& t = r.truth;
  t.name = "truth";
  t.title = c.name + " truth";
  t.source = "vitrum spectra synth";
  t.ny = c.ny;
  t.nx = c.nx;
  t.metadata = md;
  Map shift{"shift", "eV", "Chemical shift of B vs A", std::vector<float>(npix)};
  Map ratio{"ratio", "", "Intensity fraction of B", std::vector<float>(npix)};
  Map pc{"peak_counts", "counts", "Peak counts", std::vector<float>(npix)};
  Map bg{"background", "counts", "Flat background per channel", std::vector<float>(npix)};
  Map step{"shirley_step", "counts", "Shirley step height per channel", std::vector<float>(npix)};
  Map tb{"tougaard_B", "eV^2", "Tougaard cross-section scale B", std::vector<float>(npix)};
  std::vector<std::string> labels = {"A"};
  if (doublet) labels.push_back("A partner");
  labels.push_back("B");
  if (doublet) labels.push_back("B partner");
  auto stack = [&](const char* name, const char* units, const char* long_name) {
    PeakStack s;
    s.name = name;
    s.units = units;
    s.long_name = long_name;
    s.n_peaks = npk;
    s.values.assign(static_cast<size_t>(npk) * npix, 0.0f);
    s.peak_labels = labels;
    return s;
  };
  PeakStack pos = stack("position", "eV", "Peak position (binding energy)");
  PeakStack fw = stack("fwhm", "eV", "Peak FWHM");
  PeakStack et = stack("eta", "", "Lorentzian fraction");
  PeakStack ar = stack("area", "counts", "Peak area");

#pragma omp parallel for schedule(static)
  for (long p = 0; p < npix; ++p) {
    const int iy = static_cast<int>(p / c.nx), ix = static_cast<int>(p % c.nx);
    const double d =
        c.shift.min + (c.shift.max - c.shift.min) * synth_pattern(c.shift, iy, ix, c.ny, c.nx);
    const double q =
        c.ratio.min + (c.ratio.max - c.ratio.min) * synth_pattern(c.ratio, iy, ix, c.ny, c.nx);
    double x0[4], area[4];
    int k = 0;
    for (int state = 0; state < 2; ++state) {
      const double base = c.position + (state ? d : 0.0);
      const double a = c.peak_counts * (state ? q : 1.0 - q);
      if (doublet) {
        x0[k] = base;
        area[k++] = a / (1.0 + c.doublet_ratio);
        x0[k] = base + c.doublet_splitting;
        area[k++] = a * c.doublet_ratio / (1.0 + c.doublet_ratio);
      } else {
        x0[k] = base;
        area[k++] = a;
      }
    }
    const double eta = shape.kind == math::ShapeKind::PseudoVoigt ? shape.p[0] : 0.0;
    std::vector<double> m(nch), sig(nch);
    expected_pixel(c, shape, energy, x0, area, npk, tg_left, tg_right, sig.data(), m.data());
    float* mu = r.expected.spectrum(p);
    float* obs = img.spectrum(p);
    PoissonStream rng(c.seed, static_cast<std::uint64_t>(p));
    for (int i = 0; i < nch; ++i) {
      mu[i] = static_cast<float>(m[i]);
      obs[i] = static_cast<float>(c.noise ? rng.poisson(m[i]) : m[i]);
    }
    shift.values[p] = static_cast<float>(d);
    ratio.values[p] = static_cast<float>(q);
    pc.values[p] = static_cast<float>(c.peak_counts);
    bg.values[p] = static_cast<float>(c.background);
    step.values[p] = static_cast<float>(tougaard ? 0.0 : c.shirley * c.peak_counts);
    tb.values[p] = static_cast<float>(tougaard ? c.tougaard.B : 0.0);
    for (int j = 0; j < npk; ++j) {
      pos.values[j * npix + p] = static_cast<float>(x0[j]);
      fw.values[j * npix + p] = static_cast<float>(c.fwhm);
      et.values[j * npix + p] = static_cast<float>(eta);
      ar.values[j * npix + p] = static_cast<float>(area[j]);
    }
  }
  t.maps = {std::move(shift), std::move(ratio), std::move(pc),
            std::move(bg),    std::move(step),  std::move(tb)};
  t.peak_stacks = {std::move(pos), std::move(fw), std::move(et), std::move(ar)};
  return r;
}

namespace {

constexpr long kMaxInt = std::numeric_limits<int>::max();

void read_synth_map(TomlTable& s, SynthMap& m) {
  s.reject_unknown({"pattern", "min", "max", "tile"});
  if (s.has("pattern")) {
    try {
      m.pattern = parse_synth_pattern(s.string("pattern", std::nullopt));
    } catch (const InputError&) {
      throw;
    } catch (const Error& e) {
      s.error("pattern", e.what());
    }
  }
  m.min = s.number("min", m.min);
  m.max = s.number("max", m.max);
  m.tile = static_cast<int>(s.integer("tile", m.tile, 0, kMaxInt));
}

void read_synth_peak(TomlTable& pk, SynthConfig& c) {
  pk.reject_unknown(
      {"shape", "line_shape", "position", "fwhm", "eta", "doublet_splitting", "doublet_ratio"});
  if (pk.has("line_shape")) {
    c.line_shape = pk.string("line_shape", std::nullopt);
    try {
      parse_casa_lineshape(c.line_shape);
    } catch (const InputError&) {
      throw;
    } catch (const Error& e) {
      pk.error("line_shape", e.what());
    }
  }
  if (pk.has("shape")) {
    const std::string shape = pk.string("shape", std::nullopt);
    if (shape == "gaussian")
      c.shape = SynthShape::Gaussian;
    else if (shape == "pseudo_voigt" || shape == "pvoigt")
      c.shape = SynthShape::PseudoVoigt;
    else
      pk.error("shape", fmt::format("'{}': expected gaussian or pseudo_voigt", shape));
  }
  c.position = pk.number("position", c.position, "eV");
  c.fwhm = pk.number("fwhm", c.fwhm, "eV");
  c.eta = pk.number("eta", c.eta);
  c.doublet_splitting = pk.number("doublet_splitting", c.doublet_splitting, "eV");
  c.doublet_ratio = pk.number("doublet_ratio", c.doublet_ratio);
}

void read_synth_background(TomlTable& b, SynthConfig& c) {
  b.reject_unknown({"kind", "cross_section", "B", "C", "D"});
  if (b.has("kind")) {
    const std::string kind = b.string("kind", std::nullopt);
    if (kind == "shirley_step")
      c.background_kind = SynthBackground::ShirleyStep;
    else if (kind == "tougaard")
      c.background_kind = SynthBackground::Tougaard;
    else
      b.error("kind", fmt::format("'{}': expected shirley_step or tougaard", kind));
  }
  if (b.has("cross_section")) {
    const std::string cs = b.string("cross_section", std::nullopt);
    if (cs == "u2") {
      c.tougaard = {c.tougaard.B, 1643.0, 0.0, 0};
    } else if (cs == "u3") {
      c.tougaard = {c.tougaard.B, 551.0, 436.0, 1};
    } else {
      b.error("cross_section", fmt::format("'{}': expected u2 or u3", cs));
    }
  }
  c.tougaard.B = b.number("B", c.tougaard.B, "eV^2");
  c.tougaard.C = b.number("C", c.tougaard.C, "eV^2");
  c.tougaard.D = b.number("D", c.tougaard.D, "eV^2");
}

}  // namespace

SynthConfig load_synth_config(const std::string& path, const SynthConfig& base) {
  const toml::table root = parse_toml_file(path, "the synthesis configuration");
  TomlTable top(root, path, "");
  top.reject_unknown({"image", "energy", "peak", "shift", "ratio", "counts", "background"});
  SynthConfig c = base;
  TomlTable im = top.child("image");
  im.reject_unknown({"ny", "nx", "name"});
  c.ny = static_cast<int>(im.integer("ny", c.ny, 0, kMaxInt));
  c.nx = static_cast<int>(im.integer("nx", c.nx, 0, kMaxInt));
  c.name = im.string("name", c.name);
  TomlTable en = top.child("energy");
  en.reject_unknown({"min", "max", "step", "photon_energy"});
  c.energy_min = en.number("min", c.energy_min, "eV");
  c.energy_max = en.number("max", c.energy_max, "eV");
  c.energy_step = en.number("step", c.energy_step, "eV");
  c.photon_energy = en.number("photon_energy", c.photon_energy, "eV");
  TomlTable pk = top.child("peak");
  read_synth_peak(pk, c);
  TomlTable shift = top.child("shift");
  read_synth_map(shift, c.shift);
  TomlTable ratio = top.child("ratio");
  read_synth_map(ratio, c.ratio);
  TomlTable bgt = top.child("background");
  read_synth_background(bgt, c);
  TomlTable ct = top.child("counts");
  ct.reject_unknown({"peak_counts", "background", "shirley", "noise", "seed"});
  c.peak_counts = ct.number("peak_counts", c.peak_counts);
  c.background = ct.number("background", c.background);
  c.shirley = ct.number("shirley", c.shirley);
  c.noise = ct.boolean("noise", c.noise);
  c.seed = static_cast<std::uint64_t>(
      ct.integer("seed", static_cast<long>(c.seed), 0, std::numeric_limits<long>::max()));
  return c;
}

}  // namespace vitrum::spectra
