#pragma once
// Shared by the MPI campaign tests (restart_parallel_test.cpp, device_campaign_mpi_test.cpp): the
// world rank and size, a scratch directory shared by all ranks, and a campaign run on all ranks.
#include <mpi.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <string>

#include "../restart/restart_test_util.hpp"
#include "vitrum/md/campaign.hpp"
#include "vitrum/md/run_config.hpp"

namespace vitrum::md {
namespace {

int world_rank() {
  int r = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &r);
  return r;
}
int world_size() {
  int s = 1;
  MPI_Comm_size(MPI_COMM_WORLD, &s);
  return s;
}

/// A scratch directory shared by all ranks (named by rank 0's pid), removed afterwards.
class SharedScratch {
 public:
  explicit SharedScratch(const std::string& tag) {
    long pid = ::getpid();
    MPI_Bcast(&pid, 1, MPI_LONG, 0, MPI_COMM_WORLD);
    path_ =
        std::filesystem::temp_directory_path() / ("vitrum_mpi_" + tag + "_" + std::to_string(pid));
    if (world_rank() == 0) {
      std::filesystem::remove_all(path_);
      std::filesystem::create_directories(path_);
    }
    MPI_Barrier(MPI_COMM_WORLD);
  }
  ~SharedScratch() {
    MPI_Barrier(MPI_COMM_WORLD);
    if (world_rank() == 0 && !std::getenv("VITRUM_KEEP_SCRATCH"))
      std::filesystem::remove_all(path_);
  }
  std::string file(const std::string& name) const { return (path_ / name).string(); }
  std::string path() const { return path_.string(); }

 private:
  std::filesystem::path path_;
};

/// Runs a campaign on all ranks (collective): rank 0 writes the file; every rank returns after
/// rank 0 has closed its outputs.
RunSummary run_collective(const std::string& config_text, const std::string& file,
                          RunOptions o = {}) {
  if (world_rank() == 0) test::write_text(file, config_text);
  MPI_Barrier(MPI_COMM_WORLD);
  const RunConfig c = parse_run_config(file);
  o.quiet = true;
  o.threads = 1;
  RunSummary r = run_campaign(c, o);
  MPI_Barrier(MPI_COMM_WORLD);
  return r;
}

}  // namespace
}  // namespace vitrum::md
