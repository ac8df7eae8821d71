// Symmetry-function set generation (grids, counts, n2p2 lines) and scaling statistics against
// n2p2's nnp-scaling and against numpy.
#include "vitrum/train/sf_generation.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <fstream>

#include "train_test_util.hpp"
#include "vitrum/core/error.hpp"
#include "vitrum/io/structure_io.hpp"
#include "vitrum/nnp/evaluator.hpp"

namespace vitrum::train {
namespace {

TEST(SfGeneration, CenteredGridHasEvenlySpacedWidths) {
  const auto g = radial_grid(GridMode::Centered, 5, 1.0, 5.0);
  ASSERT_EQ(g.size(), 5u);
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(g[i].rs, 0.0);
    EXPECT_NEAR(1.0 / std::sqrt(2.0 * g[i].eta), 1.0 + i, 1e-14);
  }
}

TEST(SfGeneration, ShiftedGridHasEvenShiftsAndOneWidth) {
  const auto g = radial_grid(GridMode::Shifted, 6, 0.5, 5.5);
  ASSERT_EQ(g.size(), 6u);
  for (int i = 0; i < 6; ++i) {
    EXPECT_NEAR(g[i].rs, 0.5 + i, 1e-14);
    EXPECT_NEAR(g[i].eta, 0.5, 1e-14);  // 1/(2 dr^2), dr = 1
  }
}

TEST(SfGeneration, BadGridsAreErrors) {
  EXPECT_THROW(radial_grid(GridMode::Centered, 3, 0.0, 5.0), Error);
  EXPECT_THROW(radial_grid(GridMode::Shifted, 3, 5.0, 2.0), Error);
  EXPECT_THROW(radial_grid(GridMode::Shifted, -1, 1.0, 2.0), Error);
  EXPECT_THROW(parse_grid_mode("linear", "test"), Error);
  SfSetSpec s;
  s.elements = {"O", "Xx"};
  EXPECT_THROW(generate_symmetry_functions(s), Error);
  s.elements = {"O"};
  s.angular.lambdas = {0.5};
  EXPECT_THROW(generate_symmetry_functions(s), Error);
}

TEST(SfGeneration, CountsPerElementPairAndTripletAndLinesLoad) {
  SfSetSpec s;
  s.elements = {"Si", "O"};
  s.cutoff = 6.0;
  s.radial.n = 7;
  s.angular.n = 2;
  s.angular.type = 3;
  s.angular.zetas = {1, 2, 4};
  const auto sfs = generate_symmetry_functions(s);
  // per central element: 2 * 7 radial + 3 pairs * 2 * 3 * 2 angular = 14 + 36
  ASSERT_EQ(sfs.size(), 2u * (14 + 36));
  EXPECT_EQ(sfs.front().element, "O");  // sorted by atomic number
  int radial_o_si = 0, angular_si_o_o = 0;
  for (const auto& f : sfs) {
    radial_o_si += f.element == "O" && f.type == 2 && f.e1 == "Si";
    angular_si_o_o += f.element == "Si" && f.type == 3 && f.e1 == "O" && f.e2 == "O";
    EXPECT_EQ(f.rc, 6.0);
  }
  EXPECT_EQ(radial_o_si, 7);
  EXPECT_EQ(angular_si_o_o, 12);
  EXPECT_EQ(symfunction_line(sfs.front()), "symfunction_short O 2 O 0.5950413223140496 0.5 6");

  // The lines are valid n2p2 input: the loader takes them (and sorts them its way).
  const std::string dir = test::fresh_dir("sfgen_load");
  InputNnSpec in;
  in.elements = {"Si", "O"};
  in.scaling = nnp::ScalingType::None;
  in.hidden_nodes = {3};
  in.activations = "tl";
  for (const auto& f : sfs) in.sf_lines.push_back(symfunction_line(f));
  write_input_nn(dir + "/input.nn", in);
  for (int z : {8, 14}) write_weights(weights_path(dir, z), {50, 3, 1}, std::vector<double>(157));
  const auto pot = nnp::Potential::load_n2p2(dir);
  ASSERT_EQ(pot.n_elements(), 2);
  EXPECT_EQ(pot.element(0).sfs.size(), 50u);
  EXPECT_EQ(pot.element(1).sfs.size(), 50u);
  EXPECT_EQ(pot.cutoff(), 6.0);
  int n_type3 = 0;
  for (const auto& sf : pot.element(1).sfs) n_type3 += sf.type == 3;
  EXPECT_EQ(n_type3, 36);
}

/// n2p2's nnp-scaling wrote scaling.data of the synthetic potentials from their input.data.
class ScalingVsN2p2 : public ::testing::TestWithParam<std::string> {};

TEST_P(ScalingVsN2p2, MinMaxMeanSigmaMatch) {
  const std::string dir = test::n2p2_dir() + "/synthetic/" + GetParam();
  const auto pot = nnp::Potential::load_n2p2(dir);
  const auto structures = io::read_structures(dir + "/input.data");
  const auto stats = sf_statistics(pot, structures);
  double worst = 0;
  for (int e = 0; e < pot.n_elements(); ++e) {
    const auto& sfs = pot.element(e).sfs;
    ASSERT_EQ(stats[e].gmin.size(), sfs.size());
    for (size_t s = 0; s < sfs.size(); ++s) {
      const double scale = std::max(std::abs(sfs[s].gmax), 1e-300);
      const double d[4] = {stats[e].gmin[s] - sfs[s].gmin, stats[e].gmax[s] - sfs[s].gmax,
                           stats[e].gmean[s] - sfs[s].gmean, stats[e].gsigma[s] - sfs[s].gsigma};
      for (double x : d) worst = std::max(worst, std::abs(x) / scale);
    }
  }
  std::printf("  %s: %zu structures, largest |ours - n2p2| / Gmax = %.2e\n", GetParam().c_str(),
              structures.size(), worst);
  EXPECT_LT(worst, 1e-12);

  // The file we write reads back to the same numbers.
  const std::string out = test::fresh_dir("scaling_rt") + "/scaling.data";
  write_scaling_data(out, stats);
  std::ifstream in(out);
  std::string line;
  int rows = 0;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    int e, s;
    double v[4];
    ASSERT_EQ(
        std::sscanf(line.c_str(), "%d %d %lf %lf %lf %lf", &e, &s, &v[0], &v[1], &v[2], &v[3]), 6);
    EXPECT_EQ(v[0], stats[e - 1].gmin[s - 1]);
    EXPECT_EQ(v[3], stats[e - 1].gsigma[s - 1]);
    ++rows;
  }
  EXPECT_EQ(rows, static_cast<int>(stats[0].gmin.size() + stats[1].gmin.size()));
}

