// Coordination numbers and bond angles: fcc 12, diamond 4, β-cristobalite Si–O 4 with O–Si–O
// at the tetrahedral angle, a disordered tetrahedral network, triclinic = orthogonal cell.
#include "vitrum/analysis/bonds.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "analysis_fixtures.hpp"
#include "vitrum/analysis/peaks.hpp"
#include "vitrum/core/error.hpp"

using namespace vitrum;
using namespace vitrum::analysis;

namespace {

const double kTetrahedral = std::acos(-1.0 / 3.0) * 180.0 / M_PI;  // 109.4712206...

Trajectory one_frame(const Structure& s) {
  return trajectory_from_structures({s}, {}, "test");
}

}  // namespace

TEST(AnalysisBonds, ParsesBondSpecs) {
  const BondSpec b = parse_bond_spec("Si-O:2.0");
  EXPECT_EQ(b.center, 14);
  EXPECT_EQ(b.neighbor, 8);
  EXPECT_DOUBLE_EQ(b.cutoff, 2.0);
  EXPECT_EQ(bond_name(b), "Si-O");
  const BondSpec c = parse_bond_spec(" O - Si : 1.85 ");
  EXPECT_EQ(c.center, 8);
  EXPECT_EQ(c.neighbor, 14);
  EXPECT_DOUBLE_EQ(c.cutoff, 1.85);
  for (const char* bad : {"Si-O", "SiO:2", "Xx-O:2", "Si-O:", "Si-O:-1", "Si-O:2.0x", "Si-O:nan"}) {
    try {
      parse_bond_spec(bad);
      ADD_FAILURE() << bad << " should be rejected";
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find("A-B:CUTOFF"), std::string::npos) << e.what();
    }
  }
}

TEST(AnalysisBonds, FccHasTwelveAndDiamondFourNeighbors) {
  const BondAnalysis f =
      analyze_bonds(one_frame(test::fcc(4.05, 3, 13)), {parse_bond_spec("Al-Al:3.2")}, 0);
  ASSERT_EQ(f.coordination.size(), 1u);
  const CoordinationResult& cf = f.coordination[0];
  EXPECT_EQ(cf.samples, 108u);
  EXPECT_DOUBLE_EQ(cf.mean(), 12.0);
  EXPECT_DOUBLE_EQ(cf.fraction(12), 1.0);
  EXPECT_TRUE(f.angles.empty());

  // Diamond in its 8-atom cell: cutoff 2.6 Å < half of nothing — ghosts supply the neighbors.
  const BondAnalysis d =
      analyze_bonds(one_frame(test::diamond(5.431, 1, 14)), {parse_bond_spec("Si-Si:2.6")}, 180);
  const CoordinationResult& cd = d.coordination[0];
  EXPECT_EQ(cd.samples, 8u);
  EXPECT_DOUBLE_EQ(cd.fraction(4), 1.0);
  ASSERT_EQ(d.angles.size(), 1u) << "A-A bonds give one angle type";
  EXPECT_EQ(d.angles[0].name(), "Si-Si-Si");
  EXPECT_EQ(d.angles[0].count, 8u * 6u);
  EXPECT_NEAR(d.angles[0].mean(), kTetrahedral, 1e-9);
}

TEST(AnalysisBonds, BetaCristobaliteIsTetrahedral) {
  const Structure s = test::beta_cristobalite(7.16, 2);
  ASSERT_EQ(s.size(), 192u);
  const BondAnalysis b =
      analyze_bonds(one_frame(s), {parse_bond_spec("Si-O:2.0"), parse_bond_spec("O-Si:2.0")}, 180);
  ASSERT_EQ(b.coordination.size(), 2u);
  const CoordinationResult& si = b.coordination[0];
  EXPECT_EQ(si.samples, 64u);
  EXPECT_DOUBLE_EQ(si.mean(), 4.0);
  EXPECT_DOUBLE_EQ(si.fraction(4), 1.0);
  const CoordinationResult& o = b.coordination[1];
  EXPECT_EQ(o.samples, 128u);
  EXPECT_DOUBLE_EQ(o.fraction(2), 1.0);

  // Si-O gives O-Si-O and Si-O-Si; O-Si repeats them and adds nothing.
  ASSERT_EQ(b.angles.size(), 2u);
  const AngleResult& osio = b.angles[0];
  const AngleResult& sios = b.angles[1];
  EXPECT_EQ(osio.name(), "O-Si-O");
  EXPECT_EQ(sios.name(), "Si-O-Si");
  EXPECT_EQ(osio.count, 64u * 6u);
  EXPECT_NEAR(osio.mean(), kTetrahedral, 1e-9);
  EXPECT_LT(osio.stddev(), 1e-5);
  EXPECT_EQ(osio.histogram[109], osio.count);
  EXPECT_EQ(sios.count, 128u);
  EXPECT_NEAR(sios.mean(), 180.0, 1e-6);
  EXPECT_EQ(sios.histogram[179], sios.count) << "a linear bridge lands in the last bin";
  // P(θ) is a density in 1/degree.
  double area = 0.0;
  for (double p : osio.density()) area += p * osio.bin_width();
  EXPECT_NEAR(area, 1.0, 1e-12);
}

