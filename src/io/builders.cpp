/// \file builders.cpp
/// Random amorphous cells (random sequential placement with a fractional-coordinate cell list)
/// and supercell replication.

#include "vitrum/io/builders.hpp"

#include <algorithm>
#include <cmath>
#include <random>

#include "vitrum/core/elements.hpp"
#include "vitrum/core/error.hpp"

namespace vitrum::io {

namespace {

/// g/cm³ per amu/Å³ (1 amu = 1.66053906660e-24 g, 1 Å³ = 1e-24 cm³).
constexpr double kGramPerCm3PerAmuPerA3 = 1.66053906660;

/// Uniform double in [0, 1) from the top 53 bits (portable, unlike uniform_real_distribution).
double uniform01(std::mt19937_64& rng) {
  return static_cast<double>(rng() >> 11) * 0x1.0p-53;
}

}  // namespace

Structure build_amorphous_cell(const AmorphousCellSpec& spec) {
  // ---- the spec
  if (spec.composition.empty()) fail("random cell: empty composition; expected e.g. Si:1, O:2");
  const int nk = static_cast<int>(spec.composition.size());
  std::vector<int> kind_z(nk);
  int unit = 0;
  std::string formula;
  for (int k = 0; k < nk; ++k) {
    const auto& [sym, count] = spec.composition[k];
    kind_z[k] = atomic_number(sym);
    if (kind_z[k] == 0) fail("random cell: '{}' in the composition is not an element symbol", sym);
    if (count < 1) fail("random cell: count of {} in the composition must be >= 1", sym);
    for (int q = 0; q < k; ++q)
      if (kind_z[q] == kind_z[k]) fail("random cell: {} appears twice in the composition", sym);
    unit += count;
    formula += sym + (count > 1 ? std::to_string(count) : "");
  }
  if (spec.n_atoms < 1 || spec.n_atoms % unit != 0)
    fail("random cell: {} atoms is not a positive multiple of the formula unit {} ({} atoms)",
         spec.n_atoms, formula, unit);
  if (!(spec.density > 0) || !std::isfinite(spec.density))
    fail("random cell: density must be > 0 g/cm^3 (got {})", spec.density);
  if (!(spec.default_min_distance >= 0))
    fail("random cell: default minimum distance must be >= 0 Å");
  if (spec.max_attempts < 1) fail("random cell: max_attempts must be >= 1");
  const int n_units = spec.n_atoms / unit;

  std::vector<double> dmin(static_cast<size_t>(nk) * nk, spec.default_min_distance);
  for (const MinDistance& m : spec.min_distances) {
    const int za = atomic_number(m.a), zb = atomic_number(m.b);
    const auto ia = std::find(kind_z.begin(), kind_z.end(), za);
    const auto ib = std::find(kind_z.begin(), kind_z.end(), zb);
    if (za == 0 || zb == 0 || ia == kind_z.end() || ib == kind_z.end())
      fail("random cell: minimum distance {}-{}: both elements must be in the composition {}", m.a,
           m.b, formula);
    if (!(m.distance >= 0)) fail("random cell: minimum distance {}-{} must be >= 0 Å", m.a, m.b);
    const int a = static_cast<int>(ia - kind_z.begin()), b = static_cast<int>(ib - kind_z.begin());
    dmin[a * nk + b] = dmin[b * nk + a] = m.distance;
  }
  const double dmax = *std::max_element(dmin.begin(), dmin.end());
  std::vector<double> dmin2(dmin.size());
  for (size_t q = 0; q < dmin.size(); ++q) dmin2[q] = dmin[q] * dmin[q];

  // ---- the cell
  double mass = 0.0;
  for (int k = 0; k < nk; ++k)
    mass += n_units * spec.composition[k].second * standard_mass(kind_z[k]);
  const double volume = mass * kGramPerCm3PerAmuPerA3 / spec.density;
  const double det = dot(cross(spec.shape[0], spec.shape[1]), spec.shape[2]);
  if (!(det > 0) || !std::isfinite(det))
    fail("random cell: the cell shape must be right-handed with nonzero volume (det {})", det);
  const double scale = std::cbrt(volume / det);
  Structure s;
  s.box.periodic = true;
  for (int d = 0; d < 3; ++d) s.box.h[d] = scale * spec.shape[d];
  const Vec3 height = s.box.heights();
  for (int d = 0; d < 3; ++d)
    if (height[d] < dmax)
      fail(
          "random cell: the cell ({} atoms at {} g/cm^3) is {:.4g} Å thick along {}, less than the "
          "largest minimum distance {:.4g} Å; use more atoms",
          spec.n_atoms, spec.density, height[d], "abc"[d], dmax);

  // ---- bins in fractional coordinates, each at least dmax thick
  int nb[3];
  for (int d = 0; d < 3; ++d)
    nb[d] = dmax > 0 ? std::max(1, std::min(1024, static_cast<int>(height[d] / dmax))) : 1;
  // Never more bins than about two per atom (a sparse cell with tiny minimum distances).
  const long max_bins = std::max(27L, 2L * spec.n_atoms);
  while (static_cast<long>(nb[0]) * nb[1] * nb[2] > max_bins) {
    const int d = static_cast<int>(std::max_element(nb, nb + 3) - nb);
    nb[d] = std::max(1, nb[d] * 3 / 4);
  }
  const int n_bins = nb[0] * nb[1] * nb[2];
  std::vector<int> head(n_bins, -1), next(spec.n_atoms, -1), kind(spec.n_atoms);
  std::vector<Vec3> placed(spec.n_atoms);
  auto bin_coord = [&](double f, int d) {
    return std::min(nb[d] - 1, static_cast<int>(f * nb[d]));
  };

  std::mt19937_64 rng(spec.seed);
  s.species.reserve(spec.n_atoms);
  s.positions.reserve(spec.n_atoms);
  int n = 0;
  for (int k = 0; k < nk; ++k) {
    for (int c = 0; c < n_units * spec.composition[k].second; ++c) {
      bool ok = false;
      Vec3 f{0, 0, 0}, r{0, 0, 0};
      int b[3] = {0, 0, 0};
      for (int attempt = 0; attempt < spec.max_attempts && !ok; ++attempt) {
        f = {uniform01(rng), uniform01(rng), uniform01(rng)};
        r = s.box.to_cartesian(f);
        for (int d = 0; d < 3; ++d) b[d] = bin_coord(f[d], d);
        ok = true;
        for (int oz = -1; oz <= 1 && ok; ++oz)
          for (int oy = -1; oy <= 1 && ok; ++oy)
            for (int ox = -1; ox <= 1 && ok; ++ox) {
              const int o[3] = {ox, oy, oz};
              int bb[3];
              Vec3 shift{0, 0, 0};
              for (int d = 0; d < 3; ++d) {
                bb[d] = b[d] + o[d];
                int w = 0;
                if (bb[d] < 0) w = -1;
                if (bb[d] >= nb[d]) w = 1;
                bb[d] -= w * nb[d];
                if (w != 0) shift += static_cast<double>(w) * s.box.h[d];
              }
              for (int j = head[bb[0] + nb[0] * (bb[1] + nb[1] * bb[2])]; j >= 0; j = next[j]) {
                const Vec3 dr = placed[j] + shift - r;
                if (dot(dr, dr) < dmin2[k * nk + kind[j]]) {
                  ok = false;
                  break;
                }
              }
            }
      }
      if (!ok) {
        std::string rules;
        for (int a = 0; a < nk; ++a)
          for (int bk = a; bk < nk; ++bk)
            rules += fmt::format("{}{}-{} {:.3g} Å", rules.empty() ? "" : ", ",
                                 spec.composition[a].first, spec.composition[bk].first,
                                 dmin[a * nk + bk]);
        fail(
            "random cell: could not place atom {} of {} ({}) after {} random trials: {} atoms of "
            "{} at {} g/cm^3 with minimum distances {} do not fit; lower the density or the "
            "minimum distances (or raise max_attempts)",
            n + 1, spec.n_atoms, spec.composition[k].first, spec.max_attempts, spec.n_atoms,
            formula, spec.density, rules);
      }
      placed[n] = r;
      kind[n] = k;
      const int key = b[0] + nb[0] * (b[1] + nb[1] * b[2]);
      next[n] = head[key];
      head[key] = n;
      s.species.push_back(kind_z[k]);
      s.positions.push_back(r);
      ++n;
    }
  }
  s.comment = fmt::format("random {} cell: {} atoms, {} g/cm^3, seed {}", formula, spec.n_atoms,
                          spec.density, spec.seed);
  return s;
}

Structure replicate(const Structure& s, int n_a, int n_b, int n_c) {
  if (!s.box.periodic) fail("replicate: the structure has no periodic cell");
  if (n_a < 1 || n_b < 1 || n_c < 1)
    fail("replicate: repetitions must be >= 1 (got {} x {} x {})", n_a, n_b, n_c);
  const size_t n = s.size();
  const int images = n_a * n_b * n_c;
  Structure out = s;
  out.box.h[0] = static_cast<double>(n_a) * s.box.h[0];
  out.box.h[1] = static_cast<double>(n_b) * s.box.h[1];
  out.box.h[2] = static_cast<double>(n_c) * s.box.h[2];
  out.species.clear();
  out.positions.clear();
  out.forces.clear();
  out.charges.clear();
  out.velocities.clear();
  for (int k = 0; k < n_c; ++k)
    for (int j = 0; j < n_b; ++j)
      for (int i = 0; i < n_a; ++i) {
        const Vec3 shift = static_cast<double>(i) * s.box.h[0] +
                           static_cast<double>(j) * s.box.h[1] +
                           static_cast<double>(k) * s.box.h[2];
        for (size_t q = 0; q < n; ++q) {
          out.species.push_back(s.species[q]);
          out.positions.push_back(s.positions[q] + shift);
        }
        out.forces.insert(out.forces.end(), s.forces.begin(), s.forces.end());
        out.charges.insert(out.charges.end(), s.charges.begin(), s.charges.end());
        out.velocities.insert(out.velocities.end(), s.velocities.begin(), s.velocities.end());
      }
  out.energy = s.energy * images;
  out.charge = s.charge * images;
  for (auto& row : out.virial)
    for (double& v : row) v *= images;
  if (images > 1)
    out.comment = fmt::format("{}{}{}x{}x{} supercell", s.comment, s.comment.empty() ? "" : ", ",
                              n_a, n_b, n_c);
  return out;
}

}  // namespace vitrum::io
