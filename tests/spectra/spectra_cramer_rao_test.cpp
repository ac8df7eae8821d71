// Cramér–Rao acceptance of the polish on a synthetic image with asymmetric lines and a Tougaard
// background (issue #15): every pixel a W 4f-like pair of LA(1.1,4,30) doublets (metal A,
// oxide B shifted by 1.0–1.8 eV across the image, B's share 0.2–0.8) on a flat background plus
// the "U 2" Tougaard loss background of the peaks, Poisson noise. The pipeline is the user's:
// EM start + BIC over 1–3 doublets, then the maximum-likelihood polish with the LA shape and an
// active Tougaard term. The bound of each pixel's position is √(I⁻¹)ₓₓ from the Fisher
// information I_jk = Σ_n ∂_jλ_n ∂_kλ_n / λ_n of the TRUE model (Poisson), in the parameters the
// polish fits: per state position, F and area (partner linked), a linear background and the
// Tougaard B. λ is rebuilt here from the line shapes and math::tougaard_integral and checked
// against the generator's expected counts first.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "vitrum/spectra/casa_lineshape.hpp"
#include "vitrum/spectra/fit.hpp"
#include "vitrum/spectra/fit_image.hpp"
#include "vitrum/spectra/math/backgrounds.hpp"
#include "vitrum/spectra/math/peak_shapes.hpp"
#include "vitrum/spectra/polish_fit.hpp"
#include "vitrum/spectra/synth.hpp"

namespace vs = vitrum::spectra;
namespace vm = vitrum::spectra::math;

namespace {

constexpr char kShape[] = "LA(1.1,4,30)";

vs::SynthConfig image_config() {
  vs::SynthConfig c;
  c.ny = 16;
  c.nx = 16;
  c.energy_min = 27.0;
  c.energy_max = 41.0;
  c.energy_step = 0.05;
  c.line_shape = kShape;
  c.position = 31.4;
  c.fwhm = 0.5;
  c.doublet_splitting = 2.18;
  c.doublet_ratio = 0.75;
  c.shift = {vs::SynthPattern::GradientX, 1.0, 1.8};
  c.ratio = {vs::SynthPattern::Radial, 0.2, 0.8};
  c.background_kind = vs::SynthBackground::Tougaard;
  c.tougaard = {2866.0, 1643.0, 0.0, 0};
  c.peak_counts = 20000.0;
  c.background = 50.0;
  c.seed = 7;
  return c;
}

constexpr char kFitConfig[] = R"toml(
[peaks]
shape = "pseudo-voigt"
count = [1, 3]
[peaks.doublet]
splitting = 2.18
ratio = 0.75
[polish]
line_shape = "LA(1.1,4,30)"
tougaard = "u2"
bic = "polish"
residuals = false
)toml";

constexpr char kImageTable[] = R"toml(
[image]
mode = "template"
max_shift = 0.5
widths = "free"
)toml";

/// True-model parameters of one pixel: x_A, F_A, A_A, x_B, F_B, A_B (main lines, counts·eV),
/// background b0 + b1·(E − Ē), Tougaard B.
constexpr int kNp = 9;

std::vector<double> truth_of(const vs::SynthConfig& c, int iy, int ix) {
  const double shift =
      c.shift.min + (c.shift.max - c.shift.min) * vs::synth_pattern(c.shift, iy, ix, c.ny, c.nx);
  const double r =
      c.ratio.min + (c.ratio.max - c.ratio.min) * vs::synth_pattern(c.ratio, iy, ix, c.ny, c.nx);
  const double main = 1.0 / (1.0 + c.doublet_ratio);
  return {c.position,         c.fwhm, (1.0 - r) * c.peak_counts * main,
          c.position + shift, c.fwhm, r * c.peak_counts * main,
          c.background,       0.0,    c.tougaard.B};
}

/// Expected counts per channel for parameters θ (the generator's formula, see synth.hpp).
std::vector<double> lambda(const vs::SynthConfig& c, const std::vector<double>& e,
                           const std::vector<double>& t) {
  const vs::CasaLineShape ls = vs::parse_casa_lineshape(kShape);
  const long n = static_cast<long>(e.size());
  std::vector<double> s(n, 0.0), S(n);
  for (int st = 0; st < 2; ++st) {
    const double x = t[3 * st], F = t[3 * st + 1], A = t[3 * st + 2];
    const vm::ShapeParams a = ls.params(x, F, A);
    const vm::ShapeParams b = ls.params(x + c.doublet_splitting, F, c.doublet_ratio * A);
    for (long i = 0; i < n; ++i)
      s[i] +=
          c.energy_step * (vm::shape_value(ls.kind, a, e[i]) + vm::shape_value(ls.kind, b, e[i]));
  }
  vm::TougaardCrossSection k = c.tougaard;
  k.B = 1.0;
  vm::tougaard_integral(e.data(), s.data(), 0, static_cast<int>(n - 1), 0.0, k, S.data());
  const double mid = 0.5 * (e.front() + e.back());
  std::vector<double> lam(n);
  for (long i = 0; i < n; ++i) lam[i] = t[6] + t[7] * (e[i] - mid) + t[8] * S[i] + s[i];
  return lam;
}

