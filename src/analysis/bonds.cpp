/// \file bonds.cpp
/// Coordination and bond angles from one neighbor list per frame (cutoff = the largest bond
/// cutoff, no skin). Per-atom results go to per-atom slots first and are reduced serially in
/// atom order, so the floating-point sums of angles do not depend on the thread count.

#include "vitrum/analysis/bonds.hpp"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <limits>

#include "vitrum/analysis/math/pair_geometry.hpp"
#include "vitrum/core/elements.hpp"
#include "vitrum/core/error.hpp"
#include "vitrum/neighbor/ghosts.hpp"
#include "vitrum/neighbor/neighbor_list.hpp"

namespace vitrum::analysis {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

std::string trim(const std::string& s) {
  const auto b = s.find_first_not_of(" \t");
  if (b == std::string::npos) return "";
  const auto e = s.find_last_not_of(" \t");
  return s.substr(b, e - b + 1);
}

}  // namespace

BondSpec parse_bond_spec(const std::string& text) {
  const auto colon = text.find(':');
  const auto dash = text.find('-');
  auto bad = [&](const std::string& why) {
    fail(
        "bond \"{}\": {}; expected A-B:CUTOFF with element symbols and a cutoff in Å, e.g. "
        "Si-O:2.0",
        text, why);
  };
  if (colon == std::string::npos || dash == std::string::npos || dash > colon) {
    bad("not of the form A-B:CUTOFF");
  }
  const std::string a = trim(text.substr(0, dash));
  const std::string b = trim(text.substr(dash + 1, colon - dash - 1));
  const std::string c = trim(text.substr(colon + 1));
  BondSpec s;
  s.center = atomic_number(a);
  s.neighbor = atomic_number(b);
  if (s.center == 0) bad(fmt::format("unknown element \"{}\"", a));
  if (s.neighbor == 0) bad(fmt::format("unknown element \"{}\"", b));
  char* end = nullptr;
  s.cutoff = std::strtod(c.c_str(), &end);
  if (c.empty() || end != c.c_str() + c.size() || !std::isfinite(s.cutoff) || !(s.cutoff > 0.0)) {
    bad(fmt::format("the cutoff \"{}\" is not a number > 0", c));
  }
  return s;
}

std::string bond_name(const BondSpec& bond) {
  return element_symbol(bond.center) + "-" + element_symbol(bond.neighbor);
}

double CoordinationResult::mean() const {
  return samples > 0 ? static_cast<double>(bonds) / static_cast<double>(samples) : kNaN;
}

double CoordinationResult::fraction(int n) const {
  if (samples == 0 || n < 0 || n >= static_cast<int>(histogram.size())) return 0.0;
  return static_cast<double>(histogram[n]) / static_cast<double>(samples);
}

std::string AngleResult::name() const {
  return element_symbol(end) + "-" + element_symbol(vertex) + "-" + element_symbol(end);
}

std::vector<double> AngleResult::angles() const {
  std::vector<double> a(histogram.size());
  for (std::size_t k = 0; k < a.size(); ++k) a[k] = (k + 0.5) * bin_width();
  return a;
}

std::vector<double> AngleResult::density() const {
  std::vector<double> p(histogram.size(), 0.0);
  if (count == 0) return p;
  const double norm = 1.0 / (static_cast<double>(count) * bin_width());
  for (std::size_t k = 0; k < p.size(); ++k) p[k] = static_cast<double>(histogram[k]) * norm;
  return p;
}

double AngleResult::mean() const {
  return count > 0 ? sum / static_cast<double>(count) : kNaN;
}

double AngleResult::stddev() const {
  if (count < 2) return kNaN;
  const double n = static_cast<double>(count);
  const double m = sum / n;
  return std::sqrt(std::max(0.0, (sum_sq - n * m * m) / (n - 1.0)));
}

BondAccumulator::BondAccumulator(std::vector<int> species, std::vector<BondSpec> bonds,
                                 int angle_bins)
    : species_(std::move(species)), bonds_(std::move(bonds)) {
  if (angle_bins < 0) fail("bond angles: the number of bins must be >= 0, got {}", angle_bins);
  for (const BondSpec& b : bonds_) {
    if (!(b.cutoff > 0.0) || !std::isfinite(b.cutoff)) {
      fail("bond {}: the cutoff must be a finite distance > 0 Å, got {}", bond_name(b), b.cutoff);
    }
    for (int z : {b.center, b.neighbor}) {
      if (std::find(species_.begin(), species_.end(), z) == species_.end()) {
        fail("bond {}: the structure has no {} atoms", bond_name(b), element_symbol(z));
      }
    }
    max_cutoff_ = std::max(max_cutoff_, b.cutoff);
    CoordinationResult c;
    c.bond = b;
    result_.coordination.push_back(c);
    if (angle_bins == 0) continue;
    auto add_angle = [&](int vertex, int end) {
      for (const AngleResult& a : result_.angles) {
        if (a.vertex == vertex && a.end == end) return;  // first spec wins
      }
      AngleResult a;
      a.vertex = vertex;
      a.end = end;
      a.cutoff = b.cutoff;
      a.histogram.assign(angle_bins, 0);
      result_.angles.push_back(a);
    };
    add_angle(b.center, b.neighbor);
    if (b.center != b.neighbor) add_angle(b.neighbor, b.center);
  }
}

