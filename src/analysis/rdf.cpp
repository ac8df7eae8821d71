/// \file rdf.cpp
/// Pair-distance histograms over explicit periodic images and their g(r) normalization.
///
/// The pair loop mirrors the neighbor-list build (cell list of edge >= r_max over cell atoms and
/// ghosts, 27 neighboring cells scanned as 9 contiguous x-rows of a cell-ordered copy) but never
/// stores a pair: each thread adds into its own integer histogram, and the integer sums are
/// independent of the order, so any thread count gives the same bits. Memory is O(atoms + images)
/// instead of O(pairs), which matters at r_max = 10 Å (about 280 pairs per atom in silica).

#include "vitrum/analysis/rdf.hpp"

#include <omp.h>

#include <algorithm>
#include <climits>
#include <cmath>
#include <limits>

#include "vitrum/analysis/math/pair_geometry.hpp"
#include "vitrum/core/error.hpp"
#include "vitrum/neighbor/cell_list.hpp"
#include "vitrum/neighbor/ghosts.hpp"

namespace vitrum::analysis {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

void check_params(const RdfParams& p) {
  if (!(p.r_max > 0.0) || !std::isfinite(p.r_max)) {
    fail("g(r): r_max must be a finite distance > 0 Å, got {}", p.r_max);
  }
  if (p.n_bins < 1) fail("g(r): the number of bins must be >= 1, got {}", p.n_bins);
}

}  // namespace

int RdfResult::pair_index(int a, int b) const {
  if (a > b) std::swap(a, b);
  const int n = n_types();
  // Row-major upper triangle: rows a = 0..n-1 hold (a, a..n-1).
  return a * n - a * (a - 1) / 2 + (b - a);
}

void RdfResult::pair_types(int p, int& a, int& b) const {
  const int n = n_types();
  for (a = 0; a < n; ++a) {
    const int row = n - a;
    if (p < row) {
      b = a + p;
      return;
    }
    p -= row;
  }
  fail("RdfResult::pair_types: pair index out of range");
}

std::vector<std::uint64_t> pair_distance_histogram(const Box& box,
                                                   const std::vector<Vec3>& positions,
                                                   const std::vector<int>& type_of, int n_types,
                                                   double r_max, int n_bins) {
  if (!box.periodic) {
    fail("g(r) needs a periodic cell (the frame has no Lattice/pbc): a density is undefined");
  }
  if (positions.size() != type_of.size()) {
    fail("g(r): {} positions but {} atom types", positions.size(), type_of.size());
  }
  // Images the shell will hold: the slab test keeps up to (1 + 2 w/h_d) copies per direction.
  const Vec3 h = box.heights();
  double copies = static_cast<double>(positions.size());
  for (int d = 0; d < 3; ++d) {
    if (!(h[d] > 0.0)) fail("g(r): the cell has zero height along cell vector {}", "abc"[d]);
    copies *= 1.0 + 2.0 * r_max / h[d];
  }
  if (copies > static_cast<double>(INT_MAX) / 2) {
    fail(
        "g(r): r_max = {} Å needs about {:.3g} periodic images of the {} atoms (cell heights "
        "{:.4g}, "
        "{:.4g}, {:.4g} Å); lower --rmax",
        r_max, copies, positions.size(), h.x, h.y, h.z);
  }
  const neighbor::GhostShell shell = neighbor::build_ghost_shell(box, positions, type_of, r_max);
  const int n_local = shell.n_local;
  const int n_all = shell.size();
  const std::size_t hist_size = static_cast<std::size_t>(n_types) * n_types * n_bins;
  std::vector<std::uint64_t> hist(hist_size, 0);
  if (n_local == 0) return hist;

  const neighbor::CellBinning bins = neighbor::bin_atoms(shell.positions, r_max * (1.0 + 1e-9));
  const neighbor::CellGrid& grid = bins.grid;
  std::vector<Vec3> sorted_pos(n_all);
  std::vector<int> sorted_type(n_all);
  for (int p = 0; p < n_all; ++p) {
    sorted_pos[p] = shell.positions[bins.cell_atoms[p]];
    sorted_type[p] = shell.species[bins.cell_atoms[p]];
  }
  const double r2_max = r_max * r_max;
  const double inv_dr = n_bins / r_max;
  const int max_threads = omp_get_max_threads();
  std::vector<std::vector<std::uint64_t>> thread_hist(max_threads);

#pragma omp parallel if (n_local > 500)
  {
    std::vector<std::uint64_t>& mine = thread_hist[omp_get_thread_num()];
    mine.assign(hist_size, 0);
#pragma omp for schedule(dynamic, 64)
    for (int i = 0; i < n_local; ++i) {
      const Vec3 ri = shell.positions[i];
      const std::size_t row_a = static_cast<std::size_t>(shell.species[i]) * n_types;
      const int cx = grid.cell_coord(ri.x, 0), cy = grid.cell_coord(ri.y, 1),
                cz = grid.cell_coord(ri.z, 2);
      const int x0 = std::max(cx - 1, 0), x1 = std::min(cx + 1, grid.dims[0] - 1);
      for (int z = std::max(cz - 1, 0); z <= std::min(cz + 1, grid.dims[2] - 1); ++z) {
        for (int y = std::max(cy - 1, 0); y <= std::min(cy + 1, grid.dims[1] - 1); ++y) {
          const int row = grid.dims[0] * (y + grid.dims[1] * z);
          const int p0 = bins.cell_start[row + x0];
          const int p1 = bins.cell_start[row + x1 + 1];
          for (int p = p0; p < p1; ++p) {
            const Vec3 d = sorted_pos[p] - ri;
            const double r2 = dot(d, d);
            if (r2 >= r2_max || bins.cell_atoms[p] == i) continue;
            const int k = distance_bin(std::sqrt(r2), r_max, inv_dr, n_bins);
            if (k >= 0) ++mine[(row_a + sorted_type[p]) * n_bins + k];
          }
        }
      }
    }
  }
  for (const auto& th : thread_hist) {
    if (th.empty()) continue;
    for (std::size_t k = 0; k < hist_size; ++k) hist[k] += th[k];
  }
  return hist;
}

