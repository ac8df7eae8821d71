// Token-level reading of n2p2 files (n2p2_parse.hpp).
#include "n2p2_parse.hpp"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <fstream>
#include <limits>
#include <map>
#include <sstream>
#include <tuple>

#include "vitrum/core/error.hpp"
#include "vitrum/core/resource_guard.hpp"

namespace vitrum::nnp::n2p2_detail {

void split_tokens(std::string_view text, std::vector<std::string>& tokens) {
  tokens.clear();
  const auto space = [](char c) { return c == ' ' || (c >= '\t' && c <= '\r'); };
  size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && space(text[i])) ++i;
    const size_t b = i;
    while (i < text.size() && !space(text[i])) ++i;
    if (i > b) tokens.emplace_back(text.substr(b, i - b));
  }
}

std::vector<Line> read_lines(const std::string& path, bool bang_comments) {
  std::ifstream in(path);
  if (!in) throw InputError(path, 0, "cannot open file (is the potential directory complete?)");
  std::vector<Line> lines;
  std::string text;
  long n = 0;
  while (std::getline(in, text)) {
    ++n;
    auto cut = text.find('#');
    if (bang_comments) cut = std::min(cut, text.find('!'));
    if (cut != std::string::npos) text.resize(cut);
    Line l{n, {}};
    split_tokens(text, l.tokens);
    if (!l.tokens.empty()) lines.push_back(std::move(l));
  }
  return lines;
}

double to_double(const std::string& file, long line, const std::string& tok, const char* what) {
  // Fortran-style exponents (1.0d0) as RuNNer writes them; a copy only for those.
  std::string fortran;
  const char* t = tok.c_str();
  if (tok.find_first_of("dD") != std::string::npos) {
    fortran = tok;
    for (char& c : fortran)
      if (c == 'd' || c == 'D') c = 'e';
    t = fortran.c_str();
  }
  char* end = nullptr;
  const double v = std::strtod(t, &end);
  if (end == t || *end != '\0')
    throw InputError(file, line,
                     fmt::format("expected a number for {}, got '{}'", what, printable(tok)));
  return v;
}

int to_int(const std::string& file, long line, const std::string& tok, const char* what) {
  char* end = nullptr;
  errno = 0;
  const long v = std::strtol(tok.c_str(), &end, 10);
  if (end == tok.c_str() || *end != '\0')
    throw InputError(file, line,
                     fmt::format("expected an integer for {}, got '{}'", what, printable(tok)));
  if (errno == ERANGE || v < std::numeric_limits<int>::min() || v > std::numeric_limits<int>::max())
    throw InputError(file, line, fmt::format("{} = {} is out of range", what, printable(tok)));
  return static_cast<int>(v);
}

/// A finite number in [lo, hi] (either bound may be infinite), or an error naming `what`.
double in_range(const std::string& file, long line, double v, const char* what, double lo,
                double hi, const char* expected) {
  if (!std::isfinite(v) || v < lo || v > hi)
    throw InputError(file, line, fmt::format("{} = {} is invalid: expected {}", what, v, expected));
  return v;
}

int activation_code(const std::string& file, long line, const std::string& tok) {
  static const std::map<std::string, int> codes = {
      {"l", kActIdentity}, {"t", kActTanh},     {"s", kActLogistic}, {"p", kActSoftplus},
      {"r", kActRelu},     {"g", kActGaussian}, {"c", kActCos},      {"S", kActRevLogistic},
      {"e", kActExp},      {"h", kActHarmonic}};
  auto it = codes.find(tok);
  if (it == codes.end())
    throw InputError(file, line,
                     fmt::format("unknown activation '{}': expected one of l t s p r g c S e h",
                                 printable(tok)));
  return it->second;
}

int core_code(const std::string& file, long line, const std::string& subtype, bool& asym) {
  std::string s = subtype;
  asym = false;
  if (s.size() > 1 && s.back() == 'a') {
    asym = true;
    s.pop_back();
  }
  if (s == "p1") return kCutPoly1;
  if (s == "p2") return kCutPoly2;
  if (s == "p3") return kCutPoly3;
  if (s == "p4") return kCutPoly4;
  if (s == "e") return kCutExp;
  throw InputError(file, line,
                   fmt::format("unknown compact subtype '{}': expected p1, p2, p3, p4 or e, "
                               "optionally followed by 'a'",
                               printable(subtype)));
}

bool is_compact(int type) {
  return type >= 20 && type <= 25;
}

// n2p2's sort keys (SymFnc*::operator<), section B.3.1 of the format notes.
bool sf_less(const SymmetryFunction& a, const SymmetryFunction& b) {
  if (a.type != b.type) return a.type < b.type;
  switch (a.type) {
    case 2:
      return std::tie(a.rc, a.eta, a.rs, a.e1) < std::tie(b.rc, b.eta, b.rs, b.e1);
    case 3:
    case 9:
      return std::tie(a.rc, a.eta, a.rs, a.zeta, a.lambda, a.e1, a.e2) <
             std::tie(b.rc, b.eta, b.rs, b.zeta, b.lambda, b.e1, b.e2);
    case 12:
      return std::tie(a.rc, a.eta, a.rs) < std::tie(b.rc, b.eta, b.rs);
    case 13:
      return std::tie(a.rc, a.eta, a.rs, a.zeta, a.lambda) <
             std::tie(b.rc, b.eta, b.rs, b.zeta, b.lambda);
    case 20:
      return std::tie(a.subtype, a.e1, a.rc, a.rl) < std::tie(b.subtype, b.e1, b.rc, b.rl);
    case 21:
    case 22:
      return std::tie(a.subtype, a.e1, a.e2, a.rc, a.rl, a.theta_l, a.theta_r) <
             std::tie(b.subtype, b.e1, b.e2, b.rc, b.rl, b.theta_l, b.theta_r);
    case 23:
      return std::tie(a.subtype, a.rc, a.rl) < std::tie(b.subtype, b.rc, b.rl);
    default:  // 24, 25
      return std::tie(a.subtype, a.rc, a.rl, a.theta_l, a.theta_r) <
             std::tie(b.subtype, b.rc, b.rl, b.theta_l, b.theta_r);
  }
}

}  // namespace vitrum::nnp::n2p2_detail
