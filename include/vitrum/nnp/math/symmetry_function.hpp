#pragma once
/// \file symmetry_function.hpp
/// Behler–Parrinello symmetry functions of one atom and their gradients, written once for the CPU
/// and CUDA backends. Every symmetry function (SF) of n2p2 is expressed through
///   - a *distance function* R(r): exp(-eta (r - r_s)^2) f_c(r) (types 2, 3, 9, 12, 13) or the
///     compact C(r; r_l, r_c) (types 20–25);
///   - radial SFs:  G = sum_j w_j R(r_ij), w_j = [elem j == e1] or Z_j (weighted types 12, 23);
///   - angular SFs: G = sum_{j<k} w_jk A(theta_ijk) R(r_ij) R(r_ik) [R_jk(r_jk)], with
///     A = 2^{1-zeta} (1 + lambda cos)^zeta (types 3, 9, 13) or C(theta; theta_l, theta_r)
///     (21,22,24,25), R_jk present for the "narrow" types 3, 13, 21, 24; w_jk = [{elem j, elem k}
///     == {e1, e2}] or Z_j Z_k (weighted types 13, 24, 25).
/// Distance functions are evaluated once per neighbor and shared by every SF that uses them (the
/// per-atom "slot" cache), r_jk functions once per pair: n2p2's symmetry-function groups, in flat
/// arrays a GPU can read. Convention: d_j = r_j - r_i (neighbor minus centre).
///
/// Layout for speed: the neighbors of an atom are sorted by element, so for a fixed j the
/// partners k of one element form a contiguous block sharing one pair group. Every inner loop
/// runs over such a block of k with uniform parameters and no branches (selects only), so the
/// CPU backend vectorizes it (OpenMP simd, vector exp from libmvec) and a GPU thread runs it as
/// a plain loop. Per-atom scratch ("workspace") holds the block quantities.

#include <cmath>

#include "vitrum/core/hd.hpp"
#include "vitrum/nnp/math/cutoff.hpp"
#include "vitrum/nnp/math/sf_fused.hpp"  // also the VITRUM_SIMD macros
#include "vitrum/nnp/math/shared_exp.hpp"

