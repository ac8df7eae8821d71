// The GPU's cooperative (team) NNP kernels run on the CPU through the team emulator (same lane
// mapping, same butterfly reduction order as a warp): energies and forces against n2p2 on every
// shipped reference, and the mapping itself: every neighbor staged once, every (j, k) pair
// visited once, conflict-free gradient rounds, team-size independence of the gradient pass.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include "nnp_reference.hpp"
#include "vitrum/io/structure_io.hpp"
#include "vitrum/nnp/evaluator_backend.hpp"
#include "vitrum/nnp/math/team_sf_grad.hpp"
#include "vitrum/nnp/neighbor_gather.hpp"

using namespace vitrum;
using namespace vitrum::nnp;

namespace {

struct TeamSetup {
  neighbor::GhostShell shell;
  neighbor::NeighborList list;
  std::vector<int> elem;
  std::vector<double> z, ang;
  TeamInputs in;
  TeamSetup(const Potential& pot, const Structure& s) {
    shell = neighbor::build_ghost_shell(s.box, s.positions, s.species, pot.cutoff());
    list = neighbor::build_neighbor_list(shell, pot.cutoff(), 0.0);
    elem = element_indices(pot, shell);
    z.assign(shell.species.begin(), shell.species.end());
    ang = angular_rmax(pot.plan().view());
    in = TeamInputs{shell.positions.data(),
                    list.offsets.data(),
                    list.neighbors.data(),
                    elem.data(),
                    z.data(),
                    1.0,
                    ang.data()};
  }
};

template <typename T>
TeamStage<T> make_stage(const SfPlanView& p, int cap, bool grad, std::vector<double>& buf) {
  buf.assign(team_stage_bytes(sizeof(T), std::max(1, cap), p.n_elements, p.max_slots, grad) / 8 + 1,
             0.0);
  return carve_stage<T>(buf.data(), std::max(1, cap), p.n_elements, p.max_slots, grad);
}

}  // namespace

class TeamReference : public ::testing::TestWithParam<vitrum::test::ReferenceCase> {};

// Energies to 1e-10 (relative) and forces to 1e-8 of the largest component against n2p2, with
// the warp's team size (32) on every case; team sizes 1 and 8 on the first structure.
TEST_P(TeamReference, EmulatedWarpKernelsMatchN2p2) {
  const auto& c = GetParam();
  const auto pot = Potential::load_n2p2(c.potential);
  const auto refs = io::read_structures(c.reference);
  ASSERT_FALSE(refs.empty());
  for (int team : {32, 8, 1}) {
    auto backend = make_team_emulator_backend(pot, Precision::Double, 1.0, team);
    double erel = 0, frel = 0;
    const size_t count = team == 32 ? refs.size() : 1;
    for (size_t k = 0; k < count; ++k) {
      const Structure& ref = refs[k];
      const neighbor::GhostShell shell =
          neighbor::build_ghost_shell(ref.box, ref.positions, ref.species, pot.cutoff());
      const neighbor::NeighborList list = neighbor::build_neighbor_list(shell, pot.cutoff(), 0.0);
      EvalResult r;
      backend->compute(shell, list, c.has_forces, r);
      erel = std::max(erel, std::abs(r.energy - ref.energy) / std::abs(ref.energy));
      if (!c.has_forces) continue;
      double fmax = 0, dmax = 0;
      for (size_t i = 0; i < ref.size(); ++i)
        for (int a = 0; a < 3; ++a) {
          fmax = std::max(fmax, std::abs(ref.forces[i][a]));
          dmax = std::max(dmax, std::abs(r.forces[i][a] - ref.forces[i][a]));
        }
      frel = std::max(frel, dmax / fmax);
    }
    std::printf(
        "[ %s ] team of %d, %zu structure(s): energy rel. dev. %.3e, force dev./max|F| %.3e\n",
        c.name.c_str(), team, count, erel, frel);
    EXPECT_LT(erel, 1e-10) << "team size " << team;
    if (c.has_forces) EXPECT_LT(frel, 1e-8) << "team size " << team;
  }
}

// Mixed precision through the same lane mapping: the error against n2p2 is measured and printed
// (first structure), with the bounds of the CPU path's mixed mode.
TEST_P(TeamReference, EmulatedWarpKernelsMixedPrecisionError) {
  const auto& c = GetParam();
  const auto pot = Potential::load_n2p2(c.potential);
  const Structure ref = io::read_structures(c.reference).front();
  auto backend = make_team_emulator_backend(pot, Precision::Mixed, 1.0, 32);
  const neighbor::GhostShell shell =
      neighbor::build_ghost_shell(ref.box, ref.positions, ref.species, pot.cutoff());
  const neighbor::NeighborList list = neighbor::build_neighbor_list(shell, pot.cutoff(), 0.0);
  EvalResult r;
  backend->compute(shell, list, c.has_forces, r);
  const double erel = std::abs(r.energy - ref.energy) / std::abs(ref.energy);
  double fmax = 0, dmax = 0;
  if (c.has_forces)
    for (size_t i = 0; i < ref.size(); ++i)
      for (int a = 0; a < 3; ++a) {
        fmax = std::max(fmax, std::abs(ref.forces[i][a]));
        dmax = std::max(dmax, std::abs(r.forces[i][a] - ref.forces[i][a]));
      }
  std::printf("[ %s ] team of 32, mixed precision: energy rel. dev. %.3e, force dev./max|F| %.3e\n",
              c.name.c_str(), erel, c.has_forces ? dmax / fmax : 0.0);
  const bool trained = c.name.rfind("synth_", 0) != 0 && c.name.rfind("LJ_", 0) != 0;
  if (trained) EXPECT_LT(erel, 1e-6);
  EXPECT_GT(erel, 0.0);  // it really ran in float
  if (c.has_forces) EXPECT_LT(dmax / fmax, trained ? 1e-3 : 1e-2);
}

