/// \file msd.cpp
/// Unwrapping, multiple-origin MSD and the Einstein fit.

#include "vitrum/analysis/msd.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "vitrum/core/elements.hpp"
#include "vitrum/core/error.hpp"

namespace vitrum::analysis {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

}  // namespace

std::vector<std::vector<Vec3>> unwrap_positions(const Trajectory& trajectory,
                                                double* max_step_fraction) {
  const std::size_t nf = trajectory.n_frames();
  const std::size_t n = trajectory.n_atoms();
  std::vector<std::vector<Vec3>> u(nf);
  double worst = 0.0;
  if (nf == 0) return u;
  u[0] = trajectory.frames[0].positions;
  for (std::size_t t = 1; t < nf; ++t) {
    const Frame& prev = trajectory.frames[t - 1];
    const Frame& cur = trajectory.frames[t];
    if (cur.positions.size() != n || prev.positions.size() != n) {
      fail("{}: frame {} has {} positions for {} atoms", trajectory.source, t, cur.positions.size(),
           n);
    }
    u[t].resize(n);
    if (!cur.box.periodic) {
      for (std::size_t i = 0; i < n; ++i)
        u[t][i] = u[t - 1][i] + (cur.positions[i] - prev.positions[i]);
      continue;
    }
    double frame_worst = 0.0;
#pragma omp parallel for schedule(static) reduction(max : frame_worst) if (n > 20000)
    for (std::size_t i = 0; i < n; ++i) {
      Vec3 ds = cur.box.to_fractional(cur.positions[i] - prev.positions[i]);
      for (int d = 0; d < 3; ++d) {
        ds[d] -= std::nearbyint(ds[d]);
        frame_worst = std::max(frame_worst, std::fabs(ds[d]));
      }
      u[t][i] = u[t - 1][i] + cur.box.to_cartesian(ds);
    }
    worst = std::max(worst, frame_worst);
  }
  if (max_step_fraction != nullptr) *max_step_fraction = worst;
  return u;
}

MsdResult compute_msd(const Trajectory& trajectory, const MsdParams& params) {
  if (params.origin_stride < 1)
    fail("MSD: origin stride must be >= 1, got {}", params.origin_stride);
  if (params.max_lag < 0) fail("MSD: max lag must be >= 0 frames, got {}", params.max_lag);
  if (params.n_blocks < 1)
    fail("MSD: the number of atom blocks must be >= 1, got {}", params.n_blocks);
  MsdResult res;
  res.dt = trajectory.frame_interval();  // throws for < 2 frames, missing or uneven times
  res.types = trajectory.species_types();
  res.type_counts = trajectory.species_counts();
  const int nf = static_cast<int>(trajectory.n_frames());
  const int n = static_cast<int>(trajectory.n_atoms());
  const int nt = static_cast<int>(res.types.size());
  std::vector<std::vector<Vec3>> u = unwrap_positions(trajectory, &res.max_step_fraction);

  if (params.remove_drift) {
    std::vector<double> mass(n);
    double total = 0.0;
    for (int i = 0; i < n; ++i) total += mass[i] = standard_mass(trajectory.species[i]);
    auto com = [&](const std::vector<Vec3>& r) {
      Vec3 c{0, 0, 0};
      for (int i = 0; i < n; ++i) c += mass[i] * r[i];
      return (1.0 / total) * c;
    };
    const Vec3 c0 = com(u[0]);
    for (int t = 1; t < nf; ++t) {
      const Vec3 shift = com(u[t]) - c0;
      for (Vec3& r : u[t]) r -= shift;
    }
  }

  // Type and block of each atom: block = (rank within its species) * n_blocks / N_a.
  std::vector<int> type_of(n), block_of(n);
  std::vector<int> seen(nt, 0);
  std::vector<int> nblocks(nt);
  res.block_counts.resize(nt);
  for (int a = 0; a < nt; ++a) {
    nblocks[a] = std::min(params.n_blocks, res.type_counts[a]);
    res.block_counts[a].assign(nblocks[a], 0);
  }
  for (int i = 0; i < n; ++i) {
    const int a = static_cast<int>(
        std::find(res.types.begin(), res.types.end(), trajectory.species[i]) - res.types.begin());
    type_of[i] = a;
    block_of[i] =
        static_cast<int>(static_cast<long long>(seen[a]++) * nblocks[a] / res.type_counts[a]);
    ++res.block_counts[a][block_of[i]];
  }
  std::vector<int> slot_offset(nt + 1, 0);  // flat (type, block) slots
  for (int a = 0; a < nt; ++a) slot_offset[a + 1] = slot_offset[a] + nblocks[a];
  const int n_slots = slot_offset[nt];
  std::vector<int> slot_of(n);
  for (int i = 0; i < n; ++i) slot_of[i] = slot_offset[type_of[i]] + block_of[i];

  const int max_lag = params.max_lag > 0 ? std::min(params.max_lag, nf - 1) : nf - 1;
  const int nl = max_lag + 1;
  res.time.resize(nl);
  res.n_origins.resize(nl);
  for (int m = 0; m < nl; ++m) {
    res.time[m] = m * res.dt;
    res.n_origins[m] = (nf - 1 - m) / params.origin_stride + 1;
  }
  // sums[m][slot]: Σ over origins and atoms of the slot of |Δu|².
  std::vector<std::vector<double>> sums(nl, std::vector<double>(n_slots, 0.0));
#pragma omp parallel for schedule(dynamic, 1)
  for (int m = 1; m < nl; ++m) {
    std::vector<double>& s = sums[m];
    for (int t0 = 0; t0 + m < nf; t0 += params.origin_stride) {
      const std::vector<Vec3>& a = u[t0];
      const std::vector<Vec3>& b = u[t0 + m];
      for (int i = 0; i < n; ++i) {
        const Vec3 d = b[i] - a[i];
        s[slot_of[i]] += dot(d, d);
      }
    }
  }
  res.msd.assign(nt, std::vector<double>(nl, 0.0));
  res.msd_all.assign(nl, 0.0);
  res.block_msd.resize(nt);
  for (int a = 0; a < nt; ++a) {
    res.block_msd[a].assign(nblocks[a], std::vector<double>(nl, 0.0));
  }
  for (int m = 0; m < nl; ++m) {
    const double origins = res.n_origins[m];
    double all = 0.0;
    for (int a = 0; a < nt; ++a) {
      double type_sum = 0.0;
      for (int b = 0; b < nblocks[a]; ++b) {
        const double s = sums[m][slot_offset[a] + b];
        type_sum += s;
        res.block_msd[a][b][m] = s / (res.block_counts[a][b] * origins);
      }
      all += type_sum;
      res.msd[a][m] = type_sum / (res.type_counts[a] * origins);
    }
    res.msd_all[m] = all / (n * origins);
  }
  return res;
}

