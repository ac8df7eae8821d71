// CasaXPS templates from VAMAS block comments: CASA region / CASA comp / Calib lines into a
// constrained model on the binding-energy axis, and component lines written back.
#include "vitrum/spectra/casa_template.hpp"

#include <cmath>
#include <cstdlib>
#include <sstream>

#include "vitrum/core/error.hpp"
#include "vitrum/spectra/casa_lineshape.hpp"
#include "vitrum/spectra/spectrum_io.hpp"

namespace vitrum::spectra {

namespace {

constexpr const char* kFieldNames[3] = {"Area", "MFWHM", "Position"};
constexpr int kFieldParam[3] = {kArea, kFwhm, kPosition};

/// Tokens of a CASA line: "(*...*)" groups are one token (without the markers' spaces).
std::vector<std::string> casa_tokens(const std::string& line) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && std::isspace(static_cast<unsigned char>(line[i]))) ++i;
    if (i >= line.size()) break;
    if (line.compare(i, 2, "(*") == 0) {
      const size_t end = line.find("*)", i + 2);
      const size_t stop = end == std::string::npos ? line.size() : end + 2;
      out.push_back(line.substr(i, stop - i));
      i = stop;
    } else {
      size_t j = i;
      while (j < line.size() && !std::isspace(static_cast<unsigned char>(line[j]))) ++j;
      out.push_back(line.substr(i, j - i));
      i = j;
    }
  }
  return out;
}

struct LineReader {
  const std::vector<std::string>& tok;
  size_t pos;
  std::string where;  // "file, block 'b', comment line k"

  [[noreturn]] void error(const std::string& msg) const { throw Error(where + ": " + msg); }
  const std::string& next(const char* what) {
    if (pos >= tok.size()) error(fmt::format("line ends where {} was expected", what));
    return tok[pos++];
  }
  std::string group(const char* what) {
    const std::string& t = next(what);
    if (t.size() < 4 || t.compare(0, 2, "(*") != 0 || t.compare(t.size() - 2, 2, "*)") != 0)
      error(fmt::format("expected {} as (*text*), found '{}'", what, t));
    return t.substr(2, t.size() - 4);
  }
  double number(const char* what) {
    const std::string& t = next(what);
    char* end = nullptr;
    const double v = std::strtod(t.c_str(), &end);
    if (end == t.c_str() || *end != '\0' || !std::isfinite(v))
      error(fmt::format("expected a number for {}, found '{}'", what, t));
    return v;
  }
  void keyword(const char* k) {
    const std::string& t = next(k);
    if (t != k) error(fmt::format("expected '{}', found '{}'", k, t));
  }
};

void read_region(LineReader& r, CasaTemplate& t) {
  CasaRegion g;
  g.line = 0;
  g.name = r.group("the region name");
  g.background = r.group("the background type");
  g.start = r.number("the region start");
  g.end = r.number("the region end");
  g.rsf = r.number("the region RSF");
  const double av = r.number("the averaging width");
  g.avg_width = av >= 1 ? static_cast<int>(av) : 1;
  while (r.pos < r.tok.size() && r.tok[r.pos].compare(0, 2, "(*") != 0)
    g.numbers.push_back(r.number("a region number"));
  t.regions.push_back(g);
}

ParamSpec field_spec(LineReader& r, CasaComponentText& c, int f) {
  r.keyword(kFieldNames[f]);
  ParamSpec s;
  s.value = r.number(kFieldNames[f]);
  c.bounds[f][0] = s.lo = r.number("a lower bound");
  c.bounds[f][1] = s.hi = r.number("an upper bound");
  const double link = r.number("a link index");
  c.link_value[f] = r.number(f == 2 ? "a link offset" : "a link factor");
  if (link != std::floor(link) || link < -1)
    r.error(fmt::format("{} link index {} is not -1 or a component index", kFieldNames[f], link));
  c.link[f] = static_cast<int>(link);
  if (s.lo > s.hi) std::swap(s.lo, s.hi);
  s.fixed = s.lo == s.hi;
  if (c.link[f] >= 0) {
    s.link = c.link[f];
    (f == 2 ? s.offset : s.factor) = c.link_value[f];
  }
  return s;
}

void read_component(LineReader& r, CasaTemplate& t, int line) {
  CasaComponentText c;
  c.line = line;
  c.name = r.group("the component name");
  c.lineshape = r.group("the line shape");
  ModelComponent m;
  m.name = c.name;
  m.lineshape = c.lineshape;
  CasaLineShape ls;
  try {
    ls = parse_casa_lineshape(c.lineshape);
  } catch (const Error& e) {
    r.error(e.what());
  }
  m.kind = ls.kind;
  for (int f = 0; f < 3; ++f) m.param[kFieldParam[f]] = field_spec(r, c, f);
  const math::ShapeParams sp = ls.params(0.0, m.param[kFwhm].value, 1.0);
  for (int i = 0; i < 4; ++i) m.param[kShape0 + i] = ParamSpec{sp.p[i], sp.p[i], sp.p[i], true};
  for (size_t i = r.pos; i < r.tok.size(); ++i) c.rest += (i > r.pos ? " " : "") + r.tok[i];
  t.components.push_back(c);
  t.model.components.push_back(m);
}

