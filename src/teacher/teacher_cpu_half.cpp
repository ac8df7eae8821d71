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

}  // namespace

void HalfListKernel::plan(const neighbor::NeighborList& list, int n_local, int n_all) {
  if (list.build_id != 0 && list.build_id == plan_id_ && list.neighbors.size() == plan_entries_ &&
      n_all == plan_n_all_)
    return;
  plan_id_ = list.build_id;
  plan_entries_ = list.neighbors.size();
  plan_n_all_ = n_all;
  const int* off = list.offsets.data();
  const int* nbr = list.neighbors.data();
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
  target_.resize(list.neighbors.size());
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
  const int* nbr = list.neighbors.data();
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
    double fx = 0, fy = 0, fz = 0, ei = 0, w0 = 0, w1 = 0, w2 = 0, w3 = 0, w4 = 0, w5 = 0;
    double min_r2 = INFINITY;
#pragma omp simd reduction(+ : fx, fy, fz, ei, w0, w1, w2, w3, w4, w5) reduction(min : min_r2)
    for (int s = 0; s < m; ++s) {
      const int j = js[s];
      const double dx = xi - x[j], dy = yi - y[j], dz = zi - z[j];
      const double r2 = dx * dx + dy * dy + dz * dz;
      min_r2 = r2 < min_r2 ? r2 : min_r2;
      double e, f;
      pair_energy_force_simd(r2, tb + type[j], t, e, f);
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
    const int* ts = tgt + off[r];
    for (int s = 0; s < m; ++s) {
      Acc& a = acc[ts[s]];
      a.fx -= bx[s];
      a.fy -= by[s];
      a.fz -= bz[s];
      a.e += be[s];
    }
    Acc& self = acc[b.index(r, n_local)];
    self.fx += fx;
    self.fy += fy;
    self.fz += fz;
    self.e += ei;
    AtomTerms& at = terms[list.order[r]];
    at.virial[0] = w0;
    at.virial[1] = w1;
    at.virial[2] = w2;
    at.virial[3] = w3;
    at.virial[4] = w4;
    at.virial[5] = w5;
    at.min_r2 = min_r2;
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
      const bool inside = p < n_local ? (p >= b.local_lo && p < b.local_hi)
                                      : (p >= b.ghost_lo && p < b.ghost_hi);
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

void HalfListKernel::compute(const neighbor::GhostShell& shell,
                             const neighbor::NeighborList& list, const std::vector<int>& types,
                             const std::vector<double>& self_energy, int n_types,
                             std::vector<AtomTerms>& terms) {
  const int n_local = shell.n_local;
  const int n_all = shell.size();
  if (!list.half || static_cast<int>(list.order.size()) != n_all || !shell.fold_ghosts ||
      shell.owner.size() != static_cast<std::size_t>(n_all))
    fail("teacher: the half-list kernel needs a half list of this serial ghost shell");
  terms.resize(n_local);
  if (n_local == 0) return;
  plan(list, n_local, n_all);
  gather(shell, list, types);
#pragma omp parallel for schedule(dynamic, 1)
  for (int k = 0; k < static_cast<int>(blocks_.size()); ++k)
    run_block(blocks_[k], list, n_types, terms);
  finish(shell, list, types, self_energy, terms);
}

}  // namespace vitrum::teacher
