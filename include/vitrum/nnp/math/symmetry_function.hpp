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

#include <cmath>

#include "vitrum/core/hd.hpp"
#include "vitrum/nnp/math/cutoff.hpp"

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
  double lambda, zeta, prefactor;  ///< kind 0 (prefactor = 2^{1-zeta})
  double theta_l, theta_r;         ///< kind 1, radians
};

/// Angular terms of one centre element for one unordered neighbor element pair.
struct PairGroup {
  int term_begin, term_end;  ///< into SfPlan::angular
  int jk_begin, jk_end;      ///< into SfPlan::jk_fns (indices into SfPlan::fns)
  int narrow_only;           ///< every term has an r_jk factor: pairs with r_jk >= jk_rmax vanish
  double jk_rmax;            ///< largest r_c of the r_jk functions
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
};

/// Neighbors of one atom, structure-of-arrays, already filtered to r < elem_rmax of the centre.
template <typename T>
struct AtomNeighbors {
  int n;
  const T* dx;
  const T* dy;
  const T* dz;
  const T* r;
  const int* elem;  ///< element index
  const T* z;       ///< atomic number as T (weights of types 12, 13, 23–25)
};

/// True when two distance functions share their cutoff factor f_c (kind 0, same type/rc/alpha).
VITRUM_HD bool same_cutoff(const DistanceFn& a, const DistanceFn& b) {
  return a.kind == 0 && b.kind == 0 && a.cutoff_type == b.cutoff_type && a.rc == b.rc &&
         a.alpha == b.alpha;
}

/// R(r) and dR/dr for a kind-0 function given its cutoff value f_c(r) and derivative.
template <typename T>
VITRUM_HD void gaussian_times_cutoff(const DistanceFn& f, T r, T fc, T dfc, T& v, T& dv) {
  const T dr = r - T(f.rs);
  const T g = exp(-T(f.eta) * dr * dr);
  v = g * fc;
  dv = g * (dfc - T(2) * T(f.eta) * dr * fc);
}

/// Evaluates n distance functions fns[idx[q]] at r, computing each shared cutoff factor once
/// (the plan orders functions so that those sharing a cutoff are adjacent).
template <typename T>
VITRUM_HD void distance_functions(const DistanceFn* fns, const int* idx, int n, T r, T* v, T* dv,
                                  int vstride) {
  T fc = T(0), dfc = T(0);
  int last = -1;
  for (int q = 0; q < n; ++q) {
    const DistanceFn& f = fns[idx[q]];
    if (f.kind == 0) {
      if (r >= T(f.rc)) {
        v[q * vstride] = T(0);
        dv[q * vstride] = T(0);
        continue;
      }
      if (last < 0 || !same_cutoff(fns[last], f)) {
        cutoff_function<T>(f.cutoff_type, r, T(f.rc), T(f.alpha), fc, dfc);
        last = idx[q];
      }
      gaussian_times_cutoff<T>(f, r, fc, dfc, v[q * vstride], dv[q * vstride]);
    } else {
      compact_function<T>(r, T(f.rl), T(f.rc), f.cutoff_type, f.asym != 0, v[q * vstride],
                          dv[q * vstride]);
    }
  }
}

template <typename T>
VITRUM_HD void distance_function(const DistanceFn& f, T r, T& v, T& dv) {
  if (f.kind == 0) {
    if (r >= T(f.rc)) {
      v = T(0);
      dv = T(0);
      return;
    }
    T fc, dfc;
    cutoff_function<T>(f.cutoff_type, r, T(f.rc), T(f.alpha), fc, dfc);
    const T dr = r - T(f.rs);
    const T g = exp(-T(f.eta) * dr * dr);
    v = g * fc;
    dv = g * (dfc - T(2) * T(f.eta) * dr * fc);
  } else {
    // Compact: L = rl, R = rc.
    compact_function<T>(r, T(f.rl), T(f.rc), f.cutoff_type, f.asym != 0, v, dv);
  }
}

/// Angular factor A(cos theta) and dA/dcos.
template <typename T>
VITRUM_HD void angular_factor(const AngularTerm& t, T c, T& a, T& da) {
  if (t.kind == 0) {
    const T base = T(1) + T(t.lambda) * c;
    if (base <= T(0)) {
      a = T(0);
      da = T(0);
      return;
    }
    T p;  // base^(zeta-1)
    if (t.izeta >= 1) {
      p = T(1);
      for (int q = 1; q < t.izeta; ++q) p *= base;
    } else {
      p = pow(base, T(t.zeta) - T(1));
    }
    a = T(t.prefactor) * p * base;
    da = T(t.prefactor) * T(t.zeta) * T(t.lambda) * p;
  } else {
    if (c <= T(-1) || c >= T(1)) {  // exactly collinear: skipped as in n2p2
      a = T(0);
      da = T(0);
      return;
    }
    const T theta = acos(c);
    T f, df;
    compact_function<T>(theta, T(t.theta_l), T(t.theta_r), t.core, false, f, df);
    a = f;
    da = -df / sqrt(T(1) - c * c);  // dtheta/dcos = -1/sin
  }
}