namespace vitrum::nnp {

/// A distance function r -> R(r).
struct DistanceFn {
  int kind;         ///< 0: exp(-eta (r - rs)^2) f_c(r); 1: compact C(r; rl, rc)
  int cutoff_type;  ///< kind 0: n2p2 cutoff code; kind 1: core code (COS, EXP, POLY1..4)
  int asym;         ///< kind 1: asymmetric compact variant
  double eta, rs, rc, alpha, rl;
};

/// A radial SF term list entry (one per radial SF of an element).
struct RadialTerm {
  int sf;    ///< SF index within the element (n2p2 sorted order)
  int slot;  ///< distance-function slot of the element
  int elem;  ///< neighbor element index, or -1 for Z-weighted types
};

/// An angular SF entry inside an element-pair group.
struct AngularTerm {
  int sf;        ///< SF index within the element
  int slot;      ///< distance-function slot of the element, applied to r_ij and r_ik
  int jk;        ///< index into the group's r_jk functions, or -1 ("wide" types)
  int kind;      ///< 0: (1 + lambda cos)^zeta; 1: compact C(theta)
  int weighted;  ///< multiply by Z_j Z_k
  int izeta;     ///< integer zeta, or -1 for a non-integer zeta (pow)
  int core;      ///< kind 1: core code
  int win;       ///< kind 1: the term's angular window (theta_l, theta_r, core) within its group
  int run;       ///< first term of a fused run (sf_fused.hpp): its length (>= 2); otherwise 1
  int run_deg;   ///< first term of a fused run: polynomial degree, a power of two >= every zeta
  double lambda, zeta, prefactor;  ///< kind 0 (prefactor = 2^{1-zeta})
  double theta_l, theta_r;         ///< kind 1, radians
};

/// Angular terms of one centre element for one unordered neighbor element pair.
struct PairGroup {
  int term_begin, term_end;  ///< into SfPlan::angular
  int jk_begin, jk_end;      ///< into SfPlan::jk_fns (indices into SfPlan::fns)
  int narrow_only;           ///< every term has an r_jk factor: pairs with r_jk >= jk_rmax vanish
  double jk_rmax;            ///< largest r_c of the r_jk functions
  int n_win;                 ///< distinct compact angular windows of the group's terms (<= 64)
};

/// Flat, pointer-only view of all SFs of a potential: valid on host or device memory.
struct SfPlanView {
  int n_elements;
  const DistanceFn* fns;
  const int* elem_n_sf;     ///< [e] number of SFs
  const double* elem_rmax;  ///< [e] largest r_c of the element's SFs
  const int* slot_begin;    ///< [e], [e+1]: range in slot_fn
  const int* slot_fn;       ///< slot -> index into fns
  const int* radial_begin;  ///< [e], [e+1]: range in radial
  const RadialTerm* radial;
  const PairGroup* groups;  ///< [e * n_elements^2 + a * n_elements + b] (a <= b used)
  const AngularTerm* angular;
  const int* jk_fns;  ///< indices into fns
  int max_slots;      ///< largest slot count of any element
  int max_jk;         ///< largest jk count of any group
  int max_win;        ///< largest angular-window count of any group
  int fused;          ///< evaluate fused runs (AngularTerm::run) together; 0: term by term
};

/// Neighbors of one atom, structure-of-arrays, filtered to r < elem_rmax of the centre and
/// sorted by element: neighbors of element b are [elem_begin[b], elem_begin[b+1]).
template <typename T>
struct AtomNeighbors {
  int n;
  const T* dx;
  const T* dy;
  const T* dz;
  const T* r;
  const int* elem;        ///< element index
  const T* z;             ///< atomic number as T (weights of types 12, 13, 23–25)
  const int* elem_begin;  ///< n_elements + 1 block starts
};

/// Workspace length (in T) per atom with n neighbors: c, rjk, fc, dfc, ak, ajk, ac, ones, zeros,
/// sr, th, sq, then jk values and derivatives (max_jk rows each), then the compact angular
/// windows' values and derivatives (max_win rows each).
VITRUM_HD long sf_workspace_size(const SfPlanView& p, int n) {
  return static_cast<long>(n) * (12 + 2 * (p.max_jk > 0 ? p.max_jk : 1) + 2 * p.max_win);
}

template <typename T>
struct Workspace {
  T *c, *rjk, *fc, *dfc, *ak, *ajk, *ac, *ones, *zeros, *sr, *th, *sq, *jkv, *jkd, *wa, *wd;
  int stride;
  VITRUM_HD Workspace(const SfPlanView&, int n, T* w) : stride(n) {
    c = w;
    rjk = w + n;
    fc = w + 2 * n;
    dfc = w + 3 * n;
    ak = w + 4 * n;
    ajk = w + 5 * n;
    ac = w + 6 * n;
    ones = w + 7 * n;
    zeros = w + 8 * n;
    sr = w + 9 * n;
    th = w + 10 * n;
    sq = w + 11 * n;
    jkv = w + 12 * n;
  }
  VITRUM_HD void set_jk_rows(int max_jk) { jkd = jkv + static_cast<long>(max_jk) * stride; }
  /// The angular-window rows (CPU block path) after the jk rows.
  VITRUM_HD void set_window_rows(int max_jk, int max_win) {
    set_jk_rows(max_jk);
    wa = jkd + static_cast<long>(max_jk) * stride;
    wd = wa + static_cast<long>(max_win) * stride;
  }
};

// ------------------------------------------------------------------ distance functions (blocks)

/// True when two distance functions share their cutoff factor f_c (kind 0, same type/rc/alpha).
VITRUM_HD bool same_cutoff(const DistanceFn& a, const DistanceFn& b) {
  return a.kind == 0 && b.kind == 0 && a.cutoff_type == b.cutoff_type && a.rc == b.rc &&
         a.alpha == b.alpha;
}

template <typename T, int CT, bool D>
VITRUM_HD void cutoff_block_t(int n, const T* r, T rc, T alpha, T* f, T* df) {
  VITRUM_SIMD
  for (int k = 0; k < n; ++k) {
    T fk, dk;
    cutoff_function<T>(CT, r[k], rc, alpha, fk, dk);
    f[k] = fk;
    if constexpr (D) df[k] = dk;  // values only: the derivative is dead code
  }
}

/// f_c and f_c' of n distances (one uniform cutoff type: dispatched once, loop vectorizes).
/// D = false computes values only.
template <typename T, bool D = true>
VITRUM_HD void cutoff_block(int type, int n, const T* r, T rc, T alpha, T* f, T* df) {
  switch (type) {
    case kCutCos:
      cutoff_block_t<T, kCutCos, D>(n, r, rc, alpha, f, df);
      return;
    case kCutTanhU:
      cutoff_block_t<T, kCutTanhU, D>(n, r, rc, alpha, f, df);
      return;
    case kCutTanh:
      cutoff_block_t<T, kCutTanh, D>(n, r, rc, alpha, f, df);
      return;
    case kCutExp:
      cutoff_block_t<T, kCutExp, D>(n, r, rc, alpha, f, df);
      return;
    case kCutPoly1:
      cutoff_block_t<T, kCutPoly1, D>(n, r, rc, alpha, f, df);
      return;
    case kCutPoly2:
      cutoff_block_t<T, kCutPoly2, D>(n, r, rc, alpha, f, df);
      return;
    case kCutPoly3:
      cutoff_block_t<T, kCutPoly3, D>(n, r, rc, alpha, f, df);
      return;
    case kCutPoly4:
      cutoff_block_t<T, kCutPoly4, D>(n, r, rc, alpha, f, df);
      return;
    default:
      cutoff_block_t<T, kCutHard, D>(n, r, rc, alpha, f, df);
      return;
  }
}

template <typename T, int CORE, bool D>
VITRUM_HD void compact_block_t(int n, const T* x, T left, T right, bool asym, T* f, T* df) {
  VITRUM_SIMD
  for (int k = 0; k < n; ++k) {
    T fk, dk;
    compact_function<T>(x[k], left, right, CORE, asym, fk, dk);
    f[k] = fk;
    if constexpr (D) df[k] = dk;
  }
}

/// C(x) and C'(x) of n arguments for one compact function (D = false: values only).
template <typename T, bool D = true>
VITRUM_HD void compact_block(int core, int n, const T* x, T left, T right, bool asym, T* f, T* df) {
  switch (core) {
    case kCutCos:
      compact_block_t<T, kCutCos, D>(n, x, left, right, asym, f, df);
      return;
    case kCutExp:
      compact_block_t<T, kCutExp, D>(n, x, left, right, asym, f, df);
      return;
    case kCutPoly1:
      compact_block_t<T, kCutPoly1, D>(n, x, left, right, asym, f, df);
      return;
    case kCutPoly2:
      compact_block_t<T, kCutPoly2, D>(n, x, left, right, asym, f, df);
      return;
    case kCutPoly3:
      compact_block_t<T, kCutPoly3, D>(n, x, left, right, asym, f, df);
      return;
    default:
      compact_block_t<T, kCutPoly4, D>(n, x, left, right, asym, f, df);
      return;
  }
}

/// Evaluates distance functions idx[0..nf) at n distances r into rows v/dv (row stride `stride`),
/// computing each shared cutoff factor once (the plan orders functions sharing a cutoff
/// adjacently) and, within a run sharing a cutoff, the Gaussians of equal r_s whose etas are
/// integer multiples as powers of one exponential (shared_exp.hpp; the raw Gaussians are staged
/// in v). fc/dfc: scratch of n. D = false computes values only (dv untouched).
template <typename T, bool D = true>
VITRUM_HD void distance_function_rows(const DistanceFn* fns, const int* idx, int nf, int n,
                                      const T* r, T* v, T* dv, long stride, T* fc, T* dfc) {
  int q = 0;
  while (q < nf) {
    const DistanceFn f = fns[idx[q]];
    if (f.kind != 0) {
      compact_block<T, D>(f.cutoff_type, n, r, T(f.rl), T(f.rc), f.asym != 0, v + q * stride,
                          dv + q * stride);
      ++q;
      continue;
    }
    int q1 = q + 1;
    while (q1 < nf && same_cutoff(f, fns[idx[q1]])) ++q1;
    cutoff_block<T, D>(f.cutoff_type, n, r, T(f.rc), T(f.alpha), fc, dfc);
    gaussian_rows<T>(fns, idx + q, q1 - q, n, r, v + q * stride, stride);
    for (; q < q1; ++q) {
      const DistanceFn fq = fns[idx[q]];
      T* vq = v + q * stride;
      T* dq = dv + q * stride;
      const T eta = T(fq.eta), rs = T(fq.rs);
      VITRUM_SIMD
      for (int k = 0; k < n; ++k) {
        const T g = vq[k];
        vq[k] = g * fc[k];
        if constexpr (D) dq[k] = g * (dfc[k] - T(2) * eta * (r[k] - rs) * fc[k]);
      }
    }
  }
}

/// Fills the slot cache of one atom: val/der[s * stride + n] = R_s(r_n), dR_s/dr (D = false:
/// values only, for the symmetry-function pass).
template <typename T, bool D = true>
VITRUM_HD void fill_slot_cache(const SfPlanView& p, int e, const AtomNeighbors<T>& nb, T* val,
                               T* der, int stride, T* work) {
  Workspace<T> ws(p, nb.n, work);
  const int b = p.slot_begin[e];
  distance_function_rows<T, D>(p.fns, p.slot_fn + b, p.slot_begin[e + 1] - b, nb.n, nb.r, val, der,
                               stride, ws.fc, ws.dfc);
}

// ------------------------------------------------------------------ angular factors

template <typename T, int Z>
VITRUM_HD T ipow(T b) {
  if constexpr (Z <= 0) {
    return T(1);
  } else if constexpr (Z == 1) {
    return b;
  } else {
    const T h = ipow<T, Z / 2>(b);
    return (Z % 2) ? h * h * b : h * h;
  }
}

/// 2^{1-zeta} (1 + lambda cos)^zeta, zero where 1 + lambda cos <= 0; Z = integer zeta or -1.
template <typename T, int Z>
struct PowAngle {
  T lambda, zeta, prefactor;
  VITRUM_HD void operator()(T c, T& a, T& da) const {
    const T base = T(1) + lambda * c;
    const bool pos = base > T(0);
    const T sb = pos ? base : T(1);
    T p;  // base^(zeta - 1)
    if constexpr (Z > 0)
      p = ipow<T, Z - 1>(sb);
    else
      p = pow(sb, zeta - T(1));
    a = pos ? prefactor * p * sb : T(0);
    da = pos ? prefactor * zeta * lambda * p : T(0);
  }
  /// Pair k of a block (compact_angles layout; this factor reads the cosine only).
  VITRUM_HD void block(const T* c, const T*, const T*, int k, T& a, T& da) const {
    (*this)(c[k], a, da);
  }
};

/// theta = acos(cos) and sqrt(1 - cos^2) of the pairs [k0, k1) of a block, shared by every compact
/// angular term of the pair group (one acos per pair instead of one per pair and term). Collinear
/// pairs (|cos| >= 1) get theta = -1 (CompactAngle::block reads that as "skip") and sq = 1.
template <typename T>
VITRUM_HD void compact_angles(int k0, int k1, const T* c, T* th, T* sq) {
  VITRUM_SIMD
  for (int k = k0; k < k1; ++k) {
    const bool ok = (c[k] > T(-1)) & (c[k] < T(1));
    const T cc = ok ? c[k] : T(0);
    const T theta = acos(cc);
    th[k] = ok ? theta : T(-1);
    sq[k] = sqrt(T(1) - cc * cc);
  }
}

/// Compact angular window C(theta; theta_l, theta_r), theta = acos(cos); skipped when collinear.
template <typename T, int CORE>
struct CompactAngle {
  T left, right;
  VITRUM_HD void operator()(T c, T& a, T& da) const {
    const bool ok = (c > T(-1)) & (c < T(1));
    const T cc = ok ? c : T(0);
    const T theta = acos(cc);
    T f, df;
    compact_function<T>(theta, left, right, CORE, false, f, df);
    a = ok ? f : T(0);
    da = ok ? -df / sqrt(T(1) - cc * cc) : T(0);  // dtheta/dcos = -1/sin
  }
  /// Pair k of a block from compact_angles' theta and sqrt(1 - cos^2): the same arithmetic as
  /// operator() above, so both give the same bits.
  VITRUM_HD void block(const T*, const T* th, const T* sq, int k, T& a, T& da) const {
    const bool ok = th[k] >= T(0);
    T f, df;
    compact_function<T>(th[k], left, right, CORE, false, f, df);
    a = ok ? f : T(0);
    da = ok ? -df / sq[k] : T(0);
  }
};

/// Calls fn(angle) with the angular factor of term t as a compile-time functor.
template <typename T, typename F>
VITRUM_HD void with_angle(const AngularTerm& t, F&& fn) {
  const T l = T(t.lambda), z = T(t.zeta), pf = T(t.prefactor);
  if (t.kind == 0) {
    switch (t.izeta) {
      case 1:
        fn(PowAngle<T, 1>{l, z, pf});
        return;
      case 2:
        fn(PowAngle<T, 2>{l, z, pf});
        return;
      case 3:
        fn(PowAngle<T, 3>{l, z, pf});
        return;
      case 4:
        fn(PowAngle<T, 4>{l, z, pf});
        return;
      case 8:
        fn(PowAngle<T, 8>{l, z, pf});
        return;
      case 16:
        fn(PowAngle<T, 16>{l, z, pf});
        return;
      default:
        fn(PowAngle<T, -1>{l, z, pf});
        return;
    }
  }
  const T tl = T(t.theta_l), tr = T(t.theta_r);
  switch (t.core) {
    case kCutCos:
      fn(CompactAngle<T, kCutCos>{tl, tr});
      return;
    case kCutExp:
      fn(CompactAngle<T, kCutExp>{tl, tr});
      return;
    case kCutPoly1:
      fn(CompactAngle<T, kCutPoly1>{tl, tr});
      return;
    case kCutPoly2:
      fn(CompactAngle<T, kCutPoly2>{tl, tr});
      return;
    case kCutPoly3:
      fn(CompactAngle<T, kCutPoly3>{tl, tr});
      return;
    default:
      fn(CompactAngle<T, kCutPoly4>{tl, tr});
      return;
  }
}

/// Angular window `at.win` of a block (pairs [k0, k1)): its values and derivatives with respect to
/// cos theta into rows wa/wd, computed once and shared by every compact term of the group that
/// uses the same (theta_l, theta_r, core). `done` marks the windows already computed (and, bit 63
/// of `done`, that compact_angles ran for the block).
template <typename T>
VITRUM_HD const T* compact_window(const AngularTerm& at, int k0, int k1, Workspace<T>& ws,
                                  unsigned long long& done) {
  const unsigned long long kAngles = 1ULL << 63;
  T* a = ws.wa + static_cast<long>(at.win) * ws.stride;
  T* d = ws.wd + static_cast<long>(at.win) * ws.stride;
  if (done & (1ULL << at.win)) return a;
  if (!(done & kAngles)) compact_angles<T>(k0, k1, ws.c, ws.th, ws.sq);
  const T *c = ws.c, *th = ws.th, *sq = ws.sq;
  with_angle<T>(at, [&](const auto& ang) {
    VITRUM_SIMD
    for (int k = k0; k < k1; ++k) ang.block(c, th, sq, k, a[k], d[k]);
  });
  done |= kAngles | (1ULL << at.win);
  return a;
}

/// Single-argument angular factor (tests, reference code).
template <typename T>
VITRUM_HD void angular_factor(const AngularTerm& t, T c, T& a, T& da) {
  with_angle<T>(t, [&](const auto& ang) { ang(c, a, da); });
}

// ------------------------------------------------------------------ pair blocks

/// Geometry of the pairs (j, k), k in [k0, k1): cos theta_jik and r_jk, then the group's r_jk
/// functions (the SF pass of a group without r_jk functions: cos theta_jik only).
template <typename T, bool D>
VITRUM_HD void pair_block_geometry(const SfPlanView& p, const PairGroup& g,
                                   const AtomNeighbors<T>& nb, int j, int k0, int k1,
                                   Workspace<T>& ws) {
  const T xj = nb.dx[j], yj = nb.dy[j], zj = nb.dz[j], irj = T(1) / nb.r[j];
  const bool need_jk = g.jk_end > g.jk_begin;
  if (!D && !need_jk) {  // SF pass of a wide group: r_jk feeds nothing
    VITRUM_SIMD
    for (int k = k0; k < k1; ++k)
      ws.c[k] = (xj * nb.dx[k] + yj * nb.dy[k] + zj * nb.dz[k]) * irj / nb.r[k];
    return;
  }
  VITRUM_SIMD
  for (int k = k0; k < k1; ++k) {
    ws.c[k] = (xj * nb.dx[k] + yj * nb.dy[k] + zj * nb.dz[k]) * irj / nb.r[k];
    const T ex = nb.dx[k] - xj, ey = nb.dy[k] - yj, ez = nb.dz[k] - zj;
    ws.rjk[k] = sqrt(ex * ex + ey * ey + ez * ez);
  }
  if (need_jk)
    distance_function_rows<T, D>(p.fns, p.jk_fns + g.jk_begin, g.jk_end - g.jk_begin, k1 - k0,
                                 ws.rjk + k0, ws.jkv + k0, ws.jkd + k0, ws.stride, ws.fc + k0,
                                 ws.dfc + k0);
}

}  // namespace vitrum::nnp
