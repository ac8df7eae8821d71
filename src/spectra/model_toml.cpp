// [model] of a fit configuration: components ([[model.component]]) with bounds and links, and
// the background terms. Every key is checked; errors name file:line:key.
#include <cmath>
#include <map>

#include "vitrum/core/error.hpp"
#include "vitrum/core/toml.hpp"
#include "vitrum/spectra/casa_lineshape.hpp"
#include "vitrum/spectra/model.hpp"

namespace vitrum::spectra {

namespace {

/// A parameter given as a number (free, unbounded but for the shape's domain) or an inline table
/// { value, min, max, fixed, link, factor, offset }.
ParamSpec read_param(TomlTable& t, const std::string& key, std::optional<double> def,
                     const std::map<std::string, int>& names, const char* unit) {
  ParamSpec s;
  const toml::node* n = t.get(key);
  if (n == nullptr) {
    if (!def)
      t.error(key, fmt::format("missing (a number in {} or a table {{ value, min, max, "
                               "fixed, link, factor, offset }})",
                               unit));
    s.value = *def;
    return s;
  }
  if (!n->is_table()) {
    s.value = t.number(key, std::nullopt, unit);
    return s;
  }
  TomlTable p(*n->as_table(), t.file(), "model.component." + key);
  p.reject_unknown({"value", "min", "max", "fixed", "link", "factor", "offset"});
  s.lo = p.number("min", -INFINITY, unit);
  s.hi = p.number("max", INFINITY, unit);
  s.fixed = p.boolean("fixed", false);
  if (p.has("link")) {
    const std::string target = p.string("link", std::nullopt);
    const auto it = names.find(target);
    if (it == names.end()) p.error("link", fmt::format("no earlier component named '{}'", target));
    s.link = it->second;
    s.factor = p.number("factor", 1.0);
    s.offset = p.number("offset", 0.0, unit);
    s.value = NAN;  // set from the target below
  } else {
    if (p.has("factor") || p.has("offset"))
      p.error_at(nullptr, "factor and offset need link = \"<component name>\"");
    if (!p.has("value") && !def) p.error_at(nullptr, "needs value (or link)");
    s.value = p.number("value", def, unit);
    if (s.lo > s.hi) p.error("max", fmt::format("min = {} above max = {}", s.lo, s.hi));
    if (!s.fixed && (s.value < s.lo || s.value > s.hi))
      p.error("value", fmt::format("{} outside [min, max] = [{}, {}]", s.value, s.lo, s.hi));
  }
  return s;
}

ShapeKind read_shape(TomlTable& t, ModelComponent& c) {
  c.lineshape = t.string("shape", std::string("Gaussian"));
  try {
    const CasaLineShape ls = parse_casa_lineshape(c.lineshape);
    for (int i = 0; i < 4; ++i) c.param[kShape0 + i] = ParamSpec{ls.p[i]};
    return ls.kind;
  } catch (const Error& e) {
    t.error("shape", e.what());
  }
}

void read_component(TomlTable& t, PeakModel& m, std::map<std::string, int>& names) {
  t.reject_unknown({"name", "shape", "shape_free", "position", "fwhm", "area", "doublet"});
  ModelComponent c;
  c.name = t.string("name", fmt::format("peak_{}", m.components.size() + 1));
  if (names.count(c.name)) t.error("name", fmt::format("'{}' used twice", c.name));
  c.kind = read_shape(t, c);
  const bool shape_free = t.boolean("shape_free", false);
  for (int i = 0; i < math::shape_param_count(c.kind); ++i)
    c.param[kShape0 + i].fixed = !shape_free;
  c.param[kPosition] = read_param(t, "position", std::nullopt, names, "eV");
  c.param[kFwhm] = read_param(t, "fwhm", std::nullopt, names, "eV");
  c.param[kArea] = read_param(t, "area", 1.0, names, "intensity·eV");
  for (int k = 0; k < 3; ++k) {
    ParamSpec& s = c.param[k];
    if (s.link >= 0) {
      const ParamSpec& target = m.components[s.link].param[k];
      s.value = s.factor * target.value + s.offset;
    }
  }
  names[c.name] = static_cast<int>(m.components.size());
  m.components.push_back(c);
  if (TomlTable d = t.child("doublet"); d.present()) {
    d.reject_unknown({"name", "splitting", "ratio", "width_ratio"});
    const std::string name = d.string("name", c.name + " partner");
    if (names.count(name)) d.error("name", fmt::format("'{}' used twice", name));
    const double split = d.number("splitting", std::nullopt, "eV");
    const double ratio = d.positive("ratio", std::nullopt);
    const double wr = d.positive("width_ratio", 1.0);
    names[name] = add_doublet_partner(m, names[c.name], name, split, ratio, wr);
  }
}

void read_background_terms(TomlTable& t, PeakModel& m) {
  t.reject_unknown({"terms", "free"});
  std::vector<std::string> terms = t.strings("terms");
  if (!t.has("terms")) terms = {"uniform"};
  const bool free = t.boolean("free", true);
  for (const std::string& name : terms) {
    BackgroundTerm b;
    b.name = name;
    if (name == "uniform") {
      b.basis = BackgroundBasis::Uniform;
    } else if (name == "ramp_up") {
      b.basis = BackgroundBasis::RampUp;
    } else if (name == "ramp_down") {
      b.basis = BackgroundBasis::RampDown;
    } else {
      t.error("terms",
              fmt::format("unknown term '{}' (expected uniform, ramp_up, ramp_down)", name));
    }
    b.coefficient.fixed = !free;
    m.background.push_back(b);
  }
}

}  // namespace

PeakModel parse_peak_model(TomlTable& t) {
  t.reject_unknown({"component", "background"});
  PeakModel m;
  m.source = t.file();
  std::map<std::string, int> names;
  const toml::node* n = t.get("component");
  if (n == nullptr || !n->is_array_of_tables())
    t.error_at(n, "[model] needs [[model.component]] tables (one per line-shape component)");
  for (const toml::node& e : *n->as_array()) {
    TomlTable c(*e.as_table(), t.file(), "[model.component]");
    read_component(c, m, names);
  }
  TomlTable bg = t.child("background");
  if (bg.present()) {
    read_background_terms(bg, m);
  } else {
    m.background.push_back(BackgroundTerm{"uniform"});
  }
  build_param_map(m);  // links, bounds and sizes checked now, with the file named
  return m;
}

std::string peak_model_help() {
  return R"([model]                        constrained model fitted by the maximum-likelihood polish
  [[model.component]]          one per line-shape component, in order
    name = "peak_<i>"          unique; links refer to earlier components by name
    shape = "Gaussian"         Gaussian, Lorentzian, PV(eta), Voigt(f_L), GL(m), SGL(m),
                               LA(a,b,m), LA(a,b,m,n), DS(alpha,n) (CasaXPS notation)
    shape_free = false         fit the shape parameters too (within their domains)
    position = <eV>            required; a number (free) or a table:
    fwhm = <eV>                  { value, min = -inf, max = inf, fixed = false }
    area = 1.0                   or { link = "<name>", factor = 1, offset = 0 }:
                                 value = factor * <name>'s value + offset
    [model.component.doublet]  adds a spin-orbit partner linked to this component:
      name = "<name> partner"
      splitting = <eV>         required; signed position offset on the fitted axis
      ratio = <r>              required; partner area / this area (p 1/2, d 2/3, f 3/4)
      width_ratio = 1.0        partner FWHM / this FWHM
  [model.background]
    terms = ["uniform"]        any of uniform, ramp_up, ramp_down (sum-1 bases; counts)
    free = true                false: coefficients held at 0
)";
}

}  // namespace vitrum::spectra
