/// \file structure.cpp
/// Cell geometry: volume, perpendicular heights and fractional coordinates.
///
/// With the cell vectors as rows of h, r = h^T s. The inverse uses the reciprocal vectors:
/// s_a = r·(b×c)/V, s_b = r·(c×a)/V, s_c = r·(a×b)/V with the signed volume V = a·(b×c), so no
/// general 3×3 inversion is needed and a left-handed cell works too.

#include "vitrum/core/structure.hpp"

#include <cmath>

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

}  // namespace vitrum
