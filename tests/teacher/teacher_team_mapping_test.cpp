// The teacher's warp-per-atom kernel (math/team_pair.hpp) run through the CPU team emulator:
// every list slot visited exactly once, and per-atom terms equal to atom_terms (the per-thread
// path, checked against LAMMPS elsewhere) to rounding, for team sizes 1, 8 and 32.
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "teacher_test_util.hpp"
#include "vitrum/teacher/math/erfc_table.hpp"
#include "vitrum/teacher/math/team_pair.hpp"
#include "vitrum/teacher/teacher_backend.hpp"

using namespace vitrum;
using namespace vitrum::teacher;

namespace {

/// Counts the visits of every list slot, then evaluates the pair with `pair`.
template <class Pair>
struct CountingPair {
  std::vector<int>* visits;
  Pair pair;
  bool operator()(int q, int j, double r2, const PairCoeffs& p, const DsfCoeffs& d, double& e,
                  double& f) const {
    ++(*visits)[q];
    return pair(q, j, r2, p, d, e, f);
  }
};

/// team_atom_terms (emulated team) against atom_terms with the same pair term, every atom;
/// every slot visited once. Returns the number of atoms with an odd neighbor count.
template <class Pair>
int check_team(const neighbor::GhostShell& shell, const neighbor::NeighborList& list,
               const std::vector<int>& type, const TeacherView& v, const Pair& pair, int team,
               const std::string& what) {
  std::vector<int> visits(list.neighbors.size(), 0);
  int odd = 0;
  for (int i = 0; i < shell.n_local; ++i) {
    const int b = list.offsets[i], e = list.offsets[i + 1];
    odd += (e - b) % 2;
    const Vec3* pos = shell.positions.data();
    const AtomTerms a = atom_terms(i, pos, type.data(), list.neighbors.data(), b, e, v, pair);
    const AtomTerms t =
        team_atom_terms(nnp::EmulatedTeam{team}, i, pos, type.data(), list.neighbors.data(), b, e,
                        v, CountingPair<Pair>{&visits, pair});
    // The atom's energy is its self energy plus half its pair sum, which can nearly cancel:
    // rounding is relative to the size of the parts.
    const double scale = std::abs(v.self_energy[type[i]]) + std::abs(a.energy);
    EXPECT_NEAR(t.energy, a.energy, 1e-13 * scale) << what << " atom " << i;
    const double fs = std::max(1.0, std::sqrt(dot(a.force, a.force)));
    for (int d = 0; d < 3; ++d)
      EXPECT_NEAR(t.force[d], a.force[d], 1e-12 * fs) << what << " atom " << i;
    for (int c = 0; c < 6; ++c)
      EXPECT_NEAR(t.virial[c], a.virial[c], 1e-12 * (1.0 + std::abs(a.virial[c]))) << what;
    EXPECT_EQ(t.min_r2, a.min_r2) << what;
  }
  for (size_t q = 0; q < visits.size(); ++q)
    if (visits[q] != 1) {
      ADD_FAILURE() << what << ": slot " << q << " visited " << visits[q] << " times";
      break;
    }
  return odd;
}

}  // namespace

TEST(TeacherTeam, EmulatedWarpMatchesAtomTermsAndVisitsEverySlotOnce) {
  for (const std::string& path : {test::bks_path(), test::ttam_path()}) {
    const TeacherParams params = read_teacher_params(path);
    const TeacherTables tables = compile_teacher_tables(params);
    const Structure s = test::sio2_cell(195, 2.2, 11, true);  // odd counts of neighbors occur
    const neighbor::GhostShell shell =
        neighbor::build_ghost_shell(s.box, s.positions, s.species, tables.cutoff);
    const neighbor::NeighborList list = neighbor::build_neighbor_list(shell, tables.cutoff, 0.0);
    std::vector<int> type(shell.size());
    for (int k = 0; k < shell.size(); ++k) type[k] = tables.type_of_z[shell.species[k]];
    const TeacherView v = tables.host_view();
    const ErfcTable table(tables.dsf.alpha * std::sqrt(tables.dsf.rc2));
    ASSERT_TRUE(table.usable());
    int odd = 0;
    for (int team : {1, 8, 32}) {
      const std::string what = path + ", team of " + std::to_string(team);
      odd += check_team(shell, list, type, v, EvaluatePair{}, team, what + ", libm erfc");
      odd += check_team(shell, list, type, v, TablePair{table.view()}, team, what + ", erfc table");
    }
    EXPECT_GT(odd, 0);
  }
}
