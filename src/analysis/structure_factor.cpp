/// \file structure_factor.cpp
/// Faber–Ziman partial S(q) by the windowed sine transform of g(r) and by the direct sum over the
/// reciprocal lattice; neutron / X-ray weighted totals, Bhatia–Thornton, D(r) and T(r).

#include "vitrum/analysis/structure_factor.hpp"

#include <omp.h>
#include <xraylib.h>

#include <algorithm>
#include <cmath>
#include <complex>
#include <limits>

#include "vitrum/analysis/math/pair_geometry.hpp"
#include "vitrum/core/elements.hpp"
#include "vitrum/core/error.hpp"

namespace vitrum::analysis {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
// xraylib's FF_Rayl tabulates the neutral atoms up to californium.
constexpr int kXrayMaxZ = 98;

struct Length {
  int z;
  double b_fm;
};
// V. F. Sears, Neutron News 3(3), 26 (1992): bound coherent scattering lengths (fm).
constexpr Length kLengths[] = {{1, -3.7390}, {3, -1.90}, {5, 5.30},   {6, 6.6460}, {7, 9.36},
                               {8, 5.803},   {11, 3.63}, {12, 5.375}, {13, 3.449}, {14, 4.1491},
                               {15, 5.13},   {19, 3.67}, {20, 4.70},  {32, 8.185}};

void check_params(const SqParams& p) {
  if (!(p.q_max > 0.0) || !(p.dq > 0.0) || !std::isfinite(p.q_max) || p.dq > p.q_max) {
    fail("S(q): need 0 < dq <= q_max (Å⁻¹), got dq = {}, q_max = {}", p.dq, p.q_max);
  }
}

double sinc(double x) {
  return std::fabs(x) < 1e-8 ? 1.0 - x * x / 6.0 : std::sin(x) / x;
}

// Weighted totals and Bhatia–Thornton from the partials (in place).
void finish(SqResult& s) {
  const int nt = s.n_types();
  const std::size_t nq = s.q.size();
  std::vector<double> b(nt), bm(1, 0.0);
  double mean_b = 0.0;
  for (int a = 0; a < nt; ++a) {
    b[a] = neutron_scattering_length(s.types[a]) * 0.1;  // fm -> 1e-12 cm (barn^1/2)
    mean_b += s.conc[a] * b[a];
  }
  bool have_xray = true;
  for (int z : s.types) have_xray &= z >= 1 && z <= kXrayMaxZ;
  s.neutron_f.assign(nq, 0.0);
  s.neutron.assign(nq, 0.0);
  s.xray.assign(nq, kNaN);
  for (std::size_t k = 0; k < nq; ++k) {
    double fn = 0.0, fx = 0.0, mean_f = 0.0;
    std::vector<double> f(nt, 0.0);
    if (have_xray) {
      for (int a = 0; a < nt; ++a) {
        f[a] = xray_form_factor(s.types[a], s.q[k]);
        mean_f += s.conc[a] * f[a];
      }
    }
    for (int a = 0; a < nt; ++a) {
      for (int c = 0; c < nt; ++c) {
        const double d = s.partial[s.pair_index(a, c)][k] - 1.0;
        fn += s.conc[a] * s.conc[c] * b[a] * b[c] * d;
        fx += s.conc[a] * s.conc[c] * f[a] * f[c] * d;
      }
    }
    s.neutron_f[k] = fn;
    s.neutron[k] = 1.0 + fn / (mean_b * mean_b);
    if (have_xray) s.xray[k] = 1.0 + fx / (mean_f * mean_f);
  }
  s.s_nn.clear();
  s.s_nc.clear();
  s.s_cc.clear();
  if (nt != 2) return;
  const double c1 = s.conc[0], c2 = s.conc[1];
  for (std::size_t k = 0; k < nq; ++k) {
    const double s11 = s.partial[0][k], s12 = s.partial[1][k], s22 = s.partial[2][k];
    s.s_nn.push_back(c1 * c1 * s11 + c2 * c2 * s22 + 2 * c1 * c2 * s12);
    s.s_nc.push_back(c1 * c2 * (c1 * (s11 - s12) - c2 * (s22 - s12)));
    s.s_cc.push_back(c1 * c2 * (1.0 + c1 * c2 * (s11 + s22 - 2 * s12)));
  }
}

using PhaseTables = std::vector<std::vector<std::complex<double>>>;

// Phase tables e^{-2πi h s_d} of every atom for h in [-hmax_d, hmax_d], laid out [d][h][atom]
// (a running product, re-anchored every 32 steps against rounding drift).
PhaseTables phase_tables(const Box& box, const std::vector<Vec3>& positions, const int hmax[3]) {
  const int n = static_cast<int>(positions.size());
  PhaseTables phase(3);
  for (int d = 0; d < 3; ++d) {
    const int w = 2 * hmax[d] + 1;
    phase[d].resize(static_cast<std::size_t>(w) * n);
    for (int j = 0; j < n; ++j) {
      const double sd = box.to_fractional(positions[j])[d];
      const std::complex<double> step = std::polar(1.0, -2 * kPi * sd);
      std::complex<double> e = std::polar(1.0, 2 * kPi * sd * hmax[d]);
      for (int h = 0; h < w; ++h) {
        phase[d][static_cast<std::size_t>(h) * n + j] = e;
        e *= step;
        if (h % 32 == 31) e = std::polar(1.0, -2 * kPi * sd * (h + 1 - hmax[d]));
      }
    }
  }
  return phase;
}

struct Hkl {
  int h, k, l, bin;
};

// Reciprocal-lattice vectors of one half space (q and -q give the same S) with 0 < |q| < q_max.
std::vector<Hkl> reciprocal_vectors(const Vec3 recip[3], const int hmax[3], const SqParams& params,
                                    int n_bins) {
  std::vector<Hkl> vectors;
  for (int l = 0; l <= hmax[2]; ++l) {
    for (int k = (l == 0 ? 0 : -hmax[1]); k <= hmax[1]; ++k) {
      for (int h = (l == 0 && k == 0 ? 1 : -hmax[0]); h <= hmax[0]; ++h) {
        const Vec3 q = double(h) * recip[0] + double(k) * recip[1] + double(l) * recip[2];
        const double qn = std::sqrt(dot(q, q));
        const int bin = static_cast<int>(qn / params.dq);
        if (qn < params.q_max && bin < n_bins) vectors.push_back({h, k, l, bin});
      }
    }
  }
  return vectors;
}

}  // namespace

