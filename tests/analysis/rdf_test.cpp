// g(r): ideal gas (= 1 within the counting error), crystals (exact peak positions and shell
// counts), a triclinic cell and a 1-atom primitive cell against the same crystal in cubic cells.
#include "vitrum/analysis/rdf.hpp"

#include <gtest/gtest.h>
#include <omp.h>

#include <cmath>
#include <random>

#include "analysis_fixtures.hpp"
#include "vitrum/analysis/peaks.hpp"
#include "vitrum/core/error.hpp"

using namespace vitrum;
using namespace vitrum::analysis;

namespace {

Trajectory one_frame(const Structure& s) {
  return trajectory_from_structures({s}, {}, "test");
}

// Σ_bins ((g - 1)/σ)² / bins and the largest |g - 1|/σ over bins with enough counts, where
// σ = sqrt(c / λ): λ = expected number of counted (ordered) pairs in the bin over all frames and
// c = 2 when every pair is counted twice (a = b), else 1 (Poisson counting error).
struct Deviation {
  double chi2_per_bin = 0.0;
  double max_sigmas = 0.0;
  int bins = 0;
};

Deviation deviation_from_one(const RdfResult& rdf, const std::vector<double>& g, double pairs,
                             double volume, double c) {
  Deviation d;
  for (int k = 0; k < rdf.n_bins; ++k) {
    const double lambda = rdf.n_frames * pairs / volume * 4.0 / 3.0 * M_PI *
                          (std::pow((k + 1) * rdf.dr(), 3) - std::pow(k * rdf.dr(), 3));
    if (lambda < 50) continue;  // too few pairs for a Gaussian error
    const double sigma = std::sqrt(c / lambda);
    const double z = (g[k] - 1.0) / sigma;
    d.chi2_per_bin += z * z;
    d.max_sigmas = std::max(d.max_sigmas, std::fabs(z));
    ++d.bins;
  }
  d.chi2_per_bin /= std::max(1, d.bins);
  return d;
}

void expect_ideal_gas(const Box& box, int n, int frames, const RdfParams& p, unsigned seed) {
  std::mt19937_64 rng(seed);
  std::vector<Structure> s;
  for (int f = 0; f < frames; ++f) s.push_back(test::ideal_gas(box, n, {14, 8, 8}, rng));
  const Trajectory t = trajectory_from_structures(s, {}, "gas");
  const RdfResult rdf = compute_rdf(t, p);
  ASSERT_EQ(rdf.n_frames, frames);
  ASSERT_EQ(rdf.types, (std::vector<int>{14, 8}));
  const double v = box.volume();
  const double nsi = rdf.type_counts[0], no = rdf.type_counts[1];
  struct Case {
    const std::vector<double>* g;
    double pairs, c;
    const char* name;
  } cases[] = {{&rdf.total, double(n) * (n - 1), 2.0, "total"},
               {&rdf.partial[rdf.pair_index(0, 0)], nsi * (nsi - 1), 2.0, "Si-Si"},
               {&rdf.partial[rdf.pair_index(0, 1)], nsi * no, 1.0, "Si-O"},
               {&rdf.partial[rdf.pair_index(1, 1)], no * (no - 1), 2.0, "O-O"}};
  for (const Case& c : cases) {
    const Deviation d = deviation_from_one(rdf, *c.g, c.pairs, v, c.c);
    EXPECT_GT(d.bins, p.n_bins / 2) << c.name;
    // 1 expected; the mean of ~30 χ²(1) values exceeds 2 with probability < 1e-4.
    EXPECT_LT(d.chi2_per_bin, 2.0) << c.name;
    EXPECT_GT(d.chi2_per_bin, 0.3) << c.name << ": suspiciously small scatter";
    EXPECT_LT(d.max_sigmas, 5.0) << c.name;
  }
  // Running coordination of an ideal gas: N_ab(r) = (N_b - δ_ab)/V · 4π r³/3.
  const int k = p.n_bins - 1;
  const double r = p.r_max;
  const double n_oo = rdf.running[1 * 2 + 1][k];
  EXPECT_NEAR(n_oo / ((no - 1) / v * 4.0 / 3.0 * M_PI * r * r * r), 1.0, 0.02);
  const double n_sio = rdf.running[0 * 2 + 1][k];
  EXPECT_NEAR(n_sio / (no / v * 4.0 / 3.0 * M_PI * r * r * r), 1.0, 0.02);
}

// Expects no shell distance within `tol` bins of a bin edge, so that rounding in the distance
// cannot move a crystal shell between bins (the exact comparisons below rely on it).
void expect_shells_off_edges(const RdfResult& rdf, const std::vector<double>& shells) {
  for (double r : shells) {
    const double x = r / rdf.dr();
    EXPECT_GT(std::fabs(x - std::round(x)), 1e-6) << "shell at " << r << " A sits on a bin edge";
  }
}

}  // namespace

TEST(AnalysisRdf, IdealGasIsOneWithinCountingError) {
  RdfParams p;
  p.r_max = 8.0;
  p.n_bins = 32;
  expect_ideal_gas(test::cubic_box(20.0), 999, 12, p, 42);
}

