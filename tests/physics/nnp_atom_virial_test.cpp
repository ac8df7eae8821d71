// Per-atom virials of the CPU evaluator (Evaluator::compute(..., atom_virial = true), accumulated
// in its gradient pass): they sum to the global virial, equal the construction from explicit pair
// forces F_ij (a second evaluation of a shell in which every centre owns private copies of its
// neighbors, so that the force left on a copy is F_ij alone), fold onto owners like the forces,
// follow the potential's units, and leave energy, forces and virial unchanged.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <string>

#include "vitrum/io/builders.hpp"
#include "vitrum/io/structure_io.hpp"
#include "vitrum/neighbor/ghosts.hpp"
#include "vitrum/neighbor/neighbor_list.hpp"
#include "vitrum/nnp/evaluator.hpp"

using namespace vitrum;

namespace {

const std::string kSio2 = VITRUM_SOURCE_DIR "/configs/potentials/SiO2-BKS";

Structure sio2_cell(int n_atoms, unsigned seed) {
  io::AmorphousCellSpec spec;
  spec.composition = {{"Si", 1}, {"O", 2}};
  spec.n_atoms = n_atoms;
  spec.density = 2.2;
  spec.min_distances = {{"Si", "O", 1.55}, {"O", "O", 2.3}, {"Si", "Si", 2.9}};
  spec.seed = seed;
  return io::build_amorphous_cell(spec);
}

struct ShellAndList {
  neighbor::GhostShell shell;
  neighbor::NeighborList list;
};

/// Ghost shell and full list with a skin (entries beyond the cutoff, as in MD).
ShellAndList setup(const Structure& s, double cutoff, double skin) {
  ShellAndList u;
  u.shell = neighbor::build_ghost_shell(s.box, s.positions, s.species, cutoff + skin);
  u.list = neighbor::build_neighbor_list(u.shell, cutoff, skin);
  return u;
}

double largest(const std::vector<double>& v) {
  double m = 0;
  for (double x : v) m = std::max(m, std::fabs(x));
  return m;
}

/// Sum of the 6-component entries as a 3x3 (symmetric part is not assumed: xy, xz, yz only).
void expect_sums_to_virial(const nnp::EvalResult& r, double tol, const std::string& what) {
  double sum[6] = {};
  for (size_t a = 0; a < r.atom_virial.size() / 6; ++a)
    for (int c = 0; c < 6; ++c) sum[c] += r.atom_virial[6 * a + c];
  const double w[6] = {r.virial[0][0], r.virial[1][1], r.virial[2][2],
                       r.virial[0][1], r.virial[0][2], r.virial[1][2]};
  double wmax = 0;
  for (double x : w) wmax = std::max(wmax, std::fabs(x));
  ASSERT_GT(wmax, 0.0) << what;
  for (int c = 0; c < 6; ++c) EXPECT_NEAR(sum[c], w[c], tol * wmax) << what << " component " << c;
}

/// The per-atom virials from explicit pair forces: every centre i owns a private copy of each of
/// its neighbors (shell entries n + q), so the force the evaluator leaves on copy q is
/// F_ij = -dE_i/dr_j of list entry q; half of (r_j - r_i) (x) F_ij goes to i and half to j.
std::vector<double> pair_force_construction(nnp::Evaluator& ev, const ShellAndList& u) {
  const int n = u.shell.n_local;
  const std::vector<int>& off = u.list.offsets;
  const std::vector<int>& nb = u.list.neighbors;
  neighbor::GhostShell copies;
  copies.n_local = n;
  copies.fold_ghosts = false;
  copies.width = u.shell.width;
  copies.positions.assign(u.shell.positions.begin(), u.shell.positions.begin() + n);
  copies.species.assign(u.shell.species.begin(), u.shell.species.begin() + n);
  for (int q = 0; q < off[n]; ++q) {
    copies.positions.push_back(u.shell.positions[nb[q]]);
    copies.species.push_back(u.shell.species[nb[q]]);
  }
  copies.owner.assign(copies.positions.size(), -1);
  for (int i = 0; i < n; ++i) copies.owner[i] = i;
  copies.shift.assign(copies.positions.size(), Vec3{0, 0, 0});
  neighbor::NeighborList list = u.list;
  list.build_id = 0;
  for (int q = 0; q < off[n]; ++q) list.neighbors[q] = n + q;
  nnp::EvalResult r;
  ev.compute(copies, list, r);
  std::vector<double> w(6 * static_cast<size_t>(u.shell.size()), 0.0);
  for (int i = 0; i < n; ++i)
    for (int q = off[i]; q < off[i + 1]; ++q) {
      const int j = nb[q];
      const Vec3 d = u.shell.positions[j] - u.shell.positions[i], f = r.ghost_forces[q];
      const double t[6] = {d.x * f.x, d.y * f.y, d.z * f.z, d.x * f.y, d.x * f.z, d.y * f.z};
      for (int c = 0; c < 6; ++c) {
        w[6 * static_cast<size_t>(i) + c] += 0.5 * t[c];
        w[6 * static_cast<size_t>(j) + c] += 0.5 * t[c];
      }
    }
  return w;
}

}  // namespace

