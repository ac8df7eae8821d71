// The checks of `vitrum train` on its reference data, each a named pass over the structures;
// every failure names the file, the structure (and line) and the atom.
#include "data_checks.hpp"

#include <algorithm>
#include <cmath>
#include <sstream>
#include <utility>

#include "vitrum/core/elements.hpp"
#include "vitrum/core/error.hpp"
#include "vitrum/core/units.hpp"
#include "vitrum/neighbor/ghosts.hpp"
#include "vitrum/neighbor/neighbor_list.hpp"

namespace vitrum::train::detail {

namespace {

/// Finite reference forces, not all exactly zero.
void check_forces(const Structure& s, const std::string& where) {
  if (s.forces.empty())
    fail(
        "{}: no reference forces; training with forces needs them for every structure "
        "(set [training] force_weight = 0 to fit energies only)",
        where);
  bool all_zero = true;
  for (size_t i = 0; i < s.size(); ++i) {
    const Vec3& f = s.forces[i];
    if (!std::isfinite(f.x) || !std::isfinite(f.y) || !std::isfinite(f.z))
      fail("{}: atom {} ({}) has a non-finite reference force ({}, {}, {})", where, i + 1,
           element_symbol(s.species[i]), f.x, f.y, f.z);
    all_zero = all_zero && f.x == 0 && f.y == 0 && f.z == 0;
  }
  // n2p2 input.data always has force columns; all of them exactly 0 means "none".
  if (all_zero && s.size() > 1)
    fail(
        "{}: every reference force is exactly 0, i.e. the structure has no forces (input.data "
        "holds zeros where there are none); remove it, or set [training] force_weight = 0 to "
        "fit energies only",
        where);
}

/// A valid structure of the potential's elements with a finite energy (and forces).
void check_contents(const std::vector<Structure>& all, const std::vector<std::string>& names,
                    const std::set<int>& allowed_z, bool need_forces) {
  std::string known;
  for (int z : allowed_z) known += (known.empty() ? "" : ", ") + element_symbol(z);
  for (size_t k = 0; k < all.size(); ++k) {
    const Structure& s = all[k];
    const std::string& where = names[k];
    validate_structure(s, where);
    for (size_t i = 0; i < s.size(); ++i)
      if (allowed_z.count(s.species[i]) == 0)
        fail(
            "{}: atom {} is {}, which is not one of the potential's elements ({}); add it to "
            "[potential] elements or remove the structure",
            where, i + 1, element_symbol(s.species[i]), known);
    if (!s.has_energy)
      fail("{}: no reference energy (an `energy` line in input.data, energy= in extended XYZ)",
           where);
    if (!std::isfinite(s.energy))
      fail("{}: the reference energy is not finite ({})", where, s.energy);
    if (need_forces) check_forces(s, where);
  }
}

/// Unit tags in the comment (`energy_unit=eV length_unit=angstrom`, as vitrum run's
/// training-set frames carry them) must name the declared units.
void check_unit_tags(const TrainConfig& c, const std::vector<Structure>& all,
                     const std::vector<std::string>& names) {
  for (size_t k = 0; k < all.size(); ++k) {
    std::istringstream ss(all[k].comment);
    std::string tok;
    while (ss >> tok) {
      const bool energy = tok.rfind("energy_unit=", 0) == 0;
      const bool length = tok.rfind("length_unit=", 0) == 0;
      if (!energy && !length) continue;
      const std::string unit = tok.substr(12);
      const std::string& declared = energy ? c.energy_unit : c.length_unit;
      double factor = 0.0, want = 1.0;
      try {
        factor = energy ? units::energy_in_ev(unit) : units::length_in_angstrom(unit);
        want = energy ? units::energy_in_ev(declared) : units::length_in_angstrom(declared);
      } catch (const Error&) {
        factor = 0.0;  // an unknown unit name cannot match
      }
      if (std::abs(factor - want) > 1e-12 * want)
        fail(
            "{}: inconsistent units: the structure's comment says {} but [data] {} = \"{}\"; "
            "convert the data, or declare its unit (or set [data] check_units = false)",
            names[k], tok, energy ? "energy_unit" : "length_unit", declared);
    }
  }
}

/// Atoms too close: broken data, or positions in a smaller unit than declared.
void check_min_distances(const TrainConfig& c, const std::vector<Structure>& all,
                         const std::vector<std::string>& names) {
  const double dmin = c.min_distance / units::length_in_angstrom(c.length_unit);
  if (!(dmin > 0)) return;
  for (size_t k = 0; k < all.size(); ++k) {
    const Structure& s = all[k];
    if (s.size() < 2 && !s.box.periodic) continue;
    const neighbor::GhostShell shell =
        neighbor::build_ghost_shell(s.box, s.positions, s.species, dmin);
    const neighbor::NeighborList list = neighbor::build_neighbor_list(shell, dmin, 0.0);
    for (int i = 0; i < shell.n_local; ++i)
      for (int q = list.offsets[i]; q < list.offsets[i + 1]; ++q) {
        const int j = list.neighbors[q];
        const Vec3 d = shell.positions[j] - shell.positions[i];
        const double r = std::sqrt(dot(d, d));
        fail(
            "{}: atoms {} ({}) and {} ({}) are {:.4g} {} apart, closer than [data] "
            "min_distance = {} Å: broken data, or positions not in the declared length unit "
            "({})",
            names[k], i + 1, element_symbol(s.species[i]), shell.owner[j] + 1,
            element_symbol(s.species[shell.owner[j]]), r, c.length_unit, c.min_distance,
            c.length_unit);
      }
  }
}

/// Per-element energies eps_e of the least-squares fit E_k ~ Σ_e n_ke eps_e over the structures
/// in `use` (normal equations with a small ridge, Gaussian elimination with partial pivoting).
std::vector<double> fit_element_energies(const std::vector<Structure>& all,
                                         const std::vector<std::vector<double>>& n,
                                         const std::vector<bool>& use) {
  const int ne = static_cast<int>(n.empty() ? 0 : n[0].size());
  std::vector<double> ata(ne * ne, 0.0), eps(ne, 0.0);
  for (size_t k = 0; k < all.size(); ++k) {
    if (!use[k]) continue;
    for (int a = 0; a < ne; ++a) {
      eps[a] += n[k][a] * all[k].energy;
      for (int b = 0; b < ne; ++b) ata[a * ne + b] += n[k][a] * n[k][b];
    }
  }
  // Small ridge: one composition for all structures is rank deficient.
  double tr = 0;
  for (int a = 0; a < ne; ++a) tr += ata[a * ne + a];
  for (int a = 0; a < ne; ++a) ata[a * ne + a] += 1e-10 * tr / ne;
  for (int col = 0; col < ne; ++col) {
    int piv = col;
    for (int r = col + 1; r < ne; ++r)
      if (std::abs(ata[r * ne + col]) > std::abs(ata[piv * ne + col])) piv = r;
    for (int x = 0; x < ne; ++x) std::swap(ata[col * ne + x], ata[piv * ne + x]);
    std::swap(eps[col], eps[piv]);
    for (int r = col + 1; r < ne; ++r) {
      const double f = ata[r * ne + col] / ata[col * ne + col];
      for (int x = col; x < ne; ++x) ata[r * ne + x] -= f * ata[col * ne + x];
      eps[r] -= f * eps[col];
    }
  }
  for (int r = ne - 1; r >= 0; --r) {
    for (int x = r + 1; x < ne; ++x) eps[r] -= ata[r * ne + x] * eps[x];
    eps[r] /= ata[r * ne + r];
  }
  return eps;
}

/// Median and robust sigma (1.4826 MAD) of the residuals of the structures in `use`.
void robust_spread(const std::vector<double>& res, const std::vector<bool>& use, double& med,
                   double& sigma) {
  std::vector<double> v;
  for (size_t k = 0; k < res.size(); ++k)
    if (use[k]) v.push_back(res[k]);
  std::sort(v.begin(), v.end());
  med = v[v.size() / 2];
  for (double& x : v) x = std::abs(x - med);
  std::sort(v.begin(), v.end());
  sigma = 1.4826 * v[v.size() / 2];
}

/// Ratios between common energy units (the energy times f matches the others).
constexpr std::pair<double, const char*> kEnergyFactors[] = {
    {units::kHartree, "eV per Hartree"},
    {1.0 / units::kHartree, "Hartree per eV"},
    {units::kRydberg, "eV per Rydberg"},
    {1.0 / units::kRydberg, "Rydberg per eV"},
    {2.0, "Rydberg per Hartree"},
    {0.5, "Hartree per Rydberg"},
    {units::kKcalPerMol, "eV per kcal/mol"},
    {1.0 / units::kKcalPerMol, "kcal/mol per eV"},
    {units::kKjPerMol, "eV per kJ/mol"},
    {1.0 / units::kKjPerMol, "kJ/mol per eV"}};

/// Energies: per-element least-squares fit E_s ~ Σ_e n_se eps_e, refitted without the
/// structures far off the first fit. A structure far outside the others' spread is in another
/// unit (when a unit factor brings it back) or broken.
void check_energy_outliers(const TrainConfig& c, const std::vector<Structure>& all,
                           const std::vector<std::string>& names, const std::set<int>& allowed_z) {
  if (!(c.energy_outlier > 0 && all.size() >= 8)) return;
  std::vector<int> zs(allowed_z.begin(), allowed_z.end());
  const int ne = static_cast<int>(zs.size());
  std::vector<std::vector<double>> n(all.size(), std::vector<double>(ne, 0.0));
  for (size_t k = 0; k < all.size(); ++k)
    for (int z : all[k].species)
      n[k][std::lower_bound(zs.begin(), zs.end(), z) - zs.begin()] += 1.0;
  auto fitted = [&](const std::vector<double>& eps, size_t k) {
    double e = 0;
    for (int a = 0; a < ne; ++a) e += n[k][a] * eps[a];
    return e;
  };
  std::vector<bool> use(all.size(), true);
  std::vector<double> eps = fit_element_energies(all, n, use), res(all.size());
  for (size_t k = 0; k < all.size(); ++k)
    res[k] = (all[k].energy - fitted(eps, k)) / static_cast<double>(all[k].size());
  double med, sigma;
  robust_spread(res, use, med, sigma);
  for (size_t k = 0; k < all.size(); ++k) use[k] = !(std::abs(res[k] - med) > 10 * sigma);
  eps = fit_element_energies(all, n, use);
  for (size_t k = 0; k < all.size(); ++k)
    res[k] = (all[k].energy - fitted(eps, k)) / static_cast<double>(all[k].size());
  robust_spread(res, use, med, sigma);
  if (!(sigma > 0)) return;
  for (size_t k = 0; k < all.size(); ++k) {
    const double dev = std::abs(res[k] - med) / sigma;
    if (dev <= 10) continue;
    for (const auto& [f, name] : kEnergyFactors) {
      const double r = (all[k].energy * f - fitted(eps, k)) / static_cast<double>(all[k].size());
      if (std::abs(r - med) < 5 * sigma)
        fail(
            "{}: inconsistent energy units: the energy per atom departs from a per-element "
            "fit of the other structures by {:.4g} {}/atom ({:.0f} times their spread), "
            "but fits them when multiplied by {:.6g} ({}); convert it to {} like the rest "
            "(or set [data] check_units = false)",
            names[k], res[k] - med, c.energy_unit, dev, f, name, c.energy_unit);
    }
    if (dev > c.energy_outlier)
      fail(
          "{}: the energy per atom departs from a per-element fit of the data set by {:.4g} "
          "{}/atom, {:.0f} times the typical spread ({:.3g}): inconsistent energy units or "
          "a broken calculation; remove the structure, or set [data] energy_outlier = 0 / "
          "check_units = false to accept it",
          names[k], res[k] - med, c.energy_unit, dev, sigma);
  }
}

}  // namespace

void check_data(const TrainConfig& c, const std::vector<Structure>& all,
                const std::vector<std::string>& names, const std::set<int>& allowed_z,
                bool need_forces) {
  check_contents(all, names, allowed_z, need_forces);
  if (!c.check_units) return;
  check_unit_tags(c, all, names);
  check_min_distances(c, all, names);
  check_energy_outliers(c, all, names, allowed_z);
}

}  // namespace vitrum::train::detail