LinearFit fit_line(const std::vector<double>& x, const std::vector<double>& y, double x_begin,
                   double x_end) {
  if (x.size() != y.size()) fail("fit_line: {} x values but {} y values", x.size(), y.size());
  double sx = 0, sy = 0;
  int n = 0;
  auto inside = [&](std::size_t k) {
    return x[k] >= x_begin && x[k] <= x_end && std::isfinite(x[k]) && std::isfinite(y[k]);
  };
  for (std::size_t k = 0; k < x.size(); ++k) {
    if (!inside(k)) continue;
    sx += x[k];
    sy += y[k];
    ++n;
  }
  if (n < 2) {
    fail("linear fit: only {} point(s) in the window [{}, {}]; widen the window or use more frames",
         n, x_begin, x_end);
  }
  const double mx = sx / n, my = sy / n;
  double sxx = 0, sxy = 0;
  for (std::size_t k = 0; k < x.size(); ++k) {
    if (!inside(k)) continue;
    sxx += (x[k] - mx) * (x[k] - mx);
    sxy += (x[k] - mx) * (y[k] - my);
  }
  if (!(sxx > 0.0))
    fail("linear fit: all {} points in [{}, {}] have the same x", n, x_begin, x_end);
  LinearFit f;
  f.n_points = n;
  f.slope = sxy / sxx;
  f.intercept = my - f.slope * mx;
  double rss = 0.0;
  for (std::size_t k = 0; k < x.size(); ++k) {
    if (!inside(k)) continue;
    const double r = y[k] - (f.intercept + f.slope * x[k]);
    rss += r * r;
  }
  f.slope_stderr = n > 2 ? std::sqrt(rss / (n - 2) / sxx) : kNaN;
  return f;
}

DiffusionFit fit_diffusion(const MsdResult& result, int type_index, double t_start, double t_end) {
  if (type_index < 0 || type_index >= static_cast<int>(result.types.size())) {
    fail("fit_diffusion: species index {} out of range (0..{})", type_index,
         static_cast<int>(result.types.size()) - 1);
  }
  if (!(t_end > t_start) || !(t_start >= 0.0)) {
    fail("MSD fit window [{}, {}] fs: need 0 <= start < end", t_start, t_end);
  }
  // Lag 0 (MSD = 0 by construction) never enters the fit.
  const double lo = std::max(t_start, 0.5 * result.dt);
  DiffusionFit d;
  d.type = result.types[type_index];
  d.t_start = t_start;
  d.t_end = t_end;
  const LinearFit f = fit_line(result.time, result.msd[type_index], lo, t_end);
  d.n_points = f.n_points;
  d.d = f.slope / 6.0;
  d.intercept = f.intercept;

  const auto& blocks = result.block_msd[type_index];
  const int nb = static_cast<int>(blocks.size());
  if (nb >= 2) {
    std::vector<double> db(nb);
    double mean = 0.0;
    for (int b = 0; b < nb; ++b)
      mean += db[b] = fit_line(result.time, blocks[b], lo, t_end).slope / 6.0;
    mean /= nb;
    double var = 0.0;
    for (double v : db) var += (v - mean) * (v - mean);
    d.d_err = std::sqrt(var / (nb - 1) / nb);
  } else {
    d.d_err = kNaN;
  }

  std::vector<double> lx, ly;
  for (std::size_t k = 0; k < result.time.size(); ++k) {
    const double t = result.time[k], m = result.msd[type_index][k];
    if (t >= lo && t <= t_end && t > 0.0 && m > 0.0) {
      lx.push_back(std::log(t));
      ly.push_back(std::log(m));
    }
  }
  d.alpha = lx.size() >= 2 ? fit_line(lx, ly, -std::numeric_limits<double>::infinity(),
                                      std::numeric_limits<double>::infinity())
                                 .slope
                           : kNaN;
  return d;
}

}  // namespace vitrum::analysis
