#pragma once
/// \file sf_atom.hpp
/// The per-atom passes of the symmetry functions, single-source (CPU loops, the legacy CUDA
/// kernels and the training set call them): atom_symmetry_functions (G of one centre atom) and
/// atom_sf_gradient (dE/dG -> forces and virial, dG/dr recomputed, never stored), with the fused
/// angular runs of sf_fused.hpp. The building blocks (distance functions, angular factors, pair
/// blocks, the plan and workspace) are in symmetry_function.hpp.

#include "vitrum/nnp/math/symmetry_function.hpp"

namespace vitrum::nnp {
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
