// CasaXPS line-shape strings <-> ShapeKind + parameters (see casa_lineshape.hpp).
#include "vitrum/spectra/casa_lineshape.hpp"

#include <cmath>
#include <cstdlib>
#include <string>
#include <vector>

#include "vitrum/core/error.hpp"

namespace vitrum::spectra {
namespace {

using math::ShapeKind;

constexpr const char* kExpected =
    "expected GL(m), SGL(m), LA(alpha,m), LA(alpha,beta,m), LA(alpha,beta,m,n), DS(alpha,n), "
    "Gaussian, Lorentzian, PV(eta) or Voigt(fwhm_lorentz)";

std::string trim(const std::string& s) {
  const auto b = s.find_first_not_of(" \t\r\n");
  if (b == std::string::npos) return "";
  const auto e = s.find_last_not_of(" \t\r\n");
  return s.substr(b, e - b + 1);
}

[[noreturn]] void bad(const std::string& where, const std::string& text, const std::string& why) {
  throw Error(fmt::format("{}line shape '{}': {}", where.empty() ? "" : where + ": ", text, why));
}

// Splits "NAME(a,b,...)" into the name and its numbers; a bare "NAME" gives no numbers.
std::vector<double> split_args(const std::string& t, std::string& name, const std::string& where) {
  std::vector<double> args;
  const auto open = t.find('(');
  if (open == std::string::npos) {
    name = t;
    return args;
  }
  if (t.back() != ')') bad(where, t, "missing ')' at the end; " + std::string(kExpected));
  name = trim(t.substr(0, open));
  const std::string inner = t.substr(open + 1, t.size() - open - 2);
  size_t pos = 0;
  while (true) {
    const auto comma = inner.find(',', pos);
    const std::string item = trim(inner.substr(pos, comma - pos));
    char* end = nullptr;
    const double v = std::strtod(item.c_str(), &end);
    if (item.empty() || end != item.c_str() + item.size() || !std::isfinite(v))
      bad(where, t, fmt::format("argument '{}' is not a number", item));
    args.push_back(v);
    if (comma == std::string::npos) break;
    pos = comma + 1;
  }
  return args;
}

void need_count(const std::vector<double>& a, size_t lo, size_t hi, const std::string& where,
                const std::string& t, const char* form) {
  if (a.size() < lo || a.size() > hi)
    bad(where, t, fmt::format("{} argument(s) given; expected {}", a.size(), form));
}

}  // namespace

math::ShapeParams CasaLineShape::params(double position, double fwhm, double area) const {
  math::ShapeParams s{position, fwhm, area, {p[0], p[1], p[2], p[3]}};
  if (kind == ShapeKind::DoniachSunjicGauss) s.p[1] = ds_gauss_percent * fwhm / 100.0;
  return s;
}

CasaLineShape parse_casa_lineshape(const std::string& text, const std::string& where) {
  const std::string t = trim(text);
  if (t.empty()) bad(where, text, std::string("empty; ") + kExpected);
  std::string name;
  const std::vector<double> a = split_args(t, name, where);
  CasaLineShape r;
  r.text = t;
  if (name == "GL" || name == "SGL") {
    need_count(a, 1, 1, where, t, "one mixing percentage m, e.g. GL(30)");
    if (a[0] < 0 || a[0] > 100) bad(where, t, "m must be in [0, 100] (percent Lorentzian)");
    r.kind = name == "GL" ? ShapeKind::GL : ShapeKind::SGL;
    r.p[0] = a[0];
  } else if (name == "LA") {
    need_count(a, 2, 4, where, t, "LA(alpha,m), LA(alpha,beta,m) or LA(alpha,beta,m,n)");
    r.kind = a.size() == 4 ? ShapeKind::LA4 : ShapeKind::LA;
    r.p[0] = a[0];
    r.p[1] = a.size() == 2 ? a[0] : a[1];
    r.p[2] = a.size() == 2 ? a[1] : a[2];
    r.p[3] = a.size() == 4 ? a[3] : 0.0;
    if (!(r.p[0] > 0.5 && r.p[1] > 0.5))
      bad(where, t, "alpha and beta must be > 0.5 (the tails' area is infinite otherwise)");
    if (r.p[2] < 0 || r.p[3] < 0) bad(where, t, "m and n must be >= 0");
  } else if (name == "DS") {
    need_count(a, 2, 2, where, t, "DS(alpha,n): asymmetry alpha in [0, 1), Gaussian width n");
    if (!(a[0] >= 0 && a[0] < 1)) bad(where, t, "alpha must be in [0, 1)");
    if (a[1] < 0) bad(where, t, "the Gaussian width n must be >= 0");
    r.kind = ShapeKind::DoniachSunjicGauss;
    r.p[0] = a[0];
    r.ds_gauss_percent = a[1];
  } else if ((name == "Gaussian" || name == "Lorentzian") && a.empty()) {
    r.kind = name == "Gaussian" ? ShapeKind::Gaussian : ShapeKind::Lorentzian;
  } else if (name == "PV") {
    need_count(a, 1, 1, where, t, "PV(eta), eta the Lorentzian area fraction in [0, 1]");
    if (a[0] < 0 || a[0] > 1) bad(where, t, "eta must be in [0, 1]");
    r.kind = ShapeKind::PseudoVoigt;
    r.p[0] = a[0];
  } else if (name == "Voigt") {
    need_count(a, 1, 1, where, t, "Voigt(fwhm_lorentz), the Lorentzian FWHM in eV");
    if (a[0] < 0) bad(where, t, "the Lorentzian FWHM must be >= 0");
    r.kind = ShapeKind::Voigt;
    r.p[0] = a[0];
  } else if (name == "LF" || name == "A" || name.rfind("A(", 0) == 0 || name == "T" ||
             name == "LS" || t.find(")GL(") != std::string::npos) {
    bad(where, t,
        "this CasaXPS line shape is not supported by vitrum (its exact definition is not "
        "public); refit the component with LA(alpha,beta,m) or " +
            std::string(kExpected));
  } else {
    bad(where, t, std::string("unknown line shape; ") + kExpected);
  }
  return r;
}

const char* shape_kind_name(ShapeKind kind) {
  switch (kind) {
    case ShapeKind::Gaussian:
      return "Gaussian";
    case ShapeKind::Lorentzian:
      return "Lorentzian";
    case ShapeKind::PseudoVoigt:
      return "PV";
    case ShapeKind::Voigt:
      return "Voigt";
    case ShapeKind::GL:
      return "GL";
    case ShapeKind::SGL:
      return "SGL";
    case ShapeKind::DoniachSunjicGauss:
      return "DS";
    case ShapeKind::LA:
      return "LA";
    case ShapeKind::LA4:
      return "LA4";
  }
  return "?";
}

std::string format_casa_lineshape(const CasaLineShape& s) {
  switch (s.kind) {
    case ShapeKind::Gaussian:
    case ShapeKind::Lorentzian:
      return shape_kind_name(s.kind);
    case ShapeKind::PseudoVoigt:
    case ShapeKind::Voigt:
    case ShapeKind::GL:
    case ShapeKind::SGL:
      return fmt::format("{}({:g})", shape_kind_name(s.kind), s.p[0]);
    case ShapeKind::DoniachSunjicGauss:
      return fmt::format("DS({:g},{:g})", s.p[0], s.ds_gauss_percent);
    case ShapeKind::LA:
      return fmt::format("LA({:g},{:g},{:g})", s.p[0], s.p[1], s.p[2]);
    case ShapeKind::LA4:
      return fmt::format("LA({:g},{:g},{:g},{:g})", s.p[0], s.p[1], s.p[2], s.p[3]);
  }
  return "?";
}

}  // namespace vitrum::spectra