TEST(AnalysisBonds, DisorderedTetrahedralNetworkKeepsFourfoldSilicon) {
  // Thermal-like disorder (0.06 Å per component) keeps every SiO4 unit: coordination 4 and
  // O-Si-O ≈ 109.47° on average, with a spread of a few degrees; Si-O-Si bends away from 180°.
  std::mt19937_64 rng(11);
  std::vector<Structure> frames;
  for (int f = 0; f < 4; ++f) {
    Structure s = test::beta_cristobalite(7.16, 2);
    test::jiggle(s, 0.06, rng);
    frames.push_back(s);
  }
  const BondAnalysis b = analyze_bonds(trajectory_from_structures(frames, {}, "network"),
                                       {parse_bond_spec("Si-O:2.0")}, 360);
  EXPECT_EQ(b.n_frames, 4);
  EXPECT_EQ(b.coordination[0].samples, 4u * 64u);
  EXPECT_DOUBLE_EQ(b.coordination[0].fraction(4), 1.0);
  const AngleResult& osio = b.angles[0];
  EXPECT_NEAR(osio.mean(), kTetrahedral, 0.5);
  EXPECT_GT(osio.stddev(), 1.0);
  EXPECT_LT(osio.stddev(), 10.0);
  const Peak pk = main_peak(osio.angles(), osio.density());
  ASSERT_TRUE(pk.found);
  EXPECT_NEAR(pk.position, kTetrahedral, 3.0);
  EXPECT_LT(b.angles[1].mean(), 179.0);
  EXPECT_GT(b.angles[1].mean(), 160.0);
}

TEST(AnalysisBonds, TriclinicCellEqualsOrthogonalCell) {
  std::mt19937_64 rng(17);
  Structure s = test::beta_cristobalite(7.16, 1);  // 24 atoms, cutoff 2 Å vs heights 7.16 Å
  test::jiggle(s, 0.08, rng);
  const Structure t = test::sheared_copy(s);
  const std::vector<BondSpec> bonds = {parse_bond_spec("Si-O:2.0"), parse_bond_spec("O-O:2.9")};
  const BondAnalysis a = analyze_bonds(one_frame(s), bonds, 180);
  const BondAnalysis b = analyze_bonds(one_frame(t), bonds, 180);
  ASSERT_EQ(a.coordination.size(), b.coordination.size());
  for (std::size_t k = 0; k < a.coordination.size(); ++k) {
    EXPECT_EQ(a.coordination[k].histogram, b.coordination[k].histogram);
    EXPECT_EQ(a.coordination[k].bonds, b.coordination[k].bonds);
  }
  EXPECT_DOUBLE_EQ(a.coordination[0].fraction(4), 1.0);
  EXPECT_DOUBLE_EQ(a.coordination[1].fraction(6), 1.0) << "O-O edges of the tetrahedra";
  ASSERT_EQ(a.angles.size(), 3u);  // O-Si-O, Si-O-Si, O-O-O
  for (std::size_t k = 0; k < a.angles.size(); ++k) {
    EXPECT_EQ(a.angles[k].histogram, b.angles[k].histogram) << a.angles[k].name();
    EXPECT_NEAR(a.angles[k].mean(), b.angles[k].mean(), 1e-9) << a.angles[k].name();
  }
}

TEST(AnalysisBonds, RejectsBondsOfAbsentSpecies) {
  const Structure s = test::fcc(4.05, 1, 13);
  try {
    analyze_bonds(one_frame(s), {parse_bond_spec("Si-O:2.0")}, 0);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("no Si atoms"), std::string::npos) << e.what();
  }
}
