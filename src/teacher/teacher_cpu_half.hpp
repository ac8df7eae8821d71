#pragma once
// Internal to the CPU teacher backend: the pair loop on a half list
// (neighbor::build_half_neighbor_list), vectorised through math/pair_simd.hpp.
#include <cstdint>
#include <vector>

#include "vitrum/neighbor/ghosts.hpp"
#include "vitrum/neighbor/neighbor_list.hpp"
#include "vitrum/teacher/math/pair_simd.hpp"

namespace vitrum::teacher {

/// Evaluates every pair of a half list once (Newton's third law) in the list's slot order, with
/// the positions gathered into structure-of-arrays per step. Determinism without atomics: the
/// rows are cut into a fixed number of blocks of about equal work (from the list alone); each
/// block adds to its own accumulator windows (the local slots and the ghost slots its pairs
/// touch, found once per list), and the windows are summed per slot in block order, then the
/// ghosts' sums are folded onto their owners in slot order: the same bits for any thread count.
/// At each new list every row is split, by the distances at build time, into *near* pairs (that
/// may come within a short-range or wall cutoff before the next rebuild: closer than that cutoff
/// + skin) and *far* pairs (Coulomb only), so the far majority skips the Buckingham exponential
/// and the wall in its own vectorised loop.
class HalfListKernel {
 public:
  explicit HalfListKernel(const PairTableSoA& table) : table_(table) {}

  /// terms[i] for every local atom i (shell order) from the half list `list`.
  void compute(const neighbor::GhostShell& shell, const neighbor::NeighborList& list,
               const std::vector<int>& types, const std::vector<double>& self_energy, int n_types,
               std::vector<AtomTerms>& terms);

 private:
  struct Acc {
    double fx, fy, fz, e;
  };
  struct Block {
    int row_begin = 0, row_end = 0;
    int local_lo = 0, local_hi = 0;  ///< local slots the block writes: [lo, hi)
    int ghost_lo = 0, ghost_hi = 0;  ///< ghost slots the block writes
    std::size_t base = 0;            ///< first accumulator of the block in acc_
    std::size_t size() const { return (local_hi - local_lo) + (ghost_hi - ghost_lo); }
    std::size_t index(int slot, int n_local) const {
      return base + (slot < n_local ? slot - local_lo : (local_hi - local_lo) + (slot - ghost_lo));
    }
  };

  void plan(const neighbor::NeighborList& list, int n_local, int n_all, int n_types);
  void split_rows(const neighbor::NeighborList& list, int n_local, int n_types);
  void gather(const neighbor::GhostShell& shell, const neighbor::NeighborList& list,
              const std::vector<int>& types);
  void run_block(const Block& b, const neighbor::NeighborList& list, int n_types,
                 std::vector<AtomTerms>& terms);
  void finish(const neighbor::GhostShell& shell, const neighbor::NeighborList& list,
              const std::vector<int>& types, const std::vector<double>& self_energy,
              std::vector<AtomTerms>& terms);

  const PairTableSoA& table_;
  std::uint64_t plan_id_ = 0;
  std::size_t plan_entries_ = 0;
  int plan_n_all_ = -1;
  std::vector<Block> blocks_;
  std::vector<int> nbr_;       ///< the list's rows, each reordered: near pairs, then far ones
  std::vector<int> near_end_;  ///< per row: end of its near pairs in nbr_
  std::vector<int> target_;    ///< per entry of nbr_: its accumulator in acc_
  std::vector<Acc> acc_;
  std::vector<double> x_, y_, z_;  ///< positions by slot
  std::vector<int> type_;          ///< type index by slot
  std::vector<Acc> total_;         ///< per slot: sum over blocks
};

}  // namespace vitrum::teacher
