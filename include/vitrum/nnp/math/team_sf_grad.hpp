#pragma once
/// \file team_sf_grad.hpp
/// Forces from dE/dG by a team of lanes, single source for the GPU warp and the CPU emulator
/// (team.hpp): a second pass that gathers the neighbors again and recomputes dG/dr (never
/// stored), contracted with dE_i/dG on the fly.
///
///  - radial terms: lanes over neighbors, each lane owns its neighbor's scalar dE/dr_n;
///  - angular terms: the pairs in conflict-free rounds (team_schedule.hpp): within a round no
///    neighbor appears twice, so the lanes add each pair's contribution to both of its neighbors
///    in the staging area without atomics, and the rounds run in order: the result does not
///    depend on the team size. The one-element blocks of all elements share their rounds (they
///    touch disjoint neighbors), then each two-element block runs its own;
///  - per neighbor, dE_i/dr_j is written to the neighbor-list entry (i, j); forces are then
///    gathered through the transposed list in a fixed order (gather_target_force), and the
///    per-atom virial is a butterfly sum.
/// No floating-point atomics anywhere: repeated runs give the same bits.

#include "vitrum/nnp/math/team_sf.hpp"

namespace vitrum::nnp {

/// Contribution of the angular terms of group g for the staged pair (j, k) to the gradient
/// accumulators of j and k (s.gx/gy/gz and the radial scalars s.sr).
template <typename T>
VITRUM_HD void pair_gradient(const SfPlanView& p, const PairGroup& g, int s0, TeamStage<T>& s,
                             const T* w, int j, int k) {
  const PairGeometry<T> pg(s, j, k);
  if (g.narrow_only && pg.rjk >= T(g.jk_rmax)) return;
  T sj = T(0), sk = T(0), sc = T(0), sjk = T(0), jv = T(1), jd = T(0);
  int last = -1;
  for (int t = g.term_begin; t < g.term_end; ++t) {
    const AngularTerm at = p.angular[t];
    const T wt = w[at.sf];
    if (wt == T(0)) continue;
    const long row = static_cast<long>(at.slot - s0) * s.cap;
    const T vj = s.val[row + j], vk = s.val[row + k];
    const T dvj = s.der[row + j], dvk = s.der[row + k];
    if ((vj == T(0) && dvj == T(0)) || (vk == T(0) && dvk == T(0))) continue;
    T f = T(1), df = T(0);
    if (at.jk >= 0) {
      if (at.jk != last) {
        distance_value<T, true>(p.fns[p.jk_fns[g.jk_begin + at.jk]], pg.rjk, jv, jd);
        last = at.jk;
      }
      f = jv;
      df = jd;
    }
    T ang, dang;
    angular_factor<T>(at, pg.c, ang, dang);
    const T F = wt * (at.weighted ? s.z[j] * s.z[k] : T(1));
    const T fa = F * ang;
    sj += fa * dvj * vk * f;
    sk += fa * vj * dvk * f;
    sjk += fa * vj * vk * df;
    sc += F * dang * vj * vk * f;
  }
  // d cos/d d_j = d_k/(r_j r_k) - cos d_j/r_j^2 (and j <-> k); d r_jk/d d_k = (d_k - d_j)/r_jk.
  const T rj = s.r[j], rk = s.r[k];
  const T t1 = sc / (rj * rk);
  const T q = sjk == T(0) ? T(0) : sjk / pg.rjk;
  const T ex = s.dx[k] - s.dx[j], ey = s.dy[k] - s.dy[j], ez = s.dz[k] - s.dz[j];
  s.sr[j] += sj - sc * pg.c / rj;
  s.sr[k] += sk - sc * pg.c / rk;
  s.gx[j] += t1 * s.dx[k] - q * ex;
  s.gy[j] += t1 * s.dy[k] - q * ey;
  s.gz[j] += t1 * s.dz[k] - q * ez;
  s.gx[k] += t1 * s.dx[j] + q * ex;
  s.gy[k] += t1 * s.dy[j] + q * ey;
  s.gz[k] += t1 * s.dz[j] + q * ez;
}

/// Radial part: lanes over neighbors; zeroes the vector accumulators.
template <typename T, typename Team>
VITRUM_HD void team_radial_gradient(const Team& team, const SfPlanView& p, int e, int m,
                                    TeamStage<T>& s, const T* w) {
  const int s0 = p.slot_begin[e], t0 = p.radial_begin[e], t1 = p.radial_begin[e + 1];
  team.each([&](int l) {
    for (int n = l; n < m; n += team.size) {
      T acc = T(0);
      const int en = s.elem[n];
      for (int t = t0; t < t1; ++t) {
        const RadialTerm rt = p.radial[t];
        const T wt = rt.elem >= 0 ? (en == rt.elem ? w[rt.sf] : T(0)) : w[rt.sf] * s.z[n];
        acc += wt * s.der[(rt.slot - s0) * s.cap + n];
      }
      s.sr[n] = acc;
      s.gx[n] = T(0);
      s.gy[n] = T(0);
      s.gz[n] = T(0);
    }
  });
}

/// Round r of the diagonal (one-element) blocks of every element together: those blocks touch
/// disjoint neighbor sets, so their pairs share one conflict-free step (more busy lanes than one
/// block's round). Lanes take the flat slot index over the blocks, in element order.
template <typename T, typename Team>
VITRUM_HD void team_diagonal_round(const Team& team, const SfPlanView& p, int e, int r,
                                   TeamStage<T>& s, const T* w) {
  const int ne = p.n_elements, s0 = p.slot_begin[e];
  int total = 0;
  for (int x = 0; x < ne; ++x) {
    const PairGroup g = p.groups[(e * ne + x) * ne + x];
    const RoundShape rs = round_shape(true, s.ab[x + 1] - s.ab[x], 0);
    if (g.term_begin != g.term_end && r < rs.rounds) total += rs.per_round;
  }
  if (total == 0) return;
  team.each([&](int l) {
    for (int f = l; f < total; f += team.size) {
      int x = 0, first = 0;  // the block of flat slot f
      for (; x < ne; ++x) {
        const PairGroup g = p.groups[(e * ne + x) * ne + x];
        const RoundShape rs = round_shape(true, s.ab[x + 1] - s.ab[x], 0);
        if (g.term_begin == g.term_end || r >= rs.rounds) continue;
        if (f < first + rs.per_round) break;
        first += rs.per_round;
      }
      const int ja = s.ab[x], na = s.ab[x + 1] - ja;
      const PairIndex pi = round_pair(true, na, na, r, f - first);
      if (pi.valid)
        pair_gradient<T>(p, p.groups[(e * ne + x) * ne + x], s0, s, w, s.aidx[ja + pi.u],
                         s.aidx[ja + pi.v]);
    }
  });
}

/// Angular part: conflict-free rounds, lanes split each round; the diagonal blocks of all
/// elements round by round together, then each two-element block.
template <typename T, typename Team>
VITRUM_HD void team_angular_gradient(const Team& team, const SfPlanView& p, int e, TeamStage<T>& s,
                                     const T* w) {
  const int ne = p.n_elements, s0 = p.slot_begin[e];
  int rounds = 0;
  for (int x = 0; x < ne; ++x) {
    const RoundShape rs = round_shape(true, s.ab[x + 1] - s.ab[x], 0);
    rounds = rs.rounds > rounds ? rs.rounds : rounds;
  }
  for (int r = 0; r < rounds; ++r) team_diagonal_round<T>(team, p, e, r, s, w);
  for (int a = 0; a < ne; ++a)
    for (int b = a + 1; b < ne; ++b) {
      const PairGroup g = p.groups[(e * ne + a) * ne + b];
      if (g.term_begin == g.term_end) continue;
      const int ja = s.ab[a], na = s.ab[a + 1] - ja, kb = s.ab[b], nb = s.ab[b + 1] - kb;
      const RoundShape rs = round_shape(false, na, nb);
      for (int r = 0; r < rs.rounds; ++r)
        team.each([&](int l) {
          for (int slot = l; slot < rs.per_round; slot += team.size) {
            const PairIndex pi = round_pair(false, na, nb, r, slot);
            pair_gradient<T>(p, g, s0, s, w, s.aidx[ja + pi.u], s.aidx[kb + pi.v]);
          }
        });
    }
}

/// Gradient pass of local atom i: grad[q - base] = dE_i/dr_j for every list entry q of i (zero
/// outside the cutoff), where dE_i/dG(raw) = w; virial9[3a + b] = -sum_j d_ij[a] grad_j[b] with
/// d_ij in the caller's units.
template <typename T, typename Team>
VITRUM_HD void team_atom_gradient(const Team& team, const SfPlanView& p, const TeamInputs& in,
                                  int i, TeamStage<T>& s, const T* w, Vec3* grad, long base,
                                  double* virial9) {
  const int m = team_gather<T>(team, p, in, i, s, nullptr);
  const int e = in.elem[i];
  team_fill_slots<T, true>(team, p, e, m, s);
  team_radial_gradient<T>(team, p, e, m, s, w);
  team_angular_gradient<T>(team, p, e, s, w);
  const int q0 = in.off[i], q1 = in.off[i + 1];
  team.each([&](int l) {
    for (int q = q0 + l; q < q1; q += team.size) grad[q - base] = Vec3{0, 0, 0};
  });
  const Vec3 ri = in.pos[i];
  typename Team::template Var<double> vir[9];
  team.each([&](int l) {
    double v[9] = {0, 0, 0, 0, 0, 0, 0, 0, 0};
    for (int n = l; n < m; n += team.size) {
      const T f = s.sr[n] / s.r[n];
      const Vec3 g{static_cast<double>(s.gx[n] + f * s.dx[n]),
                   static_cast<double>(s.gy[n] + f * s.dy[n]),
                   static_cast<double>(s.gz[n] + f * s.dz[n])};
      const int q = s.entry[n];
      grad[q - base] = g;
      const Vec3 d = in.pos[in.nbr[q]] - ri;
      VITRUM_UNROLL
      for (int x = 0; x < 9; ++x) v[x] -= d[x / 3] * g[x % 3];
    }
    VITRUM_UNROLL
    for (int x = 0; x < 9; ++x) vir[x][l] = v[x];
  });
  double out[9];
  VITRUM_UNROLL
  for (int x = 0; x < 9; ++x) out[x] = team.sum(vir[x]);
  team.each([&](int l) {
    if (l != 0) return;
    for (int x = 0; x < 9; ++x) virial9[x] = out[x];
  });
}

/// Force on shell entry j from the gradients of a chunk of centres [c0, c1) whose list entries
/// are [base, end): minus the entries that target j (transposed list, ascending: fixed order),
/// plus, when j is a centre of the chunk, its own entries. Returns acc updated.
VITRUM_HD Vec3 gather_target_force(int j, const int* toff, const int* tentries, const int* off,
                                   int c0, int c1, long base, long end, const Vec3* grad,
                                   Vec3 acc) {
  int lo = toff[j], hi = toff[j + 1];
  while (lo < hi) {  // first entry >= base
    const int mid = (lo + hi) / 2;
    if (tentries[mid] < base)
      lo = mid + 1;
    else
      hi = mid;
  }
  for (int q = lo; q < toff[j + 1] && tentries[q] < end; ++q) acc -= grad[tentries[q] - base];
  if (j >= c0 && j < c1)
    for (int q = off[j]; q < off[j + 1]; ++q) acc += grad[q - base];
  return acc;
}

}  // namespace vitrum::nnp
