#pragma once
/// \file domain.hpp
/// 3D domain decomposition of a periodic cell over a Cartesian grid of ranks (MPI_Cart_create,
/// periodic in all three directions). The grid divides the cell in *fractional* coordinates:
/// the rank at grid coordinates (c_a, c_b, c_c) of a p_a × p_b × p_c grid owns the atoms whose
/// fractional coordinates s = (s_a, s_b, s_c), wrapped into [0, 1), satisfy
///     c_d / p_d <= s_d < (c_d + 1) / p_d        for d = a, b, c.
/// Subdomains are therefore parallelepipeds similar to the cell, for any triclinic cell, and
/// follow the cell when a barostat deforms it. Along cell direction d a subdomain is H_d / p_d
/// thick, measured perpendicular to its faces (H_d = V / |b×c| etc., the cell's heights).
///
/// Grid choice (when not given): of all p_a p_b p_c = P, the one minimising the halo volume per
/// subdomain, ∝ Σ_d p_d / H_d (the face areas of a subdomain of fixed volume); ties go to the
/// grid listed first with p_a, then p_b, descending, so a cube gets MPI_Dims_create's answer.

#include <array>
#include <cmath>
#include <string>

#include "vitrum/core/structure.hpp"
#include "vitrum/core/vec3.hpp"
#include "vitrum/parallel/comm.hpp"

namespace vitrum::parallel {

/// Ranks per cell direction for P ranks and this cell (see the file comment). Throws for a
/// non-periodic cell or P < 1.
std::array<int, 3> choose_grid(int ranks, const Box& box);

/// One rank's place in the grid. Owns its Cartesian communicator; not copyable.
class Domain {
 public:
  /// Collective over `comm`. `grid` = ranks per cell direction, or {0, 0, 0} to choose it
  /// (choose_grid); its product must equal comm.size(). Rank numbers are kept (no reordering),
  /// so rank 0 of `comm` is rank 0 of the domain.
  Domain(const Comm& comm, const Box& box, std::array<int, 3> grid = {0, 0, 0});
  ~Domain();
  Domain(const Domain&) = delete;
  Domain& operator=(const Domain&) = delete;

  /// The grid's communicator (same ranks as the one given).
  const Comm& comm() const { return comm_; }
  int rank() const { return comm_.rank(); }
  int size() const { return comm_.size(); }
  const std::array<int, 3>& grid() const { return grid_; }
  const std::array<int, 3>& coords() const { return coords_; }
  /// Rank of the neighbor one step along cell direction d (dir = -1 lower, +1 upper), periodic;
  /// this rank itself when grid[d] == 1.
  int neighbor(int d, int dir) const { return neighbor_[d][dir > 0 ? 1 : 0]; }
  /// Fractional bounds of this rank's subdomain along d: [lower(d), upper(d)).
  double lower(int d) const { return static_cast<double>(coords_[d]) / grid_[d]; }
  double upper(int d) const { return static_cast<double>(coords_[d] + 1) / grid_[d]; }
  /// Grid coordinates of the subdomain holding fractional position s (wrapped into [0, 1)).
  std::array<int, 3> owner_coords(const Vec3& s) const {
    std::array<int, 3> c{};
    for (int d = 0; d < 3; ++d) c[d] = coordinate(s[d], d);
    return c;
  }
  /// Grid coordinate along d of fractional coordinate s_d (wrapped into [0, 1)).
  int coordinate(double s, int d) const {
    double t = s - std::floor(s);  // may round to 1.0 for s = -1e-17
    int c = static_cast<int>(t * grid_[d]);
    return c >= grid_[d] ? grid_[d] - 1 : (c < 0 ? 0 : c);
  }
  /// Rank at grid coordinates c.
  int rank_of(const std::array<int, 3>& c) const;
  /// One line for logs: "2 x 2 x 1 ranks, subdomains 12.3 x 12.3 x 24.6 Å (perpendicular)".
  std::string describe(const Box& box) const;

 private:
  Comm comm_;
  bool owns_comm_ = false;
  std::array<int, 3> grid_{1, 1, 1};
  std::array<int, 3> coords_{0, 0, 0};
  int neighbor_[3][2] = {{0, 0}, {0, 0}, {0, 0}};
};

}  // namespace vitrum::parallel
