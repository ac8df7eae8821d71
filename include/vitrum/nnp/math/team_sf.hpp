#pragma once
/// \file team_sf.hpp
/// Symmetry functions of one centre atom computed by a team of lanes (a GPU warp, or its CPU
/// emulator: team.hpp), single source: the CUDA kernels are thin shells around these functions
/// and a CPU test runs the very same lane mapping and reduction order against n2p2.
///
/// Per centre atom i, in the team's staging area (shared memory on the GPU):
///  1. gather: lanes take 'size' list entries at a time; neighbors within the element's cutoff
///     are compacted with ballots, element by element, into Δr, r, Z, element and list entry,
///     sorted by element and stable in list order (the layout of the CPU path);
///  2. the neighbors within the largest angular cutoff are compacted again (index list `aidx`,
///     per-element blocks `ab`);
///  3. slot cache: lanes over neighbors evaluate every distinct distance function of the element
///     (SFs sharing eta, r_s, r_c share one evaluation; functions sharing a cutoff share f_c);
///  4. radial SFs: up to kTeamTerms SFs at a time, lanes over neighbors, one butterfly sum each;
///  5. angular SFs: per element-pair group, up to kTeamTerms SFs at a time, lanes over the
///     block's (j, k) pairs by linear / triangular index (team_schedule.hpp): cos theta and r_jk
///     once per pair for the whole set of SFs, one butterfly sum each.
/// Every SF and cutoff type of the CPU path is covered: the terms are those of the SfPlan and the
/// formulas those of symmetry_function.hpp / cutoff.hpp.

#include <cmath>
#include <cstdint>
#include <vector>

#include "vitrum/core/vec3.hpp"
#include "vitrum/nnp/math/symmetry_function.hpp"
#include "vitrum/nnp/math/team.hpp"
#include "vitrum/nnp/math/team_schedule.hpp"

#if defined(__CUDACC__)
#define VITRUM_UNROLL _Pragma("unroll")
#else
#define VITRUM_UNROLL
#endif

