/// \file comm.cpp
/// Collective operations of parallel::Comm; every one returns at once for a single rank, so a
/// one-rank run makes no MPI call and gives the bits of a serial run.

#include "vitrum/parallel/comm.hpp"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <string>

#include "vitrum/core/error.hpp"

namespace vitrum::parallel {

#ifdef VITRUM_HAVE_MPI
Comm::Comm(MPI_Comm comm) : comm_(comm) {
  if (comm_ != MPI_COMM_NULL) {
    MPI_Comm_rank(comm_, &rank_);
    MPI_Comm_size(comm_, &size_);
  }
}
#endif

Comm Comm::world() {
#ifdef VITRUM_HAVE_MPI
  int initialised = 0, finalised = 0;
  MPI_Initialized(&initialised);
  MPI_Finalized(&finalised);
  if (initialised && !finalised) return Comm(MPI_COMM_WORLD);
#endif
  return Comm();
}

void Comm::sum(double* values, int n) const {
  if (size_ == 1) return;
#ifdef VITRUM_HAVE_MPI
  MPI_Allreduce(MPI_IN_PLACE, values, n, MPI_DOUBLE, MPI_SUM, comm_);
#endif
}

void Comm::sum(std::int64_t* values, int n) const {
  if (size_ == 1) return;
#ifdef VITRUM_HAVE_MPI
  MPI_Allreduce(MPI_IN_PLACE, values, n, MPI_INT64_T, MPI_SUM, comm_);
#endif
}

void Comm::sum(std::uint64_t* values, int n) const {
  if (size_ == 1) return;
#ifdef VITRUM_HAVE_MPI
  MPI_Allreduce(MPI_IN_PLACE, values, n, MPI_UINT64_T, MPI_SUM, comm_);
#endif
}

void Comm::max(double* values, int n) const {
  if (size_ == 1) return;
#ifdef VITRUM_HAVE_MPI
  MPI_Allreduce(MPI_IN_PLACE, values, n, MPI_DOUBLE, MPI_MAX, comm_);
#endif
}

void Comm::max(int* values, int n) const {
  if (size_ == 1) return;
#ifdef VITRUM_HAVE_MPI
  MPI_Allreduce(MPI_IN_PLACE, values, n, MPI_INT, MPI_MAX, comm_);
#endif
}

void Comm::min(double* values, int n) const {
  if (size_ == 1) return;
#ifdef VITRUM_HAVE_MPI
  MPI_Allreduce(MPI_IN_PLACE, values, n, MPI_DOUBLE, MPI_MIN, comm_);
#endif
}

void Comm::min(std::int64_t* values, int n) const {
  if (size_ == 1) return;
#ifdef VITRUM_HAVE_MPI
  MPI_Allreduce(MPI_IN_PLACE, values, n, MPI_INT64_T, MPI_MIN, comm_);
#endif
}

bool Comm::any(bool flag) const {
  if (size_ == 1) return flag;
  int v = flag ? 1 : 0;
#ifdef VITRUM_HAVE_MPI
  MPI_Allreduce(MPI_IN_PLACE, &v, 1, MPI_INT, MPI_LOR, comm_);
#endif
  return v != 0;
}

int Comm::min_location(double& value) const {
  if (size_ == 1) return 0;
  struct {
    double value;
    int rank;
  } in{value, rank_}, out{value, rank_};
#ifdef VITRUM_HAVE_MPI
  MPI_Allreduce(&in, &out, 1, MPI_DOUBLE_INT, MPI_MINLOC, comm_);
#endif
  value = out.value;
  return out.rank;
}

void Comm::broadcast(void* data, std::size_t bytes, int root) const {
  if (size_ == 1) return;
#ifdef VITRUM_HAVE_MPI
  MPI_Bcast(data, static_cast<int>(bytes), MPI_BYTE, root, comm_);
#else
  (void)data, (void)bytes, (void)root;
#endif
}

std::vector<std::byte> Comm::gather(const void* data, std::size_t bytes, int root) const {
  std::vector<std::byte> out;
  if (size_ == 1) {
    out.resize(bytes);
    if (bytes > 0) std::memcpy(out.data(), data, bytes);
    return out;
  }
#ifdef VITRUM_HAVE_MPI
  if (bytes > static_cast<std::size_t>(INT32_MAX))
    fail("Comm::gather: {} bytes from rank {} exceed what one MPI message holds", bytes, rank_);
  int mine = static_cast<int>(bytes);
  std::vector<int> counts(rank_ == root ? size_ : 0), displs;
  MPI_Gather(&mine, 1, MPI_INT, counts.data(), 1, MPI_INT, root, comm_);
  if (rank_ == root) {
    displs.resize(size_);
    std::size_t total = 0;
    for (int r = 0; r < size_; ++r) {
      if (total > static_cast<std::size_t>(INT32_MAX))
        fail("Comm::gather: more than 2 GiB gathered on rank {}", root);
      displs[r] = static_cast<int>(total);
      total += static_cast<std::size_t>(counts[r]);
    }
    out.resize(total);
  }
  MPI_Gatherv(data, mine, MPI_BYTE, out.data(), counts.data(), displs.data(), MPI_BYTE, root,
              comm_);
#else
  (void)root;
#endif
  return out;
}

std::vector<int> Comm::alltoallv(const std::vector<int>& send,
                                 const std::vector<int>& send_counts) const {
  if (static_cast<int>(send_counts.size()) != size_)
    fail("Comm::alltoallv: {} send counts for {} ranks", send_counts.size(), size_);
  if (size_ == 1) return send;
  std::vector<int> out;
#ifdef VITRUM_HAVE_MPI
  std::vector<int> send_displs(size_), recv_counts(size_), recv_displs(size_);
  long long total = 0;
  for (int r = 0; r < size_; ++r) {
    send_displs[r] = static_cast<int>(total);
    total += send_counts[r];
  }
  if (total != static_cast<long long>(send.size()))
    fail("Comm::alltoallv: send counts add up to {} but {} values are given", total, send.size());
  MPI_Alltoall(send_counts.data(), 1, MPI_INT, recv_counts.data(), 1, MPI_INT, comm_);
  total = 0;
  for (int r = 0; r < size_; ++r) {
    recv_displs[r] = static_cast<int>(std::min<long long>(total, INT32_MAX));
    total += recv_counts[r];
  }
  // Every rank learns whether any receiver overflows, so that all throw together.
  int overflow = total > INT32_MAX ? 1 : 0;
  MPI_Allreduce(MPI_IN_PLACE, &overflow, 1, MPI_INT, MPI_LOR, comm_);
  if (overflow)
    fail("Comm::alltoallv: more than 2^31 values for one rank exceed what one MPI message holds");
  out.resize(static_cast<std::size_t>(total));
  MPI_Alltoallv(send.data(), send_counts.data(), send_displs.data(), MPI_INT, out.data(),
                recv_counts.data(), recv_displs.data(), MPI_INT, comm_);
#endif
  return out;
}

void Comm::barrier() const {
  if (size_ == 1) return;
#ifdef VITRUM_HAVE_MPI
  MPI_Barrier(comm_);
#endif
}

void Comm::sendrecv(const double* send, long n_send, int dest, double* recv, long n_recv,
                    int source, int tag) const {
  if (n_send < 0 || n_recv < 0 || n_send > INT32_MAX || n_recv > INT32_MAX)
    fail("Comm::sendrecv: {} / {} values exceed what one MPI message holds", n_send, n_recv);
#ifdef VITRUM_HAVE_MPI
  MPI_Sendrecv(send, static_cast<int>(n_send), MPI_DOUBLE, dest, tag, recv,
               static_cast<int>(n_recv), MPI_DOUBLE, source, tag, comm_, MPI_STATUS_IGNORE);
#else
  (void)send, (void)dest, (void)recv, (void)source, (void)tag;
  fail("Comm::sendrecv: a neighbor on another rank needs a build with MPI");
#endif
}

bool launched_by_mpi() {
  if (const char* force = std::getenv("VITRUM_MPI")) {
    const std::string v(force);
    if (v == "0" || v == "off" || v == "no") return false;
    if (v == "1" || v == "on" || v == "yes") return true;
  }
  // A child of a singleton MPI process (e.g. a test executable that called MPI_Init without a
  // launcher and runs `vitrum`) inherits PMIX_* variables from it but was not launched as a rank.
  if (const char* ess = std::getenv("OMPI_MCA_ess");
      ess != nullptr && std::string(ess) == "singleton")
    return false;
  // Open MPI (mpirun), MPICH/Intel MPI (Hydra: PMI), PMIx launchers (srun --mpi=pmix, prterun),
  // MVAPICH.
  for (const char* name :
       {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMI_RANK", "PMIX_RANK", "MV2_COMM_WORLD_SIZE"}) {
    if (std::getenv(name) != nullptr) return true;
  }
  return false;
}

MpiSession::MpiSession(int& argc, char**& argv) {
#ifdef VITRUM_HAVE_MPI
  int initialised = 0;
  MPI_Initialized(&initialised);
  if (!initialised && launched_by_mpi()) {
    // Funneled: OpenMP threads compute, the main thread alone communicates.
    int provided = 0;
    MPI_Init_thread(&argc, &argv, MPI_THREAD_FUNNELED, &provided);
    active_ = true;
  }
#else
  (void)argc, (void)argv;
#endif
}

MpiSession::~MpiSession() {
#ifdef VITRUM_HAVE_MPI
  if (active_) MPI_Finalize();
#endif
}

void MpiSession::abort_all(int code) const {
#ifdef VITRUM_HAVE_MPI
  if (!active_) return;
  int size = 1;
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  if (size > 1) MPI_Abort(MPI_COMM_WORLD, code);
#else
  (void)code;
#endif
}

}  // namespace vitrum::parallel
