// The fused angular runs of the CPU evaluator (sf_fused.hpp: consecutive (1 + lambda cos)^zeta
// terms of a pair group with the same slot, r_jk function and weighting evaluated in one pass per
// pair block) against the term-by-term path (EvalOptions::fused_runs = false), on the shipped
// SiO2-BKS potential (wide type 9) on a 648-atom amorphous cell, the shipped water potential
// (narrow type 3), n2p2's synthetic potentials with weighted type 13 and narrow type 3, and exactly
// collinear triples (cos = ±1: 1 + lambda cos = 0 for one sign, where the factor is clamped).
// Energies, per-atom energies, forces and virial agree to 1e-12 (relative to the largest
// magnitude).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <string>

#include "nnp_reference.hpp"
#include "vitrum/io/builders.hpp"
#include "vitrum/io/structure_io.hpp"
#include "vitrum/nnp/evaluator.hpp"

using namespace vitrum;

namespace {

/// Fused terms (in runs of >= 2) of a potential's plan.
int fused_terms(const nnp::Potential& pot) {
  int n = 0;
  for (const auto& a : pot.plan().angular)
    if (a.run >= 2) n += a.run;
  return n;
}

void compare(const nnp::Potential& pot, const Structure& s, Precision prec, double tol,
             const std::string& what) {
  nnp::Evaluator fused(pot, {Backend::Cpu, prec, true});
  nnp::EvalOptions o{Backend::Cpu, prec, true};
  o.fused_runs = false;
  nnp::Evaluator generic(pot, o);
  const nnp::EvalResult a = fused.evaluate(s, what), b = generic.evaluate(s, what);
  EXPECT_LE(std::fabs(a.energy - b.energy), tol * std::max(1.0, std::fabs(b.energy))) << what;
  double emax = 0, fmax = 0, wmax = 0;
  for (size_t i = 0; i < b.atom_energy.size(); ++i)
    emax = std::max(emax, std::fabs(b.atom_energy[i]));
  for (const Vec3& f : b.forces)
    fmax = std::max({fmax, std::fabs(f.x), std::fabs(f.y), std::fabs(f.z)});
  for (const auto& row : b.virial)
    for (double v : row) wmax = std::max(wmax, std::fabs(v));
  ASSERT_EQ(a.forces.size(), b.forces.size());
  ASSERT_GT(fmax, 0.0) << what;
  for (size_t i = 0; i < b.atom_energy.size(); ++i)
    ASSERT_LE(std::fabs(a.atom_energy[i] - b.atom_energy[i]), tol * emax) << what << " atom " << i;
  for (size_t i = 0; i < b.forces.size(); ++i)
    for (int d = 0; d < 3; ++d)
      ASSERT_LE(std::fabs(a.forces[i][d] - b.forces[i][d]), tol * fmax)
          << what << " atom " << i << " component " << d;
  for (int x = 0; x < 3; ++x)
    for (int y = 0; y < 3; ++y)
      EXPECT_LE(std::fabs(a.virial[x][y] - b.virial[x][y]), tol * wmax) << what;
}

Structure sio2_cell(int n_atoms) {
  io::AmorphousCellSpec spec;
  spec.composition = {{"Si", 1}, {"O", 2}};
  spec.n_atoms = n_atoms;
  spec.density = 2.2;
  spec.min_distances = {{"Si", "O", 1.55}, {"O", "O", 2.3}, {"Si", "Si", 2.9}};
  spec.seed = 2026;
  return io::build_amorphous_cell(spec);
}

const std::string kSio2 = VITRUM_SOURCE_DIR "/configs/potentials/SiO2-BKS";

}  // namespace

TEST(NnpFusedRuns, PlanFusesTheShippedPotentials) {
  const auto sio2 = nnp::Potential::load_n2p2(kSio2);
  // 2 elements x 3 pair groups x 2 slots, each a run of 4 terms (lambda ±1, zeta 1 and 4).
  EXPECT_EQ(fused_terms(sio2), 48);
  for (const auto& a : sio2.plan().angular)
    if (a.run >= 2) {
      EXPECT_EQ(a.run, 4);
      EXPECT_EQ(a.run_deg, 4);
    }
  const auto water = nnp::Potential::load_n2p2(VITRUM_SOURCE_DIR "/configs/potentials/H2O_RPBE-D3");
  EXPECT_GT(fused_terms(water), 0);
}

TEST(NnpFusedRuns, Sio2AmorphousCellMatchesTermByTerm) {
  const auto pot = nnp::Potential::load_n2p2(kSio2);
  compare(pot, sio2_cell(648), Precision::Double, 1e-12, "SiO2 648");
  compare(pot, sio2_cell(192), Precision::Mixed, 2e-5, "SiO2 192 mixed");
}

TEST(NnpFusedRuns, WaterMatchesTermByTerm) {
  const auto pot = nnp::Potential::load_n2p2(VITRUM_SOURCE_DIR "/configs/potentials/H2O_RPBE-D3");
  const Structure s =
      io::read_structures(VITRUM_SOURCE_DIR "/configs/structures/water_1080.data").front();
  compare(pot, s, Precision::Double, 1e-12, "water 1080");
}

TEST(NnpFusedRuns, SyntheticWeightedAndNarrowMatchTermByTerm) {
  // Weighted type 13 (wACSF) and narrow type 3 with integer zeta fuse; the type-9 synthetic
  // potentials have non-integer zeta (1.5, 4.5, pow): nothing fuses, the paths must still agree.
  const struct {
    const char* name;
    bool fuses;
  } cases[] = {{"synth_QM9_wACSF_12_13", true},
               {"synth_H2O_cos_alpha_scale", true},
               {"synth_H2O_poly4_alpha05_3layers", false}};
  for (const auto& c : cases) {
    const std::string dir = test::n2p2_dir() + "/synthetic/" + c.name;
    const auto pot = nnp::Potential::load_n2p2(dir);
    EXPECT_EQ(fused_terms(pot) > 0, c.fuses) << c.name;
    int k = 0;
    for (const Structure& s : io::read_structures(dir + "/input.data"))
      if (k++ < 3)
        compare(pot, s, Precision::Double, 1e-12, std::string(c.name) + " #" + std::to_string(k));
  }
}

TEST(NnpFusedRuns, CollinearTriplesMatchTermByTerm) {
  // O-Si-O on a line with exactly representable geometry: cos theta = -1 at Si and +1 at the O
  // atoms (1 + lambda cos = 0 for one sign of lambda), plus a bent partner so forces are nonzero.
  const auto pot = nnp::Potential::load_n2p2(kSio2);
  Structure s;
  s.box.periodic = true;
  s.box.h[0] = {20, 0, 0};
  s.box.h[1] = {0, 20, 0};
  s.box.h[2] = {0, 0, 20};
  s.positions = {{10, 10, 10}, {12, 10, 10}, {8, 10, 10}, {10, 12.5, 10}};
  s.species = {14, 8, 8, 8};
  compare(pot, s, Precision::Double, 1e-12, "collinear");
}
