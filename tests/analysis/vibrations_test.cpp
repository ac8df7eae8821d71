// Vibrations: harmonic modes of an fcc spring crystal against its analytic dispersion at the
// supercell's commensurate q points; sum rules (3N modes, three zero translations, acoustic sum
// rule); participation ratios; VACF spectra of known oscillations; VACF DOS of a low-temperature
// MD run against the harmonic DOS of the same crystal.
#include "vitrum/analysis/vibrations.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>

#include "analysis_fixtures.hpp"
#include "vitrum/analysis/math/pair_geometry.hpp"
#include "vitrum/core/elements.hpp"
#include "vitrum/md/force_field.hpp"
#include "vitrum/neighbor/ghosts.hpp"
#include "vitrum/neighbor/neighbor_list.hpp"

namespace vitrum::analysis {
namespace {

// Central springs E = k/2 (r - r0)² between atoms closer than rc (a full list: each pair twice).
class Springs : public md::ForceField {
 public:
  Springs(double k, double r0, double rc) : k_(k), r0_(r0), rc_(rc) {}
  double cutoff() const override { return rc_; }
  bool has_ghost_forces() const override { return false; }
  std::string describe() const override { return "springs"; }
  void compute(const neighbor::GhostShell& shell, const neighbor::NeighborList& list,
               md::ForceResult& out) override {
    out.forces.assign(shell.n_local, Vec3{0, 0, 0});
    out.energy = 0.0;
    for (int i = 0; i < shell.n_local; ++i) {
      for (int p = list.offsets[i]; p < list.offsets[i + 1]; ++p) {
        const Vec3 d = shell.positions[list.neighbors[p]] - shell.positions[i];
        const double r = std::sqrt(dot(d, d));
        if (r >= rc_) continue;
        out.forces[i] += (k_ * (r - r0_) / r) * d;
        out.energy += 0.25 * k_ * (r - r0_) * (r - r0_);
      }
    }
  }