INSTANTIATE_TEST_SUITE_P(Synthetic, ScalingVsN2p2,
                         ::testing::Values("synth_H2O_cos_alpha_scale",
                                           "synth_H2O_poly3_center_type9_revlog_relu"),
                         [](const ::testing::TestParamInfo<std::string>& i) { return i.param; });

/// The H2O reference set (20 structures, 3840 atoms): statistics against numpy's (sigma with
/// ddof = 1, as n2p2) of the same raw symmetry functions (the shipped H2O scaling.data comes from
/// n2p2's full training set, not from these 20 structures).
TEST(Scaling, H2oDatasetMatchesNumpy) {
  const std::string pdir = test::n2p2_dir() + "/potentials/H2O_RPBE-D3";
  const auto pot = nnp::Potential::load_n2p2(pdir);
  auto structures =
      io::read_structures(test::n2p2_dir() + "/outputs/H2O_RPBE-D3/dataset/input.data");
  structures.resize(5);  // 960 atoms keep the test fast
  const auto stats = sf_statistics(pot, structures);
  const std::string dir = test::fresh_dir("scaling_numpy");
  for (int e = 0; e < 2; ++e) {
    std::FILE* f = std::fopen((dir + "/g" + std::to_string(e) + ".txt").c_str(), "w");
    for (const auto& s : structures) {
      const auto g = nnp::raw_symmetry_functions(pot, s);
      for (size_t i = 0; i < s.size(); ++i) {
        if (pot.element_index(s.species[i]) != e) continue;
        for (double x : g[i]) std::fprintf(f, "%.17g ", x);
        std::fprintf(f, "\n");
      }
    }
    std::fclose(f);
  }
  const std::string cmd =
      "/usr/bin/python3 -c \"import numpy as np\nfor e in (0, 1):\n  g = np.loadtxt('" + dir +
      "/g%d.txt' % e)\n  np.savetxt('" + dir +
      "/s%d.txt' % e, np.vstack([g.min(0), g.max(0), g.mean(0), g.std(0, ddof=1)]), fmt='%.17g')\"";
  if (std::system(cmd.c_str()) != 0) GTEST_SKIP() << "python3 with numpy is not available";
  double worst = 0;
  for (int e = 0; e < 2; ++e) {
    std::ifstream in(dir + "/s" + std::to_string(e) + ".txt");
    const size_t nsf = stats[e].gmin.size();
    std::vector<double> v(4 * nsf);
    for (auto& x : v) in >> x;
    ASSERT_TRUE(in) << "numpy output for element " << e;
    for (size_t s = 0; s < nsf; ++s) {
      const double scale = std::abs(v[nsf + s]);
      worst = std::max({worst, std::abs(stats[e].gmin[s] - v[s]) / scale,
                        std::abs(stats[e].gmax[s] - v[nsf + s]) / scale,
                        std::abs(stats[e].gmean[s] - v[2 * nsf + s]) / scale,
                        std::abs(stats[e].gsigma[s] - v[3 * nsf + s]) / scale});
    }
  }
  std::printf("  H2O 5 structures: largest |ours - numpy| / Gmax = %.2e\n", worst);
  EXPECT_LT(worst, 1e-12);
}

}  // namespace
}  // namespace vitrum::train
