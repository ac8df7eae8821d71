// The ranks of one node are numbered 0..L-1 (MPI_COMM_TYPE_SHARED), which is what spreads them
// over the node's GPUs. Run by ctest under mpiexec at 1, 2, 4 and 8 ranks, all on this machine.
#include <gtest/gtest.h>
#include <mpi.h>

#include <algorithm>
#include <vector>

#include "vitrum/parallel/device_binding.hpp"

using namespace vitrum;

TEST(NodePlacement, RanksOfThisMachineAreNumberedOnceEach) {
  const parallel::Comm world = parallel::Comm::world();
  const parallel::NodePlacement p = parallel::node_placement(world);
  EXPECT_EQ(p.local_size, world.size());  // one node
  std::vector<int> all(world.size(), -1);
  MPI_Allgather(&p.local_rank, 1, MPI_INT, all.data(), 1, MPI_INT, MPI_COMM_WORLD);
  std::sort(all.begin(), all.end());
  for (int r = 0; r < world.size(); ++r) EXPECT_EQ(all[r], r);
  // Spread over 2 GPUs: both are used once there are two ranks.
  std::vector<int> dev(world.size());
  for (int r = 0; r < world.size(); ++r)
    dev[r] = parallel::choose_device(parallel::NodePlacement{all[r], p.local_size}, 2);
  if (world.size() >= 2) EXPECT_NE(std::count(dev.begin(), dev.end(), 0), world.size());
}