 private:
  double k_, r0_, rc_;
};

constexpr double kA = 4.0, kK = 2.0;  // Å, eV/Å²

// Analytic fcc nearest-neighbor spring frequencies (THz) at the q points of an n×n×n supercell.
std::vector<double> fcc_spring_frequencies(int n, double mass) {
  std::vector<Vec3> nn;
  for (int x = -1; x <= 1; ++x)
    for (int y = -1; y <= 1; ++y)
      for (int z = -1; z <= 1; ++z)
        if (x * x + y * y + z * z == 2)
          nn.push_back((0.5 * kA) * Vec3{double(x), double(y), double(z)});
  std::vector<double> out;
  // q = 2π/(n a) (h, k, l) with h, k, l in [0, 2n): the cube of side 4π/a holds two primitive
  // cells of the (bcc) reciprocal lattice, so each of the 4n³ distinct q appears twice.
  for (int h = 0; h < 2 * n; ++h)
    for (int k = 0; k < 2 * n; ++k)
      for (int l = 0; l < 2 * n; ++l) {
        const Vec3 q = (2 * kPi / (n * kA)) * Vec3{double(h), double(k), double(l)};
        double m[3][3] = {};
        for (const Vec3& r : nn) {
          const double c = 1.0 - std::cos(dot(q, r));
          const double rr = dot(r, r);
          for (int a = 0; a < 3; ++a)
            for (int b = 0; b < 3; ++b) m[a][b] += kK / mass * c * r[a] * r[b] / rr;
        }
        // Eigenvalues of the symmetric 3×3 (Jacobi sweeps).
        for (int sweep = 0; sweep < 50; ++sweep) {
          for (int p = 0; p < 3; ++p)
            for (int r = p + 1; r < 3; ++r) {
              if (std::fabs(m[p][r]) < 1e-300) continue;
              const double th = 0.5 * std::atan2(2 * m[p][r], m[r][r] - m[p][p]);
              const double c = std::cos(th), s = std::sin(th);
              for (int i = 0; i < 3; ++i) {
                const double a = m[i][p], b = m[i][r];
                m[i][p] = c * a - s * b;
                m[i][r] = s * a + c * b;
              }
              for (int i = 0; i < 3; ++i) {
                const double a = m[p][i], b = m[r][i];
                m[p][i] = c * a - s * b;
                m[r][i] = s * a + c * b;
              }
            }
        }
        for (int a = 0; a < 3; ++a) out.push_back(std::sqrt(std::max(0.0, m[a][a])) * kHarmonicThz);
      }
  std::sort(out.begin(), out.end());
  return out;
}

TEST(Harmonic, FccSpringCrystalMatchesTheAnalyticDispersion) {
  const int n = 2;
  const Structure s = test::fcc(kA, n, 13);
  Springs ff(kK, kA / std::sqrt(2.0), 0.5 * (kA / std::sqrt(2.0) + kA));
  const ForceConstants fc =
      finite_difference_force_constants(ff, s.box, s.positions, s.species, 0.005);
  EXPECT_LT(fc.max_asymmetry, 1e-8);
  const int dim = 3 * fc.n_atoms;
  for (int p = 0; p < dim; ++p) {  // acoustic sum rule: Σ_j Φ_{iα,jβ} = 0
    for (int b = 0; b < 3; ++b) {
      double sum = 0.0;
      for (int j = 0; j < fc.n_atoms; ++j)
        sum += fc.phi[static_cast<std::size_t>(p) * dim + 3 * j + b];
      EXPECT_NEAR(sum, 0.0, 1e-8);
    }
  }
  const HarmonicModes m = harmonic_modes(fc, s.species);
  ASSERT_EQ(static_cast<int>(m.frequency.size()), dim);  // 3N modes
  int zero = 0;
  for (double f : m.frequency) zero += std::fabs(f) < 1e-3;
  EXPECT_EQ(zero, 3);  // translations
  // The supercell's Γ modes are the crystal's modes at the 4n³ q points q = 2π/(n a)(h,k,l)
  // of one primitive reciprocal cell. Enumerating h,k,l in [0, 2n)³ visits each of them twice
  // (the bcc reciprocal lattice has half the volume of the cube), so every analytic frequency
  // appears twice in the list.
  std::vector<double> analytic = fcc_spring_frequencies(n, standard_mass(13));
  ASSERT_EQ(analytic.size(), 2u * m.frequency.size());
  for (std::size_t k = 0; k < m.frequency.size(); ++k) {
    // Central differences of springs: relative error O((δ / r0)²) ≈ 3e-6.
    EXPECT_NEAR(m.frequency[k], analytic[2 * k], 2e-5 * analytic[2 * k] + 1e-4) << k;
    EXPECT_NEAR(analytic[2 * k], analytic[2 * k + 1], 1e-9);
  }
  // Participation: the three translations move every atom alike (PR = 1); every mode lies in
  // [1/N, 1].
  for (int k = 0; k < 3; ++k) EXPECT_NEAR(m.participation[k], 1.0, 1e-6);
  for (double pr : m.participation) {
    EXPECT_GE(pr, 1.0 / fc.n_atoms - 1e-12);
    EXPECT_LE(pr, 1.0 + 1e-12);
  }
  // The DOS integrates to one.
  std::vector<double> nu;
  for (double f = -2.0; f < 20.0; f += 0.01) nu.push_back(f);
  const auto g = harmonic_dos(m, nu, 0.1);
  double integral = 0.0;
  for (double v : g[0]) integral += v * 0.01;
  EXPECT_NEAR(integral, 1.0, 1e-6);
}

TEST(Vdos, SpectrumOfKnownOscillationsAndTheSumRule) {
  // Two elements oscillating at 6 and 15 THz: peaks there, ∫ g = 1, partial weights = kinetic
  // energy shares.
  Trajectory t;
  t.source = "synthetic";
  const int n = 40, frames = 2001;
  const double dt = 1.0;  // fs
  for (int j = 0; j < n; ++j) t.species.push_back(j < 20 ? 14 : 8);
  std::mt19937_64 rng(1);
  std::uniform_real_distribution<double> phase(0, 2 * kPi);
  std::vector<double> ph(n);
  for (double& p : ph) p = phase(rng);
  for (int f = 0; f < frames; ++f) {
    Frame fr;
    fr.time = f * dt;
    fr.positions.assign(n, Vec3{0, 0, 0});
    for (int j = 0; j < n; ++j) {
      const double nu = (j < 20 ? 6.0 : 15.0) * 1e-3;  // 1/fs
      const double v = 0.01 * std::cos(2 * kPi * nu * f * dt + ph[j]);
      fr.velocities.push_back({v, 0, 0});
    }
    t.frames.push_back(fr);
  }
  VdosParams p;
  p.max_lag = 1000;
  p.nu_max = 30.0;
  p.dnu = 0.01;
  const VdosResult r = compute_vdos(t, p);
  double integral = 0.0, part_si = 0.0;
  for (std::size_t k = 0; k < r.frequency.size(); ++k) {
    integral += r.total[k] * p.dnu;
    part_si += r.dos[0][k] * p.dnu;
  }
  EXPECT_NEAR(integral, 1.0, 0.02);
  const double m_si = standard_mass(14), m_o = standard_mass(8);
  EXPECT_NEAR(part_si, m_si / (m_si + m_o), 0.02);
  for (int a = 0; a < 2; ++a) {
    const auto it = std::max_element(r.dos[a].begin(), r.dos[a].end());
    EXPECT_NEAR(r.frequency[it - r.dos[a].begin()], a == 0 ? 6.0 : 15.0, 0.02);
  }
}

// Velocity Verlet of the spring crystal from random small displacements and velocities.
Trajectory low_temperature_run(const Structure& s, md::ForceField& ff, int steps, int every) {
  Trajectory t;
  t.source = "springs-md";
  t.species = s.species;
  const int n = static_cast<int>(s.size());
  std::mt19937_64 rng(7);
  std::normal_distribution<double> g(0.0, 1.0);
  const double m = standard_mass(13);
  const double kt = 8.617333e-5 * 10.0;                      // 10 K in eV
  const double v_sigma = std::sqrt(kt / m) * 0.09822694788;  // Å/fs
  std::vector<Vec3> x = s.positions, v(n);
  for (Vec3& vi : v) vi = v_sigma * Vec3{g(rng), g(rng), g(rng)};
  Vec3 drift{0, 0, 0};
  for (const Vec3& vi : v) drift += vi;
  for (Vec3& vi : v) vi -= (1.0 / n) * drift;
  const double dt = 1.0, acc = 0.0096485332 / m;  // eV/Å/amu -> Å/fs²
  neighbor::GhostShell shell = neighbor::build_ghost_shell(s.box, x, s.species, ff.cutoff() + 1.0);
  const neighbor::NeighborList list = neighbor::build_neighbor_list(shell, ff.cutoff(), 1.0);
  md::ForceResult f;
  ff.compute(shell, list, f);
  for (int step = 0; step <= steps; ++step) {
    if (step % every == 0) {
      Frame fr;
      fr.time = step * dt;
      fr.box = s.box;
      fr.positions = x;
      fr.velocities = v;
      t.frames.push_back(fr);
    }
    for (int i = 0; i < n; ++i) {
      v[i] += (0.5 * dt * acc) * f.forces[i];
      x[i] += dt * v[i];
    }
    neighbor::update_ghost_positions(shell, x);
    ff.compute(shell, list, f);
    for (int i = 0; i < n; ++i) v[i] += (0.5 * dt * acc) * f.forces[i];
  }
  return t;
}

TEST(Vdos, LowTemperatureMdMatchesTheHarmonicDos) {
  // At 10 K the spring crystal is harmonic; the VACF spectrum weighs each mode by its energy,
  // which the random initial state spreads around k_B T, so its moments and cumulative
  // distribution match the harmonic DOS to the statistics of 3N = 324 modes (a few %).
  const Structure s = test::fcc(kA, 3, 13);
  Springs ff(kK, kA / std::sqrt(2.0), 0.5 * (kA / std::sqrt(2.0) + kA));
  const ForceConstants fc =
      finite_difference_force_constants(ff, s.box, s.positions, s.species, 0.005);
  const HarmonicModes modes = harmonic_modes(fc, s.species);
  const Trajectory t = low_temperature_run(s, ff, 8000, 2);
  VdosParams p;
  p.max_lag = 1000;
  p.nu_max = 20.0;
  p.dnu = 0.02;
  const VdosResult r = compute_vdos(t, p);
  const std::vector<std::vector<double>> g = harmonic_dos(modes, r.frequency, 0.3);
  double m1_md = 0, m1_h = 0, n_md = 0, n_h = 0;
  for (std::size_t k = 0; k < r.frequency.size(); ++k) {
    m1_md += r.total[k] * r.frequency[k];
    n_md += r.total[k];
    m1_h += g[0][k] * r.frequency[k];
    n_h += g[0][k];
  }
  EXPECT_NEAR(n_md * p.dnu, 1.0, 0.03);
  EXPECT_NEAR(m1_md / n_md, m1_h / n_h, 0.04 * m1_h / n_h);
  double c_md = 0, c_h = 0, worst = 0;
  for (std::size_t k = 0; k < r.frequency.size(); ++k) {
    c_md += r.total[k] / n_md;
    c_h += g[0][k] / n_h;
    worst = std::max(worst, std::fabs(c_md - c_h));
  }
  EXPECT_LT(worst, 0.08);  // Kolmogorov distance of the two cumulative spectra
}

}  // namespace
}  // namespace vitrum::analysis
