// Symmetry-function set generation (Imbalzano et al. 2018 grids) and n2p2 scaling statistics.
#include "vitrum/train/sf_generation.hpp"

#include <algorithm>
#include <cmath>

#include "file_util.hpp"
#include "vitrum/core/elements.hpp"
#include "vitrum/core/error.hpp"
#include "vitrum/nnp/evaluator.hpp"

namespace vitrum::train {

GridMode parse_grid_mode(const std::string& name, const std::string& where) {
  if (name == "centered" || name == "center" || name == "centred") return GridMode::Centered;
  if (name == "shifted" || name == "shift") return GridMode::Shifted;
  fail("{}: grid mode '{}' unknown: expected \"centered\" or \"shifted\"", where, name);
}

std::vector<RadialParameters> radial_grid(GridMode mode, int n, double r_lower, double r_upper) {
  if (n < 0) fail("symmetry-function grid: the number of functions must be >= 0, got {}", n);
  if (n == 0) return {};
  if (!(r_lower >= 0) || !(r_upper > r_lower) || !std::isfinite(r_upper))
    fail("symmetry-function grid: need 0 <= r_lower < r_upper, got r_lower {} and r_upper {}",
         r_lower, r_upper);
  if (mode == GridMode::Centered && !(r_lower > 0))
    fail("symmetry-function grid: the centered grid needs r_lower > 0 (eta = 1/(2 r_lower^2))");
  std::vector<RadialParameters> out(n);
  const double dr = n > 1 ? (r_upper - r_lower) / (n - 1) : r_upper - r_lower;
  for (int i = 0; i < n; ++i) {
    const double r = r_lower + i * dr;
    if (mode == GridMode::Centered) {
      out[i].eta = 1.0 / (2.0 * r * r);
      out[i].rs = 0.0;
    } else {
      out[i].eta = 1.0 / (2.0 * dr * dr);
      out[i].rs = r;
    }
  }
  return out;
}

std::vector<SfDefinition> generate_symmetry_functions(const SfSetSpec& spec) {
  if (spec.elements.empty()) fail("symmetry-function generation: no elements given");
  if (!(spec.cutoff > 0) || !std::isfinite(spec.cutoff))
    fail("symmetry-function generation: the cutoff must be positive, got {}", spec.cutoff);
  std::vector<std::string> el = spec.elements;
  for (const auto& s : el)
    if (atomic_number(s) == 0) fail("symmetry-function generation: unknown element '{}'", s);
  std::sort(el.begin(), el.end(), [](const std::string& a, const std::string& b) {
    return atomic_number(a) < atomic_number(b);
  });
  el.erase(std::unique(el.begin(), el.end()), el.end());
  const double rc = spec.cutoff;
  const auto& ra = spec.radial;
  const auto& an = spec.angular;
  const double r_up = ra.r_upper > 0 ? ra.r_upper : rc;
  const double a_up = an.r_upper > 0 ? an.r_upper : rc;
  if (r_up > rc || a_up > rc)
    fail("symmetry-function generation: r_upper ({}) must not exceed the cutoff {}",
         std::max(r_up, a_up), rc);
  const auto radial = radial_grid(ra.mode, ra.n, ra.r_lower, r_up);
  const auto angular = radial_grid(an.mode, an.n, an.r_lower, a_up);
  if (an.n > 0) {
    if (an.type != 3 && an.type != 9)
      fail("symmetry-function generation: angular type must be 3 (narrow) or 9 (wide), got {}",
           an.type);
    if (an.zetas.empty() || an.lambdas.empty())
      fail("symmetry-function generation: angular functions need at least one zeta and lambda");
    for (double z : an.zetas)
      if (!(z >= 1)) fail("symmetry-function generation: zeta must be >= 1, got {}", z);
    for (double l : an.lambdas)
      if (l != 1.0 && l != -1.0)
        fail("symmetry-function generation: lambda must be -1 or +1, got {}", l);
  }
  std::vector<SfDefinition> out;
  for (const auto& c : el) {
    for (const auto& a : el)
      for (const auto& p : radial) {
        SfDefinition sf;
        sf.element = c;
        sf.type = 2;
        sf.e1 = a;
        sf.eta = p.eta;
        sf.rs = p.rs;
        sf.rc = rc;
        out.push_back(sf);
      }
    for (size_t i = 0; i < el.size(); ++i)
      for (size_t j = i; j < el.size(); ++j)
        for (const auto& p : angular)
          for (double z : an.zetas)
            for (double l : an.lambdas) {
              SfDefinition sf;
              sf.element = c;
              sf.type = an.type;
              sf.e1 = el[i];
              sf.e2 = el[j];
              sf.eta = p.eta;
              sf.rs = p.rs;
              sf.rc = rc;
              sf.lambda = l;
              sf.zeta = z;
              out.push_back(sf);
            }
  }
  return out;
}

std::string symfunction_line(const SfDefinition& sf) {
  if (sf.type == 2)
    return fmt::format("symfunction_short {} 2 {} {} {} {}", sf.element, sf.e1, sf.eta, sf.rs,
                       sf.rc);
  // types 3 / 9: ec t e1 e2 eta lambda zeta rc [rs]
  return fmt::format("symfunction_short {} {} {} {} {} {} {} {} {}", sf.element, sf.type, sf.e1,
                     sf.e2, sf.eta, sf.lambda, sf.zeta, sf.rc, sf.rs);
}

std::vector<SfStatistics> sf_statistics(const nnp::Potential& pot,
                                        const std::vector<std::vector<double>>& rows) {
  const int ne = pot.n_elements();
  if (static_cast<int>(rows.size()) != ne)
    fail("sf_statistics: {} element row sets for a potential with {} elements", rows.size(), ne);
  std::vector<SfStatistics> out(ne);
  for (int e = 0; e < ne; ++e) {
    const size_t nsf = pot.element(e).sfs.size();
    const auto& r = rows[e];
    auto& st = out[e];
    st.n_atoms = static_cast<long>(r.size() / nsf);
    st.gmin.assign(nsf, INFINITY);
    st.gmax.assign(nsf, -INFINITY);
    st.gmean.assign(nsf, 0.0);
    st.gsigma.assign(nsf, 0.0);
    if (st.n_atoms == 0) continue;
    for (long a = 0; a < st.n_atoms; ++a)
      for (size_t s = 0; s < nsf; ++s) {
        const double g = r[a * nsf + s];
        st.gmin[s] = std::min(st.gmin[s], g);
        st.gmax[s] = std::max(st.gmax[s], g);
        st.gmean[s] += g;
      }
    for (size_t s = 0; s < nsf; ++s) st.gmean[s] /= static_cast<double>(st.n_atoms);
    for (long a = 0; a < st.n_atoms; ++a)
      for (size_t s = 0; s < nsf; ++s) {
        const double d = r[a * nsf + s] - st.gmean[s];
        st.gsigma[s] += d * d;
      }
    // n2p2 (nnp-scaling) uses the sample standard deviation.
    const double denom = st.n_atoms > 1 ? static_cast<double>(st.n_atoms - 1) : 1.0;
    for (size_t s = 0; s < nsf; ++s) st.gsigma[s] = std::sqrt(st.gsigma[s] / denom);
  }
  return out;
}

std::vector<SfStatistics> sf_statistics(const nnp::Potential& pot,
                                        const std::vector<Structure>& structures) {
  std::vector<std::vector<double>> rows(pot.n_elements());
  for (const auto& s : structures) {
    const auto g = nnp::raw_symmetry_functions(pot, s);
    for (size_t i = 0; i < s.size(); ++i) {
      const int e = pot.element_index(s.species[i]);
      rows[e].insert(rows[e].end(), g[i].begin(), g[i].end());
    }
  }
  return sf_statistics(pot, rows);
}

void write_scaling_data(const std::string& path, const std::vector<SfStatistics>& stats) {
  std::string out =
      "#######################################################################################"
      "#################################\n"
      "# Symmetry function scaling data (written by vitrum train; n2p2 format).\n"
      "# Col  Name     Description\n"
      "# 1    e_index  Element index (elements sorted by atomic number, 1-based).\n"
      "# 2    sf_index Symmetry function index (n2p2 sorted order, 1-based).\n"
      "# 3    sf_min   Symmetry function minimum.\n"
      "# 4    sf_max   Symmetry function maximum.\n"
      "# 5    sf_mean  Symmetry function mean.\n"
      "# 6    sf_sigma Symmetry function sigma (sample standard deviation, N - 1).\n"
      "#######################################################################################"
      "#################################\n";
  for (size_t e = 0; e < stats.size(); ++e) {
    const auto& st = stats[e];
    if (st.n_atoms == 0)
      fail("{}: element {} has no atoms in the data, so its scaling is undefined", path, e + 1);
    for (size_t s = 0; s < st.gmin.size(); ++s)
      out +=
          fmt::format("{:10d} {:10d} {} {} {} {}\n", e + 1, s + 1, detail::sci(st.gmin[s]),
                      detail::sci(st.gmax[s]), detail::sci(st.gmean[s]), detail::sci(st.gsigma[s]));
  }
  write_file_atomic(path, out);
}

}  // namespace vitrum::train
