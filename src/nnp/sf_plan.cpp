// Flattening of a potential's symmetry functions into the plan the per-atom kernels read:
// distance functions are deduplicated (one evaluation per neighbor shared by every SF that uses
// it), angular SFs are grouped by the unordered element pair of their neighbors.
#include <algorithm>
#include <cfloat>
#include <cmath>
#include <tuple>

#include "vitrum/core/error.hpp"
#include "vitrum/nnp/potential.hpp"

namespace vitrum::nnp {

namespace {

bool same_fn(const DistanceFn& a, const DistanceFn& b) {
  return a.kind == b.kind && a.cutoff_type == b.cutoff_type && a.asym == b.asym && a.eta == b.eta &&
         a.rs == b.rs && a.rc == b.rc && a.alpha == b.alpha && a.rl == b.rl;
}

int core_of(const std::string& subtype, bool& asym) {
  std::string s = subtype;
  asym = !s.empty() && s.back() == 'a' && s.size() > 1;
  if (asym) s.pop_back();
  if (s == "p1") return kCutPoly1;
  if (s == "p2") return kCutPoly2;
  if (s == "p3") return kCutPoly3;
  if (s == "p4") return kCutPoly4;
  return kCutExp;  // "e" (validated by the reader)
}

DistanceFn distance_fn_of(const SymmetryFunction& sf, int cutoff_type, double alpha) {
  DistanceFn f{};
  if (sf.type >= 20) {
    bool asym = false;
    f.kind = 1;
    f.cutoff_type = core_of(sf.subtype, asym);
    f.asym = asym ? 1 : 0;
    f.rc = sf.rc;
    f.rl = sf.rl;
  } else {
    f.kind = 0;
    f.cutoff_type = cutoff_type;
    f.eta = sf.eta;
    f.rs = sf.rs;
    f.rc = sf.rc;
    f.alpha = alpha;
  }
  return f;
}

bool is_radial(int type) {
  return type == 2 || type == 12 || type == 20 || type == 23;
}
bool is_weighted(int type) {
  return type == 12 || type == 13 || type == 23 || type == 24 || type == 25;
}
bool is_narrow(int type) {
  return type == 3 || type == 13 || type == 21 || type == 24;
}

/// Numbers the distinct compact angular windows (core, theta_l, theta_r) of terms [t0, t1) in
/// order of first use (AngularTerm::win); returns their count.
int number_windows(std::vector<AngularTerm>& terms, int t0, int t1) {
  int n = 0;
  for (int t = t0; t < t1; ++t) {
    AngularTerm& a = terms[t];
    a.win = -1;
    if (a.kind != 1) continue;
    for (int u = t0; u < t && a.win < 0; ++u) {
      const AngularTerm& b = terms[u];
      if (b.kind == 1 && b.core == a.core && b.theta_l == a.theta_l && b.theta_r == a.theta_r)
        a.win = b.win;
    }
    if (a.win < 0) a.win = n++;
  }
  return n;
}

bool fusable(const AngularTerm& a) {
  return a.kind == 0 && a.izeta >= 1 && a.izeta <= kRunMaxDegree && std::fabs(a.lambda) == 1.0;
}

/// Marks the fused runs of terms [t0, t1) (sf_fused.hpp): maximal sequences of at least two
/// fusable terms with the same slot, r_jk function and weighting.
void mark_runs(std::vector<AngularTerm>& terms, int t0, int t1) {
  for (int t = t0; t < t1; ++t) terms[t].run = 1, terms[t].run_deg = 0;
  for (int t = t0; t < t1;) {
    const AngularTerm& a = terms[t];
    int u = t, zmax = 0;
    while (u < t1 && fusable(terms[u]) && terms[u].slot == a.slot && terms[u].jk == a.jk &&
           terms[u].weighted == a.weighted) {
      zmax = std::max(zmax, terms[u].izeta);
      ++u;
    }
    if (u - t < 2) {
      ++t;
      continue;
    }
    int deg = 1;
    while (deg < zmax) deg *= 2;
    terms[t].run = u - t;
    terms[t].run_deg = deg;
    t = u;
  }
}

}  // namespace

SfPlanView SfPlan::view() const {
  SfPlanView v{};
  v.n_elements = n_elements;
  v.fns = fns.data();
  v.elem_n_sf = elem_n_sf.data();
  v.elem_rmax = elem_rmax.data();
  v.slot_begin = slot_begin.data();
  v.slot_fn = slot_fn.data();
  v.radial_begin = radial_begin.data();
  v.radial = radial.data();
  v.groups = groups.data();
  v.angular = angular.data();
  v.jk_fns = jk_fns.data();
  v.max_slots = max_slots;
  v.max_jk = max_jk;
  v.max_win = max_win;
  v.fused = 1;
  return v;
}

SfPlan build_sf_plan(const std::vector<Element>& elements, int cutoff_type, double cutoff_alpha) {
  SfPlan p;
  const int ne = static_cast<int>(elements.size());
  p.n_elements = ne;
  auto fn_index = [&](const DistanceFn& f) {
    for (size_t i = 0; i < p.fns.size(); ++i)
      if (same_fn(p.fns[i], f)) return static_cast<int>(i);
    p.fns.push_back(f);
    return static_cast<int>(p.fns.size() - 1);
  };
  p.groups.assign((size_t)ne * ne * ne, PairGroup{0, 0, 0, 0, 0, 0.0, 0});
  p.slot_begin.push_back(0);
  p.radial_begin.push_back(0);
  for (int e = 0; e < ne; ++e) {
    const auto& sfs = elements[e].sfs;
    p.elem_n_sf.push_back(static_cast<int>(sfs.size()));
    double rmax = 0;
    // Slots: distinct distance functions of this element.
    std::vector<int> slots;  // fn indices
    std::vector<int> sf_slot(sfs.size());
    for (size_t s = 0; s < sfs.size(); ++s) {
      rmax = std::max(rmax, sfs[s].rc);
      const int f = fn_index(distance_fn_of(sfs[s], cutoff_type, cutoff_alpha));
      int slot = -1;
      for (size_t q = 0; q < slots.size(); ++q)
        if (slots[q] == f) slot = static_cast<int>(q);
      if (slot < 0) {
        slots.push_back(f);
        slot = static_cast<int>(slots.size() - 1);
      }
      sf_slot[s] = p.slot_begin[e] + slot;
    }
    p.elem_rmax.push_back(rmax);
    // Order slots so that functions sharing a cutoff factor are adjacent (evaluated once), then by
    // (rs, eta): an exponential that is a power of another follows it (shared_exp_rows).
    {
      std::vector<int> order(slots.size());
      for (size_t q = 0; q < order.size(); ++q) order[q] = static_cast<int>(q);
      std::stable_sort(order.begin(), order.end(), [&](int x, int y) {
        const DistanceFn &a = p.fns[slots[x]], &b = p.fns[slots[y]];
        return std::tie(a.kind, a.cutoff_type, a.rc, a.alpha, a.rs, a.eta) <
               std::tie(b.kind, b.cutoff_type, b.rc, b.alpha, b.rs, b.eta);
      });
      std::vector<int> new_of(slots.size()), sorted(slots.size());
      for (size_t q = 0; q < order.size(); ++q) {
        new_of[order[q]] = static_cast<int>(q);
        sorted[q] = slots[order[q]];
      }
      for (auto& x : sf_slot) x = p.slot_begin[e] + new_of[x - p.slot_begin[e]];
      slots = sorted;
    }
    p.slot_fn.insert(p.slot_fn.end(), slots.begin(), slots.end());
    p.slot_begin.push_back(static_cast<int>(p.slot_fn.size()));
    p.max_slots = std::max(p.max_slots, static_cast<int>(slots.size()));
    for (size_t s = 0; s < sfs.size(); ++s) {
      if (!is_radial(sfs[s].type)) continue;
      p.radial.push_back(
          RadialTerm{static_cast<int>(s), sf_slot[s], is_weighted(sfs[s].type) ? -1 : sfs[s].e1});
    }
    p.radial_begin.push_back(static_cast<int>(p.radial.size()));
    // Angular terms grouped per unordered neighbor element pair (a <= b).
    for (int a = 0; a < ne; ++a) {
      for (int b = a; b < ne; ++b) {
        PairGroup g{};
        g.term_begin = static_cast<int>(p.angular.size());
        g.jk_begin = static_cast<int>(p.jk_fns.size());
        for (size_t s = 0; s < sfs.size(); ++s) {
          const auto& sf = sfs[s];
          if (is_radial(sf.type)) continue;
          if (!is_weighted(sf.type) && !(sf.e1 == a && sf.e2 == b)) continue;
          AngularTerm t{};
          t.sf = static_cast<int>(s);
          t.slot = sf_slot[s];
          t.jk = -1;
          if (is_narrow(sf.type)) {
            const int f = p.slot_fn[sf_slot[s]];
            for (int q = g.jk_begin; q < static_cast<int>(p.jk_fns.size()); ++q)
              if (p.jk_fns[q] == f) t.jk = q - g.jk_begin;
            if (t.jk < 0) {
              p.jk_fns.push_back(f);
              t.jk = static_cast<int>(p.jk_fns.size()) - 1 - g.jk_begin;
            }
          }
          t.weighted = is_weighted(sf.type) ? 1 : 0;
          if (sf.type >= 20) {
            bool asym = false;
            t.kind = 1;
            t.core = core_of(sf.subtype, asym);
            t.theta_l = sf.theta_l * M_PI / 180.0;
            t.theta_r = sf.theta_r * M_PI / 180.0;
          } else {
            t.kind = 0;
            t.lambda = sf.lambda;
            t.zeta = sf.zeta;
            t.prefactor = std::pow(2.0, 1.0 - sf.zeta);
            const double rz = std::round(sf.zeta);
            t.izeta = (std::fabs(sf.zeta - rz) <= DBL_MIN && rz >= 1) ? static_cast<int>(rz) : -1;
          }
          p.angular.push_back(t);
        }
        g.term_end = static_cast<int>(p.angular.size());
        g.jk_end = static_cast<int>(p.jk_fns.size());
        g.n_win = number_windows(p.angular, g.term_begin, g.term_end);
        mark_runs(p.angular, g.term_begin, g.term_end);
        if (g.n_win > 63)
          fail(
              "element {}: more than 63 distinct compact angular windows for one neighbor pair; "
              "the per-pair buffer holds 63",
              elements[e].symbol);
        p.max_win = std::max(p.max_win, g.n_win);
        // Order the r_jk functions so shared cutoffs are adjacent, then by (rs, eta) as the slots;
        // remap the terms' indices.
        {
          const int nj = g.jk_end - g.jk_begin;
          std::vector<int> order(nj), new_of(nj), sorted(nj);
          for (int q = 0; q < nj; ++q) order[q] = q;
          std::stable_sort(order.begin(), order.end(), [&](int x, int y) {
            const DistanceFn &a = p.fns[p.jk_fns[g.jk_begin + x]],
                             &b = p.fns[p.jk_fns[g.jk_begin + y]];
            return std::tie(a.kind, a.cutoff_type, a.rc, a.alpha, a.rs, a.eta) <
                   std::tie(b.kind, b.cutoff_type, b.rc, b.alpha, b.rs, b.eta);
          });
          for (int q = 0; q < nj; ++q) {
            new_of[order[q]] = q;
            sorted[q] = p.jk_fns[g.jk_begin + order[q]];
          }
          for (int q = 0; q < nj; ++q) p.jk_fns[g.jk_begin + q] = sorted[q];
          for (int t = g.term_begin; t < g.term_end; ++t)
            if (p.angular[t].jk >= 0) p.angular[t].jk = new_of[p.angular[t].jk];
        }
        g.narrow_only = g.term_end > g.term_begin ? 1 : 0;
        g.jk_rmax = 0;
        for (int t = g.term_begin; t < g.term_end; ++t)
          if (p.angular[t].jk < 0) g.narrow_only = 0;
        for (int q = g.jk_begin; q < g.jk_end; ++q) {
          const DistanceFn& f = p.fns[p.jk_fns[q]];
          // A compact function vanishes for r >= rc as well.
          g.jk_rmax = std::max(g.jk_rmax, f.rc);
        }
        if (g.jk_end - g.jk_begin > 64)
          fail(
              "element {}: more than 64 distinct r_jk functions for one neighbor pair; the "
              "per-pair buffer holds 64",
              elements[e].symbol);
        p.max_jk = std::max(p.max_jk, g.jk_end - g.jk_begin);
        p.groups[((size_t)e * ne + a) * ne + b] = g;
      }
    }
  }
  return p;
}

}  // namespace vitrum::nnp
