// Finite-difference checks of the teacher potential on the CPU backend: forces are −dE/dr and
// the virial is −dE/dε under a homogeneous strain of cell and positions, for BKS and TTAM, with
// the repulsive walls active (a compressed cell) and inactive (a glass-like cell).
#include <gtest/gtest.h>

#include <cmath>

#include "teacher_test_util.hpp"

using namespace vitrum;
using vitrum::test::evaluate;

namespace {

struct FdCase {
  const char* name;
  std::string path;
  bool compressed;  // minimum distances below the wall radii
};
void PrintTo(const FdCase& c, std::ostream* os) {
  *os << c.name;
}

class TeacherFiniteDifference : public ::testing::TestWithParam<FdCase> {};

Structure test_cell(const FdCase& c) {
  return c.compressed ? test::sio2_cell(96, 3.2, 11, true, 1.1, 1.3, 2.2)
                      : test::sio2_cell(96, 2.2, 7, true);
}

TEST_P(TeacherFiniteDifference, ForcesAreMinusTheEnergyGradient) {
  const auto& c = GetParam();
  auto ff = teacher::load_teacher(c.path, Backend::Cpu);
  const Structure s = test_cell(c);
  const auto ref = evaluate(*ff, s);
  if (c.compressed) {
    EXPECT_LT(ref.min_distance, 1.25) << "the compressed cell should reach into a wall";
  }
  const double fmax = test::max_abs(ref.forces);
  const double h = 1e-4;  // Å; central differences, error ~ h² |E'''|
  double worst = 0;
  for (size_t i = 0; i < s.size(); i += 5) {
    for (int a = 0; a < 3; ++a) {
      Structure p = s, m = s;
      p.positions[i][a] += h;
      m.positions[i][a] -= h;
      const double fd = -(evaluate(*ff, p).energy - evaluate(*ff, m).energy) / (2 * h);
      worst = std::max(worst, std::abs(fd - ref.forces[i][a]));
    }
  }
  EXPECT_LT(worst, 2e-6 * std::max(1.0, fmax)) << c.name << ": max force " << fmax;
}

TEST_P(TeacherFiniteDifference, VirialIsMinusTheStrainDerivative) {
  const auto& c = GetParam();
  auto ff = teacher::load_teacher(c.path, Backend::Cpu);
  const Structure s = test_cell(c);
  const auto ref = evaluate(*ff, s);
  double wmax = 0;
  for (auto& row : ref.virial)
    for (double v : row) wmax = std::max(wmax, std::abs(v));
  const double eps = 1e-6;
  auto strained = [&](int a, int b, double e) {
    Structure t = s;  // r_a += e r_b for positions and cell vectors
    for (auto& r : t.positions) r[a] += e * r[b];
    for (auto& v : t.box.h) v[a] += e * v[b];
    return t;
  };
  for (int a = 0; a < 3; ++a)
    for (int b = 0; b < 3; ++b) {
      const double de =
          (evaluate(*ff, strained(a, b, eps)).energy - evaluate(*ff, strained(a, b, -eps)).energy) /
          (2 * eps);
      // dE/dε_ab = Σ ∂E/∂r_a r_b = −W_ba, and W is symmetric for pair forces.
      EXPECT_NEAR(-de, ref.virial[b][a], 1e-6 * wmax) << c.name << " W" << a << b;
      EXPECT_NEAR(ref.virial[a][b], ref.virial[b][a], 1e-12 * wmax);
    }
}

TEST_P(TeacherFiniteDifference, TotalForceVanishesAndResultIsDeterministic) {
  const auto& c = GetParam();
  auto ff = teacher::load_teacher(c.path, Backend::Cpu);
  const Structure s = test_cell(c);
  const auto a = evaluate(*ff, s);
  Vec3 total{0, 0, 0};
  for (const auto& f : a.forces) total += f;
  const double fmax = test::max_abs(a.forces);
  for (int d = 0; d < 3; ++d) EXPECT_NEAR(total[d], 0.0, 1e-11 * fmax * s.size());
  double esum = 0;
  for (double e : a.atom_energy) esum += e;
  EXPECT_NEAR(esum, a.energy, 1e-12 * std::abs(a.energy));
  const auto b = evaluate(*ff, s);
  EXPECT_EQ(a.energy, b.energy);
  for (size_t i = 0; i < s.size(); ++i)
    for (int d = 0; d < 3; ++d) ASSERT_EQ(a.forces[i][d], b.forces[i][d]);
}

INSTANTIATE_TEST_SUITE_P(Teacher, TeacherFiniteDifference,
                         ::testing::Values(FdCase{"BKS", test::bks_path(), false},
                                           FdCase{"BKS_wall", test::bks_path(), true},
                                           FdCase{"TTAM", test::ttam_path(), false},
                                           FdCase{"TTAM_wall", test::ttam_path(), true}),
                         [](const auto& info) { return std::string(info.param.name); });

// The pair terms against direct evaluation of the formulas in the header comment.
TEST(TeacherPair, MatchesTheFormulasAndVanishesAtTheCutoffs) {
  teacher::TeacherParams p = teacher::read_teacher_params(test::bks_path());
  auto ff = teacher::make_teacher(p, Backend::Cpu);
  const double k = p.coulomb_constant, alpha = p.alpha, rc = p.coulomb_cutoff;
  const double fs = -(std::erfc(alpha * rc) / (rc * rc) +
                      2 / std::sqrt(M_PI) * alpha * std::exp(-alpha * alpha * rc * rc) / rc);
  const double es = std::erfc(alpha * rc) / rc - fs * rc;
  // Si-O pair at r = 1.7 Å in a big non-periodic box: E = self(Si) + self(O) + φ(r).
  for (double r : {1.1, 1.7, 3.3, 5.49, 6.0, 9.99}) {
    Structure s;
    s.species = {14, 8};
    s.positions = {{0, 0, 0}, {r, 0, 0}};
    const auto res = evaluate(*ff, s);
    const double qq = k * 2.4 * -1.2;
    double phi = qq * (std::erfc(alpha * r) / r - es - r * fs);
    const double A = 18003.7572, rho = 1 / 4.87318, C = 133.5381, rcs = 5.5;
    if (r < rcs)
      phi += A * std::exp(-r / rho) - C / std::pow(r, 6) -
             (A * std::exp(-rcs / rho) - C / std::pow(rcs, 6));
    if (r < 1.25) {
      const double x = 1.25 / r;
      phi += 2.0 * (std::pow(x, 12) + 12 / x - 13);
    }
    const double self = -(es / 2 + alpha / std::sqrt(M_PI)) * k * (2.4 * 2.4 + 1.2 * 1.2);
    EXPECT_NEAR(res.energy, self + phi, 1e-12 * std::abs(self + phi)) << "r = " << r;
    EXPECT_NEAR(res.forces[0].x, -res.forces[1].x, 1e-12 * std::abs(res.forces[0].x) + 1e-15);
  }
  // Continuity: DSF energy and force vanish at rc; the shifted Buckingham energy at 5.5 Å.
  auto pair_energy = [&](double r) {
    Structure s;
    s.species = {8, 8};
    s.positions = {{0, 0, 0}, {r, 0, 0}};
    const auto res = evaluate(*ff, s);
    return std::make_pair(res.energy, res.forces[1].x);
  };
  const auto far = pair_energy(20.0);
  const auto in = pair_energy(rc - 1e-9), out = pair_energy(rc + 1e-9);
  EXPECT_NEAR(in.first, far.first, 1e-9);
  EXPECT_NEAR(in.second, 0.0, 1e-9);
  EXPECT_EQ(out.second, 0.0);
  const auto sr_in = pair_energy(5.5 - 1e-9), sr_out = pair_energy(5.5 + 1e-9);
  EXPECT_NEAR(sr_in.first, sr_out.first, 1e-8);
}

}  // namespace