TEST(AnalysisRdf, IdealGasInSmallTriclinicCellBeyondHalfTheCell) {
  // Cell heights ~ 7-9 Å; r_max = 8 Å is beyond every half height but below the shortest lattice
  // vector (8.49 Å), so an atom's own images do not enter and g = 1 still holds.
  const Box box = test::make_box({10, 0, 0}, {3, 9, 0}, {-2, 2, 8});
  const Vec3 h = box.heights();
  ASSERT_GT(8.0, 0.5 * std::max({h.x, h.y, h.z}));
  RdfParams p;
  p.r_max = 8.0;
  p.n_bins = 32;
  expect_ideal_gas(box, 300, 60, p, 7);
}

TEST(AnalysisRdf, FccPeakPositionAndShellCountsExact) {
  const double a = 4.05;
  const double nn = a / std::sqrt(2.0);
  const Structure s = test::fcc(a, 3, 13);
  RdfParams p;
  p.n_bins = 200;
  p.r_max = p.n_bins * nn / 47.5;  // nn at the center of bin 47
  const RdfResult rdf = compute_rdf(one_frame(s), p);
  expect_shells_off_edges(rdf, {nn, a, a * std::sqrt(1.5), nn * std::sqrt(5.0)});

  const Peak pk = first_peak(rdf.r, rdf.total);
  ASSERT_TRUE(pk.found);
  EXPECT_EQ(pk.bin, 47);
  EXPECT_NEAR(pk.position, nn, 1e-9);
  const std::vector<double>& n = rdf.running[0];
  auto at = [&](double r) { return n[static_cast<int>(r / rdf.dr())]; };
  EXPECT_DOUBLE_EQ(at(nn * 0.97), 0.0);
  EXPECT_DOUBLE_EQ(at(nn), 12.0);
  EXPECT_DOUBLE_EQ(at(a), 18.0);
  EXPECT_DOUBLE_EQ(at(a * std::sqrt(1.5)), 42.0);
  EXPECT_DOUBLE_EQ(at(nn * std::sqrt(5.0)), 78.0);
  // Single species: the partial is the total.
  ASSERT_EQ(rdf.partial.size(), 1u);
  for (int k = 0; k < p.n_bins; ++k) EXPECT_DOUBLE_EQ(rdf.partial[0][k], rdf.total[k]);
  // Σ_k g_k ρ V_k over the first shell's bin = 12 (normalization check, N/(N-1) aside).
  const double v = s.box.volume(), na = s.size();
  const double shell = 4.0 / 3.0 * M_PI * (std::pow(48 * rdf.dr(), 3) - std::pow(47 * rdf.dr(), 3));
  EXPECT_NEAR(rdf.total[47] * (na - 1) / v * shell, 12.0, 1e-9);
}

TEST(AnalysisRdf, DiamondPeakPositionAndShellCountsExact) {
  const double a = 5.431;
  const double nn = a * std::sqrt(3.0) / 4.0;
  const Structure s = test::diamond(a, 2, 14);
  RdfParams p;
  p.n_bins = 300;
  p.r_max = p.n_bins * nn / 60.5;  // nn at the center of bin 60
  const RdfResult rdf = compute_rdf(one_frame(s), p);
  expect_shells_off_edges(rdf, {nn, a / std::sqrt(2.0), a * std::sqrt(11.0) / 4.0});
  // The second shell (12 at a/√2) is higher than the first (4 at nn): the first peak is still nn.
  const Peak pk = first_peak(rdf.r, rdf.total);
  ASSERT_TRUE(pk.found);
  EXPECT_NEAR(pk.position, nn, 1e-9);
  const Peak top = main_peak(rdf.r, rdf.total);
  EXPECT_NEAR(top.position, a / std::sqrt(2.0), rdf.dr());
  auto at = [&](double r) { return rdf.running[0][static_cast<int>(r / rdf.dr())]; };
  EXPECT_DOUBLE_EQ(at(0.98 * nn), 0.0);
  EXPECT_DOUBLE_EQ(at(nn), 4.0);
  EXPECT_DOUBLE_EQ(at(a / std::sqrt(2.0)), 16.0);
  EXPECT_DOUBLE_EQ(at(a * std::sqrt(11.0) / 4.0), 28.0);
}