INSTANTIATE_TEST_SUITE_P(AllShipped, TeamReference,
                         ::testing::ValuesIn(vitrum::test::reference_cases()),
                         [](const auto& info) {
                           std::string n = info.param.name;
                           std::replace_if(
                               n.begin(), n.end(), [](char ch) { return !std::isalnum(ch); }, '_');
                           return n;
                         });

// The butterfly gives every lane the same bits, and the tree is the one of the xor shuffles.
TEST(TeamMapping, ButterflyReductionOrder) {
  EmulatedTeam team{8};
  EmulatedTeam::Var<double> v;
  for (int l = 0; l < 8; ++l) v[l] = std::pow(10.0, 3 * l % 17) * (l % 2 ? 1.0 + 1e-9 * l : -1.0);
  const double s = team.sum(v);
  // Offsets 4, 2, 1: ((v0+v4)+(v2+v6)) + ((v1+v5)+(v3+v7)).
  const double tree = ((v[0] + v[4]) + (v[2] + v[6])) + ((v[1] + v[5]) + (v[3] + v[7]));
  EXPECT_EQ(s, tree);
  double lanes[kMaxTeam];
  for (int l = 0; l < 8; ++l) lanes[l] = v[l];
  butterfly_reduce(lanes, 8, [](double a, double b) { return a + b; });
  for (int l = 1; l < 8; ++l) EXPECT_EQ(lanes[l], lanes[0]) << "lane " << l;
  EXPECT_EQ(team.min(v), *std::min_element(v.v, v.v + 8));
  EXPECT_EQ(team.ballot([&](int l) { return v[l] > 0; }), 0xAAu);
}

// Forward pass: lanes l, l + size, ... over the linear / triangular pair index visit every pair
// of a block exactly once, for any team size and odd or even block sizes.
TEST(TeamMapping, ForwardPairsCoverEveryPairOnce) {
  for (int team : {1, 8, 32})
    for (int na : {0, 1, 2, 3, 7, 8, 31, 32, 33, 65})
      for (int nb : {0, 1, 5, 32, 33}) {
        for (bool same : {true, false}) {
          const int np = block_pairs(same, na, same ? na : nb);
          std::map<std::pair<int, int>, int> seen;
          for (int l = 0; l < team; ++l)
            for (int q = l; q < np; q += team) {
              const PairIndex p = block_pair(same, q, same ? na : nb);
              ASSERT_TRUE(p.valid);
              ASSERT_GE(p.u, 0);
              if (same) {
                ASSERT_LT(p.u, p.v);
                ASSERT_LT(p.v, na);
              } else {
                ASSERT_LT(p.u, na);
                ASSERT_LT(p.v, nb);
              }
              ++seen[{p.u, p.v}];
            }
          const int expect = same ? na * (na - 1) / 2 : na * nb;
          ASSERT_EQ(static_cast<int>(seen.size()), expect) << na << " " << nb << " " << same;
          for (const auto& [pair, n] : seen) ASSERT_EQ(n, 1);
        }
      }
}

// Gradient pass: every pair exactly once over the rounds, and no neighbor twice in one round.
TEST(TeamMapping, GradientRoundsAreConflictFreeAndComplete) {
  for (int team : {1, 8, 32})
    for (int na : {0, 1, 2, 3, 4, 7, 31, 32, 33, 65})
      for (int nb : {0, 1, 2, 5, 33, 40})
        for (bool same : {true, false}) {
          const int nbb = same ? na : nb;
          const RoundShape rs = round_shape(same, na, nbb);
          std::set<std::pair<int, int>> seen;
          for (int r = 0; r < rs.rounds; ++r) {
            std::set<int> used_a, used_b;
            for (int l = 0; l < team; ++l)
              for (int s = l; s < rs.per_round; s += team) {
                const PairIndex p = round_pair(same, na, nbb, r, s);
                if (!p.valid) continue;
                ASSERT_TRUE(seen.insert({p.u, p.v}).second) << "pair visited twice";
                if (same) {
                  ASSERT_LT(p.u, p.v);
                  ASSERT_LT(p.v, na);
                  ASSERT_TRUE(used_a.insert(p.u).second && used_a.insert(p.v).second)
                      << "neighbor twice in round " << r;
                } else {
                  ASSERT_LT(p.u, na);
                  ASSERT_LT(p.v, nb);
                  ASSERT_TRUE(used_a.insert(p.u).second && used_b.insert(p.v).second)
                      << "neighbor twice in round " << r;
                }
              }
          }
          ASSERT_EQ(static_cast<int>(seen.size()), block_pairs(same, na, nbb))
              << na << " " << nb << " " << same;
        }
}

