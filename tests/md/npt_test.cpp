// MTK NPT on a Lennard-Jones liquid (test double): the average instantaneous pressure equals the
// target, the volume settles, and the MTK conserved quantity stays constant; isotropic and
// anisotropic coupling.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <vector>

#include "lj_force_field.hpp"
#include "vitrum/core/units.hpp"
#include "vitrum/md/engine.hpp"

namespace vitrum::md {
namespace {

struct NptResult {
  double p_mean = 0, p_err = 0, v_mean = 0, v_first = 0, conserved_dev = 0, conserved_drift = 0;
  double aspect_dev = 0;  ///< largest relative deviation between cell lengths (iso: 0)
};

NptResult run_npt(BarostatCoupling coupling, double target_bar, long equil, long steps) {
  md::LennardJones lj = test::argon_lj();
  Engine e(test::argon_system(3, 0.0200, 120.0, 11), lj, EngineOptions{1.0, 1e5, 0.5});
  IntegratorParams p;
  p.ensemble = Ensemble::NptMtk;
  p.dt = 10.0;
  p.tdamp = 200.0;
  p.pdamp = 1000.0;
  p.coupling = coupling;
  auto integ = make_integrator(p, e.system());
  StepContext ctx;
  ctx.temperature = 120.0;
  ctx.pressure = target_bar;
  NptResult r;
  r.v_first = e.system().box.volume();
  for (long k = 0; k < equil; ++k) e.step(*integ, ctx);
  std::vector<double> ps;
  double v = 0;
  const double c0 = compute_thermo(e.system(), integ->extended_energy(e.system())).conserved;
  double c_last = c0;
  for (long k = 1; k <= steps; ++k) {
    e.step(*integ, ctx);
    const Thermo t = compute_thermo(e.system(), integ->extended_energy(e.system()));
    ps.push_back(t.pressure);
    v += t.volume;
    r.conserved_dev = std::max(r.conserved_dev, std::fabs(t.conserved - c0));
    c_last = t.conserved;
    const double lmax = std::max({t.cell_lengths[0], t.cell_lengths[1], t.cell_lengths[2]});
    const double lmin = std::min({t.cell_lengths[0], t.cell_lengths[1], t.cell_lengths[2]});
    r.aspect_dev = std::max(r.aspect_dev, lmax / lmin - 1);
  }
  r.conserved_drift = c_last - c0;
  r.v_mean = v / steps;
  // Block averages (20 blocks) for the standard error of the mean pressure.
  const int nb = 20;
  const std::size_t len = ps.size() / nb;
  std::vector<double> bm(nb, 0.0);
  for (int b = 0; b < nb; ++b) {
    for (std::size_t i = b * len; i < (b + 1) * len; ++i) bm[b] += ps[i] / len;
    r.p_mean += bm[b] / nb;
  }
  for (int b = 0; b < nb; ++b) r.p_err += (bm[b] - r.p_mean) * (bm[b] - r.p_mean);
  r.p_err = std::sqrt(r.p_err / (nb * (nb - 1.0)));
  return r;
}

void report(const char* name, double target, const NptResult& r) {
  std::printf(
      "[%s] <P> = %.1f bar (target %.1f, stat. err. %.1f); <V> = %.1f Å³ (start %.1f); "
      "conserved quantity: max deviation %.3e eV, drift %.3e eV\n",
      name, r.p_mean, target, r.p_err, r.v_mean, r.v_first, r.conserved_dev, r.conserved_drift);
}

TEST(NptMtk, IsotropicReachesTargetPressure) {
  const double target = 300.0;
  const NptResult r = run_npt(BarostatCoupling::Isotropic, target, 3000, 25000);
  report("MTK iso", target, r);
  EXPECT_NEAR(r.p_mean, target, std::max(40.0, 4 * r.p_err));
  EXPECT_LT(r.aspect_dev, 1e-12);
  EXPECT_LT(r.conserved_dev, 0.05);
}

TEST(NptMtk, AnisotropicReachesTargetPressure) {
  const double target = 300.0;
  const NptResult r = run_npt(BarostatCoupling::Anisotropic, target, 3000, 25000);
  report("MTK aniso", target, r);
  EXPECT_NEAR(r.p_mean, target, std::max(40.0, 4 * r.p_err));
  EXPECT_LT(r.conserved_dev, 0.05);
}

TEST(NptMtk, RejectsNonOrthogonalCell) {
  Structure s = test::fcc_argon(2, 0.02);
  s.box.h[1].x = 1.0;
  const MdSystem sys = make_system(s, assign_masses(s.species, {}));
  IntegratorParams p;
  p.ensemble = Ensemble::NptMtk;
  EXPECT_THROW(make_integrator(p, sys), Error);
}

}  // namespace
}  // namespace vitrum::md
