#pragma once
// Bit-for-bit comparisons of two runs' final states and trajectories, shared by the serial
// restart tests (tests/restart) and the MPI ones (tests/mpi).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <sstream>
#include <string>
#include <vector>

#include "restart_test_util.hpp"
#include "vitrum/io/h5md.hpp"
#include "vitrum/md/checkpoint.hpp"

namespace vitrum::test {

/// Counts the values that differ in bits (a -0.0 / 0.0 pair counts as a difference).
struct BitDiff {
  long compared = 0, differ = 0;
  double max_abs = 0.0;
  void add(double a, double b) {
    ++compared;
    if (std::memcmp(&a, &b, sizeof a) != 0) {
      ++differ;
      max_abs = std::max(max_abs, std::fabs(a - b));
    }
  }
  void add(const std::vector<Vec3>& a, const std::vector<Vec3>& b) {
    ASSERT_EQ(a.size(), b.size());
    for (std::size_t i = 0; i < a.size(); ++i)
      for (int d = 0; d < 3; ++d) add(a[i][d], b[i][d]);
  }
};

/// Expects two checkpoints (the final states of two runs) to hold the same bits.
inline void expect_same_state(const md::Checkpoint& a, const md::Checkpoint& b) {
  ASSERT_EQ(a.system.size(), b.system.size());
  EXPECT_EQ(a.system.step, b.system.step);
  BitDiff pos, vel, frc, other;
  pos.add(a.system.positions, b.system.positions);
  vel.add(a.system.velocities, b.system.velocities);
  frc.add(a.system.forces, b.system.forces);
  other.add(a.system.time_fs, b.system.time_fs);
  other.add(a.system.potential_energy, b.system.potential_energy);
  other.add(a.conserved_offset, b.conserved_offset);
  for (int r = 0; r < 3; ++r)
    for (int c = 0; c < 3; ++c) {
      other.add(a.system.box.h[r][c], b.system.box.h[r][c]);
      other.add(a.system.virial[r][c], b.system.virial[r][c]);
    }
  EXPECT_EQ(a.system.image, b.system.image);
  EXPECT_EQ(pos.differ, 0) << "positions differ in " << pos.differ << " of " << pos.compared
                           << " values, max " << pos.max_abs << " Å";
  EXPECT_EQ(vel.differ, 0) << "velocities differ in " << vel.differ << " of " << vel.compared
                           << " values, max " << vel.max_abs << " Å/fs";
  EXPECT_EQ(frc.differ, 0) << "forces differ in " << frc.differ << " of " << frc.compared
                           << ", max " << frc.max_abs;
  EXPECT_EQ(other.differ, 0) << "time/energy/cell/virial differ, max " << other.max_abs;
  ASSERT_EQ(a.integrator.size(), b.integrator.size());
  for (const auto& [key, v] : a.integrator) {
    ASSERT_EQ(b.integrator.count(key), 1u) << key;
    BitDiff d;
    for (std::size_t k = 0; k < v.size(); ++k) d.add(v[k], b.integrator.at(key)[k]);
    EXPECT_EQ(d.differ, 0) << "integrator state '" << key << "' differs";
  }
}

/// Expects two H5MD trajectories to hold the same frames, bit for bit.
inline void expect_same_h5md(const std::string& a, const std::string& b, long expected_frames) {
  const auto fa = io::read_h5md(a), fb = io::read_h5md(b);
  ASSERT_EQ(static_cast<long>(fa.size()), expected_frames) << a;
  ASSERT_EQ(fb.size(), fa.size()) << b;
  BitDiff d;
  for (std::size_t t = 0; t < fa.size(); ++t) {
    EXPECT_EQ(fa[t].step, fb[t].step) << "frame " << t;
    d.add(fa[t].positions, fb[t].positions);
    d.add(fa[t].velocities, fb[t].velocities);
    d.add(fa[t].forces, fb[t].forces);
    for (int r = 0; r < 3; ++r)
      for (int c = 0; c < 3; ++c) d.add(fa[t].box.h[r][c], fb[t].box.h[r][c]);
  }
  EXPECT_EQ(d.differ, 0) << d.differ << " of " << d.compared << " trajectory values differ, max "
                         << d.max_abs;
}

/// The thermo CSV without its wall-clock column (atom_steps_per_s, the 11th).
inline std::vector<std::string> thermo_without_rate(const std::string& path) {
  std::vector<std::string> out;
  for (const auto& line : test::lines_of(path)) {
    std::vector<std::string> cols;
    std::stringstream ss(line);
    std::string c;
    while (std::getline(ss, c, ',')) cols.push_back(c);
    if (cols.size() > 10) cols.erase(cols.begin() + 10);
    std::string joined;
    for (const auto& x : cols) joined += x + ",";
    out.push_back(joined);
  }
  return out;
}

}  // namespace vitrum::test
