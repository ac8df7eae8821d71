// MSD and diffusion: unwrapping through wrapped triclinic frames, ballistic motion (MSD = v² t²),
// random walks with known D, frame times and the linear fit.
#include "vitrum/analysis/msd.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "analysis_fixtures.hpp"
#include "vitrum/core/error.hpp"

using namespace vitrum;
using namespace vitrum::analysis;

namespace {

const Box kTriclinic = test::make_box({14, 0, 0}, {4, 13, 0}, {-3, 2, 12});

// Frames of given unwrapped positions, wrapped into `box`, with time = f * dt.
std::vector<Structure> wrapped_frames(const std::vector<std::vector<Vec3>>& unwrapped,
                                      const std::vector<int>& species, const Box& box, double dt) {
  std::vector<Structure> out;
  for (std::size_t f = 0; f < unwrapped.size(); ++f) {
    Structure s;
    s.box = box;
    s.species = species;
    for (const Vec3& r : unwrapped[f]) s.positions.push_back(box.wrap(r));
    s.info["time"] = std::to_string(f * dt);
    s.info["step"] = std::to_string(f * 10);
    out.push_back(s);
  }
  return out;
}

// Random walks: Gaussian steps of variance 2 D dt per component per frame.
std::vector<std::vector<Vec3>> random_walks(const std::vector<double>& d_of_atom, int frames,
                                            double dt, std::mt19937_64& rng) {
  std::normal_distribution<double> g(0.0, 1.0);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  const std::size_t n = d_of_atom.size();
  std::vector<std::vector<Vec3>> r(frames, std::vector<Vec3>(n));
  for (std::size_t i = 0; i < n; ++i) r[0][i] = kTriclinic.to_cartesian({u(rng), u(rng), u(rng)});
  for (int f = 1; f < frames; ++f) {
    for (std::size_t i = 0; i < n; ++i) {
      const double s = std::sqrt(2.0 * d_of_atom[i] * dt);
      r[f][i] = r[f - 1][i] + Vec3{s * g(rng), s * g(rng), s * g(rng)};
    }
  }
  return r;
}

}  // namespace

TEST(AnalysisMsd, UnwrapsWrappedTriclinicFramesExactly) {
  std::mt19937_64 rng(1);
  const int n = 50;
  const auto truth = random_walks(std::vector<double>(n, 0.05), 40, 10.0, rng);  // ~1 Å/frame
  const Trajectory t = trajectory_from_structures(
      wrapped_frames(truth, std::vector<int>(n, 8), kTriclinic, 10.0), {}, "walk");
  double worst = 0.0;
  const auto u = unwrap_positions(t, &worst);
  EXPECT_GT(worst, 0.0);
  EXPECT_LT(worst, 0.3);
  for (std::size_t f = 0; f < truth.size(); ++f) {
    for (int i = 0; i < n; ++i) {
      // u(0) is the wrapped start; displacements since then must match the truth.
      const Vec3 du = u[f][i] - u[0][i], dt = truth[f][i] - truth[0][i];
      EXPECT_NEAR(du.x, dt.x, 1e-9);
      EXPECT_NEAR(du.y, dt.y, 1e-9);
      EXPECT_NEAR(du.z, dt.z, 1e-9);
    }
  }
  // Positions written unwrapped come back unchanged.
  std::vector<Structure> raw = wrapped_frames(truth, std::vector<int>(n, 8), kTriclinic, 10.0);
  for (std::size_t f = 0; f < raw.size(); ++f) raw[f].positions = truth[f];
  const auto u2 = unwrap_positions(trajectory_from_structures(raw, {}, "raw"));
  for (std::size_t f = 0; f < truth.size(); ++f) {
    for (int i = 0; i < n; ++i) EXPECT_NEAR(u2[f][i].x, truth[f][i].x, 1e-9);
  }
}

