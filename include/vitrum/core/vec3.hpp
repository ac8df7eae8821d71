#pragma once
/// \file vec3.hpp
/// A 3-vector usable on host and device, templated on the scalar type.

#include "vitrum/core/hd.hpp"

namespace vitrum {

template <typename T>
struct Vec3T {
  T x, y, z;
  VITRUM_HD T& operator[](int i) { return i == 0 ? x : (i == 1 ? y : z); }
  VITRUM_HD const T& operator[](int i) const { return i == 0 ? x : (i == 1 ? y : z); }
};

template <typename T>
VITRUM_HD Vec3T<T> operator+(Vec3T<T> a, Vec3T<T> b) {
  return {a.x + b.x, a.y + b.y, a.z + b.z};
}
template <typename T>
VITRUM_HD Vec3T<T> operator-(Vec3T<T> a, Vec3T<T> b) {
  return {a.x - b.x, a.y - b.y, a.z - b.z};
}
template <typename T>
VITRUM_HD Vec3T<T> operator*(T s, Vec3T<T> a) {
  return {s * a.x, s * a.y, s * a.z};
}
template <typename T>
VITRUM_HD Vec3T<T>& operator+=(Vec3T<T>& a, Vec3T<T> b) {
  a.x += b.x;
  a.y += b.y;
  a.z += b.z;
  return a;
}
template <typename T>
VITRUM_HD Vec3T<T>& operator-=(Vec3T<T>& a, Vec3T<T> b) {
  a.x -= b.x;
  a.y -= b.y;
  a.z -= b.z;
  return a;
}
template <typename T>
VITRUM_HD T dot(Vec3T<T> a, Vec3T<T> b) {
  return a.x * b.x + a.y * b.y + a.z * b.z;
}
template <typename T>
VITRUM_HD Vec3T<T> cross(Vec3T<T> a, Vec3T<T> b) {
  return {a.y * b.z - a.z * b.y, a.z * b.x - a.x * b.z, a.x * b.y - a.y * b.x};
}

using Vec3 = Vec3T<double>;

}  // namespace vitrum
