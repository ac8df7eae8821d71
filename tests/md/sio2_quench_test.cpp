// Acceptance of the shipped melt–quench (configs/sio2_quench.toml, the README's main MD job):
// `vitrum run` (the real binary) turns a random 3000-atom SiO2 cell into a BKS glass, which must
// have a density of 2.1–2.4 g/cm³, the Si–O first peak of g(r) near 1.6 Å (1.55–1.65 Å) and more
// than 95% of its Si fourfold coordinated by O. Bonds are Si–O pairs closer than 2.35 Å, the
// first minimum of g_SiO of BKS silica (Vollmayr, Kob, Binder, PRB 54, 15808 (1996)); in the
// glass g_SiO is ~0 from 2.0 to 2.3 Å. The whole campaign runs here (about 4 minutes on one
// core), so the test also times it.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <array>
#include <chrono>
#include <cstdio>
#include <memory>
#include <string>

#include "md_test_util.hpp"
#include "vitrum/analysis/bonds.hpp"
#include "vitrum/analysis/density.hpp"
#include "vitrum/analysis/peaks.hpp"
#include "vitrum/analysis/rdf.hpp"
#include "vitrum/analysis/trajectory.hpp"
#include "vitrum/core/elements.hpp"

namespace vitrum::md {
namespace {

TEST(Sio2Quench, ShippedCampaignGivesTetrahedralGlass) {
  test::MdScratchDir dir("sio2_quench");
  const std::string cmd = test::vitrum_binary() + " run " + test::source_dir() +
                          "/configs/sio2_quench.toml -o " + dir.path() + " -q 2>&1";
  const auto t0 = std::chrono::steady_clock::now();
  std::unique_ptr<FILE, int (*)(FILE*)> p(popen(cmd.c_str(), "r"), pclose);
  std::string out;
  std::array<char, 4096> buf;
  std::size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), p.get())) > 0) out.append(buf.data(), n);
  const int st = pclose(p.release());
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  ASSERT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0) << out;

  const analysis::Trajectory glass = analysis::read_trajectory(dir.file("glass.xyz"));
  ASSERT_EQ(glass.n_atoms(), 3000u);
  const double rho = analysis::compute_density(glass).mean.mass_density;

  analysis::RdfParams rp;
  rp.r_max = 6.0;
  rp.n_bins = 600;  // 0.01 Å
  const analysis::RdfResult g = analysis::compute_rdf(glass, rp);
  int si = -1, o = -1;
  for (int t = 0; t < g.n_types(); ++t) {
    if (g.types[t] == atomic_number("Si")) si = t;
    if (g.types[t] == atomic_number("O")) o = t;
  }
  ASSERT_GE(si, 0);
  ASSERT_GE(o, 0);
  const analysis::Peak peak = analysis::first_peak(g.r, g.partial[g.pair_index(si, o)]);
  ASSERT_TRUE(peak.found);

  analysis::BondSpec bond;
  bond.center = atomic_number("Si");
  bond.neighbor = atomic_number("O");
  bond.cutoff = 2.35;
  const analysis::BondAnalysis bonds = analysis::analyze_bonds(glass, {bond}, 0);
  const analysis::CoordinationResult& z = bonds.coordination.at(0);

  std::printf(
      "[ SiO2 melt-quench ] configs/sio2_quench.toml, 3000 atoms, %.0f s wall: density %.4f g/cm³ "
      "(2.1-2.4), Si-O first peak %.4f Å (1.55-1.65), Si coordination (r < 2.35 Å) <Z> = %.3f: "
      "3-fold %.2f%%, 4-fold %.2f%% (> 95%%), 5-fold %.2f%%\n",
      wall, rho, peak.position, z.mean(), 100 * z.fraction(3), 100 * z.fraction(4),
      100 * z.fraction(5));
  EXPECT_GT(rho, 2.1);
  EXPECT_LT(rho, 2.4);
  EXPECT_GT(peak.position, 1.55);
  EXPECT_LT(peak.position, 1.65);
  EXPECT_GT(z.fraction(4), 0.95);
}

}  // namespace
}  // namespace vitrum::md
