#pragma once
// Structures with known answers for the analysis tests: crystals (fcc, diamond, ideal
// β-cristobalite), an ideal gas, random walks, and helpers to put them in other cells.
#include <cmath>
#include <random>
#include <vector>

#include "vitrum/analysis/trajectory.hpp"
#include "vitrum/core/elements.hpp"
#include "vitrum/core/structure.hpp"

namespace vitrum::test {

inline Box cubic_box(double l) {
  Box b;
  b.periodic = true;
  b.h[0] = {l, 0, 0};
  b.h[1] = {0, l, 0};
  b.h[2] = {0, 0, l};
  return b;
}

inline Box make_box(Vec3 a, Vec3 b, Vec3 c) {
  Box box;
  box.periodic = true;
  box.h[0] = a;
  box.h[1] = b;
  box.h[2] = c;
  return box;
}

/// n×n×n conventional cells of a cubic crystal with lattice constant a and a fractional basis.
inline Structure cubic_crystal(double a, int n, const std::vector<Vec3>& basis,
                               const std::vector<int>& species) {
  Structure s;
  s.box = cubic_box(a * n);
  for (int i = 0; i < n; ++i) {
    for (int j = 0; j < n; ++j) {
      for (int k = 0; k < n; ++k) {
        for (std::size_t b = 0; b < basis.size(); ++b) {
          s.positions.push_back({a * (i + basis[b].x), a * (j + basis[b].y), a * (k + basis[b].z)});
          s.species.push_back(species[b]);
        }
      }
    }
  }
  return s;
}

inline std::vector<Vec3> fcc_basis() {
  return {{0, 0, 0}, {0, 0.5, 0.5}, {0.5, 0, 0.5}, {0.5, 0.5, 0}};
}

/// fcc crystal of element z: nearest-neighbor distance a/√2, 12 neighbors.
inline Structure fcc(double a, int n, int z) {
  return cubic_crystal(a, n, fcc_basis(), std::vector<int>(4, z));
}

/// Diamond crystal of element z: nearest-neighbor distance a√3/4, 4 neighbors.
inline Structure diamond(double a, int n, int z) {
  std::vector<Vec3> basis = fcc_basis();
  for (const Vec3& b : fcc_basis()) basis.push_back(b + Vec3{0.25, 0.25, 0.25});
  return cubic_crystal(a, n, basis, std::vector<int>(8, z));
}

/// Ideal β-cristobalite (Fd-3m, C9): Si on the diamond sites, O at the midpoint of every
/// Si–Si bond. 8 Si + 16 O per cell; Si–O = a√3/8, O–Si–O = 109.471°, Si–O–Si = 180°.
inline Structure beta_cristobalite(double a, int n) {
  std::vector<Vec3> basis;
  std::vector<int> species;
  for (const Vec3& b : fcc_basis()) {
    basis.push_back(b);
    species.push_back(14);
    basis.push_back(b + Vec3{0.25, 0.25, 0.25});
    species.push_back(14);
  }
  const Vec3 bond[4] = {{1, 1, 1}, {1, -1, -1}, {-1, 1, -1}, {-1, -1, 1}};
  for (const Vec3& b : fcc_basis()) {
    for (const Vec3& d : bond) {
      basis.push_back(b + 0.125 * d);
      species.push_back(8);
    }
  }
  return cubic_crystal(a, n, basis, species);
}

/// The same periodic crystal in a sheared cell: a' = a, b' = b + a, c' = c + b - a (same lattice,
/// same atoms, positions wrapped into the new cell).
inline Structure sheared_copy(const Structure& s) {
  Structure t = s;
  const Vec3 a = s.box.h[0], b = s.box.h[1], c = s.box.h[2];
  t.box = make_box(a, b + a, c + b - a);
  for (Vec3& r : t.positions) r = t.box.wrap(r);
  return t;
}

/// Uniformly random points (ideal gas) in a cell; species cycles through `types`.
inline Structure ideal_gas(const Box& box, int n, const std::vector<int>& types,
                           std::mt19937_64& rng) {
  std::uniform_real_distribution<double> u(0.0, 1.0);
  Structure s;
  s.box = box;
  for (int i = 0; i < n; ++i) {
    s.positions.push_back(box.to_cartesian({u(rng), u(rng), u(rng)}));
    s.species.push_back(types[i % types.size()]);
  }
  return s;
}

/// Displaces every atom by a Gaussian of standard deviation sigma (Å) per component.
inline void jiggle(Structure& s, double sigma, std::mt19937_64& rng) {
  std::normal_distribution<double> g(0.0, sigma);
  for (Vec3& r : s.positions) r += Vec3{g(rng), g(rng), g(rng)};
}

}  // namespace vitrum::test
