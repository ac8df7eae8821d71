/// \file structure.cpp
/// Cell geometry: volume, perpendicular heights and fractional coordinates.
///
/// With the cell vectors as rows of h, r = h^T s. The inverse uses the reciprocal vectors:
/// s_a = r·(b×c)/V, s_b = r·(c×a)/V, s_c = r·(a×b)/V with the signed volume V = a·(b×c), so no
/// general 3×3 inversion is needed and a left-handed cell works too. Also the consistency check of
/// a structure before it is evaluated.

#include "vitrum/core/structure.hpp"

#include <cmath>

#include "vitrum/core/elements.hpp"
#include "vitrum/core/error.hpp"

namespace vitrum {
namespace {

double signed_volume(const Box& b) {
  return dot(b.h[0], cross(b.h[1], b.h[2]));
}

double norm(const Vec3& v) {
  return std::sqrt(dot(v, v));
}

}  // namespace

double Box::volume() const {
  return periodic ? std::fabs(signed_volume(*this)) : 0.0;
}

Vec3 Box::heights() const {
  if (!periodic) return {0.0, 0.0, 0.0};
  const double v = volume();
  const double bc = norm(cross(h[1], h[2]));
  const double ca = norm(cross(h[2], h[0]));
  const double ab = norm(cross(h[0], h[1]));
  return {bc > 0 ? v / bc : 0.0, ca > 0 ? v / ca : 0.0, ab > 0 ? v / ab : 0.0};
}

Vec3 Box::to_fractional(const Vec3& r) const {
  const double inv_v = 1.0 / signed_volume(*this);
  return {dot(r, cross(h[1], h[2])) * inv_v, dot(r, cross(h[2], h[0])) * inv_v,
          dot(r, cross(h[0], h[1])) * inv_v};
}

Vec3 Box::to_cartesian(const Vec3& s) const {
  return {s.x * h[0].x + s.y * h[1].x + s.z * h[2].x, s.x * h[0].y + s.y * h[1].y + s.z * h[2].y,
          s.x * h[0].z + s.y * h[1].z + s.z * h[2].z};
}

Vec3 Box::wrap(const Vec3& r) const {
  if (!periodic) return r;
  // Subtract whole cell vectors only, so an atom already inside the cell keeps its exact bits.
  const Vec3 s = to_fractional(r);
  Vec3 out = r;
  for (int d = 0; d < 3; ++d) {
    const double n = std::floor(s[d]);
    if (n != 0.0) out -= n * h[d];
  }
  return out;
}

void validate_structure(const Structure& s, const std::string& where) {
  const std::size_t n = s.size();
  if (n == 0) fail("{}: the structure has no atoms", where);
  if (s.species.size() != n) {
    fail("{}: {} species for {} positions", where, s.species.size(), n);
  }
  auto check_size = [&](std::size_t size, const char* what) {
    if (size != 0 && size != n) fail("{}: {} {} for {} atoms", where, size, what, n);
  };
  check_size(s.forces.size(), "forces");
  check_size(s.charges.size(), "charges");
  check_size(s.velocities.size(), "velocities");
  for (std::size_t i = 0; i < n; ++i) {
    const int z = s.species[i];
    if (z < 1 || z > 118) {
      fail("{}: atom {} has unknown species (atomic number {}); expected 1..118", where, i, z);
    }
    const Vec3& r = s.positions[i];
    if (!std::isfinite(r.x) || !std::isfinite(r.y) || !std::isfinite(r.z)) {
      fail("{}: atom {} ({}) has a non-finite position ({}, {}, {})", where, i, element_symbol(z),
           r.x, r.y, r.z);
    }
  }
  if (s.box.periodic) {
    const auto& h = s.box.h;
    for (int d = 0; d < 3; ++d) {
      if (!std::isfinite(h[d].x) || !std::isfinite(h[d].y) || !std::isfinite(h[d].z)) {
        fail("{}: cell vector {} is not finite", where, "abc"[d]);
      }
    }
    // Zero (or numerically zero) volume: the cell vectors are linearly dependent.
    const double scale = std::sqrt(dot(h[0], h[0]) * dot(h[1], h[1]) * dot(h[2], h[2]));
    const double v = s.box.volume();
    if (!(v > 1e-10 * scale)) {
      fail(
          "{}: the periodic box has zero volume ({} for cell vectors of lengths {}, {}, {}); "
          "expected three linearly independent lattice vectors",
          where, v, std::sqrt(dot(h[0], h[0])), std::sqrt(dot(h[1], h[1])),
          std::sqrt(dot(h[2], h[2])));
    }
  }
}

}  // namespace vitrum
