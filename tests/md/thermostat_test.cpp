// Canonical sampling by the thermostats on a Lennard-Jones liquid (test double): the kinetic
// energy K of f thermalised degrees of freedom at temperature T is Gamma distributed with
//   <K> = f kT / 2,   Var K = f (kT)² / 2,
// which Nosé–Hoover chains and Langevin must reproduce (a velocity-rescaling or Berendsen
// thermostat gets the variance wrong). Also: the conserved quantities stay constant.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <vector>

#include "lj_force_field.hpp"
#include "vitrum/core/units.hpp"
#include "vitrum/md/engine.hpp"

namespace vitrum::md {
namespace {

constexpr double kRho = 0.0200;  // 1/Å³, liquid argon
constexpr double kT = 120.0;     // K

struct Moments {
  double mean = 0, var = 0, mean_err = 0, var_err = 0;
};

/// Mean and variance of a series with standard errors from 20 blocks.
Moments moments(const std::vector<double>& x) {
  const int nb = 20;
  const std::size_t len = x.size() / nb;
  std::vector<double> bm(nb), bv(nb);
  double m = 0, v = 0;
  for (int b = 0; b < nb; ++b) {
    double s = 0, s2 = 0;
    for (std::size_t i = b * len; i < (b + 1) * len; ++i) s += x[i];
    s /= len;
    for (std::size_t i = b * len; i < (b + 1) * len; ++i) s2 += (x[i] - s) * (x[i] - s);
    bm[b] = s;
    bv[b] = s2 / (len - 1);
    m += bm[b] / nb;
    v += bv[b] / nb;
  }
  Moments r;
  r.mean = m;
  r.var = v;
  for (int b = 0; b < nb; ++b) {
    r.mean_err += (bm[b] - m) * (bm[b] - m);
    r.var_err += (bv[b] - v) * (bv[b] - v);
  }
  r.mean_err = std::sqrt(r.mean_err / (nb * (nb - 1.0)));
  r.var_err = std::sqrt(r.var_err / (nb * (nb - 1.0)));
  return r;
}

struct SampleRun {
  std::vector<double> ke;
  double conserved_first = 0, conserved_last = 0, conserved_max_dev = 0;
};

SampleRun run(const IntegratorParams& p, int n_cells, long equil, long steps, int every) {
  md::LennardJones lj = test::argon_lj();
  Engine e(test::argon_system(n_cells, kRho, kT, 42), lj, EngineOptions{1.0, 1e5, 0.5});
  auto integ = make_integrator(p, e.system());
  StepContext ctx;
  ctx.temperature = kT;
  for (long k = 0; k < equil; ++k) e.step(*integ, ctx);
  SampleRun r;
  r.conserved_first = compute_thermo(e.system(), integ->extended_energy(e.system())).conserved;
  for (long k = 1; k <= steps; ++k) {
    e.step(*integ, ctx);
    if (k % every == 0) {
      const Thermo t = compute_thermo(e.system(), integ->extended_energy(e.system()));
      r.ke.push_back(t.kinetic_energy);
      r.conserved_max_dev =
          std::max(r.conserved_max_dev, std::fabs(t.conserved - r.conserved_first));
      r.conserved_last = t.conserved;
    }
  }
  return r;
}

void expect_canonical(const SampleRun& r, double dof, const char* name) {
  const double kt = units::kBoltzmann * kT;
  const double mean = 0.5 * dof * kt, var = 0.5 * dof * kt * kt;
  const Moments m = moments(r.ke);
  std::printf(
      "[%s] <K> = %.6f eV (canonical %.6f, rel. dev. %+.4f, stat. err. %.4f); Var K = %.4e eV² "
      "(canonical %.4e, rel. dev. %+.3f, stat. err. %.3f); %zu samples\n",
      name, m.mean, mean, m.mean / mean - 1, m.mean_err / mean, m.var, var, m.var / var - 1,
      m.var_err / var, r.ke.size());
  EXPECT_NEAR(m.mean / mean, 1.0, std::max(0.01, 4 * m.mean_err / mean)) << name;
  EXPECT_NEAR(m.var / var, 1.0, std::max(0.10, 4 * m.var_err / var)) << name;
}

TEST(Thermostat, LangevinSamplesCanonicalKineticEnergy) {
  IntegratorParams p;
  p.ensemble = Ensemble::NvtLangevin;
  p.dt = 10.0;
  p.tdamp = 200.0;
  p.seed = 2024;
  const SampleRun r = run(p, 3, 2000, 40000, 5);
  // The Langevin noise acts on every Cartesian degree of freedom, the centre of mass included.
  expect_canonical(r, 3.0 * 108, "Langevin BAOAB");
  // E_tot minus the heat from the bath stays constant up to the splitting error.
  std::printf("[Langevin BAOAB] conserved quantity: max deviation %.3e eV over %zu samples\n",
              r.conserved_max_dev, r.ke.size());
  EXPECT_LT(r.conserved_max_dev, 0.02);
}

TEST(Thermostat, NoseHooverChainSamplesCanonicalKineticEnergy) {
  IntegratorParams p;
  p.ensemble = Ensemble::NvtNoseHoover;
  p.dt = 10.0;
  p.tdamp = 200.0;
  const SampleRun r = run(p, 3, 2000, 40000, 5);
  expect_canonical(r, 3.0 * 108 - 3, "Nose-Hoover chain");
  std::printf("[Nose-Hoover chain] conserved quantity: max deviation %.3e eV, drift %.3e eV\n",
              r.conserved_max_dev, r.conserved_last - r.conserved_first);
  EXPECT_LT(r.conserved_max_dev, 0.02);
}

TEST(Thermostat, NoseHooverRampFollowsTarget) {
  // A ramp 60 K -> 180 K over 20 ps: the temperature follows within its fluctuations.
  md::LennardJones lj = test::argon_lj();
  Engine e(test::argon_system(3, kRho, 60.0, 7), lj, EngineOptions{1.0, 1e5, 0.5});
  IntegratorParams p;
  p.ensemble = Ensemble::NvtNoseHoover;
  p.dt = 10.0;
  p.tdamp = 100.0;
  auto integ = make_integrator(p, e.system());
  const long steps = 2000;
  double sum = 0;
  int count = 0;
  for (long k = 1; k <= steps; ++k) {
    StepContext ctx;
    ctx.temperature = 60.0 + 120.0 * k / steps;
    e.step(*integ, ctx);
    if (k > steps - 200) {
      sum += compute_thermo(e.system(), 0).temperature;
      ++count;
    }
  }
  EXPECT_NEAR(sum / count, 180.0 - 6.0, 20.0);
}

}  // namespace
}  // namespace vitrum::md
