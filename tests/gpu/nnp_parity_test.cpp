// CUDA vs CPU parity of the NNP evaluation (same inputs, both precisions), on every shipped and
// feature-coverage potential. Tolerances: double agrees to rounding (different summation order);
// mixed agrees with the CPU's mixed mode to float rounding.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>

#include "../physics/nnp_reference.hpp"
#include "gpu_guard.hpp"
#include "vitrum/io/structure_io.hpp"
#include "vitrum/nnp/evaluator.hpp"

using namespace vitrum;

class NnpParity : public ::testing::TestWithParam<vitrum::test::ReferenceCase> {};

TEST_P(NnpParity, CudaMatchesCpuInBothPrecisions) {
  VITRUM_REQUIRE_CUDA_DEVICE();
  const auto& c = GetParam();
  const auto pot = nnp::Potential::load_n2p2(c.potential);
  const auto structures = io::read_structures(c.reference);
  nnp::Evaluator cpu_double(pot, {Backend::Cpu, Precision::Double, true});
  for (Precision prec : {Precision::Double, Precision::Mixed}) {
    nnp::Evaluator cpu(pot, {Backend::Cpu, prec, true});
    nnp::Evaluator gpu(pot, {Backend::Cuda, prec, true});
    const double etol = prec == Precision::Double ? 1e-12 : 1e-5;
    const double ftol = prec == Precision::Double ? 1e-10 : 1e-3;
    for (size_t k = 0; k < structures.size(); ++k) {
      const auto a = cpu.evaluate(structures[k]);
      const auto b = gpu.evaluate(structures[k]);
      // Mixed: float per-atom energies can cancel to a small total (LJ_Ne), so the GPU may also
      // differ from the CPU by a few times the CPU's own float rounding of that total.
      const double rounding =
          prec == Precision::Double
              ? 0.0
              : 3 * std::abs(a.energy - cpu_double.evaluate(structures[k]).energy);
      EXPECT_NEAR(b.energy, a.energy, etol * std::abs(a.energy) + rounding)
          << c.name << " structure " << k + 1 << " " << to_string(prec);
      EXPECT_EQ(b.extrapolations, a.extrapolations)
          << c.name << " structure " << k + 1 << " " << to_string(prec);
      double fmax = 0;
      for (const auto& f : a.forces)
        fmax = std::max({fmax, std::abs(f.x), std::abs(f.y), std::abs(f.z)});
      for (size_t i = 0; i < a.forces.size(); ++i)
        for (int d = 0; d < 3; ++d)
          ASSERT_NEAR(b.forces[i][d], a.forces[i][d], ftol * fmax)
              << c.name << " structure " << k + 1 << " atom " << i << " " << to_string(prec);
      double wmax = 0;
      for (auto& row : a.virial)
        for (double v : row) wmax = std::max(wmax, std::abs(v));
      for (int x = 0; x < 3; ++x)
        for (int y = 0; y < 3; ++y) EXPECT_NEAR(b.virial[x][y], a.virial[x][y], ftol * wmax);
    }
  }
}

TEST(NnpParity, CudaIsDeterministic) {
  VITRUM_REQUIRE_CUDA_DEVICE();
  const auto pot = nnp::Potential::load_n2p2(vitrum::test::n2p2_dir() + "/potentials/H2O_RPBE-D3");
  const auto s =
      io::read_structures(vitrum::test::n2p2_dir() + "/outputs/H2O_RPBE-D3/input.data").front();
  nnp::Evaluator gpu(pot, {Backend::Cuda, Precision::Double, true});
  const auto a = gpu.evaluate(s);
  const auto b = gpu.evaluate(s);
  EXPECT_EQ(a.energy, b.energy);
  for (size_t i = 0; i < a.forces.size(); ++i)
    for (int d = 0; d < 3; ++d) ASSERT_EQ(a.forces[i][d], b.forces[i][d]);
}

INSTANTIATE_TEST_SUITE_P(AllShipped, NnpParity,
                         ::testing::ValuesIn(vitrum::test::reference_cases()),
                         [](const auto& info) {
                           std::string n = info.param.name;
                           std::replace_if(
                               n.begin(), n.end(), [](char ch) { return !std::isalnum(ch); }, '_');
                           return n;
                         });

// The team kernels (warp per atom, the default) against the legacy ones (thread per atom,
// VITRUM_NNP_KERNELS=legacy) on the same device, and the team kernels' determinism.
TEST(NnpParity, TeamKernelsMatchLegacyKernels) {
  VITRUM_REQUIRE_CUDA_DEVICE();
  for (const char* name : {"H2O_RPBE-D3", "Ethylbenzene_SCAN"}) {
    const std::string dir = vitrum::test::n2p2_dir();
    const auto pot = nnp::Potential::load_n2p2(dir + "/potentials/" + name);
    const auto s = io::read_structures(dir + "/outputs/" + name + "/input.data").front();
    setenv("VITRUM_NNP_KERNELS", "legacy", 1);
    nnp::Evaluator legacy(pot, {Backend::Cuda, Precision::Double, true});
    unsetenv("VITRUM_NNP_KERNELS");
    nnp::Evaluator team(pot, {Backend::Cuda, Precision::Double, true});
    const auto a = legacy.evaluate(s);
    const auto b = team.evaluate(s);
    const auto b2 = team.evaluate(s);
    EXPECT_NEAR(b.energy, a.energy, 1e-12 * std::abs(a.energy)) << name;
    EXPECT_EQ(b.energy, b2.energy) << name;
    double fmax = 0;
    for (const auto& f : a.forces)
      fmax = std::max({fmax, std::abs(f.x), std::abs(f.y), std::abs(f.z)});
    for (size_t i = 0; i < a.forces.size(); ++i)
      for (int d = 0; d < 3; ++d) {
        ASSERT_NEAR(b.forces[i][d], a.forces[i][d], 1e-10 * fmax) << name << " atom " << i;
        ASSERT_EQ(b.forces[i][d], b2.forces[i][d]) << name << " atom " << i;
      }
    for (int x = 0; x < 3; ++x)
      for (int y = 0; y < 3; ++y) EXPECT_EQ(b.virial[x][y], b2.virial[x][y]);
  }
}
