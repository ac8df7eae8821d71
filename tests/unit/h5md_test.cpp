// H5MD trajectories: written frame by frame, read back exactly, opened by h5py and MDAnalysis,
// and a truncated file gives a clear error.
#include "vitrum/io/h5md.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>

#include "vitrum/core/error.hpp"

using namespace vitrum;
namespace fs = std::filesystem;

namespace {

struct Sample {
  Box box;
  std::vector<int> species;
  std::vector<std::vector<Vec3>> pos, vel;
};

Sample sample(int n, int frames) {
  Sample s;
  s.box.periodic = true;
  s.box.h[0] = {12.0, 0, 0};
  s.box.h[1] = {1.5, 11.0, 0};
  s.box.h[2] = {0.3, -0.7, 13.0};
  std::mt19937 rng(3);
  std::uniform_real_distribution<double> u(0, 10);
  for (int i = 0; i < n; ++i) s.species.push_back(i % 3 == 0 ? 14 : 8);
  for (int t = 0; t < frames; ++t) {
    std::vector<Vec3> p(n), v(n);
    for (int i = 0; i < n; ++i) {
      p[i] = {u(rng), u(rng), u(rng)};
      v[i] = {u(rng) * 1e-3, -u(rng) * 1e-3, u(rng) * 1e-3};
    }
    s.pos.push_back(p);
    s.vel.push_back(v);
  }
  return s;
}

std::string temp_path(const char* name) {
  return (fs::temp_directory_path() / (std::to_string(::getpid()) + "_" + name)).string();
}

int python(const std::string& script) {
  const std::string file = temp_path("check.py");
  std::ofstream(file) << script;
  const int rc = std::system(("/usr/bin/python3 " + file).c_str());
  fs::remove(file);
  return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

}  // namespace

TEST(H5md, WritesAndReadsBackExactly) {
  const auto s = sample(50, 4);
  const std::string path = temp_path("traj.h5");
  {
    io::H5mdWriter w(path, s.species, io::H5mdOptions{});
    std::vector<int> ids(50);
    for (int i = 0; i < 50; ++i) ids[i] = i;
    for (int t = 0; t < 4; ++t)
      w.write_frame(100 * t, 50.0 * t, s.box, ids, s.pos[t], s.vel[t], {});
    EXPECT_EQ(w.frames(), 4);
  }
  std::vector<int> species;
  const auto frames = io::read_h5md(path, &species);
  ASSERT_EQ(frames.size(), 4u);
  EXPECT_EQ(species, s.species);
  for (int t = 0; t < 4; ++t) {
    EXPECT_EQ(frames[t].step, 100 * t);
    EXPECT_EQ(frames[t].time, 50.0 * t);
    for (int a = 0; a < 3; ++a)
      for (int b = 0; b < 3; ++b) EXPECT_EQ(frames[t].box.h[a][b], s.box.h[a][b]);
    for (int i = 0; i < 50; ++i)
      for (int d = 0; d < 3; ++d) {
        EXPECT_EQ(frames[t].positions[i][d], s.pos[t][i][d]);
        EXPECT_EQ(frames[t].velocities[i][d], s.vel[t][i][d]);
      }
  }
  fs::remove(path);
}

TEST(H5md, ScatteredIdsLandInTheirRows) {
  const auto s = sample(20, 1);
  const std::string path = temp_path("scatter.h5");
  {
    io::H5mdWriter w(path, s.species, io::H5mdOptions{false, false, 0});
    std::vector<int> ids;
    std::vector<Vec3> p;
    for (int i = 19; i >= 0; i -= 1) {  // reversed order
      ids.push_back(i);
      p.push_back(s.pos[0][i]);
    }
    w.write_frame(0, 0.0, s.box, ids, p, {}, {});
  }
  const auto frames = io::read_h5md(path);
  ASSERT_EQ(frames.size(), 1u);
  for (int i = 0; i < 20; ++i) EXPECT_EQ(frames[0].positions[i].x, s.pos[0][i].x);
  EXPECT_TRUE(frames[0].velocities.empty());
  fs::remove(path);
}

TEST(H5md, ReadableByH5pyAndMDAnalysis) {
  const auto s = sample(30, 3);
  const std::string path = temp_path("mda.h5");
  {
    io::H5mdWriter w(path, s.species, io::H5mdOptions{});
    std::vector<int> ids(30);
    for (int i = 0; i < 30; ++i) ids[i] = i;
    for (int t = 0; t < 3; ++t) w.write_frame(10 * t, 5.0 * t, s.box, ids, s.pos[t], s.vel[t], {});
  }
  const std::string check = R"(
import sys, h5py, numpy as np
f = h5py.File(sys.argv[1] if len(sys.argv) > 1 else ")" +
                            path + R"(", "r")
assert list(f["h5md"].attrs["version"]) == [1, 1]
p = f["particles/all/position/value"]
assert p.shape == (3, 30, 3), p.shape
assert f["particles/all/position/value"].attrs["unit"] in (b"Angstrom", "Angstrom")
assert f["particles/all/box"].attrs["dimension"] == 3
assert np.allclose(f["particles/all/box/edges/value"][1][1], [1.5, 11.0, 0.0])
import MDAnalysis as mda
u = mda.Universe.empty(30, trajectory=True)
from MDAnalysis.coordinates.H5MD import H5MDReader
r = H5MDReader(")" + path + R"(", convert_units=False)
assert r.n_frames == 3 and r.n_atoms == 30
ts = r[2]
assert np.allclose(ts.positions, f["particles/all/position/value"][2], atol=1e-5)
assert abs(ts.time - 10.0) < 1e-9, ts.time
print("h5py and MDAnalysis read the trajectory")
)";
  EXPECT_EQ(python(check), 0);
  fs::remove(path);
}

TEST(H5md, TruncatedOrForeignFilesGiveClearErrors) {
  const auto s = sample(40, 3);
  const std::string path = temp_path("trunc.h5");
  {
    io::H5mdWriter w(path, s.species, io::H5mdOptions{});
    std::vector<int> ids(40);
    for (int i = 0; i < 40; ++i) ids[i] = i;
    for (int t = 0; t < 3; ++t) w.write_frame(t, t, s.box, ids, s.pos[t], s.vel[t], {});
  }
  fs::resize_file(path, fs::file_size(path) / 2);
  try {
    io::read_h5md(path);
    FAIL() << "a truncated file was read";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(path), std::string::npos) << e.what();
  }
  std::ofstream(path) << "not hdf5\n";
  try {
    io::read_h5md(path);
    FAIL() << "a text file was read";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("not an HDF5 file"), std::string::npos) << e.what();
  }
  fs::remove(path);
}

#include "vitrum/analysis/trajectory.hpp"

TEST(H5md, AnalysisReadsH5mdTrajectories) {
  const auto s = sample(30, 3);
  const std::string path = temp_path("ana.h5");
  {
    io::H5mdWriter w(path, s.species, io::H5mdOptions{});
    std::vector<int> ids(30);
    for (int i = 0; i < 30; ++i) ids[i] = i;
    for (int t = 0; t < 3; ++t) w.write_frame(10 * t, 5.0 * t, s.box, ids, s.pos[t], s.vel[t], {});
  }
  const auto traj = analysis::read_trajectory(path);
  ASSERT_EQ(traj.n_frames(), 3u);
  EXPECT_EQ(traj.species, s.species);
  EXPECT_DOUBLE_EQ(traj.frames[2].time, 10.0);
  EXPECT_EQ(traj.frames[1].step, 10);
  EXPECT_EQ(traj.frames[1].positions[7].y, s.pos[1][7].y);
  fs::remove(path);
}