double neutron_scattering_length(int z) {
  for (const Length& l : kLengths) {
    if (l.z == z) return l.b_fm;
  }
  fail(
      "neutron-weighted S(q): no coherent scattering length for {} in vitrum's table (H, Li, B, "
      "C, N, O, Na, Mg, Al, Si, P, K, Ca, Ge)",
      element_symbol(z));
}

double xray_form_factor(int z, double q) {
  if (z < 1 || z > kXrayMaxZ) {
    fail("X-ray S(q): no form factor for Z = {} (xraylib tabulates Z = 1..{})", z, kXrayMaxZ);
  }
  if (!(q >= 0.0) || !std::isfinite(q)) {
    fail("X-ray S(q): form factor of {} asked at q = {} Å⁻¹ (need a finite q >= 0)",
         element_symbol(z), q);
  }
  xrl_error* err = nullptr;
  const double f = FF_Rayl(z, q / (4.0 * kPi), &err);
  if (err != nullptr) {
    const std::string msg = err->message;
    xrl_clear_error(&err);
    fail("X-ray S(q): xraylib has no form factor for {} at q = {} Å⁻¹: {}", element_symbol(z), q,
         msg);
  }
  return f;
}

int SqResult::pair_index(int a, int b) const {
  if (a > b) std::swap(a, b);
  const int n = n_types();
  return a * n - a * (a - 1) / 2 + (b - a);
}

SqResult structure_factor_from_rdf(const RdfResult& rdf, double density, const SqParams& params) {
  check_params(params);
  if (rdf.n_frames == 0) fail("S(q) from g(r): the g(r) has no frames");
  SqResult s;
  s.types = rdf.types;
  s.density = density;
  double n = 0.0;
  for (int c : rdf.type_counts) n += c;
  for (int c : rdf.type_counts) s.conc.push_back(c / n);
  const int nq = static_cast<int>(std::floor(params.q_max / params.dq + 1e-9));
  for (int k = 1; k <= nq; ++k) s.q.push_back(k * params.dq);
  const double dr = rdf.dr(), big_r = rdf.r_max;
  std::vector<double> w(rdf.n_bins);
  for (int i = 0; i < rdf.n_bins; ++i) {
    const double r = rdf.r[i];
    w[i] = 4.0 * kPi * density * r * r * dr * (params.lorch ? sinc(kPi * r / big_r) : 1.0);
  }
  s.partial.assign(rdf.partial.size(), std::vector<double>(s.q.size(), 1.0));
  for (std::size_t p = 0; p < rdf.partial.size(); ++p) {
    const std::vector<double>& g = rdf.partial[p];
#pragma omp parallel for schedule(static)
    for (int k = 0; k < nq; ++k) {
      double sum = 0.0;
      for (int i = 0; i < rdf.n_bins; ++i) {
        if (!std::isnan(g[i])) sum += w[i] * (g[i] - 1.0) * sinc(s.q[k] * rdf.r[i]);
      }
      s.partial[p][k] = 1.0 + sum;
    }
  }
  finish(s);
  return s;
}