TEST(AnalysisRdf, PrimitiveOneAtomCellEqualsCubicCell) {
  // fcc as a rhombohedral 1-atom cell (heights 2.34 Å, r_max = 12 Å: five image layers) and as
  // 3×3×3 cubic cells: the same infinite crystal, so the same g(r) and running coordination.
  const double a = 4.05;
  const double nn = a / std::sqrt(2.0);
  Structure prim;
  prim.box = test::make_box({0, a / 2, a / 2}, {a / 2, 0, a / 2}, {a / 2, a / 2, 0});
  prim.positions = {{0.3, 0.2, 0.1}};
  prim.species = {13};
  Structure cubic = test::fcc(a, 3, 13);
  for (Vec3& r : cubic.positions) r += Vec3{0.3, 0.2, 0.1};
  RdfParams p;
  p.n_bins = 200;
  p.r_max = p.n_bins * nn / 47.3;
  const RdfResult rp = compute_rdf(one_frame(prim), p);
  const RdfResult rc = compute_rdf(one_frame(cubic), p);
  std::vector<double> shells;
  for (int k = 1; k <= 17; ++k) shells.push_back(nn * std::sqrt(k));
  expect_shells_off_edges(rc, shells);
  // The running coordination is exact in both; g itself is undefined for one atom (N - 1 = 0).
  for (int k = 0; k < p.n_bins; ++k) {
    EXPECT_DOUBLE_EQ(rp.running[0][k], rc.running[0][k]) << "bin " << k;
  }
  EXPECT_TRUE(std::isnan(rp.total[0])) << "one atom: N(N-1) = 0, g undefined";
  EXPECT_DOUBLE_EQ(rc.running[0][p.n_bins - 1],
                   12 + 6 + 24 + 12 + 24 + 8 + 48 + 6 + 36 + 24 + 24 + 24 + 72 + 0 + 48 + 12 + 48);
}

TEST(AnalysisRdf, TriclinicCellEqualsOrthogonalCell) {
  std::mt19937_64 rng(3);
  Structure s = test::beta_cristobalite(7.16, 2);
  test::jiggle(s, 0.15, rng);
  const Structure t = test::sheared_copy(s);
  ASSERT_GT(std::fabs(dot(t.box.h[1], t.box.h[0])), 1.0) << "the copy should be triclinic";
  ASSERT_NEAR(t.box.volume(), s.box.volume(), 1e-9);
  RdfParams p;
  p.r_max = 9.0;  // more than half of every height of the sheared cell
  p.n_bins = 180;
  const RdfResult a = compute_rdf(one_frame(s), p);
  const RdfResult b = compute_rdf(one_frame(t), p);
  ASSERT_EQ(a.types, b.types);
  for (int k = 0; k < p.n_bins; ++k) {
    EXPECT_NEAR(a.total[k], b.total[k], 1e-12 * (1 + a.total[k])) << "bin " << k;
    for (std::size_t q = 0; q < a.partial.size(); ++q) {
      EXPECT_NEAR(a.partial[q][k], b.partial[q][k], 1e-12 * (1 + a.partial[q][k]));
    }
    for (std::size_t q = 0; q < a.running.size(); ++q) {
      EXPECT_DOUBLE_EQ(a.running[q][k], b.running[q][k]);
    }
  }
  // Si-O first peak near the ideal a√3/8 = 1.550 Å.
  const Peak pk = first_peak(a.r, a.partial[a.pair_index(0, 1)]);
  ASSERT_TRUE(pk.found);
  EXPECT_NEAR(pk.position, 7.16 * std::sqrt(3.0) / 8.0, 0.06);
}

TEST(AnalysisRdf, FramesAreAveraged) {
  std::mt19937_64 rng(5);
  Structure s1 = test::fcc(4.05, 2, 13), s2 = s1;
  test::jiggle(s1, 0.1, rng);
  test::jiggle(s2, 0.1, rng);
  RdfParams p;
  p.r_max = 6.0;
  p.n_bins = 60;
  const RdfResult a = compute_rdf(one_frame(s1), p);
  const RdfResult b = compute_rdf(one_frame(s2), p);
  const RdfResult ab = compute_rdf(trajectory_from_structures({s1, s2}, {}, "two"), p);
  EXPECT_EQ(ab.n_frames, 2);
  for (int k = 0; k < p.n_bins; ++k) {
    EXPECT_NEAR(ab.total[k], 0.5 * (a.total[k] + b.total[k]), 1e-12 * (1 + ab.total[k]));
  }
}

TEST(AnalysisRdf, RejectsBadInput) {
  Structure s = test::fcc(4.05, 1, 13);
  RdfParams p;
  p.r_max = -1.0;
  EXPECT_THROW(compute_rdf(one_frame(s), p), Error);
  p.r_max = 5.0;
  p.n_bins = 0;
  EXPECT_THROW(compute_rdf(one_frame(s), p), Error);
  p.n_bins = 10;
  s.box.periodic = false;
  try {
    compute_rdf(one_frame(s), p);
    FAIL() << "a non-periodic frame must be rejected";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("periodic"), std::string::npos) << e.what();
  }
}

TEST(AnalysisRdf, CountsDoNotDependOnTheThreadCount) {
  std::mt19937_64 rng(8);
  const Structure s = test::ideal_gas(test::cubic_box(18.0), 3000, {14, 8}, rng);
  std::vector<int> types(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) types[i] = s.species[i] == 14 ? 0 : 1;
  const int saved = omp_get_max_threads();
  omp_set_num_threads(1);
  const auto one = pair_distance_histogram(s.box, s.positions, types, 2, 7.0, 70);
  omp_set_num_threads(3);
  const auto three = pair_distance_histogram(s.box, s.positions, types, 2, 7.0, 70);
  omp_set_num_threads(saved);
  EXPECT_EQ(one, three);
  std::uint64_t total = 0;
  for (auto c : one) total += c;
  EXPECT_GT(total, 100000u);
}