TEST(AnalysisMsd, BallisticMotionIsQuadraticInTime) {
  // r_i(t) = r_i(0) + v_i t: every time origin gives |Δr|² = v_i² τ², so MSD_a(τ) = ⟨v²⟩_a τ².
  std::mt19937_64 rng(2);
  std::normal_distribution<double> g(0.0, 0.01);  // Å/fs, 0.5 Å per 20 fs frame
  std::uniform_real_distribution<double> u(0.0, 1.0);
  const int n = 60, frames = 30;
  const double dt = 20.0;
  std::vector<int> species;
  std::vector<Vec3> v(n), r0(n);
  double v2[2] = {0, 0};
  for (int i = 0; i < n; ++i) {
    species.push_back(i % 3 == 0 ? 14 : 8);
    v[i] = {g(rng), g(rng), g(rng)};
    r0[i] = kTriclinic.to_cartesian({u(rng), u(rng), u(rng)});
    v2[i % 3 == 0 ? 0 : 1] += dot(v[i], v[i]);
  }
  v2[0] /= n / 3;
  v2[1] /= n - n / 3;
  std::vector<std::vector<Vec3>> truth(frames, std::vector<Vec3>(n));
  for (int f = 0; f < frames; ++f) {
    for (int i = 0; i < n; ++i) truth[f][i] = r0[i] + (f * dt) * v[i];
  }
  const Trajectory t =
      trajectory_from_structures(wrapped_frames(truth, species, kTriclinic, dt), {}, "ballistic");
  const MsdResult m = compute_msd(t);
  ASSERT_EQ(m.types, (std::vector<int>{14, 8}));
  EXPECT_DOUBLE_EQ(m.dt, dt);
  ASSERT_EQ(m.time.size(), static_cast<std::size_t>(frames));
  for (int k = 0; k < frames; ++k) {
    const double tau = k * dt;
    EXPECT_EQ(m.n_origins[k], frames - k);
    EXPECT_NEAR(m.msd[0][k], v2[0] * tau * tau, 1e-9 * (1 + v2[0] * tau * tau));
    EXPECT_NEAR(m.msd[1][k], v2[1] * tau * tau, 1e-9 * (1 + v2[1] * tau * tau));
  }
  const DiffusionFit f = fit_diffusion(m, 0, 100.0, 500.0);
  EXPECT_NEAR(f.alpha, 2.0, 1e-9) << "ballistic: log-log slope 2";

  // Origins every 4 frames: the same MSD (all origins agree), fewer origins per lag.
  MsdParams p;
  p.origin_stride = 4;
  p.max_lag = 10;
  const MsdResult m4 = compute_msd(t, p);
  ASSERT_EQ(m4.time.size(), 11u);
  EXPECT_EQ(m4.n_origins[1], (frames - 1 - 1) / 4 + 1);
  EXPECT_NEAR(m4.msd[1][10], m.msd[1][10], 1e-9 * m.msd[1][10]);
}

TEST(AnalysisMsd, RandomWalkRecoversDiffusionCoefficient) {
  // Two species with D = 0.002 and 0.006 Å²/fs; MSD = 6 D τ in expectation at every lag.
  std::mt19937_64 rng(3);
  const int n = 600, frames = 300;
  const double dt = 25.0;
  std::vector<int> species;
  std::vector<double> d_of_atom;
  for (int i = 0; i < n; ++i) {
    const bool si = i % 3 == 0;
    species.push_back(si ? 14 : 8);
    d_of_atom.push_back(si ? 0.002 : 0.006);
  }
  const auto truth = random_walks(d_of_atom, frames, dt, rng);
  const Trajectory t =
      trajectory_from_structures(wrapped_frames(truth, species, kTriclinic, dt), {}, "walk");
  const MsdResult m = compute_msd(t);
  const double t_max = m.time.back();
  const double expected[2] = {0.002, 0.006};
  for (int a = 0; a < 2; ++a) {
    const DiffusionFit f = fit_diffusion(m, a, 0.1 * t_max, 0.5 * t_max);
    EXPECT_GT(f.n_points, 100);
    ASSERT_TRUE(std::isfinite(f.d_err));
    EXPECT_GT(f.d_err, 0.0);
    EXPECT_LT(f.d_err, 0.08 * expected[a]) << "the statistical error should be small";
    EXPECT_LT(std::fabs(f.d - expected[a]), 4.0 * f.d_err)
        << "D = " << f.d << " ± " << f.d_err << ", expected " << expected[a];
    EXPECT_NEAR(f.alpha, 1.0, 0.1);
    EXPECT_DOUBLE_EQ(f.d_cm2_s(), f.d * 0.1);
  }
  // The same walks with a common drift: removing the center-of-mass motion restores D.
  std::vector<std::vector<Vec3>> drifted = truth;
  for (int f = 0; f < frames; ++f) {
    for (Vec3& r : drifted[f]) r += Vec3{0.004 * f * dt, 0.0, -0.002 * f * dt};
  }
  const Trajectory td =
      trajectory_from_structures(wrapped_frames(drifted, species, kTriclinic, dt), {}, "drift");
  MsdParams p;
  p.remove_drift = true;
  const MsdResult md = compute_msd(td, p);
  const DiffusionFit fd = fit_diffusion(md, 1, 0.1 * t_max, 0.5 * t_max);
  EXPECT_LT(std::fabs(fd.d - 0.006), 4.0 * fd.d_err + 1e-4) << fd.d;
  const DiffusionFit fnd = fit_diffusion(compute_msd(td), 1, 0.1 * t_max, 0.5 * t_max);
  EXPECT_GT(fnd.alpha, 1.3) << "without drift removal the drift dominates";
}