RdfAccumulator::RdfAccumulator(std::vector<int> species, const RdfParams& params)
    : species_(std::move(species)), params_(params) {
  check_params(params_);
  for (int z : species_) {
    auto it = std::find(acc_.types.begin(), acc_.types.end(), z);
    if (it == acc_.types.end()) {
      acc_.types.push_back(z);
      acc_.type_counts.push_back(0);
      it = acc_.types.end() - 1;
    }
    const int t = static_cast<int>(it - acc_.types.begin());
    ++acc_.type_counts[t];
    type_of_.push_back(t);
  }
  acc_.r_max = params_.r_max;
  acc_.n_bins = params_.n_bins;
  acc_.r.resize(params_.n_bins);
  for (int k = 0; k < params_.n_bins; ++k) acc_.r[k] = (k + 0.5) * acc_.dr();
  const int nt = acc_.n_types();
  acc_.total.assign(params_.n_bins, 0.0);
  acc_.partial.assign(nt * (nt + 1) / 2, std::vector<double>(params_.n_bins, 0.0));
  acc_.running.assign(nt * nt, std::vector<double>(params_.n_bins, 0.0));
}

void RdfAccumulator::add_frame(const Box& box, const std::vector<Vec3>& positions) {
  const int nt = acc_.n_types();
  const int nb = params_.n_bins;
  const std::vector<std::uint64_t> hist =
      pair_distance_histogram(box, positions, type_of_, nt, params_.r_max, nb);
  const double volume = box.volume();
  const double n = static_cast<double>(species_.size());
  const double dr = acc_.dr();
  std::vector<std::uint64_t> total(nb, 0);
  for (int a = 0; a < nt; ++a) {
    const double na = acc_.type_counts[a];
    for (int b = 0; b < nt; ++b) {
      const double nbb = acc_.type_counts[b] - (a == b ? 1.0 : 0.0);
      const std::uint64_t* h = &hist[(static_cast<std::size_t>(a) * nt + b) * nb];
      std::vector<double>& run = acc_.running[a * nt + b];
      std::uint64_t cumulative = 0;
      for (int k = 0; k < nb; ++k) {
        cumulative += h[k];
        total[k] += h[k];
        run[k] += static_cast<double>(cumulative) / na;
      }
      if (b < a) continue;  // g_ab = g_ba: both orders hold the same pairs
      std::vector<double>& g = acc_.partial[acc_.pair_index(a, b)];
      for (int k = 0; k < nb; ++k) {
        const double ideal = na * nbb / volume * shell_volume(k * dr, (k + 1) * dr);
        g[k] += ideal > 0.0 ? static_cast<double>(h[k]) / ideal : kNaN;
      }
    }
  }
  for (int k = 0; k < nb; ++k) {
    const double ideal = n * (n - 1.0) / volume * shell_volume(k * dr, (k + 1) * dr);
    acc_.total[k] += ideal > 0.0 ? static_cast<double>(total[k]) / ideal : kNaN;
  }
  ++acc_.n_frames;
}

RdfResult RdfAccumulator::result() const {
  RdfResult r = acc_;
  if (r.n_frames == 0) return r;
  const double inv = 1.0 / r.n_frames;
  for (double& v : r.total) v *= inv;
  for (auto& g : r.partial) {
    for (double& v : g) v *= inv;
  }
  for (auto& g : r.running) {
    for (double& v : g) v *= inv;
  }
  return r;
}

RdfResult compute_rdf(const Trajectory& trajectory, const RdfParams& params) {
  RdfAccumulator acc(trajectory.species, params);
  for (const Frame& f : trajectory.frames) acc.add_frame(f.box, f.positions);
  return acc.result();
}

}  // namespace vitrum::analysis