/// Positions from the recorded (kinetic) axis to binding energy: value, bounds, link offsets.
void to_binding(CasaTemplate& t) {
  const double shift = t.has_calibration ? t.calib_actual - t.calib_measured : 0.0;
  for (ModelComponent& c : t.model.components) {
    ParamSpec& p = c.param[kPosition];
    if (t.kinetic) {
      p.value = t.photon_energy - p.value;
      const double lo = t.photon_energy - p.hi, hi = t.photon_energy - p.lo;
      p.lo = lo, p.hi = hi;
      p.offset = -p.offset;
    }
  }
  (void)shift;  // positions are on the calibrated scale already (file comment)
  if (!t.regions.empty()) {
    double a = t.regions[0].start, b = t.regions[0].end;
    if (t.kinetic) a = t.photon_energy - a, b = t.photon_energy - b;
    t.region_lo = std::fmin(a, b);
    t.region_hi = std::fmax(a, b);
  }
}

void check_links(const CasaTemplate& t) {
  const int n = static_cast<int>(t.components.size());
  for (const CasaComponentText& c : t.components)
    for (int f = 0; f < 3; ++f)
      if (c.link[f] >= n)
        throw Error(
            fmt::format("{}, comment line {}: {} linked to component {}, but the block "
                        "has {} components (0-based)",
                        t.where, c.line, kFieldNames[f], c.link[f], n));
}

}  // namespace

CasaTemplate parse_casa_template(const std::string& comment, const std::string& where,
                                 EnergyKind recorded, double photon_energy) {
  CasaTemplate t;
  t.where = where;
  t.kinetic = recorded == EnergyKind::Kinetic;
  t.photon_energy = photon_energy;
  std::istringstream in(comment);
  std::string line;
  for (int k = 1; std::getline(in, line); ++k) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    const std::vector<std::string> tok = casa_tokens(line);
    LineReader r{tok, 2, fmt::format("{}, comment line {}", where, k)};
    if (tok.size() >= 2 && tok[0] == "CASA" && tok[1] == "region") {
      read_region(r, t);
      t.regions.back().line = k;
    } else if (tok.size() >= 2 && tok[0] == "CASA" && tok[1] == "comp") {
      read_component(r, t, k);
    } else if (!tok.empty() && tok[0] == "Calib") {
      r.pos = 1;
      r.keyword("M"), r.keyword("=");
      t.calib_measured = r.number("the measured energy M");
      r.keyword("A"), r.keyword("=");
      t.calib_actual = r.number("the actual energy A");
      r.keyword("BE"), r.keyword("ADD");
      t.has_calibration = true;
    }
  }
  if (t.components.empty())
    throw Error(
        fmt::format("{}: no 'CASA comp' lines in the block comment: no CasaXPS model to "
                    "use as a template",
                    where));
  if (t.kinetic && !(photon_energy > 0))
    throw Error(fmt::format("{}: kinetic-energy block without a photon energy", where));
  check_links(t);
  t.model.source = where;
  to_binding(t);
  if (!t.regions.empty()) {
    const CasaRegion& g = t.regions[0];
    std::vector<double> params;
    for (size_t i = 2; i < g.numbers.size(); ++i)
      params.push_back(g.numbers[i]);  // after the offsets
    const std::string at = fmt::format("{}, comment line {}: ", where, g.line);
    const std::string key = g.background;
    const bool tougaard = key.find("Tougaard") != std::string::npos;
    const size_t want = key.find("U 3") != std::string::npos ? 3 : (tougaard ? 2 : 0);
    if (params.size() > want) params.resize(want);
    t.background.parts.push_back(parse_casa_background(g.background, params, at));
    t.background.avg_width = g.avg_width;
    BackgroundTerm curve{"casa:" + g.background, BackgroundBasis::Curve};
    curve.coefficient = ParamSpec{1.0, 1.0, 1.0, true};
    t.model.background.push_back(curve);
  }
  build_param_map(t.model);
  return t;
}

CasaTemplate read_casa_template(const SpectrumImage& block) {
  const auto it = block.metadata.find("block_comment");
  const std::string where = fmt::format("{}, block '{}'", block.source, block.name);
  if (it == block.metadata.end())
    throw Error(where + ": the block has no comment lines: no CasaXPS model to use as a template");
  return parse_casa_template(it->second, where, block.energy_kind, block.photon_energy);
}

}  // namespace vitrum::spectra