TEST(AnalysisMsd, FrameTimes) {
  std::vector<Structure> s(4, test::fcc(4.05, 1, 13));
  for (int f = 0; f < 4; ++f) s[f].info["step"] = std::to_string(100 * f);
  // step × timestep
  TrajectoryOptions o;
  o.timestep = 0.5;
  Trajectory t = trajectory_from_structures(s, o, "steps");
  EXPECT_EQ(t.frames[2].step, 200);
  EXPECT_DOUBLE_EQ(t.frames[2].time, 100.0);
  EXPECT_DOUBLE_EQ(t.frame_interval(), 50.0);
  // No timestep: no time, and the MSD says what to give.
  t = trajectory_from_structures(s, {}, "steps");
  EXPECT_FALSE(t.has_times());
  try {
    compute_msd(t);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("--timestep"), std::string::npos) << e.what();
  }
  // time= wins over step × timestep; skip and stride keep the file's times.
  for (int f = 0; f < 4; ++f) s[f].info["time"] = std::to_string(7.0 * f);
  o.skip = 1;
  o.stride = 2;
  t = trajectory_from_structures(s, o, "times");
  ASSERT_EQ(t.n_frames(), 2u);
  EXPECT_DOUBLE_EQ(t.frames[0].time, 7.0);
  EXPECT_DOUBLE_EQ(t.frame_interval(), 14.0);
  // Frames without step or time: index × frame interval.
  std::vector<Structure> bare(3, test::fcc(4.05, 1, 13));
  TrajectoryOptions ob;
  ob.frame_interval = 2.5;
  EXPECT_DOUBLE_EQ(trajectory_from_structures(bare, ob, "bare").frame_interval(), 2.5);
  // Uneven spacing is rejected.
  s[3].info["time"] = "22";
  EXPECT_THROW(trajectory_from_structures(s, {}, "uneven").frame_interval(), Error);
  // Frames must hold the same atoms.
  std::vector<Structure> mixed = {test::fcc(4.05, 1, 13), test::fcc(4.05, 1, 29)};
  EXPECT_THROW(trajectory_from_structures(mixed, {}, "mixed"), Error);
  mixed[1] = test::fcc(4.05, 2, 13);
  EXPECT_THROW(trajectory_from_structures(mixed, {}, "sizes"), Error);
}

TEST(AnalysisMsd, LinearFit) {
  std::vector<double> x, y;
  for (int k = 0; k < 20; ++k) {
    x.push_back(k);
    y.push_back(3.0 * k - 2.0);
  }
  const LinearFit f = fit_line(x, y, 5.0, 15.0);
  EXPECT_EQ(f.n_points, 11);
  EXPECT_NEAR(f.slope, 3.0, 1e-12);
  EXPECT_NEAR(f.intercept, -2.0, 1e-11);
  EXPECT_NEAR(f.slope_stderr, 0.0, 1e-10);
  EXPECT_THROW(fit_line(x, y, 5.0, 5.5), Error);
}