TEST(NnpAtomVirial, MatchesPairForcesAndSumsToTheVirial) {
  const auto pot = nnp::Potential::load_n2p2(kSio2);
  nnp::Evaluator ev(pot, {Backend::Cpu, Precision::Double, true});
  ShellAndList u = setup(sio2_cell(96, 7), ev.cutoff(), 1.0);  // a cell smaller than 2 cutoffs
  u.shell.fold_ghosts = false;
  nnp::EvalResult r;
  ev.compute(u.shell, u.list, r, true);
  ASSERT_EQ(r.atom_virial.size(), 6 * static_cast<size_t>(u.shell.size()));
  expect_sums_to_virial(r, 1e-12, "SiO2 96, unfolded");
  const std::vector<double> ref = pair_force_construction(ev, u);
  const double wmax = largest(ref);
  ASSERT_GT(wmax, 0.0);
  for (size_t a = 0; a < ref.size(); ++a)
    ASSERT_NEAR(r.atom_virial[a], ref[a], 1e-12 * wmax) << "entry " << a / 6 << " comp " << a % 6;
  // Ghost entries carry nonzero halves (the owners' shares on other ranks).
  EXPECT_GT(largest(std::vector<double>(r.atom_virial.begin() + 6 * u.shell.n_local,
                                        r.atom_virial.end())),
            1e-3 * wmax);
}

TEST(NnpAtomVirial, FoldsOntoOwnersAndLeavesTheRestUnchanged) {
  const auto pot = nnp::Potential::load_n2p2(kSio2);
  nnp::Evaluator ev(pot, {Backend::Cpu, Precision::Double, true});
  ShellAndList u = setup(sio2_cell(96, 11), ev.cutoff(), 0.5);
  nnp::EvalResult plain, folded, unfolded;
  ev.compute(u.shell, u.list, plain);
  EXPECT_TRUE(plain.atom_virial.empty());
  ev.compute(u.shell, u.list, folded, true);
  const int n = u.shell.n_local;
  ASSERT_EQ(folded.atom_virial.size(), 6 * static_cast<size_t>(n));
  expect_sums_to_virial(folded, 1e-12, "SiO2 96, folded");
  // The same bits for energy, forces and virial with and without per-atom virials.
  EXPECT_EQ(folded.energy, plain.energy);
  for (int i = 0; i < n; ++i)
    for (int d = 0; d < 3; ++d) ASSERT_EQ(folded.forces[i][d], plain.forces[i][d]);
  for (int a = 0; a < 3; ++a)
    for (int b = 0; b < 3; ++b) EXPECT_EQ(folded.virial[a][b], plain.virial[a][b]);
  // Unfolded entries added to their owners give the folded ones.
  u.shell.fold_ghosts = false;
  ev.compute(u.shell, u.list, unfolded, true);
  std::vector<double> sum(unfolded.atom_virial.begin(), unfolded.atom_virial.begin() + 6 * n);
  for (int g = n; g < u.shell.size(); ++g)
    for (int c = 0; c < 6; ++c) sum[6 * u.shell.owner[g] + c] += unfolded.atom_virial[6 * g + c];
  const double wmax = largest(folded.atom_virial);
  for (size_t a = 0; a < sum.size(); ++a) ASSERT_NEAR(sum[a], folded.atom_virial[a], 1e-13 * wmax);
}

TEST(NnpAtomVirial, FollowsThePotentialUnitsAndPrecision) {
  const auto pot = nnp::Potential::load_n2p2(kSio2);
  const Structure s = sio2_cell(96, 5);
  for (Precision prec : {Precision::Double, Precision::Mixed}) {
    nnp::Evaluator unit(pot, {Backend::Cpu, prec, true});
    nnp::Evaluator scaled(pot, {Backend::Cpu, prec, true, 1.25, 0.5});
    Structure big = s;  // the same configuration in a length unit 1.25 times smaller
    for (Vec3& h : big.box.h) h = 1.25 * h;
    for (Vec3& p : big.positions) p = 1.25 * p;
    ShellAndList a = setup(s, unit.cutoff(), 0.0), b = setup(big, scaled.cutoff(), 0.0);
    nnp::EvalResult ra, rb;
    unit.compute(a.shell, a.list, ra, true);
    scaled.compute(b.shell, b.list, rb, true);
    const double tol = prec == Precision::Double ? 1e-12 : 1e-5;
    expect_sums_to_virial(rb, tol, "scaled units");
    // virial ~ energy: every entry scales by energy_unit.
    ASSERT_EQ(ra.atom_virial.size(), rb.atom_virial.size());
    const double wmax = largest(ra.atom_virial);
    for (size_t q = 0; q < ra.atom_virial.size(); ++q)
      ASSERT_NEAR(rb.atom_virial[q], 0.5 * ra.atom_virial[q], tol * wmax) << q;
  }
}
