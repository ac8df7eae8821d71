#pragma once
/// \file team_schedule.hpp
/// Which lane of a team takes which neighbor pair (j, k) of a centre atom, single source for the
/// GPU kernels and their CPU emulator (team_sf.hpp).
///
/// Forward pass (symmetry functions): the pairs of one element-pair block are numbered linearly,
/// a triangular index for pairs within one element (j < k) and a row-major index for pairs of two
/// elements; lane l takes pairs l, l + size, ... and the partial sums are reduced across lanes.
///
/// Gradient pass: each pair adds to the gradients of both its neighbors. To accumulate without
/// atomics, the pairs are visited in rounds in which no neighbor appears twice (the circle method
/// of a round-robin tournament for pairs within one element; a cyclic shift for pairs across two
/// elements). Lanes split a round; the rounds run in order, so every neighbor receives its pair
/// contributions in the same order whatever the team size: the result is bitwise independent of
/// the number of lanes.

#include <cmath>

#include "vitrum/core/hd.hpp"

namespace vitrum::nnp {

/// Pair (u, v) of block-local neighbor indices; valid = false for a bye of the round robin.
struct PairIndex {
  int u, v;
  bool valid;
};

/// Number of pairs of an element-pair block: n(n-1)/2 within one element, na nb across two.
VITRUM_HD int block_pairs(bool same, int na, int nb) {
  return same ? na * (na - 1) / 2 : na * nb;
}

/// The p-th pair (u < v) of the triangle of n items, p in [0, n(n-1)/2): row v, column u.
VITRUM_HD PairIndex triangle_pair(int p) {
  int v = static_cast<int>((1.0 + sqrt(1.0 + 8.0 * static_cast<double>(p))) * 0.5);
  while (v * (v - 1) / 2 > p) --v;  // guards the floating-point root
  while ((v + 1) * v / 2 <= p) ++v;
  return {p - v * (v - 1) / 2, v, true};
}

/// The p-th pair of the na x nb rectangle (row-major): u in [0, na), v in [0, nb).
VITRUM_HD PairIndex rectangle_pair(int p, int nb) {
  return {p / nb, p % nb, true};
}

/// Linear pair p of a block (forward pass).
VITRUM_HD PairIndex block_pair(bool same, int p, int nb) {
  return same ? triangle_pair(p) : rectangle_pair(p, nb);
}

/// Conflict-free rounds of a block: number of rounds and pairs per round.
struct RoundShape {
  int rounds, per_round;
};

VITRUM_HD RoundShape round_shape(bool same, int na, int nb) {
  if (same) {
    if (na < 2) return {0, 0};
    const int n2 = na + (na & 1);
    return {n2 - 1, n2 / 2};
  }
  if (na == 0 || nb == 0) return {0, 0};
  const int lo = na < nb ? na : nb, hi = na < nb ? nb : na;
  return {hi, lo};
}

/// Pair s of round r. Within one element (circle method, n rounded up to even with a dummy that
/// gives byes): slot 0 pairs the fixed item n2-1 with r, slot s > 0 pairs (r + s) and (r - s)
/// mod n2-1; returns u < v. Across elements: the shorter side's item s meets the longer side's
/// (s + r) mod long; returns u in [0, na), v in [0, nb).
VITRUM_HD PairIndex round_pair(bool same, int na, int nb, int r, int s) {
  if (same) {
    const int n2 = na + (na & 1), m = n2 - 1;
    int a, b;
    if (s == 0) {
      a = m;
      b = r;
    } else {
      a = (r + s) % m;
      b = (r - s + m) % m;
    }
    const bool valid = a < na && b < na;
    return {a < b ? a : b, a < b ? b : a, valid};
  }
  if (na <= nb) return {s, (s + r) % nb, true};
  return {(s + r) % na, s, true};
}

}  // namespace vitrum::nnp