/// Fills the slot cache for one atom: val/der[s * stride + n] = R_s(r_n), dR_s/dr.
template <typename T>
VITRUM_HD void fill_slot_cache(const SfPlanView& p, int e, const AtomNeighbors<T>& nb, T* val,
                               T* der, int stride) {
  const int b = p.slot_begin[e];
  const int ns = p.slot_begin[e + 1] - b;
  for (int n = 0; n < nb.n; ++n)
    distance_functions<T>(p.fns, p.slot_fn + b, ns, nb.r[n], val + n, der + n, stride);
}

/// Raw (unscaled) symmetry functions of an atom of element e. `val`/`der` hold the slot cache
/// filled by fill_slot_cache; G has elem_n_sf[e] entries and is overwritten.
template <typename T>
VITRUM_HD void atom_symmetry_functions(const SfPlanView& p, int e, const AtomNeighbors<T>& nb,
                                       const T* val, int stride, T* G) {
  const int nsf = p.elem_n_sf[e];
  for (int s = 0; s < nsf; ++s) G[s] = T(0);
  const int s0 = p.slot_begin[e];
  for (int t = p.radial_begin[e]; t < p.radial_begin[e + 1]; ++t) {
    const RadialTerm rt = p.radial[t];
    const T* v = val + (rt.slot - s0) * stride;
    T sum = T(0);
    if (rt.elem >= 0) {
      for (int n = 0; n < nb.n; ++n)
        if (nb.elem[n] == rt.elem) sum += v[n];
    } else {
      for (int n = 0; n < nb.n; ++n) sum += nb.z[n] * v[n];
    }
    G[rt.sf] += sum;
  }
  const int ne = p.n_elements;
  T jkv[64], jkd[64];
  for (int j = 0; j < nb.n; ++j) {
    for (int k = j + 1; k < nb.n; ++k) {
      const int a = nb.elem[j] < nb.elem[k] ? nb.elem[j] : nb.elem[k];
      const int b = nb.elem[j] < nb.elem[k] ? nb.elem[k] : nb.elem[j];
      const PairGroup g = p.groups[(e * ne + a) * ne + b];
      if (g.term_begin == g.term_end) continue;
      const T rj = nb.r[j], rk = nb.r[k];
      const T dot = nb.dx[j] * nb.dx[k] + nb.dy[j] * nb.dy[k] + nb.dz[j] * nb.dz[k];
      const T c = dot / (rj * rk);
      if (g.jk_end > g.jk_begin) {
        const T ex = nb.dx[k] - nb.dx[j], ey = nb.dy[k] - nb.dy[j], ez = nb.dz[k] - nb.dz[j];
        const T rjk = sqrt(ex * ex + ey * ey + ez * ez);
        if (g.narrow_only && rjk >= T(g.jk_rmax)) continue;
        distance_functions<T>(p.fns, p.jk_fns + g.jk_begin, g.jk_end - g.jk_begin, rjk, jkv, jkd,
                              1);
      }
      const T zz = nb.z[j] * nb.z[k];
      for (int t = g.term_begin; t < g.term_end; ++t) {
        const AngularTerm at = p.angular[t];
        const T* v = val + (at.slot - s0) * stride;
        const T rr = v[j] * v[k];
        if (rr == T(0)) continue;
        T ang, dang;
        angular_factor<T>(at, c, ang, dang);
        T term = ang * rr;
        if (at.jk >= 0) term *= jkv[at.jk];
        if (at.weighted) term *= zz;
        G[at.sf] += term;
      }
    }
  }
}