/// √(I⁻¹)_jj for j = position of A (0) and of B (3): Fisher by central differences.
std::vector<double> cramer_rao(const vs::SynthConfig& c, const std::vector<double>& e,
                               const std::vector<double>& t) {
  const long n = static_cast<long>(e.size());
  const std::vector<double> lam = lambda(c, e, t);
  std::vector<std::vector<double>> d(kNp);
  for (int j = 0; j < kNp; ++j) {
    const double h = j == 0 || j == 1 || j == 3 || j == 4 ? 1e-5 : 1e-4 * std::max(1.0, t[j]);
    std::vector<double> tp = t, tm = t;
    tp[j] += h;
    tm[j] -= h;
    const std::vector<double> lp = lambda(c, e, tp), lm = lambda(c, e, tm);
    d[j].resize(n);
    for (long i = 0; i < n; ++i) d[j][i] = (lp[i] - lm[i]) / (2.0 * h);
  }
  // Augmented [I | e_0 e_3], Gauss–Jordan with partial pivoting.
  std::vector<std::vector<double>> a(kNp, std::vector<double>(kNp + 2, 0.0));
  for (int j = 0; j < kNp; ++j) {
    for (int k = 0; k < kNp; ++k)
      for (long i = 0; i < n; ++i) a[j][k] += d[j][i] * d[k][i] / lam[i];
    a[j][kNp] = j == 0;
    a[j][kNp + 1] = j == 3;
  }
  for (int col = 0; col < kNp; ++col) {
    int piv = col;
    for (int r = col + 1; r < kNp; ++r)
      if (std::fabs(a[r][col]) > std::fabs(a[piv][col])) piv = r;
    std::swap(a[col], a[piv]);
    for (int r = 0; r < kNp; ++r) {
      if (r == col) continue;
      const double f = a[r][col] / a[col][col];
      for (int k = col; k < kNp + 2; ++k) a[r][k] -= f * a[col][k];
    }
  }
  return {std::sqrt(a[0][kNp] / a[0][0]), std::sqrt(a[3][kNp + 1] / a[3][3])};
}

}  // namespace

TEST(SpectraCramerRao, PolishedPositionsOfAsymmetricLinesOnTougaardReachTheBound) {
  const vs::SynthConfig sc = image_config();
  const vs::SynthResult syn = vs::synthesize(sc);
  const vs::SpectrumImage& im = syn.image;
  const long npix = im.pixels();
  const int nch = im.channels();

  // The Fisher model is the generator's: λ(θ_true) against its expected counts (float storage).
  for (long p : {0L, npix / 2 + 5, npix - 1}) {
    const std::vector<double> lam = lambda(
        sc, im.energy, truth_of(sc, static_cast<int>(p / sc.nx), static_cast<int>(p % sc.nx)));
    const float* mu = syn.expected.spectrum(p);
    for (int i = 0; i < nch; ++i) ASSERT_NEAR(lam[i], mu[i], 1e-5 * mu[i]) << p << " " << i;
  }

  const vs::FitConfig cfg = vs::parse_fit_config(kFitConfig, "cramer_rao.toml");
  const vs::FitResult r = vs::fit_spectra(im, cfg);
  vs::PolishOptions po;
  po.control = cfg.polish_control;
  const vs::PolishedBlock pb = vs::polish_fitted_block(r, im, cfg, po);
  ASSERT_EQ(static_cast<long>(r.energy.size()), nch);  // whole window: λ above is on it

  // Pixels with two doublets (main, partner, main, partner) and their fitted main positions.
  std::vector<long> pix;
  std::vector<double> fitted;
  long converged = 0;
  for (size_t g = 0; g < pb.results.size(); ++g) {
    const vs::PolishResult& q = pb.results[g];
    if (q.n_comp != 4) continue;
    for (long f = 0; f < q.fits; ++f) {
      pix.push_back(pb.pixels[g][f]);
      converged += q.status[f] == static_cast<int>(vs::PolishStatus::Converged);
      const double a = q.param(f, 0), b = q.param(f, 2 * vm::kPolishParamsPerComponent);
      fitted.push_back(std::min(a, b));
      fitted.push_back(std::max(a, b));
    }
  }
  const long right_count = static_cast<long>(pix.size());
  std::vector<double> bound(2 * pix.size());
#pragma omp parallel for schedule(dynamic, 4)
  for (long i = 0; i < right_count; ++i) {
    const long p = pix[i];
    const std::vector<double> crb = cramer_rao(
        sc, im.energy, truth_of(sc, static_cast<int>(p / sc.nx), static_cast<int>(p % sc.nx)));
    bound[2 * i] = crb[0];
    bound[2 * i + 1] = crb[1];
  }
  double se2[2] = {0, 0}, crb2[2] = {0, 0}, pull2[2] = {0, 0};
  for (long i = 0; i < right_count; ++i) {
    const long p = pix[i];
    const std::vector<double> t =
        truth_of(sc, static_cast<int>(p / sc.nx), static_cast<int>(p % sc.nx));
    for (int s = 0; s < 2; ++s) {
      const double err = fitted[2 * i + s] - t[3 * s], b = bound[2 * i + s];
      se2[s] += err * err;
      crb2[s] += b * b;
      pull2[s] += err * err / (b * b);
    }
  }
  EXPECT_GE(right_count, static_cast<long>(std::ceil(0.95 * npix)))
      << "pixels with two doublets: " << right_count << " of " << npix;
  EXPECT_GE(converged, static_cast<long>(std::ceil(0.95 * right_count)));
  ASSERT_GT(right_count, 0);
  for (int s = 0; s < 2; ++s) {
    const double rms = std::sqrt(se2[s] / right_count), bound = std::sqrt(crb2[s] / right_count);
    const double pull = std::sqrt(pull2[s] / right_count);
    std::printf(
        "state %c: position RMS error %.5f eV, Cramér–Rao bound (RMS) %.5f eV, ratio %.3f, "
        "pull RMS %.3f (%ld pixels)\n",
        s == 0 ? 'A' : 'B', rms, bound, rms / bound, pull, right_count);
    EXPECT_LE(rms, 1.2 * bound) << "state " << s;
    EXPECT_LE(pull, 1.2) << "state " << s;
  }
}

