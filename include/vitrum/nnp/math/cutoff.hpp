#pragma once
/// \file cutoff.hpp
/// n2p2 cutoff functions f_c(r; r_c, alpha) and compact-function cores, single source for host and
/// device. Codes follow n2p2's `cutoff_type` (0 HARD, 1 COS, 2 TANHU, 3 TANH, 4 EXP, 5 POLY1,
/// 6 POLY2, 7 POLY3, 8 POLY4). For every type except TANHU/TANH an inner cutoff r_ci = alpha r_c
/// applies: f_c = 1 for r < r_ci, else f_c = f(x), x = (r - r_ci)/(r_c - r_ci); f_c = 0 for r >=
/// r_c.

#include <cmath>

#include "vitrum/core/hd.hpp"

namespace vitrum::nnp {

#ifndef __CUDACC__
// Host: float arguments must reach the float functions (expf, ... and their SIMD variants, see
// simd_math.hpp), not the double C functions. nvcc provides float overloads itself.
using std::acos;
using std::cos;
using std::exp;
using std::log;
using std::pow;
using std::sin;
using std::sqrt;
using std::tanh;
#endif

enum CutoffType : int {
  kCutHard = 0,
  kCutCos = 1,
  kCutTanhU = 2,
  kCutTanh = 3,
  kCutExp = 4,
  kCutPoly1 = 5,
  kCutPoly2 = 6,
  kCutPoly3 = 7,
  kCutPoly4 = 8
};

/// Core polynomial / exponential f(x) on x in [0,1) with f(0) = 1, f(1) = 0, and its derivative.
/// `core` uses the cutoff codes (COS, EXP, POLY1..4); these are also the cores of n2p2's compact
/// symmetry functions (subtypes p1..p4, e).
template <typename T>
VITRUM_HD void core_function(int core, T x, T& f, T& df) {
  switch (core) {
    case kCutCos: {
      const T pi = T(3.14159265358979323846);
      f = T(0.5) * (cos(pi * x) + T(1));
      df = -T(0.5) * pi * sin(pi * x);
      return;
    }
    case kCutExp: {
      const T x2 = x * x;
      const T den = x2 - T(1);
      const T e = exp(T(1) + T(1) / den);  // = exp(1 - 1/(1 - x^2))
      f = e;
      df = -T(2) * x * e / (den * den);
      return;
    }
    case kCutPoly1:
      f = (T(2) * x - T(3)) * x * x + T(1);
      df = T(6) * x * x - T(6) * x;
      return;
    case kCutPoly2:
      f = ((T(15) - T(6) * x) * x - T(10)) * x * x * x + T(1);
      df = x * x * ((T(60) - T(30) * x) * x - T(30));
      return;
    case kCutPoly3:
      f = (x * (x * (T(20) * x - T(70)) + T(84)) - T(35)) * x * x * x * x + T(1);
      df = x * x * x * (x * (x * (T(140) * x - T(420)) + T(420)) - T(140));
      return;
    case kCutPoly4:
      f = (x * (x * ((T(315) - T(70) * x) * x - T(540)) + T(420)) - T(126)) * x * x * x * x * x +
          T(1);
      df = x * x * x * x * (x * (x * ((T(2520) - T(630) * x) * x - T(3780)) + T(2520)) - T(630));
      return;
    default:  // kCutHard
      f = T(1);
      df = T(0);
      return;
  }
}

/// f_c(r) and df_c/dr for cutoff `type` with cutoff radius rc and inner fraction alpha.
/// Branch-free (selects, not jumps) so that loops over neighbors vectorize; every expression is
/// finite inside the cutoff, and values outside are discarded by the selects.
template <typename T>
VITRUM_HD void cutoff_function(int type, T r, T rc, T alpha, T& f, T& df) {
  const bool inside = r < rc;
  if (type == kCutTanhU || type == kCutTanh) {
    // tanh through one exp: (e^{2x} - 1)/(e^{2x} + 1) with x = 1 - r/rc in [0, 1]; the absolute
    // error stays at rounding level, and one exp is several times cheaper than tanh (expm1).
    const T e2 = exp(T(2) * (T(1) - r / rc));
    const T t = (e2 - T(1)) / (e2 + T(1));
    // TANH is normalized to f_c(0) = 1: multiply by coth^3(1) as n2p2 computes it.
    const T pre = type == kCutTanh ? T(2.2637537952253504) : T(1);
    f = inside ? pre * t * t * t : T(0);
    df = inside ? pre * T(3) * t * t * (t * t - T(1)) / rc : T(0);
    return;
  }
  const T rci = alpha * rc;
  const T w = rc - rci;
  T x = (r - rci) / w;
  x = ((r < rci) | !inside) ? T(0) : x;  // discarded lanes get a harmless argument
  T g, dg;
  core_function(type, x, g, dg);
  f = r < rci ? T(1) : (inside ? g : T(0));
  df = ((r < rci) | !inside) ? T(0) : dg / w;
}

/// n2p2's compact function C(x; L, R, core, asym): zero unless L < x < R; u = |x - c| / w with
/// c = (L+R)/2, w = (R-L)/2; asym: u <- u (2 - u); C = core(u). Returns C and dC/dx.
/// Branch-free like cutoff_function.
template <typename T>
VITRUM_HD void compact_function(T x, T left, T right, int core, bool asym, T& f, T& df) {
  const bool inside = (x > left) & (x < right);  // '&': no branch, loops vectorize
  const T c = T(0.5) * (left + right);
  const T w = T(0.5) * (right - left);
  const T s = x >= c ? T(1) : T(-1);
  T u = s * (x - c) / w;
  u = inside ? u : T(0);  // discarded lanes get a harmless argument
  const T chain = asym ? T(2) - T(2) * u : T(1);
  u = asym ? u * (T(2) - u) : u;
  T g, dg;
  core_function(core, u, g, dg);
  f = inside ? g : T(0);
  df = inside ? s * dg * chain / w : T(0);
}

}  // namespace vitrum::nnp
