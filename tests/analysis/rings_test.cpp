// Ring statistics: hand-built networks with known rings, crystals whose rings are known by
// construction (β-cristobalite: diamond net, only six-rings; α-quartz: the qtz net, vertex
// symbol 6·6·6₂·6₂·8₇·8₇), invariance under cell choice and atom order, Qn speciation.
#include "vitrum/analysis/rings.hpp"

#include <gtest/gtest.h>
#include <omp.h>

#include <algorithm>
#include <map>
#include <random>

#include "analysis_fixtures.hpp"
#include "vitrum/analysis/math/pair_geometry.hpp"
#include "vitrum/analysis/network.hpp"
#include "vitrum/io/structure_io.hpp"

namespace vitrum::analysis {
namespace {

using test::beta_cristobalite;

std::map<int, int> sizes(const std::vector<Ring>& rings) {
  std::map<int, int> m;
  for (const Ring& r : rings) ++m[r.size];
  return m;
}

// Non-periodic carbon graph from positions with C-C bonds below 1.6 Å.
RingSet molecule_rings(const std::vector<Vec3>& pos, int max_size) {
  Box box;  // non-periodic
  const std::vector<int> species(pos.size(), 6);
  const BondGraph g = build_bond_graph(box, pos, species, {{6, 6, 1.6}});
  RingParams p;
  p.max_size = max_size;
  return find_rings(g, p);
}

std::vector<Vec3> hexagon(Vec3 center, double phase = 0.0) {
  std::vector<Vec3> v;
  for (int k = 0; k < 6; ++k) {
    const double a = phase + k * kPi / 3.0;
    v.push_back(center + Vec3{1.4 * std::cos(a), 1.4 * std::sin(a), 0.0});
  }
  return v;
}

TEST(Rings, SingleHexagonIsOneRingOfBothKinds) {
  const RingSet r = molecule_rings(hexagon({0, 0, 0}), 12);
  EXPECT_EQ(sizes(r.king), (std::map<int, int>{{6, 1}}));
  EXPECT_EQ(sizes(r.primitive), (std::map<int, int>{{6, 1}}));
  EXPECT_EQ(r.king_pairs, 6u);
  EXPECT_EQ(r.king_pairs_no_ring, 0u);
  // A ring lists its atoms in order around it.
  const Ring& ring = r.primitive.front();
  for (int k = 0; k < 6; ++k) {
    const int a = ring.atoms[k], b = ring.atoms[(k + 1) % 6];
    EXPECT_TRUE(std::abs(a - b) == 1 || std::abs(a - b) == 5) << a << " " << b;
  }
}

TEST(Rings, NaphthaleneKingFindsThePerimeterPrimitiveDoesNot) {
  // Two hexagons sharing an edge: the 10-ring around both is King's shortest ring for the angle
  // between the two outer bonds at a shared atom, but the shared bond is a shortcut of it.
  std::vector<Vec3> pos = hexagon({0, 0, 0}, kPi / 6);
  for (const Vec3& v : hexagon({1.4 * std::sqrt(3.0), 0, 0}, kPi / 6)) {
    bool dup = false;
    for (const Vec3& p : pos) dup |= dot(p - v, p - v) < 0.01;
    if (!dup) pos.push_back(v);
  }
  ASSERT_EQ(pos.size(), 10u);
  const RingSet r = molecule_rings(pos, 12);
  EXPECT_EQ(sizes(r.king), (std::map<int, int>{{6, 2}, {10, 1}}));
  EXPECT_EQ(sizes(r.primitive), (std::map<int, int>{{6, 2}}));
  // With a maximum of 8 the perimeter is out of reach: two angles have no ring.
  const RingSet small = molecule_rings(pos, 8);
  EXPECT_EQ(sizes(small.king), (std::map<int, int>{{6, 2}}));
  EXPECT_EQ(small.king_pairs_no_ring, 2u);
}

TEST(Rings, TriangleAndSquareSharingAnEdge) {
  // Odd and even rings: i=0, j=1 shared; triangle 0-1-2; square 0-1-3-4.
  const double s = 1.5;
  const std::vector<Vec3> pos = {
      {0, 0, 0}, {s, 0, 0}, {0.5 * s, 0.866 * s, 0}, {s, -s, 0}, {0, -s, 0}};
  const RingSet r = molecule_rings(pos, 12);
  EXPECT_EQ(sizes(r.primitive), (std::map<int, int>{{3, 1}, {4, 1}}));
  EXPECT_EQ(sizes(r.king), (std::map<int, int>{{3, 1}, {4, 1}, {5, 1}}));
}

TEST(Rings, PathWindingAroundTheCellIsNotARing) {
  // A chain of carbon atoms along x through a periodic cell: closed only through the boundary.
  Structure s;
  s.box = test::make_box({6.0, 0, 0}, {0, 10.0, 0}, {0, 0, 10.0});
  for (int k = 0; k < 4; ++k) {
    s.positions.push_back({1.5 * k, 0, 0});
    s.species.push_back(6);
  }
  const BondGraph g = build_bond_graph(s.box, s.positions, s.species, {{6, 6, 1.6}});
  EXPECT_EQ(g.n_edges(), 8u);
  RingParams p;
  p.max_size = 20;
  const RingSet r = find_rings(g, p);
  EXPECT_TRUE(r.king.empty());
  EXPECT_TRUE(r.primitive.empty());
}

RingSet silica_rings(const Structure& s, int max_size) {
  const BondGraph g = build_bond_graph(s.box, s.positions, s.species, {{14, 8, 2.0}});
  RingParams p;
  p.max_size = max_size;
  p.count_species = 14;
  return find_rings(g, p);
}

int count_si(const Structure& s) {
  return static_cast<int>(std::count(s.species.begin(), s.species.end(), 14));
}

// Per Si: for each O-Si-O angle, (size, number) of the shortest of `rings` passing through
// it, sorted -- the vertex symbol of the Si net when `rings` are the primitive rings.
std::map<int, std::vector<std::pair<int, int>>> vertex_symbols(const Structure& s,
                                                               const std::vector<Ring>& rings) {
  std::map<std::pair<int, std::pair<int, int>>, std::map<int, int>> by_angle;
  for (const Ring& ring : rings) {
    const int n = static_cast<int>(ring.atoms.size());
    for (int k = 0; k < n; ++k) {
      if (s.species[ring.atoms[k]] != 14) continue;
      int o1 = ring.atoms[(k + n - 1) % n], o2 = ring.atoms[(k + 1) % n];
      if (o1 > o2) std::swap(o1, o2);
      ++by_angle[{ring.atoms[k], {o1, o2}}][ring.size];
    }
  }
  std::map<int, std::vector<std::pair<int, int>>> symbol;
  for (const auto& [angle, counts] : by_angle) symbol[angle.first].push_back(*counts.begin());
  for (auto& [si, v] : symbol) std::sort(v.begin(), v.end());
  return symbol;
}

TEST(Rings, BetaCristobaliteHasOnlySixRingsTwoPerSi) {
  // Si on the diamond net: every Si lies in 12 chair six-rings, each pair of its bonds in 2, so
  // there are 12 N_Si / 6 = 2 N_Si distinct six-rings, of both kinds; no larger primitive ring.
  for (int cells : {1, 2}) {
    const Structure s = beta_cristobalite(7.16, cells);
    const int n_si = count_si(s);
    const RingSet r = silica_rings(s, 10);
    EXPECT_EQ(sizes(r.primitive), (std::map<int, int>{{6, 2 * n_si}})) << cells;
    EXPECT_EQ(sizes(r.king), (std::map<int, int>{{6, 2 * n_si}})) << cells;
    EXPECT_EQ(r.king_pairs_no_ring, 0u);
    for (const Ring& ring : r.primitive) EXPECT_EQ(ring.atoms.size(), 12u);
    // Vertex symbol of dia: 6₂·6₂·6₂·6₂·6₂·6₂.
    const std::vector<std::pair<int, int>> dia(6, {6, 2});
    const auto symbols = vertex_symbols(s, r.primitive);
    EXPECT_EQ(static_cast<int>(symbols.size()), n_si);
    for (const auto& [si, v] : symbols) EXPECT_EQ(v, dia) << "Si " << si;
  }
}

TEST(Rings, CountsDoNotDependOnCellShapeOrAtomOrder) {
  Structure s = beta_cristobalite(7.16, 1);
  const RingSet a = silica_rings(s, 8);
  const RingSet b = silica_rings(test::sheared_copy(s), 8);
  std::mt19937_64 rng(5);
  std::vector<std::size_t> perm(s.size());
  for (std::size_t k = 0; k < perm.size(); ++k) perm[k] = k;
  std::shuffle(perm.begin(), perm.end(), rng);
  Structure t = s;
  for (std::size_t k = 0; k < perm.size(); ++k) {
    t.positions[k] = s.positions[perm[k]];
    t.species[k] = s.species[perm[k]];
  }
  const RingSet c = silica_rings(t, 8);
  EXPECT_EQ(sizes(a.primitive), sizes(b.primitive));
  EXPECT_EQ(sizes(a.primitive), sizes(c.primitive));
  EXPECT_EQ(sizes(a.king), sizes(b.king));
  EXPECT_EQ(sizes(a.king), sizes(c.king));
}

// α-quartz (P3₂21), Levien, Prewitt & Weidner, Am. Mineral. 65, 920 (1980), at 1 atm:
// a = 4.9160 Å, c = 5.4054 Å, Si (x, 0, 0) with x = 0.4697, O (0.4135, 0.2669, 0.1191), in the
// origin choice of that paper where the six symmetry operations are (x,y,z), (-y,x-y,z+2/3),
// (-x+y,-x,z+1/3), (y,x,2/3-z), (x-y,-y,-z), (-x,-x+y,1/3-z). Si-O = 1.605 and 1.614 Å.
Structure alpha_quartz(int na, int nc) {
  const double a = 4.9160, c = 5.4054;
  const Vec3 A{a, 0, 0}, B{-0.5 * a, 0.5 * std::sqrt(3.0) * a, 0}, C{0, 0, c};
  const double x = 0.4697, ox = 0.4135, oy = 0.2669, oz = 0.1191;
  const std::vector<Vec3> si = {{x, 0, 0}, {0, x, 2.0 / 3}, {-x, -x, 1.0 / 3}};
  const std::vector<Vec3> o = {
      {ox, oy, oz},           {-oy, ox - oy, oz + 2.0 / 3}, {-ox + oy, -ox, oz + 1.0 / 3},
      {oy, ox, 2.0 / 3 - oz}, {ox - oy, -oy, -oz},          {-ox, -ox + oy, 1.0 / 3 - oz}};
  Structure s;
  s.box = test::make_box(double(na) * A, double(na) * B, double(nc) * C);
  for (int i = 0; i < na; ++i) {
    for (int j = 0; j < na; ++j) {
      for (int k = 0; k < nc; ++k) {
        for (const auto& [list, z] : {std::make_pair(si, 14), std::make_pair(o, 8)}) {
          for (const Vec3& f : list) {
            const Vec3 r = (f.x + i) * A + (f.y + j) * B + (f.z + k) * C;
            s.positions.push_back(s.box.wrap(r));
            s.species.push_back(z);
          }
        }
      }
    }
  }
  return s;
}

TEST(Rings, AlphaQuartzIsTheQtzNet) {
  const Structure s = alpha_quartz(2, 2);
  const BondGraph g = build_bond_graph(s.box, s.positions, s.species, {{14, 8, 2.0}});
  for (int i = 0; i < g.n_atoms(); ++i) EXPECT_EQ(g.degree(i), s.species[i] == 14 ? 4 : 2) << i;
  for (int e = g.offsets[0]; e < g.offsets[1]; ++e) {  // Si-O 1.605-1.614 Å
    const Vec3 d = s.positions[g.neighbors[e]] +
                   s.box.to_cartesian(
                       {double(g.images[e][0]), double(g.images[e][1]), double(g.images[e][2])}) -
                   s.positions[0];
    EXPECT_NEAR(std::sqrt(dot(d, d)), 1.61, 0.01);
  }
  // The rings meeting at each angle reproduce the vertex symbol of qtz, 6·6·6₂·6₂·8₇·8₇
  // (O'Keeffe & Hyde; RCSR, and the topoCIF definition: the shortest *rings* -- circuits with no
  // shortcut -- at each angle): at every Si the six O-Si-O angles have shortest primitive rings
  // of sizes 6, 6, 6, 6, 8, 8 with 1, 1, 2, 2, 7, 7 rings each.
  const int n_si = count_si(s);
  const RingSet r = silica_rings(s, 10);
  const std::vector<std::pair<int, int>> qtz = {{6, 1}, {6, 1}, {6, 2}, {6, 2}, {8, 7}, {8, 7}};
  for (auto& [si, v] : vertex_symbols(s, r.primitive)) EXPECT_EQ(v, qtz) << "Si " << si;
  // Primitive rings: N_Si six-rings and 5 N_Si eight-rings, as matscipy's shortest-path rings
  // (Franzblau) give for the same crystal (12 and 16 atoms: 192 and 960 in a 4x4x4 cell).
  EXPECT_EQ(sizes(r.primitive), (std::map<int, int>{{6, n_si}, {8, 5 * n_si}}));
  // King's shortest circuits at each angle include, besides those rings, eight-circuits that
  // have a shortcut elsewhere: 6, 6, 6₂, 6₂, 8₉, 8₉ per Si, 7 N_Si distinct eight-circuits.
  const std::vector<std::pair<int, int>> king = {{6, 1}, {6, 1}, {6, 2}, {6, 2}, {8, 9}, {8, 9}};
  for (auto& [si, v] : vertex_symbols(s, r.king)) EXPECT_EQ(v, king) << "Si " << si;
  EXPECT_EQ(sizes(r.king), (std::map<int, int>{{6, n_si}, {8, 7 * n_si}}));
  EXPECT_EQ(r.king_pairs_no_ring, 0u);
  // Larger cells give the same rings per Si.
  const Structure big = alpha_quartz(3, 2);
  const RingSet rb = silica_rings(big, 10);
  const int nb = count_si(big);
  EXPECT_EQ(sizes(rb.primitive), (std::map<int, int>{{6, nb}, {8, 5 * nb}}));
  EXPECT_EQ(sizes(rb.king), (std::map<int, int>{{6, nb}, {8, 7 * nb}}));
}

TEST(Rings, SameRingsForAnyThreadCount) {
  const Structure s = io::read_structures(std::string(VITRUM_SOURCE_DIR) +
                                          "/tests/analysis/data/sio2_glass_648.xyz")
                          .front();
  const BondGraph g = build_bond_graph(s.box, s.positions, s.species, {{14, 8, 2.0}});
  RingParams p;
  p.max_size = 9;
  p.count_species = 14;
  const int saved = omp_get_max_threads();
  omp_set_num_threads(1);
  const RingSet one = find_rings(g, p);
  omp_set_num_threads(3);
  const RingSet three = find_rings(g, p);
  omp_set_num_threads(saved);
  ASSERT_EQ(one.primitive.size(), three.primitive.size());
  ASSERT_EQ(one.king.size(), three.king.size());
  for (std::size_t k = 0; k < one.primitive.size(); ++k) {
    EXPECT_EQ(one.primitive[k].atoms, three.primitive[k].atoms);
  }
  for (std::size_t k = 0; k < one.king.size(); ++k)
    EXPECT_EQ(one.king[k].atoms, three.king[k].atoms);
  EXPECT_GT(one.primitive.size(), 100u);
}

TEST(Network, QnOfCristobaliteAndOfACutNetwork) {
  Structure s = beta_cristobalite(7.16, 1);
  BondGraph g = build_bond_graph(s.box, s.positions, s.species, {{14, 8, 2.0}});
  QnResult q;
  accumulate_qn(g, q);
  EXPECT_DOUBLE_EQ(q.qn_fraction(4), 1.0);
  EXPECT_DOUBLE_EQ(q.bridging_fraction(), 1.0);
  EXPECT_DOUBLE_EQ(q.nbo_fraction(), 0.0);
  // Remove one Si: its four O become non-bridging, their four other Si become Q3.
  int victim = 0;
  while (s.species[victim] != 14) ++victim;
  s.positions.erase(s.positions.begin() + victim);
  s.species.erase(s.species.begin() + victim);
  g = build_bond_graph(s.box, s.positions, s.species, {{14, 8, 2.0}});
  QnResult r;
  accumulate_qn(g, r);
  EXPECT_EQ(r.n_formers(), 7u);
  EXPECT_DOUBLE_EQ(r.qn_fraction(3), 4.0 / 7.0);
  EXPECT_DOUBLE_EQ(r.qn_fraction(4), 3.0 / 7.0);
  EXPECT_DOUBLE_EQ(r.nbo_fraction(), 4.0 / 16.0);
}

}  // namespace
}  // namespace vitrum::analysis
