// The CPU teacher's pair loop on a half list: see teacher_cpu_half.hpp. Each row's pairs are
// evaluated in one `#pragma omp simd` loop (pair_simd.hpp: branch-free pair term, gathers of
// positions and coefficients by slot) that also sums the row atom's force, energy and virial;
// the reactions are then added to the block's accumulators in a plain loop (a scatter, which
// the compiler cannot vectorise without conflict detection).
#include "teacher_cpu_half.hpp"

#include <algorithm>
#include <cmath>

#include "vitrum/core/error.hpp"

namespace vitrum::teacher {

namespace {

/// Number of blocks the rows are cut into (fixed: the result must not depend on the threads).
constexpr int kBlocks = 16;

/// What a row's pairs add to its atom: force, energy share, virial (Voigt), closest pair.
struct RowSums {
  double fx = 0, fy = 0, fz = 0, e = 0, w[6] = {0, 0, 0, 0, 0, 0}, min_r2 = INFINITY;
};

/// One row's neighbors (slots), the slot arrays, the row atom, and the per-pair buffers
/// (f d and ½ e of each pair, for the scatter).
struct RowInput {
  const int* js;
  const double *x, *y, *z;
  const int* type;
  int tb;  ///< type of the row atom × n_types
  double xi, yi, zi;
  double *bx, *by, *bz, *be;
};

/// Pairs [begin, end) of a row in one vectorised loop; adds their sums to `sum`.
/// kNear: the whole pair term; else the Coulomb term alone.
template <bool kNear>
inline void row_pairs(int begin, int end, const RowInput& in, const PairSoAView& t, RowSums& sum) {
  const int* js = in.js;
  const double *x = in.x, *y = in.y, *z = in.z;
  const int* type = in.type;
  double *bx = in.bx, *by = in.by, *bz = in.bz, *be = in.be;
  const double xi = in.xi, yi = in.yi, zi = in.zi;
  const int tb = in.tb;
  double fx = 0, fy = 0, fz = 0, ei = 0, w0 = 0, w1 = 0, w2 = 0, w3 = 0, w4 = 0, w5 = 0;
  double min_r2 = sum.min_r2;
#pragma omp simd reduction(+ : fx, fy, fz, ei, w0, w1, w2, w3, w4, w5) reduction(min : min_r2)
  for (int s = begin; s < end; ++s) {
    const int j = js[s];
    const double dx = xi - x[j], dy = yi - y[j], dz = zi - z[j];
    const double r2 = dx * dx + dy * dy + dz * dz;
    min_r2 = r2 < min_r2 ? r2 : min_r2;
    double e, f;
    if constexpr (kNear)
      pair_energy_force_simd(r2, tb + type[j], t, e, f);
    else
      pair_coulomb_simd(r2, tb + type[j], t, e, f);
    const double fdx = f * dx, fdy = f * dy, fdz = f * dz, he = 0.5 * e;
    bx[s] = fdx;
    by[s] = fdy;
    bz[s] = fdz;
    be[s] = he;
    fx += fdx;
    fy += fdy;
    fz += fdz;
    ei += he;
    w0 += fdx * dx;
    w1 += fdy * dy;
    w2 += fdz * dz;
    w3 += fdx * dy;
    w4 += fdx * dz;
    w5 += fdy * dz;
  }
  sum.fx += fx;
  sum.fy += fy;
  sum.fz += fz;
  sum.e += ei;
  const double w[6] = {w0, w1, w2, w3, w4, w5};
  for (int c = 0; c < 6; ++c) sum.w[c] += w[c];
  sum.min_r2 = min_r2;
}

}  // namespace

void HalfListKernel::split_rows(const neighbor::NeighborList& list, int n_local, int n_types) {
  // Every pair distance stays within skin of its value when the list was built. Split at the
  // build positions (the engine's case: the list is used first where it was built), a pair is
  // far for the list's life when it starts beyond the short-range cutoff + skin; split later
  // (the atoms moved since), the margin is 2 skin.
  bool at_build = list.reference_positions.size() == static_cast<std::size_t>(n_local);
  for (int r = 0; r < n_local && at_build; ++r) {
    const Vec3& ref = list.reference_positions[list.order[r]];
    at_build = ref.x == x_[r] && ref.y == y_[r] && ref.z == z_[r];
  }
  const double margin = at_build ? list.skin : 2.0 * list.skin;
  // Near cutoff per type pair: the largest of the short-range cutoff and the wall, + margin.
  const PairSoAView t = table_.view();
  std::vector<double> near2(static_cast<std::size_t>(n_types) * n_types);
  for (std::size_t k = 0; k < near2.size(); ++k) {
    const double rc = std::max(std::sqrt(t.rc_sr2[k]), t.wall_r[k]);
    near2[k] = rc > 0.0 ? (rc + margin) * (rc + margin) : 0.0;
  }
  nbr_.resize(list.neighbors.size());
  near_end_.resize(n_local);
  const int* off = list.offsets.data();
#pragma omp parallel for schedule(static)
  for (int r = 0; r < n_local; ++r) {
    int lo = off[r], hi = off[r + 1];
    const int tb = type_[r] * n_types;
    for (int q = off[r]; q < off[r + 1]; ++q) {  // near from the front, far from the back
      const int j = list.neighbors[q];
      const double dx = x_[r] - x_[j], dy = y_[r] - y_[j], dz = z_[r] - z_[j];
      if (dx * dx + dy * dy + dz * dz < near2[tb + type_[j]])
        nbr_[lo++] = j;
      else
        nbr_[--hi] = j;
    }
    near_end_[r] = lo;
  }
}

void HalfListKernel::plan(const neighbor::NeighborList& list, int n_local, int n_all, int n_types) {
  if (list.build_id != 0 && list.build_id == plan_id_ && list.neighbors.size() == plan_entries_ &&
      n_all == plan_n_all_)
    return;
  plan_id_ = list.build_id;
  plan_entries_ = list.neighbors.size();
  plan_n_all_ = n_all;
  split_rows(list, n_local, n_types);
  const int* off = list.offsets.data();
  const int* nbr = nbr_.data();
  // Blocks of about equal work (pairs + 1 per row), from the list alone.
  const long total = static_cast<long>(off[n_local]) + n_local;
  const int nb = std::max(1, std::min(kBlocks, n_local));
  blocks_.assign(nb, Block{});
  int r = 0;
  long done = 0;
  for (int b = 0; b < nb; ++b) {
    blocks_[b].row_begin = r;
    while (r < n_local && (b == nb - 1 || done * nb < total * (b + 1))) {
      done += off[r + 1] - off[r] + 1;
      ++r;
    }
    blocks_[b].row_end = r;
  }
  // Windows: the local and ghost slots each block's pairs touch.
  std::size_t base = 0;
  for (Block& b : blocks_) {
    b.local_lo = b.row_begin;
    b.local_hi = b.row_end;
    b.ghost_lo = n_all;
    b.ghost_hi = n_local;
    for (int q = off[b.row_begin]; q < off[b.row_end]; ++q) {
      const int s = nbr[q];
      if (s < n_local) {
        b.local_lo = std::min(b.local_lo, s);
        b.local_hi = std::max(b.local_hi, s + 1);
      } else {
        b.ghost_lo = std::min(b.ghost_lo, s);
        b.ghost_hi = std::max(b.ghost_hi, s + 1);
      }
    }
    if (b.ghost_hi < b.ghost_lo) b.ghost_lo = b.ghost_hi = n_local;
    b.base = base;
    base += b.size();
  }
  acc_.resize(base);
  target_.resize(nbr_.size());
#pragma omp parallel for schedule(dynamic, 1)
  for (int k = 0; k < static_cast<int>(blocks_.size()); ++k) {
    const Block& b = blocks_[k];
    for (int q = off[b.row_begin]; q < off[b.row_end]; ++q)
      target_[q] = static_cast<int>(b.index(nbr[q], n_local));
  }
  if (base > static_cast<std::size_t>(2147483647))
    fail("teacher half list: {} accumulators exceed the index range", base);
}

void HalfListKernel::gather(const neighbor::GhostShell& shell, const neighbor::NeighborList& list,
                            const std::vector<int>& types) {
  const int n_all = shell.size();
  x_.resize(n_all);
  y_.resize(n_all);
  z_.resize(n_all);
  type_.resize(n_all);
  const int* order = list.order.data();
#pragma omp parallel for schedule(static) if (n_all > 20000)
  for (int p = 0; p < n_all; ++p) {
    const Vec3& r = shell.positions[order[p]];
    x_[p] = r.x;
    y_[p] = r.y;
    z_[p] = r.z;
    type_[p] = types[order[p]];
  }
}

void HalfListKernel::run_block(const Block& b, const neighbor::NeighborList& list, int n_types,
                               std::vector<AtomTerms>& terms) {
  Acc* acc = acc_.data();
  std::fill(acc + b.base, acc + b.base + b.size(), Acc{0.0, 0.0, 0.0, 0.0});
  const int* off = list.offsets.data();
  const int* nbr = nbr_.data();
  const int* tgt = target_.data();
  const double* x = x_.data();
  const double* y = y_.data();
  const double* z = z_.data();
  const int* type = type_.data();
  const int n_local = static_cast<int>(list.offsets.size()) - 1;
  const PairSoAView t = table_.view();
  int longest = 0;
  for (int r = b.row_begin; r < b.row_end; ++r) longest = std::max(longest, off[r + 1] - off[r]);
  std::vector<double> buf(4 * static_cast<std::size_t>(longest));
  double* bx = buf.data();
  double* by = bx + longest;
  double* bz = by + longest;
  double* be = bz + longest;
  for (int r = b.row_begin; r < b.row_end; ++r) {
    const double xi = x[r], yi = y[r], zi = z[r];
    const int tb = type[r] * n_types;
    const int* js = nbr + off[r];
    const int m = off[r + 1] - off[r];
    const int m_near = near_end_[r] - off[r];
    // Near pairs: the whole pair term; far pairs: Coulomb only.
    RowSums sum;
    const RowInput in{js, x, y, z, type, tb, xi, yi, zi, bx, by, bz, be};
    row_pairs<true>(0, m_near, in, t, sum);
    row_pairs<false>(m_near, m, in, t, sum);
    const int* ts = tgt + off[r];
    for (int s = 0; s < m; ++s) {
      Acc& a = acc[ts[s]];
      a.fx -= bx[s];
      a.fy -= by[s];
      a.fz -= bz[s];
      a.e += be[s];
    }
    Acc& self = acc[b.index(r, n_local)];
    self.fx += sum.fx;
    self.fy += sum.fy;
    self.fz += sum.fz;
    self.e += sum.e;
    AtomTerms& at = terms[list.order[r]];
    for (int c = 0; c < 6; ++c) at.virial[c] = sum.w[c];
    at.min_r2 = sum.min_r2;
  }
}

void HalfListKernel::finish(const neighbor::GhostShell& shell, const neighbor::NeighborList& list,
                            const std::vector<int>& types, const std::vector<double>& self_energy,
                            std::vector<AtomTerms>& terms) {
  const int n_local = shell.n_local;
  const int n_all = shell.size();
  total_.resize(n_all);
  const int nb = static_cast<int>(blocks_.size());
  // Per slot, the blocks' windows in block order.
#pragma omp parallel for schedule(static)
  for (int p = 0; p < n_all; ++p) {
    Acc sum{0.0, 0.0, 0.0, 0.0};
    for (int k = 0; k < nb; ++k) {
      const Block& b = blocks_[k];
      const bool inside =
          p < n_local ? (p >= b.local_lo && p < b.local_hi) : (p >= b.ghost_lo && p < b.ghost_hi);
      if (!inside) continue;
      const Acc& a = acc_[b.index(p, n_local)];
      sum.fx += a.fx;
      sum.fy += a.fy;
      sum.fz += a.fz;
      sum.e += a.e;
    }
    total_[p] = sum;
  }
  const int* order = list.order.data();
#pragma omp parallel for schedule(static)
  for (int p = 0; p < n_local; ++p) {
    const int i = order[p];
    terms[i].force = Vec3{total_[p].fx, total_[p].fy, total_[p].fz};
    terms[i].energy = self_energy[types[i]] + total_[p].e;
  }
  // Ghosts onto their owners, in slot order (serial: a fixed order of additions).
  for (int p = n_local; p < n_all; ++p) {
    const Acc& a = total_[p];
    AtomTerms& o = terms[shell.owner[order[p]]];
    o.force += Vec3{a.fx, a.fy, a.fz};
    o.energy += a.e;
  }
}

void HalfListKernel::compute(const neighbor::GhostShell& shell, const neighbor::NeighborList& list,
                             const std::vector<int>& types, const std::vector<double>& self_energy,
                             int n_types, std::vector<AtomTerms>& terms) {
  const int n_local = shell.n_local;
  const int n_all = shell.size();
  if (!list.half || static_cast<int>(list.order.size()) != n_all || !shell.fold_ghosts ||
      shell.owner.size() != static_cast<std::size_t>(n_all))
    fail("teacher: the half-list kernel needs a half list of this serial ghost shell");
  terms.resize(n_local);
  if (n_local == 0) return;
  gather(shell, list, types);
  plan(list, n_local, n_all, n_types);
#pragma omp parallel for schedule(dynamic, 1)
  for (int k = 0; k < static_cast<int>(blocks_.size()); ++k)
    run_block(blocks_[k], list, n_types, terms);
  finish(shell, list, types, self_energy, terms);
}

}  // namespace vitrum::teacher