namespace vitrum::nnp {

/// SFs evaluated together per pass over the neighbors or pairs (per-lane accumulators).
constexpr int kTeamTerms = 8;

/// What the team reads for centre atom i (host or device pointers).
struct TeamInputs {
  const Vec3* pos;         ///< positions of locals and ghosts, caller units
  const int* off;          ///< neighbor list offsets, n_local + 1
  const int* nbr;          ///< neighbor list entries
  const int* elem;         ///< element index per shell entry
  const double* z;         ///< atomic number per shell entry
  double inv_length;       ///< caller length -> potential length
  const double* ang_rmax;  ///< [e] largest cutoff of the element's angular SFs (0: none)
};

/// Staging area of one team, capacity `cap` neighbors (shared memory on the GPU).
template <typename T>
struct TeamStage {
  int cap;
  T *dx, *dy, *dz, *r, *z;
  T *val, *der;          ///< slot cache: [slot * cap + n]
  T *gx, *gy, *gz, *sr;  ///< gradient pass: vector and radial-scalar accumulators
  int *elem, *entry, *aidx;
  int *eb, *ab, *fill;  ///< n_elements + 1 each
};

/// Bytes of one team's staging area: the same carving on host and device.
VITRUM_HD long team_stage_bytes(int t_size, int cap, int ne, int nslots, bool grad) {
  const long nt = static_cast<long>(cap) * (5 + nslots * (grad ? 2 : 1) + (grad ? 4 : 0));
  const long ni = 3L * cap + 3L * (ne + 1);
  const long b = nt * t_size + ni * static_cast<long>(sizeof(int));
  return (b + 15) / 16 * 16;
}

template <typename T>
VITRUM_HD TeamStage<T> carve_stage(void* base, int cap, int ne, int nslots, bool grad) {
  TeamStage<T> s{};
  s.cap = cap;
  T* t = static_cast<T*>(base);
  auto take = [&](long n) {
    T* p = t;
    t += n;
    return p;
  };
  s.dx = take(cap);
  s.dy = take(cap);
  s.dz = take(cap);
  s.r = take(cap);
  s.z = take(cap);
  s.val = take(static_cast<long>(nslots) * cap);
  s.der = grad ? take(static_cast<long>(nslots) * cap) : s.val;
  if (grad) {
    s.gx = take(cap);
    s.gy = take(cap);
    s.gz = take(cap);
    s.sr = take(cap);
  }
  int* q = reinterpret_cast<int*>(t);
  s.elem = q;
  s.entry = q + cap;
  s.aidx = q + 2 * cap;
  s.eb = q + 3 * cap;
  s.ab = s.eb + (ne + 1);
  s.fill = s.ab + (ne + 1);
  return s;
}

/// Largest angular cutoff of each element (the compacted angular list's radius): the r_c of
/// the distance functions its angular SFs apply to r_ij and r_ik. Host-side plan view.
inline std::vector<double> angular_rmax(const SfPlanView& p) {
  const int ne = p.n_elements;
  std::vector<double> out(ne, 0.0);
  for (int e = 0; e < ne; ++e)
    for (int a = 0; a < ne; ++a)
      for (int b = a; b < ne; ++b) {
        const PairGroup& g = p.groups[(e * ne + a) * ne + b];
        for (int t = g.term_begin; t < g.term_end; ++t)
          out[e] = std::fmax(out[e], p.fns[p.slot_fn[p.angular[t].slot]].rc);
      }
  return out;
}

/// One distance function R(r) and, if D, dR/dr (no shared cutoff).
template <typename T, bool D>
VITRUM_HD void distance_value(const DistanceFn& f, T r, T& v, T& dv) {
  if (f.kind == 0) {
    T fc, dfc;
    cutoff_function<T>(f.cutoff_type, r, T(f.rc), T(f.alpha), fc, dfc);
    const T eta = T(f.eta), dr = r - T(f.rs);
    const T g = exp(-eta * dr * dr);
    v = g * fc;
    if (D) dv = g * (dfc - T(2) * eta * dr * fc);
  } else {
    T c, dc;
    compact_function<T>(r, T(f.rl), T(f.rc), f.cutoff_type, f.asym != 0, c, dc);
    v = c;
    if (D) dv = dc;
  }
}

/// Distance functions idx[0..nf) at one distance into v[q * stride] (and dv), computing a
/// cutoff factor shared by adjacent functions once (the plan orders them so).
template <typename T, bool D>
VITRUM_HD void distance_values(const DistanceFn* fns, const int* idx, int nf, T r, T* v, T* dv,
                               long stride) {
  int last = -1;
  T fc = T(0), dfc = T(0);
  for (int q = 0; q < nf; ++q) {
    const DistanceFn f = fns[idx[q]];
    if (f.kind != 0) {
      T c, dc;
      distance_value<T, D>(f, r, c, dc);
      v[q * stride] = c;
      if (D) dv[q * stride] = dc;
      continue;
    }
    if (last < 0 || !same_cutoff(fns[last], f)) {
      cutoff_function<T>(f.cutoff_type, r, T(f.rc), T(f.alpha), fc, dfc);
      last = idx[q];
    }
    const T eta = T(f.eta), dr = r - T(f.rs);
    const T g = exp(-eta * dr * dr);
    v[q * stride] = g * fc;
    if (D) dv[q * stride] = g * (dfc - T(2) * eta * dr * fc);
  }
}

/// Compacts the entries of the list of atom i whose mask bit is set at chunk position c into the
/// staging slots fill[x] + rank (the rank among the set lanes below).
template <typename T, typename Team>
VITRUM_HD void team_place(const Team& team, const TeamInputs& in, int i, int q1, int c, int x,
                          double rmax, TeamStage<T>& s) {
  const Vec3 ri = in.pos[i];
  const uint32_t mask = team.ballot([&](int l) {
    const int q = c + l;
    if (q >= q1 || in.elem[in.nbr[q]] != x) return false;
    const Vec3 d = in.inv_length * (in.pos[in.nbr[q]] - ri);
    return sqrt(dot(d, d)) < rmax;
  });
  team.each([&](int l) {
    if (!((mask >> l) & 1u)) return;
    const int q = c + l, j = in.nbr[q];
    const int m = s.fill[x] + popcount32(mask & lanes_below(l));
    const Vec3 d = in.inv_length * (in.pos[j] - ri);
    s.dx[m] = static_cast<T>(d.x);
    s.dy[m] = static_cast<T>(d.y);
    s.dz[m] = static_cast<T>(d.z);
    s.r[m] = static_cast<T>(sqrt(dot(d, d)));
    s.elem[m] = x;
    s.z[m] = static_cast<T>(in.z[j]);
    s.entry[m] = q;
  });
  team.each([&](int l) {
    if (l == 0) s.fill[x] += popcount32(mask);
  });
}

/// Stages the neighbors of atom i within its element's cutoff (sorted by element, list order
/// within an element) and the angular index list; returns their number. `dmin`: the smallest
/// distance over the whole list entry range (if not null).
template <typename T, typename Team>
VITRUM_HD int team_gather(const Team& team, const SfPlanView& p, const TeamInputs& in, int i,
                          TeamStage<T>& s, double* dmin) {
  const int e = in.elem[i], ne = p.n_elements;
  const double rmax = p.elem_rmax[e];
  const int q0 = in.off[i], q1 = in.off[i + 1];
  const Vec3 ri = in.pos[i];
  typename Team::template Var<double> dm;
  team.each([&](int l) {
    dm[l] = INFINITY;
    if (l == 0)
      for (int x = 0; x <= ne; ++x) s.eb[x] = 0;
  });
  // Pass 1: per-element counts (ballots) and the smallest distance.
  for (int c = q0; c < q1; c += team.size) {
    typename Team::template Var<int> ex;
    team.each([&](int l) {
      const int q = c + l;
      ex[l] = -1;
      if (q >= q1) return;
      const int j = in.nbr[q];
      const Vec3 d = in.inv_length * (in.pos[j] - ri);
      const double r = sqrt(dot(d, d));
      dm[l] = fmin(dm[l], r);
      if (r < rmax) ex[l] = in.elem[j];
    });
    for (int x = 0; x < ne; ++x) {
      const int cnt = popcount32(team.ballot([&](int l) { return ex[l] == x; }));
      team.each([&](int l) {
        if (l == 0) s.eb[x + 1] += cnt;
      });
    }
  }
  if (dmin) *dmin = team.min(dm);
  team.each([&](int l) {
    if (l != 0) return;
    for (int x = 0; x < ne; ++x) s.eb[x + 1] += s.eb[x];
    for (int x = 0; x <= ne; ++x) s.fill[x] = s.eb[x];
  });
  // Pass 2: place, element by element within each chunk.
  for (int c = q0; c < q1; c += team.size)
    for (int x = 0; x < ne; ++x) team_place<T>(team, in, i, q1, c, x, rmax, s);
  // Angular index list: staged neighbors within the angular cutoff, per element.
  const double ar = in.ang_rmax[e];
  int afill = 0;
  for (int x = 0; x < ne; ++x) {
    const int b0 = s.eb[x], b1 = s.eb[x + 1], start = afill;
    team.each([&](int l) {
      if (l == 0) s.ab[x] = start;
    });
    for (int c = b0; c < b1; c += team.size) {
      const uint32_t mask =
          team.ballot([&](int l) { return c + l < b1 && static_cast<double>(s.r[c + l]) < ar; });
      const int base = afill;
      team.each([&](int l) {
        if ((mask >> l) & 1u) s.aidx[base + popcount32(mask & lanes_below(l))] = c + l;
      });
      afill += popcount32(mask);
    }
  }
  team.each([&](int l) {
    if (l == 0) s.ab[ne] = afill;
  });
  return s.eb[ne];
}

/// Slot cache of the staged neighbors: lanes over neighbors (D: derivatives too).
template <typename T, bool D, typename Team>
VITRUM_HD void team_fill_slots(const Team& team, const SfPlanView& p, int e, int m,
                               TeamStage<T>& s) {
  const int b = p.slot_begin[e], nf = p.slot_begin[e + 1] - b;
  team.each([&](int l) {
    for (int n = l; n < m; n += team.size)
      distance_values<T, D>(p.fns, p.slot_fn + b, nf, s.r[n], s.val + n, s.der + n, s.cap);
  });
}

/// Reduces up to kTeamTerms per-lane accumulators and lets lane 0 add them to G[sf[k]].
template <typename T, typename Team, typename Acc>
VITRUM_HD void team_add_sums(const Team& team, const Acc* acc, const int* sf, int cnt, T* G) {
  T sums[kTeamTerms];
  VITRUM_UNROLL
  for (int k = 0; k < kTeamTerms; ++k) sums[k] = k < cnt ? team.sum(acc[k]) : T(0);
  team.each([&](int l) {
    if (l != 0) return;
    VITRUM_UNROLL
    for (int k = 0; k < kTeamTerms; ++k)
      if (k < cnt) G[sf[k]] += sums[k];
  });
}

/// Radial SFs: kTeamTerms at a time, lanes over the staged neighbors.
template <typename T, typename Team>
VITRUM_HD void team_radial_sf(const Team& team, const SfPlanView& p, int e, int m,
                              const TeamStage<T>& s, T* G) {
  const int s0 = p.slot_begin[e], t1 = p.radial_begin[e + 1];
  for (int t0 = p.radial_begin[e]; t0 < t1; t0 += kTeamTerms) {
    const int cnt = t1 - t0 < kTeamTerms ? t1 - t0 : kTeamTerms;
    int sf[kTeamTerms], row[kTeamTerms], el[kTeamTerms];
    VITRUM_UNROLL
    for (int k = 0; k < kTeamTerms; ++k) {
      const RadialTerm rt = p.radial[t0 + (k < cnt ? k : 0)];
      sf[k] = rt.sf;
      row[k] = (rt.slot - s0) * s.cap;
      el[k] = rt.elem;
    }
    typename Team::template Var<T> acc[kTeamTerms];
    team.each([&](int l) {
      T a[kTeamTerms];
      VITRUM_UNROLL
      for (int k = 0; k < kTeamTerms; ++k) a[k] = T(0);
      for (int n = l; n < m; n += team.size) {
        const int en = s.elem[n];
        const T zn = s.z[n];
        VITRUM_UNROLL
        for (int k = 0; k < kTeamTerms; ++k) {
          const T w = el[k] >= 0 ? (en == el[k] ? T(1) : T(0)) : zn;
          if (k < cnt) a[k] += w * s.val[row[k] + n];
        }
      }
      VITRUM_UNROLL
      for (int k = 0; k < kTeamTerms; ++k) acc[k][l] = a[k];
    });
    team_add_sums<T>(team, acc, sf, cnt, G);
  }
}

/// Geometry of a staged pair (j, k): cos theta_jik, r_jk.
template <typename T>
struct PairGeometry {
  T c, rjk;
  VITRUM_HD PairGeometry(const TeamStage<T>& s, int j, int k) {
    c = (s.dx[j] * s.dx[k] + s.dy[j] * s.dy[k] + s.dz[j] * s.dz[k]) / (s.r[j] * s.r[k]);
    const T ex = s.dx[k] - s.dx[j], ey = s.dy[k] - s.dy[j], ez = s.dz[k] - s.dz[j];
    rjk = sqrt(ex * ex + ey * ey + ez * ez);
  }
};

/// Adds the terms t0 .. t0+cnt of group g for the pair (j, k) to a[0..cnt).
template <typename T>
VITRUM_HD void pair_terms_value(const SfPlanView& p, const PairGroup& g, int t0, int cnt, int s0,
                                const TeamStage<T>& s, int j, int k, T* a) {
  const PairGeometry<T> pg(s, j, k);
  if (g.narrow_only && pg.rjk >= T(g.jk_rmax)) return;  // every term has a vanishing R(r_jk)
  int last = -1;
  T jv = T(1), unused = T(0);
  VITRUM_UNROLL
  for (int q = 0; q < kTeamTerms; ++q) {
    if (q >= cnt) continue;
    const AngularTerm at = p.angular[t0 + q];
    const long row = static_cast<long>(at.slot - s0) * s.cap;
    const T vj = s.val[row + j], vk = s.val[row + k];
    if (vj == T(0) || vk == T(0)) continue;
    T f = T(1);
    if (at.jk >= 0) {
      if (at.jk != last) {
        distance_value<T, false>(p.fns[p.jk_fns[g.jk_begin + at.jk]], pg.rjk, jv, unused);
        last = at.jk;
      }
      f = jv;
    }
    T ang, dang;
    angular_factor<T>(at, pg.c, ang, dang);
    const T w = at.weighted ? s.z[j] * s.z[k] : T(1);
    a[q] += ang * vj * vk * f * w;
  }
}

/// Angular SFs: per element-pair group, kTeamTerms SFs at a time, lanes over the group's pairs.
template <typename T, typename Team>
VITRUM_HD void team_angular_sf(const Team& team, const SfPlanView& p, int e, const TeamStage<T>& s,
                               T* G) {
  const int ne = p.n_elements, s0 = p.slot_begin[e];
  for (int a = 0; a < ne; ++a)
    for (int b = a; b < ne; ++b) {
      const PairGroup g = p.groups[(e * ne + a) * ne + b];
      if (g.term_begin == g.term_end) continue;
      const bool same = a == b;
      const int ja = s.ab[a], na = s.ab[a + 1] - ja, kb = s.ab[b], nb = s.ab[b + 1] - kb;
      const int np = block_pairs(same, na, nb);
      if (np == 0) continue;
      for (int t0 = g.term_begin; t0 < g.term_end; t0 += kTeamTerms) {
        const int cnt = g.term_end - t0 < kTeamTerms ? g.term_end - t0 : kTeamTerms;
        int sf[kTeamTerms];
        VITRUM_UNROLL
        for (int k = 0; k < kTeamTerms; ++k) sf[k] = p.angular[t0 + (k < cnt ? k : 0)].sf;
        typename Team::template Var<T> acc[kTeamTerms];
        team.each([&](int l) {
          T acc_l[kTeamTerms];
          VITRUM_UNROLL
          for (int k = 0; k < kTeamTerms; ++k) acc_l[k] = T(0);
          for (int q = l; q < np; q += team.size) {
            const PairIndex pi = block_pair(same, q, nb);
            pair_terms_value<T>(p, g, t0, cnt, s0, s, s.aidx[ja + pi.u], s.aidx[kb + pi.v], acc_l);
          }
          VITRUM_UNROLL
          for (int k = 0; k < kTeamTerms; ++k) acc[k][l] = acc_l[k];
        });
        team_add_sums<T>(team, acc, sf, cnt, G);
      }
    }
}

/// Raw symmetry functions of local atom i into G (elem_n_sf[e] values, overwritten) and the
/// smallest neighbor distance into *dmin (if not null).
template <typename T, typename Team>
VITRUM_HD void team_atom_sf(const Team& team, const SfPlanView& p, const TeamInputs& in, int i,
                            TeamStage<T>& s, T* G, double* dmin) {
  double dm = INFINITY;
  const int m = team_gather<T>(team, p, in, i, s, &dm);
  const int e = in.elem[i], nsf = p.elem_n_sf[e];
  team.each([&](int l) {
    if (l == 0 && dmin) *dmin = dm;
    for (int q = l; q < nsf; q += team.size) G[q] = T(0);
  });
  team_fill_slots<T, false>(team, p, e, m, s);
  team_radial_sf<T>(team, p, e, m, s, G);
  team_angular_sf<T>(team, p, e, s, G);
}

}  // namespace vitrum::nnp