/// Gradient of sum_s w[s] G_s with respect to the neighbor positions: on return
/// (gx, gy, gz)[n] = d(sum_s w_s G_s)/d r_n; the gradient with respect to the centre is minus the
/// sum over n. `w` is dE_i/dG_s (raw G). `val`/`der`: the slot cache.
template <typename T>
VITRUM_HD void atom_sf_gradient(const SfPlanView& p, int e, const AtomNeighbors<T>& nb,
                                const T* val, const T* der, int stride, const T* w, T* gx, T* gy,
                                T* gz) {
  // Scalar radial derivative per neighbor, then vector parts from angles.
  for (int n = 0; n < nb.n; ++n) {
    gx[n] = T(0);
    gy[n] = T(0);
    gz[n] = T(0);
  }
  const int s0 = p.slot_begin[e];
  // a[n] accumulates dE/dr_n (scalar) in gx temporarily is not possible; use a second pass.
  for (int t = p.radial_begin[e]; t < p.radial_begin[e + 1]; ++t) {
    const RadialTerm rt = p.radial[t];
    const T ws = w[rt.sf];
    if (ws == T(0)) continue;
    const T* d = der + (rt.slot - s0) * stride;
    if (rt.elem >= 0) {
      for (int n = 0; n < nb.n; ++n)
        if (nb.elem[n] == rt.elem) gx[n] += ws * d[n];
    } else {
      for (int n = 0; n < nb.n; ++n) gx[n] += ws * nb.z[n] * d[n];
    }
  }
  // Convert the scalar radial derivative into a vector: d r_n / d r_n(vec) = d_n / r_n.
  for (int n = 0; n < nb.n; ++n) {
    const T s = gx[n] / nb.r[n];
    gx[n] = s * nb.dx[n];
    gy[n] = s * nb.dy[n];
    gz[n] = s * nb.dz[n];
  }
  const int ne = p.n_elements;
  T jkv[64], jkd[64];
  for (int j = 0; j < nb.n; ++j) {
    for (int k = j + 1; k < nb.n; ++k) {
      const int a = nb.elem[j] < nb.elem[k] ? nb.elem[j] : nb.elem[k];
      const int b = nb.elem[j] < nb.elem[k] ? nb.elem[k] : nb.elem[j];
      const PairGroup g = p.groups[(e * ne + a) * ne + b];
      if (g.term_begin == g.term_end) continue;
      const T rj = nb.r[j], rk = nb.r[k];
      const T dot = nb.dx[j] * nb.dx[k] + nb.dy[j] * nb.dy[k] + nb.dz[j] * nb.dz[k];
      const T c = dot / (rj * rk);
      T ex = T(0), ey = T(0), ez = T(0), rjk = T(1);
      if (g.jk_end > g.jk_begin) {
        ex = nb.dx[k] - nb.dx[j];
        ey = nb.dy[k] - nb.dy[j];
        ez = nb.dz[k] - nb.dz[j];
        rjk = sqrt(ex * ex + ey * ey + ez * ez);
        if (g.narrow_only && rjk >= T(g.jk_rmax)) continue;
        distance_functions<T>(p.fns, p.jk_fns + g.jk_begin, g.jk_end - g.jk_begin, rjk, jkv, jkd,
                              1);
      }
      const T zz = nb.z[j] * nb.z[k];
      // Accumulated partial derivatives of sum_s w_s term_s.
      T aj = T(0), ak = T(0), ajk = T(0), ac = T(0);
      for (int t = g.term_begin; t < g.term_end; ++t) {
        const AngularTerm at = p.angular[t];
        const T ws = w[at.sf];
        if (ws == T(0)) continue;
        const int row = (at.slot - s0) * stride;
        const T vj = val[row + j], vk = val[row + k];
        if (vj == T(0) || vk == T(0)) continue;
        T ang, dang;
        angular_factor<T>(at, c, ang, dang);
        if (ang == T(0) && dang == T(0)) continue;
        T f = ws;
        if (at.weighted) f *= zz;
        T fjk = T(1);
        if (at.jk >= 0) {
          fjk = jkv[at.jk];
          if (fjk == T(0) && jkd[at.jk] == T(0)) continue;
          ajk += f * ang * vj * vk * jkd[at.jk];
        }
        const T base = f * fjk;
        aj += base * ang * der[row + j] * vk;
        ak += base * ang * vj * der[row + k];
        ac += base * dang * vj * vk;
      }
      if (aj == T(0) && ak == T(0) && ajk == T(0) && ac == T(0)) continue;
      const T irj = T(1) / rj, irk = T(1) / rk;
      // d cos / d d_j = d_k/(rj rk) - c d_j/rj^2 ; symmetric for k.
      const T cj = aj * irj - ac * c * irj * irj;
      const T ck = ak * irk - ac * c * irk * irk;
      const T cx = ac * irj * irk;
      gx[j] += cj * nb.dx[j] + cx * nb.dx[k];
      gy[j] += cj * nb.dy[j] + cx * nb.dy[k];
      gz[j] += cj * nb.dz[j] + cx * nb.dz[k];
      gx[k] += ck * nb.dx[k] + cx * nb.dx[j];
      gy[k] += ck * nb.dy[k] + cx * nb.dy[j];
      gz[k] += ck * nb.dz[k] + cx * nb.dz[j];
      if (ajk != T(0)) {
        const T s = ajk / rjk;  // d rjk / d d_k = (d_k - d_j)/rjk
        gx[k] += s * ex;
        gy[k] += s * ey;
        gz[k] += s * ez;
        gx[j] -= s * ex;
        gy[j] -= s * ey;
        gz[j] -= s * ez;
      }
    }
  }
}

}  // namespace vitrum::nnp
