/// \file vibrations.cpp
/// VACF spectra; force constants by finite differences; dynamical matrix by LAPACK dsyevd.

#include "vitrum/analysis/vibrations.hpp"

#include <algorithm>
#include <cmath>

#include "vitrum/analysis/math/pair_geometry.hpp"
#include "vitrum/core/elements.hpp"
#include "vitrum/core/error.hpp"
#include "vitrum/md/force_field.hpp"
#include "vitrum/neighbor/ghosts.hpp"
#include "vitrum/neighbor/neighbor_list.hpp"

extern "C" void dsyevd_(const char* jobz, const char* uplo, const int* n, double* a, const int* lda,
                        double* w, double* work, const int* lwork, int* iwork, const int* liwork,
                        int* info);

namespace vitrum::analysis {

VdosResult compute_vdos(const Trajectory& t, const VdosParams& p) {
  const double dt = t.frame_interval();
  const int nf = static_cast<int>(t.n_frames());
  for (int f = 0; f < nf; ++f) {
    if (t.frames[f].velocities.size() != t.n_atoms()) {
      fail("{}: frame {} has no velocities (extxyz vel or H5MD velocity); the VACF needs them",
           t.source, f);
    }
  }
  if (p.origin_stride < 1 || !(p.dnu > 0.0) || !(p.nu_max > p.dnu)) {
    fail("VDOS: need origin stride >= 1 and 0 < dnu < nu_max (THz)");
  }
  const int lags = p.max_lag > 0 ? std::min(p.max_lag, nf - 1) : nf / 2;
  if (lags < 2) fail("{}: the VACF needs at least 5 frames ({} given)", t.source, nf);
  VdosResult r;
  r.types = t.species_types();
  const int nt = static_cast<int>(r.types.size());
  const int n = static_cast<int>(t.n_atoms());
  std::vector<int> type_of(n);
  std::vector<double> mass(n);
  for (int j = 0; j < n; ++j) {
    type_of[j] =
        static_cast<int>(std::find(r.types.begin(), r.types.end(), t.species[j]) - r.types.begin());
    mass[j] = standard_mass(t.species[j]);
  }
  r.vacf.assign(nt, std::vector<double>(lags + 1, 0.0));
  for (int m = 0; m <= lags; ++m) r.time.push_back(m * dt);
#pragma omp parallel for schedule(dynamic, 1)
  for (int m = 0; m <= lags; ++m) {
    std::vector<double> acc(nt, 0.0);
    int origins = 0;
    for (int t0 = 0; t0 + m < nf; t0 += p.origin_stride) {
      const auto& v0 = t.frames[t0].velocities;
      const auto& v1 = t.frames[t0 + m].velocities;
      for (int j = 0; j < n; ++j) acc[type_of[j]] += mass[j] * dot(v0[j], v1[j]);
      ++origins;
    }
    for (int a = 0; a < nt; ++a) r.vacf[a][m] = acc[a] / origins;
  }
  double c0 = 0.0;
  for (int a = 0; a < nt; ++a) c0 += r.vacf[a][0];
  const double t_max = lags * dt;
  const int n_nu = static_cast<int>(p.nu_max / p.dnu) + 1;
  r.dos.assign(nt, std::vector<double>(n_nu, 0.0));
  r.total.assign(n_nu, 0.0);
  for (int k = 0; k < n_nu; ++k) r.frequency.push_back(k * p.dnu);
  for (int a = 0; a < nt; ++a) {
#pragma omp parallel for schedule(static)
    for (int k = 0; k < n_nu; ++k) {
      const double w = 2 * kPi * r.frequency[k] * 1e-3;  // rad/fs
      double s = 0.0;
      for (int m = 0; m <= lags; ++m) {
        const double hann = std::pow(std::cos(0.5 * kPi * r.time[m] / t_max), 2);
        const double trap = (m == 0 || m == lags) ? 0.5 : 1.0;
        s += trap * r.vacf[a][m] * hann * std::cos(w * r.time[m]);
      }
      r.dos[a][k] = 4.0 * s * dt / c0 * 1e-3;  // fs (per 1/fs) -> per THz (1 THz = 1e-3 / fs)
    }
  }
  for (int a = 0; a < nt; ++a) {
    for (int k = 0; k < n_nu; ++k) r.total[k] += r.dos[a][k];
  }
  return r;
}

ForceConstants finite_difference_force_constants(md::ForceField& ff, const Box& box,
                                                 const std::vector<Vec3>& positions,
                                                 const std::vector<int>& species, double delta) {
  if (!(delta > 0.0) || delta > 0.1)
    fail("force constants: displacement {} Å not in (0, 0.1]", delta);
  const int n = static_cast<int>(positions.size());
  if (n == 0 || species.size() != positions.size())
    fail("force constants: no atoms or bad species");
  const double skin = 4.0 * delta;
  neighbor::GhostShell shell =
      neighbor::build_ghost_shell(box, positions, species, ff.cutoff() + skin);
  const neighbor::NeighborList list = neighbor::build_neighbor_list(shell, ff.cutoff(), skin);
  std::vector<Vec3> base(shell.positions.begin(), shell.positions.begin() + n);
  ForceConstants fc;
  fc.n_atoms = n;
  const int dim = 3 * n;
  fc.phi.assign(static_cast<std::size_t>(dim) * dim, 0.0);
  md::ForceResult plus, minus;
  std::vector<Vec3> moved = base;
  for (int i = 0; i < n; ++i) {
    for (int a = 0; a < 3; ++a) {
      moved[i][a] = base[i][a] + delta;
      neighbor::update_ghost_positions(shell, moved);
      ff.compute(shell, list, plus);
      moved[i][a] = base[i][a] - delta;
      neighbor::update_ghost_positions(shell, moved);
      ff.compute(shell, list, minus);
      moved[i][a] = base[i][a];
      double* row = &fc.phi[static_cast<std::size_t>(3 * i + a) * dim];
      for (int j = 0; j < n; ++j) {
        for (int b = 0; b < 3; ++b)
          row[3 * j + b] = -(plus.forces[j][b] - minus.forces[j][b]) / (2 * delta);
      }
    }
  }
  for (int p = 0; p < dim; ++p) {
    for (int q = p + 1; q < dim; ++q) {
      double& x = fc.phi[static_cast<std::size_t>(p) * dim + q];
      double& y = fc.phi[static_cast<std::size_t>(q) * dim + p];
      fc.max_asymmetry = std::max(fc.max_asymmetry, std::fabs(x - y));
      x = y = 0.5 * (x + y);
    }
  }
  return fc;
}

HarmonicModes harmonic_modes(const ForceConstants& fc, const std::vector<int>& species) {
  const int n = fc.n_atoms, dim = 3 * n;
  if (static_cast<int>(species.size()) != n)
    fail("harmonic modes: {} species for {} atoms", species.size(), n);
  std::vector<double> inv_sqrt_m(n);
  for (int i = 0; i < n; ++i) inv_sqrt_m[i] = 1.0 / std::sqrt(standard_mass(species[i]));
  std::vector<double> d(fc.phi.size());
  for (int p = 0; p < dim; ++p) {
    for (int q = 0; q < dim; ++q) {
      d[static_cast<std::size_t>(p) * dim + q] =
          fc.phi[static_cast<std::size_t>(p) * dim + q] * inv_sqrt_m[p / 3] * inv_sqrt_m[q / 3];
    }
  }
  std::vector<double> w(dim);
  int info = 0, lwork = -1, liwork = -1, iwork_size = 0;
  double work_size = 0.0;
  const char jobz = 'V', uplo = 'U';
  dsyevd_(&jobz, &uplo, &dim, d.data(), &dim, w.data(), &work_size, &lwork, &iwork_size, &liwork,
          &info);
  lwork = static_cast<int>(work_size) + 1;
  liwork = iwork_size;
  std::vector<double> work(lwork);
  std::vector<int> iwork(liwork);
  dsyevd_(&jobz, &uplo, &dim, d.data(), &dim, w.data(), work.data(), &lwork, iwork.data(), &liwork,
          &info);
  if (info != 0) fail("harmonic modes: LAPACK dsyevd failed (info = {})", info);
  HarmonicModes m;
  for (int z : species) {
    if (std::find(m.types.begin(), m.types.end(), z) == m.types.end()) m.types.push_back(z);
  }
  for (int k = 0; k < dim; ++k) {
    m.frequency.push_back(std::copysign(std::sqrt(std::fabs(w[k])), w[k]) * kHarmonicThz);
    const double* e = &d[static_cast<std::size_t>(k) * dim];  // column-major: column k
    double s2 = 0.0, s4 = 0.0;
    std::vector<double> weight(m.types.size(), 0.0);
    for (int i = 0; i < n; ++i) {
      const double a2 =
          e[3 * i] * e[3 * i] + e[3 * i + 1] * e[3 * i + 1] + e[3 * i + 2] * e[3 * i + 2];
      s2 += a2;
      s4 += a2 * a2;
      weight[std::find(m.types.begin(), m.types.end(), species[i]) - m.types.begin()] += a2;
    }
    m.participation.push_back(s2 * s2 / (n * s4));
    m.element_weight.push_back(weight);
  }
  return m;
}

std::vector<std::vector<double>> harmonic_dos(const HarmonicModes& modes,
                                              const std::vector<double>& frequency, double sigma) {
  if (!(sigma > 0.0)) fail("harmonic DOS: the broadening must be > 0 THz, got {}", sigma);
  const std::size_t nt = modes.types.size();
  std::vector<std::vector<double>> g(1 + nt, std::vector<double>(frequency.size(), 0.0));
  const double norm = 1.0 / (modes.frequency.size() * sigma * std::sqrt(2 * kPi));
  for (std::size_t k = 0; k < modes.frequency.size(); ++k) {
    for (std::size_t f = 0; f < frequency.size(); ++f) {
      const double x = (frequency[f] - modes.frequency[k]) / sigma;
      if (std::fabs(x) > 8) continue;
      const double v = norm * std::exp(-0.5 * x * x);
      g[0][f] += v;
      for (std::size_t a = 0; a < nt; ++a) g[1 + a][f] += v * modes.element_weight[k][a];
    }
  }
  return g;
}

}  // namespace vitrum::analysis
