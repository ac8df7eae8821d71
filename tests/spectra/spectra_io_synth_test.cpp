// Synthetic spectrum images: determinism, Poisson statistics, truth maps, line shapes, config
// parsing and the `vitrum spectra synth` / `vitrum spectra info` commands end to end.
#include <gtest/gtest.h>
#include <omp.h>
#include <unistd.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "../test_paths.hpp"
#include "vitrum/core/error.hpp"
#include "vitrum/spectra/math/lineshapes.hpp"
#include "vitrum/spectra/spectrum_io.hpp"
#include "vitrum/spectra/synth.hpp"

namespace vs = vitrum::spectra;
namespace vm = vitrum::spectra::math;
namespace fs = std::filesystem;

namespace {

fs::path scratch() {
  const fs::path p = fs::temp_directory_path() / ("vitrum_spio_synth_" + std::to_string(getpid()));
  fs::create_directories(p);
  return p;
}

template <typename F>
void expect_error(F&& f, std::initializer_list<std::string> parts) {
  try {
    f();
    ADD_FAILURE() << "no exception thrown";
  } catch (const vitrum::Error& e) {
    const std::string msg = e.what();
    for (const auto& p : parts)
      EXPECT_NE(msg.find(p), std::string::npos) << "'" << p << "' not in: " << msg;
  }
}

vs::SynthConfig small() {
  vs::SynthConfig c;
  c.ny = 6;
  c.nx = 7;
  c.energy_min = 280;
  c.energy_max = 292;
  c.energy_step = 0.1;
  return c;
}

}  // namespace

TEST(spectra_io_synth, LineShapesFollowTheConventions) {
  // Unit area (numerically), FWHM at half height, and the tabulated height factors.
  for (double eta : {0.0, 0.3, 1.0}) {
    double area = 0, h = vm::pseudo_voigt_pdf(0.0, 0.0, 1.2, eta);
    for (int i = -400000; i <= 400000; ++i)
      area += vm::pseudo_voigt_pdf(i * 1e-3, 0.0, 1.2, eta) * 1e-3;
    // Lorentzian tails beyond ±400 eV hold 2γ/(π·400) of the area.
    EXPECT_NEAR(area, 1.0 - eta * 2 * 0.6 / (M_PI * 400), 1e-6) << eta;
    EXPECT_NEAR(vm::pseudo_voigt_pdf(0.6, 0.0, 1.2, eta), 0.5 * h, 1e-12) << eta;  // F/2 off centre
    EXPECT_NEAR(h, vm::pseudo_voigt_height(1.0, 1.2, eta), 1e-12);
  }
  EXPECT_NEAR(vm::gaussian_height(1.0, 1.0), 0.939437, 1e-6);
  EXPECT_NEAR(vm::lorentzian_height(1.0, 1.0), 0.63662, 1e-5);
  EXPECT_NEAR(vm::fwhm_from_sigma(1.0), 2.35482, 1e-5);
  EXPECT_NEAR(vm::sgl_to_area_fraction(0.3), 1.5708 * 0.3 / (1.0645 * 0.7 + 1.5708 * 0.3), 1e-4);
  EXPECT_NEAR(vm::area_fraction_to_sgl(vm::sgl_to_area_fraction(0.3)), 0.3, 1e-12);
  EXPECT_NEAR(vm::gaussian_cdf(1.0, 0.0, 1.0), 0.841344746, 1e-8);
  EXPECT_FLOAT_EQ(vm::gaussian_pdf(1.0f, 0.0f, 1.0f), 0.24197072f);
  EXPECT_DOUBLE_EQ(vm::doublet_area_ratio<double>(1), 0.5);
  EXPECT_DOUBLE_EQ(vm::doublet_area_ratio<double>(3), 0.75);
}

TEST(spectra_io_synth, DeterministicForASeedOnAnyThreadCount) {
  const auto c = small();
  const int threads = omp_get_max_threads();
  omp_set_num_threads(1);
  const auto a = vs::synthesize(c);
  omp_set_num_threads(std::max(2, threads));
  const auto b = vs::synthesize(c);
  omp_set_num_threads(threads);
  EXPECT_EQ(a.image.counts, b.image.counts);
  EXPECT_EQ(a.expected.counts, b.expected.counts);
  auto c2 = c;
  c2.seed = 2;
  EXPECT_NE(vs::synthesize(c2).image.counts, a.image.counts);
  // Counts are non-negative integers.
  for (float y : a.image.counts) ASSERT_TRUE(y >= 0 && y == std::floor(y));
  // Noise off: the image is the expectation.
  c2.noise = false;
  const auto e = vs::synthesize(c2);
  EXPECT_EQ(e.image.counts, e.expected.counts);
}

