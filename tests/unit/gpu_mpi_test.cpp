// GPU-aware MPI mode: parsing, the choice between device pointers and pinned host staging, the
// environment override, and what the MPI library of this build reports.
#include "vitrum/parallel/gpu_mpi.hpp"

#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>

#include "vitrum/core/error.hpp"

using namespace vitrum;
using parallel::choose_gpu_mpi;
using parallel::GpuMpiMode;
using parallel::GpuMpiSupport;

namespace {

bool contains(const std::string& s, const std::string& part) {
  return s.find(part) != std::string::npos;
}

/// Sets VITRUM_GPU_AWARE_MPI for one scope and restores what was there.
class EnvGuard {
 public:
  explicit EnvGuard(const char* value) {
    if (const char* old = std::getenv(kName)) old_ = old;
    if (value != nullptr)
      ::setenv(kName, value, 1);
    else
      ::unsetenv(kName);
  }
  ~EnvGuard() {
    if (old_)
      ::setenv(kName, old_->c_str(), 1);
    else
      ::unsetenv(kName);
  }
  EnvGuard(const EnvGuard&) = delete;
  EnvGuard& operator=(const EnvGuard&) = delete;

 private:
  static constexpr const char* kName = "VITRUM_GPU_AWARE_MPI";
  std::optional<std::string> old_;
};

}  // namespace

TEST(GpuMpi, ParseAcceptsAutoOnOff) {
  EXPECT_EQ(parallel::parse_gpu_mpi_mode("auto", "x"), GpuMpiMode::Auto);
  EXPECT_EQ(parallel::parse_gpu_mpi_mode("on", "x"), GpuMpiMode::On);
  EXPECT_EQ(parallel::parse_gpu_mpi_mode("off", "x"), GpuMpiMode::Off);
  for (GpuMpiMode m : {GpuMpiMode::Auto, GpuMpiMode::On, GpuMpiMode::Off})
    EXPECT_EQ(parallel::parse_gpu_mpi_mode(parallel::to_string(m), "x"), m);
  EXPECT_EQ(parallel::to_string(GpuMpiMode::Auto), "auto");
  EXPECT_EQ(parallel::to_string(GpuMpiMode::On), "on");
  EXPECT_EQ(parallel::to_string(GpuMpiMode::Off), "off");
}

TEST(GpuMpi, ParseRejectsOthersNamingWhere) {
  for (const char* bad : {"ON", "Auto", "yes", "true", "1", "", " on"}) {
    try {
      parallel::parse_gpu_mpi_mode(bad, "--gpu-aware-mpi");
      ADD_FAILURE() << "accepted '" << bad << "'";
    } catch (const Error& e) {
      const std::string msg = e.what();
      EXPECT_TRUE(contains(msg, "--gpu-aware-mpi")) << msg;
      EXPECT_TRUE(contains(msg, std::string("\"") + bad + "\"")) << msg;
      for (const char* ok : {"auto", "on", "off"}) EXPECT_TRUE(contains(msg, ok)) << msg;
    }
  }
}

TEST(GpuMpi, ChoiceTruthTable) {
  const GpuMpiSupport yes{1, "query A"};
  const GpuMpiSupport no{0, "query B"};
  const GpuMpiSupport unknown{-1, "no query in this MPI library"};

  auto c = choose_gpu_mpi(GpuMpiMode::Auto, yes);
  EXPECT_TRUE(c.direct);
  EXPECT_TRUE(contains(c.describe, "device pointers")) << c.describe;
  EXPECT_TRUE(contains(c.describe, "query A")) << c.describe;

  c = choose_gpu_mpi(GpuMpiMode::Auto, no);
  EXPECT_FALSE(c.direct);
  EXPECT_TRUE(contains(c.describe, "pinned host staging")) << c.describe;
  EXPECT_TRUE(contains(c.describe, "query B")) << c.describe;

  c = choose_gpu_mpi(GpuMpiMode::Auto, unknown);
  EXPECT_FALSE(c.direct);
  EXPECT_TRUE(contains(c.describe, "pinned host staging")) << c.describe;

  c = choose_gpu_mpi(GpuMpiMode::On, no);
  EXPECT_TRUE(c.direct);
  EXPECT_TRUE(contains(c.describe, "device pointers")) << c.describe;
  EXPECT_TRUE(contains(c.describe, "query B reports no CUDA support")) << c.describe;
  EXPECT_TRUE(contains(c.describe, "may fail")) << c.describe;

  c = choose_gpu_mpi(GpuMpiMode::On, yes);
  EXPECT_TRUE(c.direct);
  EXPECT_FALSE(contains(c.describe, "may fail")) << c.describe;

  c = choose_gpu_mpi(GpuMpiMode::Off, yes);
  EXPECT_FALSE(c.direct);
  EXPECT_TRUE(contains(c.describe, "pinned host staging")) << c.describe;
  EXPECT_TRUE(contains(c.describe, "off")) << c.describe;
}

TEST(GpuMpi, EnvironmentOverridesTheConfiguredMode) {
  {
    EnvGuard env(nullptr);
    EXPECT_EQ(parallel::gpu_mpi_mode_from_env(GpuMpiMode::Off), GpuMpiMode::Off);
    EXPECT_EQ(parallel::gpu_mpi_mode_from_env(GpuMpiMode::Auto), GpuMpiMode::Auto);
  }
  {
    EnvGuard env("");  // set but empty: ignored
    EXPECT_EQ(parallel::gpu_mpi_mode_from_env(GpuMpiMode::On), GpuMpiMode::On);
  }
  {
    EnvGuard env("on");
    EXPECT_EQ(parallel::gpu_mpi_mode_from_env(GpuMpiMode::Off), GpuMpiMode::On);
  }
  {
    EnvGuard env("off");
    EXPECT_EQ(parallel::gpu_mpi_mode_from_env(GpuMpiMode::Auto), GpuMpiMode::Off);
  }
  {
    EnvGuard env("maybe");
    try {
      parallel::gpu_mpi_mode_from_env(GpuMpiMode::Auto);
      ADD_FAILURE() << "accepted VITRUM_GPU_AWARE_MPI=maybe";
    } catch (const Error& e) {
      EXPECT_TRUE(contains(e.what(), "VITRUM_GPU_AWARE_MPI")) << e.what();
      EXPECT_TRUE(contains(e.what(), "maybe")) << e.what();
    }
  }
}

TEST(GpuMpi, DetectionOnThisMachineAnswers) {
  const GpuMpiSupport s = parallel::detect_gpu_mpi();
  EXPECT_FALSE(s.how.empty());
  EXPECT_TRUE(s.runtime == -1 || s.runtime == 0 || s.runtime == 1) << s.runtime;
  // Whatever it says, auto picks device pointers exactly when the library reports support.
  EXPECT_EQ(choose_gpu_mpi(GpuMpiMode::Auto, s).direct, s.runtime == 1);
  std::printf("detect_gpu_mpi: runtime %d, %s\n", s.runtime, s.how.c_str());
#ifndef VITRUM_HAVE_MPI
  EXPECT_EQ(s.runtime, 0);
#endif
}