SqResult structure_factor_direct(const Trajectory& trajectory, const SqParams& params) {
  check_params(params);
  const Frame& first = trajectory.frames.front();
  if (!first.box.periodic) fail("{}: S(q) needs a periodic cell", trajectory.source);
  SqResult s;
  s.types = trajectory.species_types();
  const std::vector<int> counts = trajectory.species_counts();
  const int nt = s.n_types();
  const int n = static_cast<int>(trajectory.n_atoms());
  std::vector<int> type_of(n);
  for (int j = 0; j < n; ++j) {
    type_of[j] = static_cast<int>(std::find(s.types.begin(), s.types.end(), trajectory.species[j]) -
                                  s.types.begin());
  }
  for (int c : counts) s.conc.push_back(static_cast<double>(c) / n);
  const int n_bins = static_cast<int>(std::floor(params.q_max / params.dq + 1e-9));
  for (int k = 0; k < n_bins; ++k) s.q.push_back((k + 0.5) * params.dq);
  const int n_pairs = nt * (nt + 1) / 2;
  std::vector<std::vector<double>> sum(n_pairs, std::vector<double>(n_bins, 0.0));
  s.n_vectors.assign(n_bins, 0);
  double density_sum = 0.0;
  for (const Frame& f : trajectory.frames) {
    const Box& box = f.box;
    density_sum += n / box.volume();
    Vec3 recip[3];  // rows b_i with a_i · b_j = δ_ij, times 2π
    {
      const double v = dot(box.h[0], cross(box.h[1], box.h[2]));
      recip[0] = (2 * kPi / v) * cross(box.h[1], box.h[2]);
      recip[1] = (2 * kPi / v) * cross(box.h[2], box.h[0]);
      recip[2] = (2 * kPi / v) * cross(box.h[0], box.h[1]);
    }
    int hmax[3];
    for (int d = 0; d < 3; ++d) {
      hmax[d] = static_cast<int>(params.q_max * std::sqrt(dot(box.h[d], box.h[d])) / (2 * kPi)) + 1;
    }
    const double table_bytes = 16.0 * n * (2.0 * (hmax[0] + hmax[1] + hmax[2]) + 3);
    if (table_bytes > 4e9) {
      fail(
          "{}: the direct-sum S(q) up to {} Å⁻¹ needs {:.3g} GB of phase tables for {} atoms; "
          "lower the direct-sum q_max or use the g(r) transform",
          trajectory.source, params.q_max, table_bytes / 1e9, n);
    }
    const auto phase = phase_tables(box, f.positions, hmax);
    const std::vector<Hkl> vectors = reciprocal_vectors(recip, hmax, params, n_bins);
    std::vector<double> value(vectors.size() * n_pairs);
#pragma omp parallel
    {
      std::vector<std::complex<double>> rho(nt);
#pragma omp for schedule(dynamic, 64)
      for (std::size_t v = 0; v < vectors.size(); ++v) {
        const Hkl& g = vectors[v];
        const auto* p0 = &phase[0][static_cast<std::size_t>(g.h + hmax[0]) * n];
        const auto* p1 = &phase[1][static_cast<std::size_t>(g.k + hmax[1]) * n];
        const auto* p2 = &phase[2][static_cast<std::size_t>(g.l + hmax[2]) * n];
        std::fill(rho.begin(), rho.end(), 0.0);
        for (int j = 0; j < n; ++j) rho[type_of[j]] += p0[j] * p1[j] * p2[j];
        for (int a = 0; a < nt; ++a) {
          for (int b = a; b < nt; ++b) {
            const double cross_term = std::real(rho[a] * std::conj(rho[b])) / n;
            const double self = a == b ? s.conc[a] : 0.0;
            value[v * n_pairs + s.pair_index(a, b)] =
                1.0 + (cross_term - self) / (s.conc[a] * s.conc[b]);
          }
        }
      }
    }
    for (std::size_t v = 0; v < vectors.size(); ++v) {
      ++s.n_vectors[vectors[v].bin];
      for (int p = 0; p < n_pairs; ++p) sum[p][vectors[v].bin] += value[v * n_pairs + p];
    }
  }
  s.density = density_sum / trajectory.n_frames();
  s.partial.assign(n_pairs, std::vector<double>(n_bins, kNaN));
  for (int p = 0; p < n_pairs; ++p) {
    for (int k = 0; k < n_bins; ++k) {
      if (s.n_vectors[k] > 0) s.partial[p][k] = sum[p][k] / s.n_vectors[k];
    }
  }
  finish(s);
  return s;
}

RealSpaceResult neutron_real_space(const RdfResult& rdf, double density) {
  RealSpaceResult out;
  out.r = rdf.r;
  const int nt = rdf.n_types();
  double n = 0.0;
  for (int c : rdf.type_counts) n += c;
  std::vector<double> c(nt), b(nt);
  double mean_b = 0.0;
  for (int a = 0; a < nt; ++a) {
    c[a] = rdf.type_counts[a] / n;
    b[a] = neutron_scattering_length(rdf.types[a]) * 0.1;
    mean_b += c[a] * b[a];
  }
  for (int k = 0; k < rdf.n_bins; ++k) {
    double g = 0.0;
    for (int a = 0; a < nt; ++a) {
      for (int d = 0; d < nt; ++d) {
        g += c[a] * c[d] * b[a] * b[d] * (rdf.partial[rdf.pair_index(a, d)][k] - 1.0);
      }
    }
    const double r = rdf.r[k];
    out.g_n.push_back(g);
    out.d_r.push_back(4 * kPi * density * r * g);
    out.t_r.push_back(4 * kPi * density * r * (g + mean_b * mean_b));
  }
  return out;
}

}  // namespace vitrum::analysis
