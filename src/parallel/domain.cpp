/// \file domain.cpp
/// The Cartesian grid of ranks over a periodic cell (see domain.hpp).

#include "vitrum/parallel/domain.hpp"

#include <fmt/format.h>

#include <cmath>
#include <exception>

#include "vitrum/core/error.hpp"

namespace vitrum::parallel {

std::array<int, 3> choose_grid(int ranks, const Box& box) {
  if (ranks < 1) fail("domain decomposition needs at least one rank, got {}", ranks);
  if (!box.periodic)
    fail("domain decomposition needs a periodic cell; the structure is not periodic");
  const Vec3 height = box.heights();
  for (int d = 0; d < 3; ++d) {
    if (!(height[d] > 0.0) || !std::isfinite(height[d]))
      fail("domain decomposition: the cell has zero or invalid height {} along cell vector {}",
           height[d], "abc"[d]);
  }
  std::array<int, 3> best{ranks, 1, 1};
  double best_cost = INFINITY;
  for (int a = ranks; a >= 1; --a) {
    if (ranks % a != 0) continue;
    for (int b = ranks / a; b >= 1; --b) {
      if ((ranks / a) % b != 0) continue;
      const int c = ranks / a / b;
      const double cost = a / height[0] + b / height[1] + c / height[2];
      if (cost < best_cost * (1.0 - 1e-12)) {
        best_cost = cost;
        best = {a, b, c};
      }
    }
  }
  return best;
}

Domain::Domain(const Comm& comm, const Box& box, std::array<int, 3> grid) : comm_(comm) {
  if (grid[0] == 0 && grid[1] == 0 && grid[2] == 0) grid = choose_grid(comm.size(), box);
  if (!box.periodic)
    fail("domain decomposition needs a periodic cell; the structure is not periodic");
  if (grid[0] < 1 || grid[1] < 1 || grid[2] < 1 || grid[0] * grid[1] * grid[2] != comm.size())
    fail("domain decomposition: a grid of {} x {} x {} ranks does not match the {} rank(s) running",
         grid[0], grid[1], grid[2], comm.size());
  grid_ = grid;
  if (comm.size() == 1) {
    // One rank: every neighbor is this rank; no communicator is needed.
    return;
  }
#ifdef VITRUM_HAVE_MPI
  const int periods[3] = {1, 1, 1};
  MPI_Comm cart = MPI_COMM_NULL;
  MPI_Cart_create(comm.mpi(), 3, grid_.data(), periods, 0, &cart);
  comm_ = Comm(cart);
  owns_comm_ = true;
  MPI_Cart_coords(cart, comm_.rank(), 3, coords_.data());
  for (int d = 0; d < 3; ++d) MPI_Cart_shift(cart, d, 1, &neighbor_[d][0], &neighbor_[d][1]);
#else
  fail("domain decomposition over {} ranks needs a build with MPI", comm.size());
#endif
}

Domain::~Domain() {
#ifdef VITRUM_HAVE_MPI
  // MPI_Comm_free is collective in the standard: not while an exception unwinds the stack,
  // which may be an error raised on this rank only (the job then ends in main's MPI_Abort).
  if (owns_comm_ && std::uncaught_exceptions() == 0) {
    MPI_Comm c = comm_.mpi();
    int finalised = 0;
    MPI_Finalized(&finalised);
    if (!finalised) MPI_Comm_free(&c);
  }
#endif
}

int Domain::rank_of(const std::array<int, 3>& c) const {
  if (comm_.size() == 1) return 0;
  int r = 0;
#ifdef VITRUM_HAVE_MPI
  MPI_Cart_rank(comm_.mpi(), c.data(), &r);
#else
  (void)c;
#endif
  return r;
}

std::string Domain::describe(const Box& box) const {
  const Vec3 h = box.heights();
  return fmt::format("{} x {} x {} ranks, subdomains {:.4g} x {:.4g} x {:.4g} Å thick", grid_[0],
                     grid_[1], grid_[2], h[0] / grid_[0], h[1] / grid_[1], h[2] / grid_[2]);
}

}  // namespace vitrum::parallel
