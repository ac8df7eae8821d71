#pragma once
/// \file comm.hpp
/// The ranks that share one computation: a thin value wrapper around an MPI communicator with the
/// few collective operations the MD engine needs (sums, extrema, broadcast, gather), and a serial
/// stand-in (one rank, no MPI call at all) that is the default everywhere. A communicator of one
/// rank makes no MPI call either, so a one-rank run gives the same bits as a serial one.
///
/// MpiSession decides once per program whether MPI is used: only when the process was started by
/// an MPI launcher (mpiexec/mpirun, srun with PMI/PMIx), or when VITRUM_MPI=1 forces it;
/// VITRUM_MPI=0 keeps a launched process serial. A plain `vitrum ...` never initialises MPI.

#include <cstddef>
#include <cstdint>
#include <vector>

#ifdef VITRUM_HAVE_MPI
#include <mpi.h>
#endif

namespace vitrum::parallel {

/// A communicator (not owned: whoever created it frees it), or the serial stand-in.
class Comm {
 public:
  /// Serial: rank 0 of 1, no MPI.
  Comm() = default;
#ifdef VITRUM_HAVE_MPI
  /// Wraps `comm` (MPI must be initialised; MPI_COMM_NULL gives the serial stand-in).
  explicit Comm(MPI_Comm comm);
  /// The MPI communicator (MPI_COMM_NULL for the serial stand-in).
  MPI_Comm mpi() const {
    return comm_;
  }
#endif
  /// MPI_COMM_WORLD when MPI is initialised, the serial stand-in otherwise.
  static Comm world();

  int rank() const {
    return rank_;
  }
  int size() const {
    return size_;
  }
  bool is_root() const {
    return rank_ == 0;
  }

  /// In-place element-wise sums over the ranks (MPI_Allreduce). Unsigned sums wrap modulo 2^64,
  /// so they are independent of the order of summation.
  void sum(double* values, int n) const;
  void sum(std::int64_t* values, int n) const;
  void sum(std::uint64_t* values, int n) const;
  double sum(double value) const {
    sum(&value, 1);
    return value;
  }
  /// In-place element-wise maxima / minima over the ranks.
  void max(double* values, int n) const;
  void max(int* values, int n) const;
  void min(double* values, int n) const;
  void min(std::int64_t* values, int n) const;
  /// True on every rank when `flag` is true on any rank.
  bool any(bool flag) const;
  /// Replaces `value` by its minimum over the ranks and returns the lowest rank holding it.
  int min_location(double& value) const;
  /// Copies `bytes` bytes at `data` from rank `root` to every rank.
  void broadcast(void* data, std::size_t bytes, int root) const;
  /// Concatenates every rank's bytes on `root` in rank order (other ranks get an empty vector).
  std::vector<std::byte> gather(const void* data, std::size_t bytes, int root) const;
  /// Personalised all-to-all exchange of ints (MPI_Alltoall of the counts, then
  /// MPI_Alltoallv): `send` holds send_counts[0] values for rank 0, then send_counts[1] for rank
  /// 1, ... (send_counts has size() entries). Returns what the ranks sent to this one, in rank
  /// order. The serial stand-in returns `send`. Throws vitrum::Error when the values received
  /// exceed what one MPI message holds.
  std::vector<int> alltoallv(const std::vector<int>& send,
                             const std::vector<int>& send_counts) const;
  void barrier() const;
  /// MPI_Sendrecv of `n_send` doubles to `dest` and `n_recv` doubles from `source`. The
  /// addresses may be device memory when the MPI library is CUDA-aware (gpu_mpi.hpp). Throws
  /// vitrum::Error when a count exceeds what one MPI message holds, or without MPI.
  void sendrecv(const double* send, long n_send, int dest, double* recv, long n_recv, int source,
                int tag) const;

 private:
#ifdef VITRUM_HAVE_MPI
  MPI_Comm comm_ = MPI_COMM_NULL;
#endif
  int rank_ = 0;
  int size_ = 1;
};

/// True when the process was started by an MPI launcher (or VITRUM_MPI=1; VITRUM_MPI=0: false).
bool launched_by_mpi();

/// MPI for the lifetime of the program (the CLI's main): initialised only when launched_by_mpi()
/// and finalised by the destructor. Without MPI support compiled in it does nothing.
class MpiSession {
 public:
  MpiSession(int& argc, char**& argv);
  ~MpiSession();
  MpiSession(const MpiSession&) = delete;
  MpiSession& operator=(const MpiSession&) = delete;

  /// Whether this session initialised MPI.
  bool active() const { return active_; }
  /// Ends every rank at once (MPI_Abort) when more than one rank runs: the way out after an error
  /// that other ranks, waiting in a collective operation, cannot see. Returns otherwise.
  void abort_all(int code) const;

 private:
  bool active_ = false;
};

}  // namespace vitrum::parallel