TEST(spectra_io_synth, NoiseMatchesPoissonStatistics) {
  // Flat images (no peaks) at several count levels, both sampler branches (mean < 10 and ≥ 10):
  // sample mean and variance of N values agree with λ within 5 standard errors,
  // SE(mean) = √(λ/N), SE(var) = √((2λ² + λ)/N).
  for (double lam : {0.5, 4.0, 9.9, 10.1, 60.0, 2500.0}) {
    SCOPED_TRACE(lam);
    vs::SynthConfig c = small();
    c.ny = 40;
    c.nx = 50;
    c.peak_counts = 0;
    c.shirley = 0;
    c.background = lam;
    c.seed = 7;
    const auto r = vs::synthesize(c);
    const double n = static_cast<double>(r.image.counts.size());
    double s = 0, s2 = 0, zeros = 0;
    for (float y : r.image.counts) {
      s += y;
      zeros += y == 0;
    }
    const double mean = s / n;
    for (float y : r.image.counts) s2 += (y - mean) * (y - mean);
    const double var = s2 / (n - 1);
    EXPECT_NEAR(mean, lam, 5 * std::sqrt(lam / n));
    EXPECT_NEAR(var, lam, 5 * std::sqrt((2 * lam * lam + lam) / n));
    if (lam < 1) EXPECT_NEAR(zeros / n, std::exp(-lam), 5 * std::sqrt(std::exp(-lam) / n));
  }
  // With peaks: standardised residuals (y − μ)/√μ over the whole image have mean 0, variance 1.
  vs::SynthConfig c = small();
  c.ny = 30;
  c.nx = 30;
  const auto r = vs::synthesize(c);
  double s = 0, s2 = 0;
  const double n = static_cast<double>(r.image.counts.size());
  for (size_t i = 0; i < r.image.counts.size(); ++i) {
    const double z = (r.image.counts[i] - r.expected.counts[i]) / std::sqrt(r.expected.counts[i]);
    s += z;
    s2 += z * z;
  }
  EXPECT_NEAR(s / n, 0.0, 5 / std::sqrt(n));
  EXPECT_NEAR(s2 / n, 1.0, 5 * std::sqrt(2 / n));
}

