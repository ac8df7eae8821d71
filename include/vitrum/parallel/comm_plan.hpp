#pragma once
/// \file comm_plan.hpp
/// The halo of a subdomain as a communication *plan* built at each re-neighboring and *applied*
/// every step (the plan/apply split of Cabana, the swap lists of LAMMPS's CommBrick):
///
///   build    which atoms go to which neighbor, with which periodic image: the ghost atoms of this
///            rank (every atom image within `width` = cutoff + skin of the subdomain) are appended
///            after the locals, with their species, global ids and image counts;
///   forward  every step: ghost positions from their sources' current positions (+ image shifts
///            taken from the current cell, so the ghosts follow a barostat's cell changes);
///   reverse  every step: forces on ghosts summed back onto the atoms they are images of.
///
/// Staging: the halo is exchanged one cell direction at a time, d = a, then b, then c. Along d a
/// rank sends to its lower neighbor the atoms with s_d < lower_d + w_d and to its upper neighbor
/// those with s_d >= upper_d - w_d (w_d = width / H_d in fractional units), choosing among its
/// locals *and the ghosts received along earlier directions*, so edge and corner images arrive
/// in two or three stages. A subdomain thinner than the width (p_d w_d > 1) needs several hops:
/// hop k forwards what arrived in hop k-1 from the same side, n_d = ceil(p_d w_d) hops in all. A
/// rank at the periodic boundary adds ±h_d to what it sends across it; with p_d = 1 the
/// "neighbor" is the rank itself and the exchange is a local copy. Like the serial ghost shell
/// (neighbor/ghosts.hpp), the slab test is exact for triclinic cells: a point within distance w
/// of the subdomain differs from it by at most w / H_d in s_d.
///
/// Applying the plan is a gather by index list (pack) and a contiguous receive (forward), and a
/// contiguous send plus a scatter-add by index list (reverse): what a device version packs on
/// the GPU. Nothing is allocated after build; sums are in a fixed order, so results are
/// reproducible for a given rank count.

#include <array>
#include <vector>

#include "vitrum/core/structure.hpp"
#include "vitrum/core/vec3.hpp"
#include "vitrum/neighbor/ghosts.hpp"
#include "vitrum/parallel/domain.hpp"

namespace vitrum::parallel {

/// One exchange of the plan: atoms sent to one neighbor along one cell direction.
struct HaloSwap {
  int dim = 0;                  ///< cell direction (0, 1, 2)
  int dir = 0;                  ///< -1: to the lower neighbor; +1: to the upper neighbor
  int send_rank = 0;            ///< destination (this rank for a periodic self-exchange)
  int recv_rank = 0;            ///< source of the ghosts received in this swap
  int image = 0;                ///< sent positions are shifted by image * h_dim (−1, 0, +1)
  std::vector<int> send_index;  ///< shell indices of the atoms sent, in order
  int recv_first = 0;           ///< shell index of the first ghost received
  int recv_count = 0;           ///< number of ghosts received
};

/// The halo plan of one rank; rebuilt with build() whenever the neighbor list is.
class HaloPlan {
 public:
  /// Collective over the domain. On entry `shell` holds this rank's locals only (positions
  /// wrapped into the cell and inside the subdomain, species; n_local = size()), `ids` their
  /// global ids and `images` their periodic image counts (zeros: one entry per local). Appends
  /// the ghosts to all three (shell positions/species, owner = -1 and shift = 0 for ghosts,
  /// fold_ghosts = false, width set). ghost image = source image + swap image along its
  /// direction, i.e. the integer cell vectors between the ghost and the atom it is an image of.
  void build(const Domain& domain, const Box& box, double width, neighbor::GhostShell& shell,
             std::vector<int>& ids, std::vector<std::array<int, 3>>& images);

  /// Sets the ghost positions from the locals' (positions[0, n_local) current, size n_local +
  /// n_ghost) with the image shifts of the current `box`. Collective.
  void forward(const Box& box, std::vector<Vec3>& positions);

  /// Adds the forces on ghosts (forces[n_local, n_local + n_ghost)) onto the atoms they are images
  /// of, so that forces[0, n_local) are complete. Ghost entries are left as they were. Collective.
  void reverse(std::vector<Vec3>& forces);

  int n_local() const { return n_local_; }
  int n_ghost() const { return n_ghost_; }
  /// Hops per direction (ceil(p_d w_d)).
  const std::array<int, 3>& hops() const { return hops_; }
  const std::vector<HaloSwap>& swaps() const { return swaps_; }
  /// Atoms sent per step (sum over swaps; self-copies included).
  long sent_per_step() const;

 private:
  const Domain* domain_ = nullptr;
  std::vector<HaloSwap> swaps_;
  std::array<int, 3> hops_{0, 0, 0};
  int n_local_ = 0, n_ghost_ = 0;
  std::vector<Vec3> buffer_;  ///< staging for one swap (sized for the largest)
};

}  // namespace vitrum::parallel
