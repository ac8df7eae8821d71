#pragma once
/// \file team_pair.hpp
/// The teacher's per-atom terms (born_dsf.hpp's atom_terms) computed by a team of lanes: a GPU
/// warp per atom, or the CPU emulator of one (nnp/math/team.hpp), single source. Lane l takes
/// the list slots begin + l, begin + l + size, ... (consecutive lanes read consecutive slots:
/// coalesced index loads, and the positions of one atom's neighbors are close in memory), sums
/// its pairs in slot order, and the ten partial sums (energy, force, virial) are combined by the
/// butterfly of team.sum, the smallest distance by team.min: no atomics, fixed order.

#include "vitrum/nnp/math/team.hpp"
#include "vitrum/teacher/math/born_dsf.hpp"

namespace vitrum::teacher {

/// atom_terms of local atom i over the slots nbr[begin..end), by a team. Every lane returns the
/// same terms.
template <typename Team, class PairTerm>
VITRUM_HD AtomTerms team_atom_terms(const Team& team, int i, const Vec3* pos, const int* type,
                                    const int* nbr, int begin, int end, const TeacherView& v,
                                    const PairTerm& pair_term) {
  using nnp::kMaxTeam;
  typename Team::template Var<double> part[10], rmin;
  const int ti = type[i];
  const Vec3 ri = pos[i];
  const PairCoeffs* row = v.pair + static_cast<long>(ti) * v.n_types;
  team.each([&](int l) {
    double s[10] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0};  // ehalf, force xyz, virial (Voigt)
    double m = INFINITY;
    for (int q = begin + l; q < end; q += team.size) {
      const int j = nbr[q];
      const Vec3 d = ri - pos[j];
      const double r2 = dot(d, d);
      m = r2 < m ? r2 : m;
      double e, f;
      if (!pair_term(q, j, r2, row[type[j]], v.dsf, e, f)) continue;
      const double hf = 0.5 * f;
      s[0] += e;
      s[1] += f * d.x;
      s[2] += f * d.y;
      s[3] += f * d.z;
      s[4] += hf * d.x * d.x;
      s[5] += hf * d.y * d.y;
      s[6] += hf * d.z * d.z;
      s[7] += hf * d.x * d.y;
      s[8] += hf * d.x * d.z;
      s[9] += hf * d.y * d.z;
    }
    for (int c = 0; c < 10; ++c) part[c][l] = s[c];
    rmin[l] = m;
  });
  double s[10];
  for (int c = 0; c < 10; ++c) s[c] = team.sum(part[c]);
  AtomTerms t;
  t.energy = v.self_energy[ti] + 0.5 * s[0];
  t.force = Vec3{s[1], s[2], s[3]};
  for (int c = 0; c < 6; ++c) t.virial[c] = s[4 + c];
  t.min_r2 = team.min(rmin);
  return t;
}

}  // namespace vitrum::teacher