// The same image fitted as an image ([image] mode = "template"): the sum spectrum's EM + BIC and
// polish (LA shape, active U2 Tougaard) give the template; every pixel is polished with it
// (positions bounded, areas free, neighbour starts) and each state tested for significance.
// Right count: both states significant; positions against the same Cramér–Rao bound.
TEST(SpectraCramerRao, TemplateModePositionsReachTheBound) {
  const vs::SynthConfig sc = image_config();
  const vs::SynthResult syn = vs::synthesize(sc);
  const vs::SpectrumImage& im = syn.image;
  const long npix = im.pixels();
  const std::string text = std::string(kFitConfig) + kImageTable;
  const vs::FitConfig cfg = vs::parse_fit_config(text, "cramer_rao_template.toml");
  const vs::TemplateFitResult r = vs::fit_image_template(im, cfg, {});
  std::printf("template: %d states, max shift %.3f eV:", r.K, r.max_shift);
  for (int k = 0; k < r.K; ++k)
    std::printf(" %.4f eV FWHM %.4f %s;", r.template_position[k], r.template_fwhm[k],
                r.template_line_shape[k].c_str());
  std::printf("\n");
  ASSERT_EQ(r.K, 2);
  const int a = r.template_position[0] < r.template_position[1] ? 0 : 1, b = 1 - a;
  std::vector<long> pix;
  for (long p = 0; p < npix; ++p)
    if (r.significant[p * r.K + a] && r.significant[p * r.K + b]) pix.push_back(p);
  const long right_count = static_cast<long>(pix.size());
  EXPECT_GE(right_count, static_cast<long>(std::ceil(0.95 * npix)))
      << "pixels with both states significant: " << right_count << " of " << npix;
  ASSERT_GT(right_count, 0);
  std::vector<double> bound(2 * pix.size());
#pragma omp parallel for schedule(dynamic, 4)
  for (long i = 0; i < right_count; ++i) {
    const long p = pix[i];
    const std::vector<double> crb = cramer_rao(
        sc, im.energy, truth_of(sc, static_cast<int>(p / sc.nx), static_cast<int>(p % sc.nx)));
    bound[2 * i] = crb[0];
    bound[2 * i + 1] = crb[1];
  }
  long converged = 0;
  double se2[2] = {0, 0}, crb2[2] = {0, 0}, pull2[2] = {0, 0};
  for (long i = 0; i < right_count; ++i) {
    const long p = pix[i];
    converged += r.status[p] == 0;
    const std::vector<double> t =
        truth_of(sc, static_cast<int>(p / sc.nx), static_cast<int>(p % sc.nx));
    for (int s = 0; s < 2; ++s) {
      const double err = r.position[p * r.K + (s == 0 ? a : b)] - t[3 * s], e = bound[2 * i + s];
      se2[s] += err * err;
      crb2[s] += e * e;
      pull2[s] += err * err / (e * e);
    }
  }
  EXPECT_GE(converged, static_cast<long>(std::ceil(0.95 * right_count)));
  for (int s = 0; s < 2; ++s) {
    const double rms = std::sqrt(se2[s] / right_count), crb = std::sqrt(crb2[s] / right_count);
    const double pull = std::sqrt(pull2[s] / right_count);
    std::printf(
        "template, state %c: position RMS error %.5f eV, Cramér–Rao bound (RMS) %.5f eV, ratio "
        "%.3f, pull RMS %.3f (%ld pixels)\n",
        s == 0 ? 'A' : 'B', rms, crb, rms / crb, pull, right_count);
    EXPECT_LE(rms, 1.2 * crb) << "state " << s;
    EXPECT_LE(pull, 1.2) << "state " << s;
  }
}