TEST(spectra_io_synth, TruthMapsDescribeTheImage) {
  vs::SynthConfig c = small();
  c.noise = false;
  c.shape = vs::SynthShape::PseudoVoigt;
  c.eta = 0.2;
  c.doublet_splitting = 1.5;
  c.doublet_ratio = 0.5;
  c.shift = {vs::SynthPattern::GradientX, 1.0, 3.0};
  c.ratio = {vs::SynthPattern::Checker, 0.2, 0.6, 2};
  c.energy_min = 276;
  c.energy_max = 296;
  const auto r = vs::synthesize(c);
  ASSERT_EQ(r.truth.peak_stacks.size(), 4u);
  const auto& pos = r.truth.peak_stacks[0];
  const auto& area = r.truth.peak_stacks[3];
  ASSERT_EQ(pos.n_peaks, 4);
  EXPECT_EQ(pos.peak_labels[1], "A partner");
  const long npix = 6 * 7;
  // Pixel (0, 0): shift 1.0, ratio 0.2; pixel (0, 6): shift 3.0; pixel (0, 2): checker → 0.6.
  EXPECT_FLOAT_EQ(r.truth.maps[0].values[0], 1.0f);
  EXPECT_FLOAT_EQ(r.truth.maps[0].values[6], 3.0f);
  EXPECT_FLOAT_EQ(r.truth.maps[1].values[0], 0.2f);
  EXPECT_FLOAT_EQ(r.truth.maps[1].values[2], 0.6f);
  EXPECT_FLOAT_EQ(pos.values[0 * npix + 6], 284.8f);
  EXPECT_FLOAT_EQ(pos.values[1 * npix + 6], 286.3f);
  EXPECT_FLOAT_EQ(pos.values[2 * npix + 6], 287.8f);
  EXPECT_FLOAT_EQ(pos.values[3 * npix + 6], 289.3f);
  // Areas: A = (1 − r) P split 2 : 1 (main : partner), B = r P split 2 : 1; they sum to P.
  EXPECT_NEAR(area.values[0], 0.8 * 20000 * 2 / 3, 1e-2);
  EXPECT_NEAR(area.values[3 * npix], 0.2 * 20000 / 3, 1e-2);
  // Pixel sums: background·channels + Shirley step + the peak area inside the window.
  for (long p : {0L, 20L, 41L}) {
    double peaks = 0;
    for (int j = 0; j < 4; ++j) {
      const double x0 = pos.values[j * npix + p], a = area.values[j * npix + p];
      peaks += a * (vm::pseudo_voigt_cdf(296.05, x0, 1.0, 0.2) -
                    vm::pseudo_voigt_cdf(275.95, x0, 1.0, 0.2));
    }
    double sum = 0, last = 0;
    for (int i = 0; i < r.image.channels(); ++i) sum += r.image.spectrum(p)[i];
    last = r.image.spectrum(p)[r.image.channels() - 1];
    const int nch = r.image.channels();
    // Σ μ = nch·b + Σ s + k Σ_i (cum_{i−1} + s_i/2); compare with 0.5 % tolerance (sampling).
    EXPECT_NEAR(last, c.background + c.shirley * peaks, 0.01 * c.shirley * peaks + 1.0);
    EXPECT_GT(sum, nch * c.background + 0.99 * peaks);
  }
  // Invalid configurations name the parameter.
  auto bad = small();
  bad.fwhm = 0;
  expect_error([&] { vs::synthesize(bad); }, {"FWHM"});
  bad = small();
  bad.ratio.max = 1.5;
  expect_error([&] { vs::synthesize(bad); }, {"intensity ratio"});
  bad = small();
  bad.position = 300;
  expect_error([&] { vs::synthesize(bad); }, {"energy window"});
}

TEST(spectra_io_synth, TomlConfig) {
  const std::string path = (scratch() / "synth.toml").string();
  std::ofstream(path) << "[image]\nny = 4\nnx = 5\nname = \"W4f\"\n[energy]\nmin = 28.0\nmax = "
                         "40.0\nstep = 0.05\n[peak]\nshape = \"pseudo_voigt\"\nposition = "
                         "31.4\nfwhm = 0.8\neta = 0.25\ndoublet_splitting = 2.18\ndoublet_ratio "
                         "= 0.75\n[shift]\npattern = \"radial\"\nmin = 0.5\nmax = 1.5\n[ratio]\n"
                         "pattern = \"constant\"\nmin = 0.4\n[counts]\npeak_counts = 5000\n"
                         "background = 20\nshirley = 0.01\nnoise = false\nseed = 42\n";
  const auto c = vs::load_synth_config(path);
  EXPECT_EQ(c.ny, 4);
  EXPECT_EQ(c.nx, 5);
  EXPECT_EQ(c.name, "W4f");
  EXPECT_EQ(c.shape, vs::SynthShape::PseudoVoigt);
  EXPECT_DOUBLE_EQ(c.doublet_splitting, 2.18);
  EXPECT_EQ(c.shift.pattern, vs::SynthPattern::Radial);
  EXPECT_EQ(c.ratio.pattern, vs::SynthPattern::Constant);
  EXPECT_FALSE(c.noise);
  EXPECT_EQ(c.seed, 42u);
  EXPECT_EQ(vs::synthesize(c).image.channels(), 241);
  const std::string typo = (scratch() / "typo.toml").string();
  std::ofstream(typo) << "[peak]\nfwhm = 1.0\npositon = 284.8\n";
  expect_error([&] { vs::load_synth_config(typo); }, {typo + ":3:", "unknown key 'positon'"});
  const std::string syntax = (scratch() / "syntax.toml").string();
  std::ofstream(syntax) << "[peak]\nfwhm = = 1\n";
  expect_error([&] { vs::load_synth_config(syntax); }, {syntax + ":2:", "TOML"});
}

