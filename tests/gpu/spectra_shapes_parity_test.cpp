// CPU/GPU parity of the single-source line shapes (vitrum/spectra/math/peak_shapes.hpp): every
// kind evaluated in a CUDA kernel (kernels/spectra/peak_shapes.cu) against the host, in double
// (1e-12 relative: the device libm differs by a few ulps), in float (1e-5), and their gradients
// (1e-6: the finite-difference ones amplify ulp differences).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "gpu_guard.hpp"
#include "vitrum/spectra/math/peak_shapes.hpp"
#ifdef VITRUM_HAVE_CUDA
#include "spectra/peak_shapes.cuh"
#endif

namespace sm = vitrum::spectra::math;

TEST(SpectraShapesParity, EveryKindOnTheDeviceMatchesTheHost) {
  VITRUM_REQUIRE_CUDA_DEVICE();
#ifdef VITRUM_HAVE_CUDA
  struct Case {
    sm::ShapeKind kind;
    sm::ShapeParams s;
  };
  const std::vector<Case> cases = {
      {sm::ShapeKind::Gaussian, {31.4, 1.1, 500, {0, 0, 0, 0}}},
      {sm::ShapeKind::Lorentzian, {31.4, 1.1, 500, {0, 0, 0, 0}}},
      {sm::ShapeKind::PseudoVoigt, {31.4, 1.1, 500, {0.3, 0, 0, 0}}},
      {sm::ShapeKind::Voigt, {31.4, 1.1, 500, {0.4, 0, 0, 0}}},
      {sm::ShapeKind::GL, {31.4, 1.1, 500, {30, 0, 0, 0}}},
      {sm::ShapeKind::SGL, {31.4, 1.1, 500, {30, 0, 0, 0}}},
      {sm::ShapeKind::DoniachSunjicGauss, {31.4, 1.1, 500, {0.1, 0.5, 0, 0}}},
      {sm::ShapeKind::LA, {31.4, 1.1, 500, {1.2, 3.0, 40, 0}}},
      {sm::ShapeKind::LA4, {31.4, 1.1, 500, {1.2, 3.0, 40, 20}}},
  };
  std::vector<double> x;
  for (int i = 0; i < 400; ++i) x.push_back(25.0 + 0.031 * i);
  for (const Case& c : cases) {
    const auto d = vitrum::spectra::evaluate_shape_cuda(c.kind, c.s, x, false);
    const auto f = vitrum::spectra::evaluate_shape_cuda(c.kind, c.s, x, true);
    const auto g = vitrum::spectra::evaluate_shape_grad_cuda(c.kind, c.s, x);
    double top = 0;
    for (double v : x) top = std::max(top, sm::shape_value(c.kind, c.s, v));
    for (size_t i = 0; i < x.size(); ++i) {
      const double h = sm::shape_value(c.kind, c.s, x[i]);
      const double hf = sm::shape_value_f(c.kind, c.s, x[i]);
      const double floor = 1e-6 * top;
      EXPECT_NEAR(d[i], h, 1e-12 * std::max(std::fabs(h), floor))
          << static_cast<int>(c.kind) << " at " << x[i];
      EXPECT_NEAR(f[i], hf, 1e-5 * std::max(std::fabs(hf), floor))
          << static_cast<int>(c.kind) << " (float) at " << x[i];
      double gh[sm::kShapeGradSize];
      sm::shape_value_and_grad(c.kind, c.s, x[i], gh);
      // Finite-difference gradients amplify the ulp differences by value/step (~1e5).
      for (int k = 0; k < sm::kShapeGradSize; ++k)
        EXPECT_NEAR(g[i * sm::kShapeGradSize + k], gh[k],
                    1e-6 * std::max(std::fabs(gh[k]), floor / c.s.fwhm))
            << static_cast<int>(c.kind) << " gradient " << k << " at " << x[i];
    }
  }
#endif
}
