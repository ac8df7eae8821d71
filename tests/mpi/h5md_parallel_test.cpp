// Parallel H5MD: every rank writes its own (scattered) atoms through collective parallel HDF5;
// the file equals what one rank would write. Run by ctest under mpiexec at 1, 2 and 4 ranks.
#include <gtest/gtest.h>
#include <mpi.h>

#include <filesystem>

#include "vitrum/io/h5md.hpp"

using namespace vitrum;

TEST(H5mdParallel, RanksWriteTheirAtomsCollectively) {
  int rank = 0, size = 1;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  const int n = 101;
  std::vector<int> species(n);
  for (int i = 0; i < n; ++i) species[i] = i % 3 == 0 ? 14 : 8;
  Box box;
  box.periodic = true;
  box.h[0] = {10, 0, 0};
  box.h[1] = {0, 11, 0};
  box.h[2] = {0, 0, 12};
  auto position = [](int t, int i) { return Vec3{0.1 * i + t, 0.2 * i - t, 0.3 * i * t}; };
  std::string path = (std::filesystem::temp_directory_path() / "vitrum_h5md_parallel.h5").string();
  // Every rank must use the same name: take rank 0's pid.
  long pid = ::getpid();
  MPI_Bcast(&pid, 1, MPI_LONG, 0, MPI_COMM_WORLD);
  path += "." + std::to_string(pid) + "." + std::to_string(size);
  {
    H5mdWriter w(path, species, H5mdOptions{true, false, 4}, MPI_COMM_WORLD);
    for (int t = 0; t < 3; ++t) {
      std::vector<int> ids;
      std::vector<Vec3> p, v;
      for (int i = rank; i < n; i += size) {  // scattered ownership
        ids.push_back(i);
        p.push_back(position(t, i));
        v.push_back(Vec3{1.0 * i, 0, -1.0 * t});
      }
      w.write_frame(t * 10, t * 5.0, box, ids, p, v, {});
    }
  }
  MPI_Barrier(MPI_COMM_WORLD);
  if (rank == 0) {
    std::vector<int> sp;
    const auto frames = read_h5md(path, &sp);
    ASSERT_EQ(frames.size(), 3u);
    EXPECT_EQ(sp, species);
    for (int t = 0; t < 3; ++t) {
      EXPECT_EQ(frames[t].step, t * 10);
      for (int i = 0; i < n; ++i) {
        for (int d = 0; d < 3; ++d) EXPECT_EQ(frames[t].positions[i][d], position(t, i)[d]);
        EXPECT_EQ(frames[t].velocities[i].x, 1.0 * i);
      }
    }
    std::filesystem::remove(path);
  }
}