// The ballot gather stages exactly the neighbors the CPU path gathers, in the same order, and
// the angular list is exactly those within the angular cutoff; for team sizes 1, 8, 32 on
// atoms with odd and even neighbor counts.
TEST(TeamMapping, GatherStagesEveryNeighborOnce) {
  const auto pot = Potential::load_n2p2(vitrum::test::n2p2_dir() + "/potentials/H2O_RPBE-D3");
  const auto s =
      io::read_structures(vitrum::test::n2p2_dir() + "/outputs/H2O_RPBE-D3/input.data").front();
  TeamSetup st(pot, s);
  const SfPlanView p = pot.plan().view();
  int odd = 0, even = 0;
  for (int team : {1, 8, 32})
    for (int i = 0; i < st.shell.n_local; i += 7) {
      const int cap = st.list.offsets[i + 1] - st.list.offsets[i];
      std::vector<double> buf;
      TeamStage<double> ts = make_stage<double>(p, cap, false, buf);
      double dmin = 0;
      const int m = team_gather<double>(EmulatedTeam{team}, p, st.in, i, ts, &dmin);
      NeighborScratch<double> cpu;
      double cpu_dmin = INFINITY;
      const int mc = gather_neighbors(p, st.shell, st.list, st.elem, 1.0, i, cpu, cpu_dmin);
      ASSERT_EQ(m, mc);
      (m % 2 ? odd : even)++;
      EXPECT_EQ(dmin, cpu_dmin);
      for (int n = 0; n < m; ++n) {
        ASSERT_EQ(ts.entry[n], cpu.entry[n]) << "atom " << i << " neighbor " << n;
        ASSERT_EQ(ts.r[n], cpu.r[n]);
        ASSERT_EQ(ts.elem[n], cpu.elem[n]);
      }
      for (int x = 0; x <= p.n_elements; ++x) ASSERT_EQ(ts.eb[x], cpu.elem_begin[x]);
      const int e = st.elem[i];
      std::vector<int> expect;
      for (int n = 0; n < m; ++n)
        if (ts.r[n] < st.ang[e]) expect.push_back(n);
      ASSERT_EQ(ts.ab[p.n_elements], static_cast<int>(expect.size()));
      for (size_t q = 0; q < expect.size(); ++q) ASSERT_EQ(ts.aidx[q], expect[q]);
      for (int x = 0; x < p.n_elements; ++x)
        for (int q = ts.ab[x]; q < ts.ab[x + 1]; ++q) ASSERT_EQ(ts.elem[ts.aidx[q]], x);
    }
  EXPECT_GT(odd, 0);
  EXPECT_GT(even, 0);
}

// The gradient pass accumulates in conflict-free rounds: its output is bitwise the same for
// every team size (given the same dE/dG).
TEST(TeamMapping, GradientIsIndependentOfTeamSize) {
  const auto pot = Potential::load_n2p2(vitrum::test::n2p2_dir() + "/potentials/H2O_RPBE-D3");
  const auto s =
      io::read_structures(vitrum::test::n2p2_dir() + "/outputs/H2O_RPBE-D3/input.data").front();
  TeamSetup st(pot, s);
  const SfPlanView p = pot.plan().view();
  const int nsf = *std::max_element(p.elem_n_sf, p.elem_n_sf + p.n_elements);
  std::vector<double> w(nsf);
  for (int q = 0; q < nsf; ++q) w[q] = std::sin(1.0 + q);  // a fixed, generic dE/dG
  const long entries = st.list.offsets.back();
  std::vector<std::vector<Vec3>> grads;
  for (int team : {1, 8, 32}) {
    std::vector<Vec3> grad(entries, Vec3{-1, -1, -1});
    for (int i = 0; i < st.shell.n_local; i += 5) {
      std::vector<double> buf, vir(9);
      TeamStage<double> ts =
          make_stage<double>(p, st.list.offsets[i + 1] - st.list.offsets[i], true, buf);
      team_atom_gradient<double>(EmulatedTeam{team}, p, st.in, i, ts, w.data(), grad.data(), 0,
                                 vir.data());
    }
    grads.push_back(grad);
  }
  long nonzero = 0;
  for (long q = 0; q < entries; ++q)
    for (int d = 0; d < 3; ++d) {
      ASSERT_EQ(grads[1][q][d], grads[0][q][d]) << "entry " << q;
      ASSERT_EQ(grads[2][q][d], grads[0][q][d]) << "entry " << q;
      nonzero += grads[0][q][d] != 0.0 && grads[0][q][d] != -1.0;
    }
  EXPECT_GT(nonzero, 1000);
}