void BondAccumulator::add_frame(const Box& box, const std::vector<Vec3>& positions) {
  if (positions.size() != species_.size()) {
    fail("bonds: {} positions for {} atoms", positions.size(), species_.size());
  }
  ++result_.n_frames;
  if (bonds_.empty()) return;
  const neighbor::GhostShell shell =
      neighbor::build_ghost_shell(box, positions, species_, max_cutoff_);
  const neighbor::NeighborList list = neighbor::build_neighbor_list(shell, max_cutoff_, 0.0);
  const int n = shell.n_local;

  // Coordination: per-atom counts per spec, then a serial histogram.
  for (CoordinationResult& c : result_.coordination) {
    const double rc2 = c.bond.cutoff * c.bond.cutoff;
    std::vector<int> z(n, -1);
#pragma omp parallel for schedule(dynamic, 256) if (n > 2000)
    for (int i = 0; i < n; ++i) {
      if (shell.species[i] != c.bond.center) continue;
      int count = 0;
      for (int p = list.offsets[i]; p < list.offsets[i + 1]; ++p) {
        const int j = list.neighbors[p];
        if (shell.species[j] != c.bond.neighbor) continue;
        const Vec3 d = shell.positions[j] - shell.positions[i];
        if (dot(d, d) < rc2) ++count;
      }
      z[i] = count;
    }
    for (int i = 0; i < n; ++i) {
      if (z[i] < 0) continue;
      if (static_cast<std::size_t>(z[i]) >= c.histogram.size()) c.histogram.resize(z[i] + 1, 0);
      ++c.histogram[z[i]];
      ++c.samples;
      c.bonds += z[i];
    }
  }

  // Angles: per-atom partial histograms would cost n_bins per atom; instead each atom stores its
  // angles' sums, and the bins are counted per thread (integers, order independent).
  for (AngleResult& a : result_.angles) {
    const double rc2 = a.cutoff * a.cutoff;
    const int nb = a.n_bins();
    std::vector<double> atom_sum(n, 0.0), atom_sum_sq(n, 0.0);
    std::vector<std::uint64_t> hist(nb, 0);
    std::uint64_t count = 0;
#pragma omp parallel if (n > 2000)
    {
      std::vector<std::uint64_t> mine(nb, 0);
      std::uint64_t my_count = 0;
      std::vector<Vec3> bond_vectors;
#pragma omp for schedule(dynamic, 256)
      for (int i = 0; i < n; ++i) {
        if (shell.species[i] != a.vertex) continue;
        bond_vectors.clear();
        for (int p = list.offsets[i]; p < list.offsets[i + 1]; ++p) {
          const int j = list.neighbors[p];
          if (shell.species[j] != a.end) continue;
          const Vec3 d = shell.positions[j] - shell.positions[i];
          if (dot(d, d) < rc2) bond_vectors.push_back(d);
        }
        double s = 0.0, s2 = 0.0;
        for (std::size_t u = 0; u < bond_vectors.size(); ++u) {
          for (std::size_t v = u + 1; v < bond_vectors.size(); ++v) {
            const double theta = bond_angle_deg(bond_vectors[u], bond_vectors[v]);
            ++mine[angle_bin(theta, nb)];
            ++my_count;
            s += theta;
            s2 += theta * theta;
          }
        }
        atom_sum[i] = s;
        atom_sum_sq[i] = s2;
      }
#pragma omp critical(vitrum_bond_angles)
      {
        for (int k = 0; k < nb; ++k) hist[k] += mine[k];
        count += my_count;
      }
    }
    for (int k = 0; k < nb; ++k) a.histogram[k] += hist[k];
    a.count += count;
    for (int i = 0; i < n; ++i) {
      a.sum += atom_sum[i];
      a.sum_sq += atom_sum_sq[i];
    }
  }
}

BondAnalysis analyze_bonds(const Trajectory& trajectory, const std::vector<BondSpec>& bonds,
                           int angle_bins) {
  BondAccumulator acc(trajectory.species, bonds, angle_bins);
  for (const Frame& f : trajectory.frames) acc.add_frame(f.box, f.positions);
  return acc.result();
}

}  // namespace vitrum::analysis