TEST(spectra_io_synth, CommandLineSynthAndInfo) {
  const fs::path dir = scratch();
  const std::string out = (dir / "img.h5").string();
  const std::string bin = vitrum::test::vitrum_binary();
  const std::string cmd = bin + " spectra synth -o " + out +
                          " --ny 5 --nx 8 --emin 280 --emax 290 --step 0.1 --seed 3 --shape "
                          "pseudo_voigt --shift-pattern gradient_y --with-expected > " +
                          (dir / "synth.log").string() + " 2>&1";
  ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
  const auto imgs = vs::read_spectra(out);
  ASSERT_EQ(imgs.size(), 1u);
  EXPECT_EQ(imgs[0].ny, 5);
  EXPECT_EQ(imgs[0].nx, 8);
  EXPECT_EQ(imgs[0].channels(), 101);
  EXPECT_DOUBLE_EQ(imgs[0].photon_energy, 1486.6);
  // Same as the library for the same settings.
  vs::SynthConfig c;
  c.ny = 5;
  c.nx = 8;
  c.energy_min = 280;
  c.energy_max = 290;
  c.energy_step = 0.1;
  c.seed = 3;
  c.shape = vs::SynthShape::PseudoVoigt;
  c.shift.pattern = vs::SynthPattern::GradientY;
  EXPECT_EQ(imgs[0].counts, vs::synthesize(c).image.counts);
  // The image and the truth file, checked with h5py against the shared file's layout.
  const std::string truth = (dir / "img_truth.h5").string();
  const std::string script = (dir / "check.py").string();
  std::ofstream(script) << "import sys\ntry:\n    import h5py, numpy as np\nexcept ImportError:\n"
                           "    sys.exit(3)\n"
                        << "f = h5py.File('" << out << "', 'r')\n"
                        << R"PY(g = f['Experiments/synthetic']
assert f.attrs['NX_class'] == b'NXroot' and f['Experiments'].attrs['default'] == 'synthetic'
assert g['data'].shape == (5, 8, 101) and g['data'].dtype == np.float32
assert list(g.attrs['axes']) == ['y', 'x', 'energy'] and g.attrs['energy_indices'] == 2
assert g['energy'].attrs['type'] == 'binding'
assert bool(g['axis-0'].attrs['navigate']) and not bool(g['axis-2'].attrs['navigate'])
assert g['data'].chunks[-1] == 101
t = h5py.File(sys.argv[1], 'r')['Experiments']
assert 'truth_shift' in t and 'truth_position' in t and 'synthetic_expected' in t, list(t)
s = t['truth_shift']['data']; assert s.shape == (5, 8)
assert abs(s[0, 0] - 0.8) < 1e-6 and abs(s[4, 0] - 2.0) < 1e-6
assert t['truth_area']['data'].shape == (2, 5, 8)
print('ok')
)PY";
  ASSERT_EQ(std::system(("/usr/bin/python3 " + script + " " + truth).c_str()), 0);
  // Maps as PNGs with colour bars.
  const std::string png_dir = (dir / "png").string();
  const std::string plot = "/usr/bin/python3 " + vitrum::test::source_dir() +
                           "/scripts/plot_spectra.py maps " + truth + " -o " + png_dir;
  ASSERT_EQ(std::system(plot.c_str()), 0) << plot;
  EXPECT_TRUE(fs::exists(png_dir + "/truth_shift.png"));
  EXPECT_TRUE(fs::exists(png_dir + "/truth_position.png"));
  // info: exit 0 on good files; exit 1 and a message naming a bad file.
  const std::string vms = vitrum::test::shared_dir() + "/spectra/vamas/casa_Pt4f_doublet.vms";
  EXPECT_EQ(std::system((bin + " spectra info " + out + " " + vms + " > /dev/null").c_str()), 0);
  const std::string bad = (dir / "bad.csv").string();
  std::ofstream(bad) << "1,2\n0,3\n2,4\n";
  const std::string err = (dir / "info.err").string();
  EXPECT_NE(std::system((bin + " spectra info " + bad + " 2> " + err).c_str()), 0);
  std::ifstream in(err);
  const std::string msg((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_NE(msg.find(bad + ":3:"), std::string::npos) << msg;
  // --help documents units and defaults.
  const std::string help = (dir / "help.txt").string();
  ASSERT_EQ(std::system((bin + " spectra synth --help > " + help).c_str()), 0);
  std::ifstream hin(help);
  const std::string h((std::istreambuf_iterator<char>(hin)), std::istreambuf_iterator<char>());
  EXPECT_NE(h.find("(eV)"), std::string::npos);
  EXPECT_NE(h.find("284.8"), std::string::npos);
}
