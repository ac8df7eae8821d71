// Backgrounds of a spectrum region (see background.hpp).
#include "vitrum/spectra/background.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <string>
#include <vector>

#include "vitrum/core/error.hpp"

namespace vitrum::spectra {
namespace {

std::string lower_squashed(const std::string& s) {
  std::string r;
  for (char c : s)
    if (!std::isspace(static_cast<unsigned char>(c)))
      r += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return r;
}

int worse(math::BgStatus a, math::BgStatus b) {
  return std::max(static_cast<int>(a), static_cast<int>(b));
}

}  // namespace

BackgroundSpec parse_casa_background(const std::string& name, const std::vector<double>& params,
                                     const std::string& where) {
  const std::string key = lower_squashed(name);
  const std::string at = where.empty() ? "" : where + ": ";
  BackgroundSpec s;
  auto count = [&](size_t hi) {
    if (params.size() > hi)
      throw Error(fmt::format("{}background '{}': {} parameters given, at most {} expected", at,
                              name, params.size(), hi));
  };
  if (key == "linear") {
    s.kind = BackgroundKind::Linear;
  } else if (key == "shirley") {
    s.kind = BackgroundKind::Shirley;
  } else if (key == "tougaard" || key == "u2tougaard") {
    count(2);
    s.kind = BackgroundKind::Tougaard;
    if (params.size() > 0) s.cross_section.B = params[0];
    if (params.size() > 1) s.cross_section.C = params[1];
  } else if (key == "u3tougaard") {
    count(3);
    s.kind = BackgroundKind::Tougaard;
    s.cross_section = {2866.0, 551.0, 436.0, 1};
    if (params.size() > 0) s.cross_section.B = params[0];
    if (params.size() > 1) s.cross_section.C = params[1];
    if (params.size() > 2) s.cross_section.D = params[2];
  } else {
    throw Error(fmt::format(
        "{}background '{}': expected Linear, Shirley, Tougaard, U 2 Tougaard or U 3 Tougaard", at,
        name));
  }
  const auto& c = s.cross_section;
  if (s.kind == BackgroundKind::Tougaard && !(c.C > 0 && c.D >= 0 && std::isfinite(c.B)))
    throw Error(
        fmt::format("{}background '{}': Tougaard needs C > 0, D ≥ 0 and a finite B (got "
                    "B = {}, C = {}, D = {})",
                    at, name, c.B, c.C, c.D));
  return s;
}

BackgroundResult compute_background(const BackgroundModel& model, const std::vector<double>& x,
                                    const std::vector<double>& y, double e_lo, double e_hi) {
  const int n = static_cast<int>(x.size());
  if (y.size() != x.size()) fail("background: {} energies but {} intensities", x.size(), y.size());
  for (int i = 1; i < n; ++i)
    if (!(x[i] > x[i - 1])) fail("background: energies must ascend (channel {})", i);
  if (model.parts.empty()) fail("background: no background component given");
  const auto i0 = static_cast<int>(std::lower_bound(x.begin(), x.end(), e_lo) - x.begin());
  const auto i1 = static_cast<int>(std::upper_bound(x.begin(), x.end(), e_hi) - x.begin()) - 1;
  if (i1 - i0 < 1)
    fail("background: region [{}, {}] eV holds {} channel(s) of the spectrum; need at least 2",
         e_lo, e_hi, std::max(0, i1 - i0 + 1));
  double wsum = 0;
  for (const auto& p : model.parts) {
    if (!(p.weight >= 0)) fail("background: weight {} must be ≥ 0", p.weight);
    wsum += p.weight;
  }
  if (!(wsum > 0)) fail("background: the weights of the combination sum to 0");

  BackgroundResult r;
  r.y_lo = math::endpoint_average(y.data(), n, i0, model.avg_width);
  r.y_hi = math::endpoint_average(y.data(), n, i1, model.avg_width);
  r.values.assign(n, r.y_lo);
  std::vector<double> part(n), work(2 * static_cast<size_t>(n));
  for (const auto& p : model.parts) {
    math::BgStatus st = math::BgStatus::Ok;
    switch (p.kind) {
      case BackgroundKind::Linear:
        st = math::linear_background(x.data(), n, i0, i1, r.y_lo, r.y_hi, part.data());
        break;
      case BackgroundKind::Shirley:
        st = math::shirley_iterated(x.data(), y.data(), n, i0, i1, r.y_lo, r.y_hi, p.max_iterations,
                                    p.tolerance, part.data(), work.data(), &r.iterations);
        break;
      case BackgroundKind::Tougaard:
        st = math::tougaard_background(x.data(), y.data(), n, i0, i1, r.y_lo, r.y_hi,
                                       p.cross_section, p.scale, part.data(), &r.tougaard_B);
        break;
    }
    r.status = static_cast<math::BgStatus>(worse(r.status, st));
    for (int i = 0; i < n; ++i) r.values[i] += p.weight / wsum * (part[i] - r.y_lo);
  }
  return r;
}

}  // namespace vitrum::spectra
