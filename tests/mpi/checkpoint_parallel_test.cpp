// Checkpoints written collectively by several ranks, each holding scattered atoms (as after
// domain-decomposition migrations): the file equals the one-rank file value for value, and is
// read back whole or in any block of ids. Run by ctest under mpiexec at 1, 2 and 4 ranks.
#include <gtest/gtest.h>
#include <mpi.h>
#include <unistd.h>

#include <filesystem>

#include "vitrum/md/checkpoint.hpp"

using namespace vitrum;
using namespace vitrum::md;

namespace {

Vec3 position(long i) {
  return {0.1 * i, -0.2 * i + 3, 0.01 * i * i};
}
Vec3 velocity(long i) {
  return {1e-3 * i, 0.5, -1e-4 * i};
}

}  // namespace

TEST(CheckpointParallel, RanksWriteTheirAtomsByIdAndAnyBlockReadsBack) {
  int rank = 0, size = 1;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  const long n = 1001;
  Checkpoint ck;
  ck.system.box.periodic = true;
  ck.system.box.h[0] = {20, 0, 0};
  ck.system.box.h[1] = {0, 21, 0};
  ck.system.box.h[2] = {0, 0, 22};
  ck.rebuild.box = ck.system.box;
  ck.system.step = 500;
  ck.stage = 0;
  ck.step_in_stage = 500;
  ck.n_stages = 1;
  ck.ensemble = "nve";
  ck.config_fingerprint = "md.seed = 1\n";
  ck.config_hash = fingerprint_hash(ck.config_fingerprint);
  // Scattered ownership in descending id order: not contiguous, not sorted.
  for (long i = n - 1 - rank; i >= 0; i -= size) {
    ck.ids.push_back(i);
    ck.system.species.push_back(i % 3 == 0 ? 14 : 8);
    ck.system.mass.push_back(i % 3 == 0 ? 28.0855 : 15.9994);
    ck.system.positions.push_back(position(i));
    ck.system.velocities.push_back(velocity(i));
    ck.system.forces.push_back({1.0 * i, 2.0, 3.0});
    ck.system.image.push_back({static_cast<int>(i % 4), 0, -1});
    ck.rebuild.positions.push_back(position(i));
  }
  long pid = ::getpid();
  MPI_Bcast(&pid, 1, MPI_LONG, 0, MPI_COMM_WORLD);
  const std::string path =
      (std::filesystem::temp_directory_path() /
       ("vitrum_ck_parallel_" + std::to_string(pid) + "_" + std::to_string(size) + ".h5"))
          .string();
  write_checkpoint(path, ck, MPI_COMM_WORLD);
  MPI_Barrier(MPI_COMM_WORLD);
  // Every rank reads the whole file, and its own block of ids (a restart on `size` ranks).
  const Checkpoint all = read_checkpoint(path);
  EXPECT_EQ(all.n_atoms_total, n);
  EXPECT_EQ(all.writer_ranks, size);
  ASSERT_EQ(all.system.size(), n);
  for (long i = 0; i < n; ++i) {
    for (int d = 0; d < 3; ++d) {
      ASSERT_EQ(all.system.positions[i][d], position(i)[d]) << i;
      ASSERT_EQ(all.system.velocities[i][d], velocity(i)[d]) << i;
    }
    ASSERT_EQ(all.system.forces[i].x, 1.0 * i);
    ASSERT_EQ(all.system.species[i], i % 3 == 0 ? 14 : 8);
    ASSERT_EQ(all.system.image[i][0], static_cast<int>(i % 4));
  }
  const long first = n * rank / size, last = n * (rank + 1) / size;
  const Checkpoint mine = read_checkpoint(path, first, last - first);
  ASSERT_EQ(mine.system.size(), last - first);
  for (long k = 0; k < last - first; ++k) {
    ASSERT_EQ(mine.ids[k], first + k);
    ASSERT_EQ(mine.system.positions[k].z, position(first + k).z);
  }
  MPI_Barrier(MPI_COMM_WORLD);
  if (rank == 0) std::filesystem::remove(path);
}
