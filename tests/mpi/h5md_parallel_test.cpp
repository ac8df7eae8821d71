// Parallel H5MD: every rank writes its own (scattered) atoms through collective parallel HDF5;
// the file equals what one rank would write. Run by ctest under mpiexec at 1, 2 and 4 ranks.
#include <gtest/gtest.h>
#include <hdf5.h>
#include <mpi.h>
#include <unistd.h>

#include <filesystem>

#include "vitrum/core/error.hpp"
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
    io::H5mdWriter w(path, species, io::H5mdOptions{true, false, 4}, MPI_COMM_WORLD);
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
    const auto frames = io::read_h5md(path, &sp);
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

// Each rank passes the species of its own atoms only (scattered, a rank may hold none): the
// file holds every species and id; reopening checks each rank's atoms, and a mismatch on one
// rank is an error on every rank.
TEST(H5mdParallel, RanksWriteTheSpeciesOfTheirOwnAtoms) {
  int rank = 0, size = 1;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  const int n = 37;
  auto species_of = [](int i) { return i % 5 == 0 ? 14 : 8; };
  Box box;
  box.periodic = true;
  box.h[0] = {10, 0, 0};
  box.h[1] = {0, 11, 0};
  box.h[2] = {0, 0, 12};
  std::string path =
      (std::filesystem::temp_directory_path() / "vitrum_h5md_parallel_local.h5").string();
  long pid = ::getpid();
  MPI_Bcast(&pid, 1, MPI_LONG, 0, MPI_COMM_WORLD);
  path += "." + std::to_string(pid) + "." + std::to_string(size);
  // The last rank holds nothing (with several ranks); the others take every (size-1)-th atom,
  // the highest id first.
  std::vector<int> ids, species;
  std::vector<Vec3> p;
  const int holders = size > 1 ? size - 1 : 1;
  if (rank < holders)
    for (int i = n - 1 - rank; i >= 0; i -= holders) {
      ids.push_back(i);
      species.push_back(species_of(i));
      p.push_back(Vec3{0.1 * i, 0.2, 0.3});
    }
  const io::H5mdOptions opt{false, false, 4};
  {
    io::H5mdWriter w(path, n, ids, species, opt, MPI_COMM_WORLD);
    w.write_frame(0, 0.0, box, ids, p, {}, {});
    w.close();
  }
  MPI_Barrier(MPI_COMM_WORLD);
  if (rank == 0) {
    std::vector<int> sp;
    const auto frames = io::read_h5md(path, &sp);
    ASSERT_EQ(frames.size(), 1u);
    ASSERT_EQ(sp.size(), static_cast<std::size_t>(n));
    for (int i = 0; i < n; ++i) {
      EXPECT_EQ(sp[i], species_of(i));
      EXPECT_EQ(frames[0].positions[i].x, 0.1 * i);
    }
    hid_t f = H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
    hid_t d = H5Dopen2(f, "/particles/all/id", H5P_DEFAULT);
    std::vector<int> stored(n, -1);
    EXPECT_GE(H5Dread(d, H5T_NATIVE_INT, H5S_ALL, H5S_ALL, H5P_DEFAULT, stored.data()), 0);
    for (int i = 0; i < n; ++i) EXPECT_EQ(stored[i], i);
    H5Dclose(d);
    H5Fclose(f);
  }
  MPI_Barrier(MPI_COMM_WORLD);
  {  // continued with the same atoms: fine
    auto w = io::H5mdWriter::reopen(path, n, ids, species, opt, 0, MPI_COMM_WORLD);
    EXPECT_EQ(w->frames(), 1);
    w->close();
  }
  {  // one atom of another species on rank 0 only: every rank throws
    std::vector<int> other = species;
    if (rank == 0 && !other.empty()) other[0] = 1;
    EXPECT_THROW(io::H5mdWriter::reopen(path, n, ids, other, opt, 0, MPI_COMM_WORLD), Error);
  }
  {  // an id out of range on rank 0 only: every rank throws
    std::vector<int> bad = ids;
    if (rank == 0 && !bad.empty()) bad[0] = n;
    EXPECT_THROW(io::H5mdWriter::reopen(path, n, bad, species, opt, 0, MPI_COMM_WORLD), Error);
  }
  MPI_Barrier(MPI_COMM_WORLD);
  if (rank == 0) std::filesystem::remove(path);
}
