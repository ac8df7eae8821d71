// CUDA vs CPU parity of the teacher potential (BKS and TTAM, walls active and not, orthogonal
// and triclinic cells) and determinism of the CUDA backend. Both backends run the same
// single-source pair math (the CUDA default: a warp per atom, team_pair.hpp; legacy: a thread per
// atom) and the same host reduction, so they agree to rounding (nvcc may fuse multiply-adds).
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>

#include "../teacher/teacher_test_util.hpp"
#include "gpu_guard.hpp"

using namespace vitrum;

namespace {

TEST(TeacherParity, CudaMatchesCpu) {
  VITRUM_REQUIRE_CUDA_DEVICE();
  for (const std::string& path : {test::bks_path(), test::ttam_path()}) {
    auto cpu = teacher::load_teacher(path, Backend::Cpu);
    auto gpu = teacher::load_teacher(path, Backend::Cuda);
    for (const Structure& s :
         {test::sio2_cell(648, 2.2, 3, false), test::sio2_cell(192, 2.2, 4, true),
          test::sio2_cell(96, 3.2, 11, true, 1.1, 1.3, 2.2)}) {
      const auto a = test::evaluate(*cpu, s);
      const auto b = test::evaluate(*gpu, s);
      EXPECT_NEAR(b.energy, a.energy, 1e-12 * std::abs(a.energy)) << path;
      EXPECT_NEAR(b.min_distance, a.min_distance, 1e-12 * a.min_distance);
      const double fmax = test::max_abs(a.forces);
      for (size_t i = 0; i < s.size(); ++i)
        for (int d = 0; d < 3; ++d)
          ASSERT_NEAR(b.forces[i][d], a.forces[i][d], 1e-11 * fmax) << path << " atom " << i;
      double wmax = 0;
      for (auto& row : a.virial)
        for (double v : row) wmax = std::max(wmax, std::abs(v));
      for (int x = 0; x < 3; ++x)
        for (int y = 0; y < 3; ++y) EXPECT_NEAR(b.virial[x][y], a.virial[x][y], 1e-11 * wmax);
    }
  }
}

TEST(TeacherParity, CudaIsDeterministic) {
  VITRUM_REQUIRE_CUDA_DEVICE();
  auto gpu = teacher::load_teacher(test::bks_path(), Backend::Cuda);
  const Structure s = test::sio2_cell(648, 2.2, 5, true);
  const auto a = test::evaluate(*gpu, s);
  const auto b = test::evaluate(*gpu, s);
  EXPECT_EQ(a.energy, b.energy);
  for (size_t i = 0; i < s.size(); ++i)
    for (int d = 0; d < 3; ++d) ASSERT_EQ(a.forces[i][d], b.forces[i][d]);
  for (int x = 0; x < 3; ++x)
    for (int y = 0; y < 3; ++y) EXPECT_EQ(a.virial[x][y], b.virial[x][y]);
}

TEST(TeacherParity, TeamKernelMatchesLegacyKernel) {
  VITRUM_REQUIRE_CUDA_DEVICE();
  setenv("VITRUM_TEACHER_KERNELS", "legacy", 1);
  auto legacy = teacher::load_teacher(test::bks_path(), Backend::Cuda);
  unsetenv("VITRUM_TEACHER_KERNELS");
  auto team = teacher::load_teacher(test::bks_path(), Backend::Cuda);
  const Structure s = test::sio2_cell(648, 2.2, 6, true);
  const auto a = test::evaluate(*legacy, s);
  const auto b = test::evaluate(*team, s);
  EXPECT_NEAR(b.energy, a.energy, 1e-12 * std::abs(a.energy));
  const double fmax = test::max_abs(a.forces);
  for (size_t i = 0; i < s.size(); ++i)
    for (int d = 0; d < 3; ++d) ASSERT_NEAR(b.forces[i][d], a.forces[i][d], 1e-11 * fmax);
}

}  // namespace
