// Rank-count invariance of the MPI domain decomposition (vitrum/parallel, Engine with a Domain):
// the same system on N ranks against a serial reference computed on rank 0 in the same process,
// for the water HDNNP and the SiO2 BKS teacher, orthogonal and triclinic cells, with the grid
// chosen from the cell and with all ranks along one axis (subdomains thinner than the cutoff:
// several halo hops). ctest runs this executable under mpiexec at 1, 2, 4 and 8 ranks.
//
// Tolerances (the issue's): energies 1e-10 relative, forces 1e-8 eV/Å, 200-step NVE positions
// 1e-6 Å. Each comparison also prints its measured deviation ("[dd]" lines from rank 0).
#include "domain_test_util.hpp"

namespace vitrum {
namespace {

// ------------------------------------------------------------------------------ geometry

TEST(DomainGrid, FollowsTheCellShape) {
  Box cube;
  cube.periodic = true;
  cube.h[0] = {20, 0, 0};
  cube.h[1] = {0, 20, 0};
  cube.h[2] = {0, 0, 20};
  EXPECT_EQ(parallel::choose_grid(1, cube), (std::array<int, 3>{1, 1, 1}));
  EXPECT_EQ(parallel::choose_grid(2, cube), (std::array<int, 3>{2, 1, 1}));
  EXPECT_EQ(parallel::choose_grid(4, cube), (std::array<int, 3>{2, 2, 1}));
  EXPECT_EQ(parallel::choose_grid(8, cube), (std::array<int, 3>{2, 2, 2}));
  EXPECT_EQ(parallel::choose_grid(12, cube), (std::array<int, 3>{3, 2, 2}));
  Box slab = cube;  // long along c: cut there first
  slab.h[2] = {0, 0, 100};
  EXPECT_EQ(parallel::choose_grid(4, slab), (std::array<int, 3>{1, 1, 4}));
  EXPECT_EQ(parallel::choose_grid(8, slab), (std::array<int, 3>{1, 1, 8}));
  Box open;
  EXPECT_THROW(parallel::choose_grid(2, open), Error);
}

TEST(DomainGrid, EveryPositionHasExactlyOneOwner) {
  const Structure s = sio2_cell(192, true, 3);
  Domain domain(world(), s.box);
  // Positions outside the cell (any image) and exactly on subdomain faces.
  std::vector<Vec3> probes = s.positions;
  for (int k = 0; k <= 8; ++k) {
    const double f = k / 8.0;
    probes.push_back(s.box.to_cartesian({f, f, 1.0 - f}));
    probes.push_back(s.box.to_cartesian({f - 1.0, 2.0 + f, -f}));
  }
  int mine = 0;
  for (const Vec3& r : probes) {
    const auto c = domain.owner_coords(s.box.to_fractional(r));
    for (int d = 0; d < 3; ++d) {
      EXPECT_GE(c[d], 0);
      EXPECT_LT(c[d], domain.grid()[d]);
    }
    mine += c == domain.coords() ? 1 : 0;
    EXPECT_EQ(domain.rank_of(c) == domain.rank(), c == domain.coords());
  }
  double total = mine;
  world().sum(&total, 1);
  EXPECT_EQ(total, static_cast<double>(probes.size()));
}

TEST(AtomIds, ChecksCatchLostAndDuplicatedAtoms) {
  const Comm c = world();
  const int n = 10 * c.size();
  std::vector<int> ids;
  for (int i = c.rank(); i < n; i += c.size()) ids.push_back(i);
  EXPECT_NO_THROW(parallel::check_ids(c, ids, n, "test"));
  const auto good = parallel::id_checksum(c, ids);
  EXPECT_EQ(good.count, n);
  std::vector<int> bad = ids;
  if (c.rank() == 0) bad[1] = bad[0];  // one atom lost, one duplicated
  EXPECT_THROW(parallel::check_ids(c, bad, n, "test"), Error);
  EXPECT_NE(parallel::id_checksum(c, bad), good);
  std::vector<int> lost = ids;
  if (c.rank() == c.size() - 1) lost.pop_back();
  EXPECT_THROW(parallel::check_ids(c, lost, n, "test"), Error);
  EXPECT_NE(parallel::id_checksum(c, lost), good);
}

/// check_ids's message for `ids` (empty: no error).
std::string check_ids_error(const Comm& c, const std::vector<int>& ids, long n) {
  try {
    parallel::check_ids(c, ids, n, "test");
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

// The distributed check (each id checked by the rank owning its range) with few atoms (fewer
// than ranks), ranks holding nothing, and ids out of range; the message names the atoms held,
// the smallest missing and duplicated ids and the first invalid id, the same on every rank.
TEST(AtomIds, ChecksWithFewAtomsEmptyRanksAndInvalidIds) {
  const Comm c = world();
  const int p = c.size(), last = p - 1;
  const bool on_last = c.rank() == last;
  // Fewer atoms than ranks (or as many), all on the last rank; none at all.
  for (int n : {1, std::max(1, p / 2), p}) {
    std::vector<int> ids;
    if (on_last)
      for (int i = n - 1; i >= 0; --i) ids.push_back(i);
    EXPECT_EQ(check_ids_error(c, ids, n), "") << n;
  }
  EXPECT_EQ(check_ids_error(c, {}, 0), "");
  const int n = 3 * p + 1;
  std::vector<int> all;  // every id on rank 0, reversed
  if (c.rank() == 0)
    for (int i = n - 1; i >= 0; --i) all.push_back(i);
  EXPECT_EQ(check_ids_error(c, all, n), "");
  // One atom missing everywhere.
  EXPECT_NE(check_ids_error(c, {}, 1).find("0 atoms held for 1 expected (first missing id 0, "
                                           "first duplicated id -1, first invalid id -1)"),
            std::string::npos);
  // Ids too large and negative: the first invalid one in rank order is named.
  std::vector<int> big = all;
  if (p > 1 && c.rank() == 1) big.push_back(n + 1);
  if (on_last) big.push_back(n + 5);
  const std::string e_big = check_ids_error(c, big, n);
  EXPECT_NE(e_big.find(fmt::format("{} atoms held for {} expected (first missing id -1, first "
                                   "duplicated id -1, first invalid id {})",
                                   n + std::min(p, 2), n, p > 1 ? n + 1 : n + 5)),
            std::string::npos)
      << e_big;
  std::vector<int> neg = all;
  if (on_last && !neg.empty()) neg.back() = -7;   // id 0 replaced (one rank only)
  if (on_last && neg.empty()) neg.push_back(-7);  // and, with several ranks, an extra atom
  const std::string e_neg = check_ids_error(c, neg, n);
  EXPECT_NE(e_neg.find("first invalid id -7)"), std::string::npos) << e_neg;
  EXPECT_NE(e_neg.find(p > 1 ? "first missing id -1" : "first missing id 0"), std::string::npos)
      << e_neg;
  // Duplicates on different ranks: the smallest duplicated id and the smallest missing one.
  std::vector<int> dup;
  for (int i = c.rank(); i < n; i += p) dup.push_back(i);
  if (on_last) dup.push_back(2), dup.push_back(1);
  if (c.rank() == 0) dup.erase(std::remove(dup.begin(), dup.end(), 0), dup.end());
  const std::string e_dup = check_ids_error(c, dup, n);
  EXPECT_NE(e_dup.find(fmt::format("{} atoms held for {} expected (first missing id 0, first "
                                   "duplicated id 1, first invalid id -1)",
                                   n + 1, n)),
            std::string::npos)
      << e_dup;
}

// ------------------------------------------------------------------------------ invariance

TEST(RankInvariance, BksSinglePoint) {
  auto ff = bks();
  check_single_point("bks648 orthogonal", sio2_cell(648, false, 11), *ff, 1.0);
  check_single_point("bks192 triclinic", sio2_cell(192, true, 12), *ff, 1.0);
}

TEST(RankInvariance, WaterNnpSinglePoint) {
  auto ff = water_nnp();
  check_single_point("water1080 orthogonal", water_1080(), *ff, 0.0);
  check_single_point("water1080 triclinic", skewed(water_1080()), *ff, 1.0);
}

TEST(RankInvariance, BksNve200Steps) {
  auto ff = bks();
  md::IntegratorParams p;
  p.dt = 1.0;
  check_trajectory("bks648 orthogonal", sio2_cell(648, false, 11), *ff, p, 1000.0, 200);
  check_trajectory("bks192 triclinic", sio2_cell(192, true, 12), *ff, p, 1000.0, 200);
}

TEST(RankInvariance, WaterNnpNve) {
  // The HDNNP costs ~100 µs per atom and step: the 192-atom cell (13 Å, cutoff 6.35 Å), 200
  // steps orthogonal, 100 triclinic.
  auto ff = water_nnp();
  md::IntegratorParams p;
  p.dt = 0.5;
  check_trajectory("water192 orthogonal", water_192(), *ff, p, 400.0, 200);
  check_trajectory("water192 triclinic", skewed(water_192()), *ff, p, 400.0, 100, 0.0, true);
}

TEST(RankInvariance, BksThermostatsAndBarostat) {
  // The integrators' global quantities (kinetic energy of the chain, the MTK cell update, the
  // Langevin noise keyed by atom id) are the same on any rank count.
  auto ff = bks();
  const Structure cube = sio2_cell(192, false, 21);
  md::IntegratorParams p;
  p.dt = 1.0;
  p.tdamp = 50.0;
  p.ensemble = md::Ensemble::NvtNoseHoover;
  check_trajectory("bks192 nose-hoover", cube, *ff, p, 2000.0, 100);
  p.ensemble = md::Ensemble::NvtLangevin;
  p.seed = 99;
  check_trajectory("bks192 langevin", cube, *ff, p, 2000.0, 100);
  p.ensemble = md::Ensemble::NptMtk;
  p.pdamp = 200.0;
  check_trajectory("bks192 npt-mtk", cube, *ff, p, 2000.0, 100, 5000.0);
}

TEST(RankInvariance, AtomsStartingOnOneRankMigrateToTheirOwners) {
  // Every atom starts on rank 0 (the others hold none): the engine's migration moves them over
  // the whole grid (several hops) and the forces equal the serial ones.
  auto ff = bks();
  const Structure s = sio2_cell(192, true, 31);
  const int n = world().size();
  Domain domain(world(), s.box, {n, 1, 1});
  MdSystem share = md_system(s, 0, 0);
  share.id.resize(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) share.id[i] = static_cast<int>(i);
  if (!root()) {
    share = MdSystem{};
    share.box = s.box;
  }
  Engine dd(std::move(share), *ff, EngineOptions{1.0, 1e5, 0.3}, &domain);
  const double e = dd.system().potential_energy;
  dd.check_atoms();
  std::int64_t held = dd.system().size();
  std::vector<std::int64_t> all(world().size(), 0);
  all[world().rank()] = held;
  world().sum(all.data(), static_cast<int>(all.size()));
  const MdSystem full = dd.gather_system();
  if (!root()) return;
  Engine ref(md_system(s, 0, 0), *ff, EngineOptions{1.0, 1e5, 0.3});
  EXPECT_LE(std::fabs(e - ref.system().potential_energy), 1e-10 * std::fabs(e));
  EXPECT_LE(max_diff(full.forces, ref.system().forces), 1e-8);
  if (world().size() > 1) {
    for (int r = 0; r < world().size(); ++r)
      EXPECT_GT(all[r], 0) << "rank " << r << " got no atoms";
  }
}

}  // namespace
}  // namespace vitrum
