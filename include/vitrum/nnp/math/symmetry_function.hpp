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
/// adjacently). fc/dfc: scratch of n. D = false computes values only (dv untouched).
template <typename T, bool D = true>
VITRUM_HD void distance_function_rows(const DistanceFn* fns, const int* idx, int nf, int n,
                                      const T* r, T* v, T* dv, long stride, T* fc, T* dfc) {
  int last = -1;
  for (int q = 0; q < nf; ++q) {
    const DistanceFn f = fns[idx[q]];
    T* vq = v + q * stride;
    T* dq = dv + q * stride;
    if (f.kind == 0) {
      if (last < 0 || !same_cutoff(fns[last], f)) {
        cutoff_block<T, D>(f.cutoff_type, n, r, T(f.rc), T(f.alpha), fc, dfc);
        last = idx[q];
      }
      const T eta = T(f.eta), rs = T(f.rs);
      VITRUM_SIMD
      for (int k = 0; k < n; ++k) {
        const T dr = r[k] - rs;
        const T g = exp(-eta * dr * dr);
        vq[k] = g * fc[k];
        if constexpr (D) dq[k] = g * (dfc[k] - T(2) * eta * dr * fc[k]);
      }
    } else {
      compact_block<T, D>(f.cutoff_type, n, r, T(f.rl), T(f.rc), f.asym != 0, vq, dq);
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
/// functions. Returns false when the group needs no pair work.
template <typename T, bool D>
VITRUM_HD void pair_block_geometry(const SfPlanView& p, const PairGroup& g,
                                   const AtomNeighbors<T>& nb, int j, int k0, int k1,
                                   Workspace<T>& ws) {
  const T xj = nb.dx[j], yj = nb.dy[j], zj = nb.dz[j], irj = T(1) / nb.r[j];
  const bool need_jk = g.jk_end > g.jk_begin;
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

// ------------------------------------------------------------------ fused runs (sf_fused.hpp)

/// End of the fused run starting at term t (clipped to the group's end), or t + 1.
VITRUM_HD int fused_run_end(const SfPlanView& p, const AngularTerm& at, int t, int term_end) {
  if (!p.fused || at.run < 2) return t + 1;
  return t + at.run < term_end ? t + at.run : term_end;
}

/// The SF pass of the run [t, t1) over the pairs (j, k), k in [k0, k1): G of each term from the
/// run's power sums (u_k = v_k jv_k wz_k in ws.ak).
template <typename T>
VITRUM_HD void run_symmetry_functions(const SfPlanView& p, const AngularTerm& at, int t, int t1,
                                      const AtomNeighbors<T>& nb, int j, int k0, int k1, const T* v,
                                      Workspace<T>& ws, T* G) {
  const T* jv = at.jk >= 0 ? ws.jkv + static_cast<long>(at.jk) * ws.stride : ws.ones;
  const T* wz = at.weighted ? nb.z : ws.ones;
  VITRUM_SIMD
  for (int k = k0; k < k1; ++k) ws.ak[k] = v[k] * jv[k] * wz[k];
  T sp[kRunMaxDegree + 1], sm[kRunMaxDegree + 1];
  run_power_sums<T>(at.run_deg, k0, k1, ws.c, ws.ak, sp, sm);
  const T f = (at.weighted ? nb.z[j] : T(1)) * v[j];
  for (int u = t; u < t1; ++u) {
    const AngularTerm a = p.angular[u];
    G[a.sf] += f * (T(a.prefactor) * (a.lambda > 0 ? sp[a.izeta] : sm[a.izeta]));
  }
}

/// The gradient pass of the run [t, t1) over the pairs (j, k), k in [k0, k1): adds to ws.ak,
/// ws.ajk, ws.ac and returns the partner sum (times dR(r_ij) by the caller).
template <typename T>
VITRUM_HD T run_gradient_block(const SfPlanView& p, const AngularTerm& at, int t, int t1,
                               const AtomNeighbors<T>& nb, int j, int k0, int k1, const T* v,
                               const T* dv, const T* w, Workspace<T>& ws) {
  T cp[kRunMaxDegree + 1], cm[kRunMaxDegree + 1];
  for (int q = 0; q <= at.run_deg; ++q) cp[q] = cm[q] = T(0);
  bool any = false;
  for (int u = t; u < t1; ++u) {
    const AngularTerm a = p.angular[u];
    const T c = w[a.sf] * T(a.prefactor);
    (a.lambda > 0 ? cp : cm)[a.izeta] += c;
    any = any || c != T(0);
  }
  if (!any) return T(0);
  const long st = ws.stride;
  const T* jv = at.jk >= 0 ? ws.jkv + static_cast<long>(at.jk) * st : ws.ones;
  const T* jd = at.jk >= 0 ? ws.jkd + static_cast<long>(at.jk) * st : ws.zeros;
  const T* wz = at.weighted ? nb.z : ws.ones;
  const T F = at.weighted ? nb.z[j] : T(1);
  return run_gradient<T>(at.run_deg, at.jk >= 0, k0, k1, cp, cm, v[j], F, ws.c, v, dv, jv, jd, wz,
                         ws.ak, ws.ajk, ws.ac);
}

/// Raw (unscaled) symmetry functions of an atom of element e. `val` holds the slot cache filled
/// by fill_slot_cache; G has elem_n_sf[e] entries and is overwritten. `work`: sf_workspace_size.
template <typename T>
VITRUM_HD void atom_symmetry_functions(const SfPlanView& p, int e, const AtomNeighbors<T>& nb,
                                       const T* val, int stride, T* G, T* work) {
  const int nsf = p.elem_n_sf[e];
  for (int s = 0; s < nsf; ++s) G[s] = T(0);
  const int s0 = p.slot_begin[e];
  for (int t = p.radial_begin[e]; t < p.radial_begin[e + 1]; ++t) {
    const RadialTerm rt = p.radial[t];
    const T* v = val + (rt.slot - s0) * stride;
    T sum = T(0);
    if (rt.elem >= 0) {
      const int b0 = nb.elem_begin[rt.elem], b1 = nb.elem_begin[rt.elem + 1];
      VITRUM_SIMD_SUM(sum)
      for (int n = b0; n < b1; ++n) sum += v[n];
    } else {
      VITRUM_SIMD_SUM(sum)
      for (int n = 0; n < nb.n; ++n) sum += nb.z[n] * v[n];
    }
    G[rt.sf] += sum;
  }
  Workspace<T> ws(p, nb.n, work);
  ws.set_window_rows(p.max_jk > 0 ? p.max_jk : 1, p.max_win);
  for (int n = 0; n < nb.n; ++n) ws.ones[n] = T(1);
  const int ne = p.n_elements;
  for (int j = 0; j < nb.n; ++j) {
    const int ej = nb.elem[j];
    for (int b = ej; b < ne; ++b) {
      const PairGroup g = p.groups[(e * ne + ej) * ne + b];
      if (g.term_begin == g.term_end) continue;
      const int k0 = b == ej ? j + 1 : nb.elem_begin[b], k1 = nb.elem_begin[b + 1];
      if (k0 >= k1) continue;
      pair_block_geometry<T, false>(p, g, nb, j, k0, k1, ws);
      unsigned long long done = 0;  // compact windows computed for this block
      for (int t = g.term_begin; t < g.term_end; ++t) {
        const AngularTerm at = p.angular[t];
        const T* v = val + (at.slot - s0) * stride;
        const T vj = v[j];
        const int t1 = fused_run_end(p, at, t, g.term_end);
        if (t1 > t + 1) {
          if (vj != T(0)) run_symmetry_functions<T>(p, at, t, t1, nb, j, k0, k1, v, ws, G);
          t = t1 - 1;
          continue;
        }
        if (vj == T(0)) continue;
        const T* jv = at.jk >= 0 ? ws.jkv + static_cast<long>(at.jk) * stride : ws.ones;
        const T* wz = at.weighted ? nb.z : ws.ones;
        T sum = T(0);
        if (at.kind == 1) {
          const T* wa = compact_window<T>(at, k0, k1, ws, done);
          VITRUM_SIMD_SUM(sum)
          for (int k = k0; k < k1; ++k) sum += wa[k] * v[k] * jv[k] * wz[k];
        } else {
          with_angle<T>(at, [&](const auto& ang) {
            VITRUM_SIMD_SUM(sum)
            for (int k = k0; k < k1; ++k) {
              T a, da;
              ang(ws.c[k], a, da);
              sum += a * v[k] * jv[k] * wz[k];
            }
          });
        }
        G[at.sf] += (at.weighted ? nb.z[j] : T(1)) * vj * sum;
      }
    }
  }
}

/// Gradient of sum_s w[s] G_s with respect to the neighbor positions: on return
/// (gx, gy, gz)[n] = d(sum_s w_s G_s)/d r_n; the gradient with respect to the centre is minus the
/// sum over n. `w` is dE_i/dG_s (raw G). `val`/`der`: the slot cache; `work`: sf_workspace_size.
template <typename T>
VITRUM_HD void atom_sf_gradient(const SfPlanView& p, int e, const AtomNeighbors<T>& nb,
                                const T* val, const T* der, int stride, const T* w, T* gx, T* gy,
                                T* gz, T* work) {
  Workspace<T> ws(p, nb.n, work);
  ws.set_window_rows(p.max_jk > 0 ? p.max_jk : 1, p.max_win);
  const int n = nb.n;
  for (int q = 0; q < n; ++q) {
    ws.ones[q] = T(1);
    ws.zeros[q] = T(0);
    ws.sr[q] = T(0);
    gx[q] = T(0);
    gy[q] = T(0);
    gz[q] = T(0);
  }
  const int s0 = p.slot_begin[e];
  // Radial SFs: scalar derivatives dE/dr_n.
  for (int t = p.radial_begin[e]; t < p.radial_begin[e + 1]; ++t) {
    const RadialTerm rt = p.radial[t];
    const T ws_ = w[rt.sf];
    if (ws_ == T(0)) continue;
    const T* d = der + (rt.slot - s0) * stride;
    if (rt.elem >= 0) {
      const int b0 = nb.elem_begin[rt.elem], b1 = nb.elem_begin[rt.elem + 1];
      VITRUM_SIMD
      for (int q = b0; q < b1; ++q) ws.sr[q] += ws_ * d[q];
    } else {
      VITRUM_SIMD
      for (int q = 0; q < n; ++q) ws.sr[q] += ws_ * nb.z[q] * d[q];
    }
  }
  const int ne = p.n_elements;
  for (int j = 0; j < n; ++j) {
    const int ej = nb.elem[j];
    const T xj = nb.dx[j], yj = nb.dy[j], zj = nb.dz[j], rj = nb.r[j];
    for (int b = ej; b < ne; ++b) {
      const PairGroup g = p.groups[(e * ne + ej) * ne + b];
      if (g.term_begin == g.term_end) continue;
      const int k0 = b == ej ? j + 1 : nb.elem_begin[b], k1 = nb.elem_begin[b + 1];
      if (k0 >= k1) continue;
      pair_block_geometry<T, true>(p, g, nb, j, k0, k1, ws);
      VITRUM_SIMD
      for (int k = k0; k < k1; ++k) {
        ws.ak[k] = T(0);
        ws.ajk[k] = T(0);
        ws.ac[k] = T(0);
      }
      T aj = T(0);
      unsigned long long done = 0;  // compact windows computed for this block
      for (int t = g.term_begin; t < g.term_end; ++t) {
        const AngularTerm at = p.angular[t];
        const int row = (at.slot - s0) * stride;
        const T* v = val + row;
        const T* dv = der + row;
        const T vj = v[j], dvj = dv[j];
        const int t1 = fused_run_end(p, at, t, g.term_end);
        if (t1 > t + 1) {
          if (vj != T(0) || dvj != T(0))
            aj += dvj * run_gradient_block<T>(p, at, t, t1, nb, j, k0, k1, v, dv, w, ws);
          t = t1 - 1;
          continue;
        }
        const T wt = w[at.sf];
        if (wt == T(0)) continue;
        if (vj == T(0) && dvj == T(0)) continue;
        const T F = wt * (at.weighted ? nb.z[j] : T(1));
        const T* jv = at.jk >= 0 ? ws.jkv + static_cast<long>(at.jk) * stride : ws.ones;
        const T* jd = at.jk >= 0 ? ws.jkd + static_cast<long>(at.jk) * stride : ws.zeros;
        const T* wz = at.weighted ? nb.z : ws.ones;
        T ajs = T(0);
        // One term's pair loop; angle(k, a, da) gives its angular factor at pair k.
        auto pairs = [&](const auto& angle) {
          VITRUM_SIMD_SUM(ajs)
          for (int k = k0; k < k1; ++k) {
            T a, da;
            angle(k, a, da);
            const T W = F * wz[k];
            const T avj = a * vj * W;
            ajs += a * v[k] * jv[k] * W;
            ws.ak[k] += avj * dv[k] * jv[k];
            ws.ajk[k] += avj * v[k] * jd[k];
            ws.ac[k] += da * vj * v[k] * jv[k] * W;
          }
        };
        if (at.kind == 1) {
          const T* wa = compact_window<T>(at, k0, k1, ws, done);
          const T* wd = ws.wd + static_cast<long>(at.win) * stride;
          pairs([&](int k, T& a, T& da) {
            a = wa[k];
            da = wd[k];
          });
        } else {
          with_angle<T>(at, [&](const auto& ang) {
            pairs([&](int k, T& a, T& da) { ang(ws.c[k], a, da); });
          });
        }
        aj += dvj * ajs;
      }
      // Partial derivatives -> vectors. d cos/d d_j = d_k/(rj rk) - cos d_j/rj^2 (sym. for k),
      // d rjk/d d_k = (d_k - d_j)/rjk = -d rjk/d d_j.
      T srj = T(0), gjx = T(0), gjy = T(0), gjz = T(0);
      const T irj = T(1) / rj;
      VITRUM_SIMD_SUM(srj, gjx, gjy, gjz)
      for (int k = k0; k < k1; ++k) {
        const T irk = T(1) / nb.r[k];
        const T ac = ws.ac[k];
        const T c = ws.c[k];
        const T t1 = ac * irj * irk;
        const T rjk = ws.rjk[k];
        const T s = ws.ajk[k] == T(0) ? T(0) : ws.ajk[k] / rjk;
        const T ex = nb.dx[k] - xj, ey = nb.dy[k] - yj, ez = nb.dz[k] - zj;
        srj -= ac * c * irj;
        ws.sr[k] += ws.ak[k] - ac * c * irk;
        gjx += t1 * nb.dx[k] - s * ex;
        gjy += t1 * nb.dy[k] - s * ey;
        gjz += t1 * nb.dz[k] - s * ez;
        gx[k] += t1 * xj + s * ex;
        gy[k] += t1 * yj + s * ey;
        gz[k] += t1 * zj + s * ez;
      }
      ws.sr[j] += aj + srj;
      gx[j] += gjx;
      gy[j] += gjy;
      gz[j] += gjz;
    }
  }
  // Radial parts: d r_n / d r_n(vec) = d_n / r_n.
  VITRUM_SIMD
  for (int q = 0; q < n; ++q) {
    const T s = ws.sr[q] / nb.r[q];
    gx[q] += s * nb.dx[q];
    gy[q] += s * nb.dy[q];
    gz[q] += s * nb.dz[q];
  }
}

}  // namespace vitrum::nnp
