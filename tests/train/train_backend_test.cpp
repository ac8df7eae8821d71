// The training backend seam (train_backend.hpp) on any machine: the [training] backend key, the
// clear error for cuda where it cannot run, and that a copied network (fresh batch state) gives
// the same passes bit for bit. The CUDA-vs-CPU parity itself is tests/gpu/train_parity_test.cpp.
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "vitrum/core/backend.hpp"
#include "vitrum/core/error.hpp"
#include "vitrum/nnp/math/activation.hpp"
#include "vitrum/train/kalman_filter.hpp"
#include "vitrum/train/train_config.hpp"
#include "vitrum/train/trainable_network.hpp"

namespace vitrum::train {
namespace {

TEST(TrainBackend, ConfigKeySelectsTheBackend) {
  const std::string base = "[data]\nfile = \"x.data\"\n[training]\n";
  EXPECT_EQ(parse_train_config(base, "t.toml", ".").training.backend, Backend::Cpu);
  EXPECT_EQ(parse_train_config(base + "backend = \"cuda\"\n", "t.toml", ".").training.backend,
            Backend::Cuda);
  try {
    parse_train_config(base + "backend = \"tpu\"\n", "t.toml", ".");
    FAIL() << "an unknown backend was accepted";
  } catch (const Error& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find("t.toml:4"), std::string::npos) << m;
    EXPECT_NE(m.find("backend"), std::string::npos) << m;
  }
}

TEST(TrainBackend, CudaWhereItCannotRunIsAClearError) {
  if (cuda_device_count() > 0) GTEST_SKIP() << "a CUDA device is present";
  try {
    TrainableNetwork net({3, 4, 1}, {nnp::kActTanh, nnp::kActIdentity}, false, Backend::Cuda);
    FAIL() << "the cuda backend was accepted without a device";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("CUDA"), std::string::npos) << e.what();
  }
  EXPECT_THROW(KalmanFilter({5}, KalmanSettings{}, 1.0, Backend::Cuda), Error);
}

TEST(TrainBackend, CopiedNetworkGivesTheSamePasses) {
  TrainableNetwork a({3, 5, 4, 1}, {nnp::kActTanh, nnp::kActLogistic, nnp::kActIdentity}, true);
  std::vector<double> p(a.n_parameters());
  for (size_t q = 0; q < p.size(); ++q) p[q] = 0.3 * std::sin(1.7 * q + 0.2);
  const int n = 6;
  std::vector<double> in(n * 3), u(n * 3), alpha(n);
  for (size_t q = 0; q < in.size(); ++q) {
    in[q] = std::cos(0.9 * q);
    u[q] = 0.1 * std::sin(2.3 * q);
  }
  for (int i = 0; i < n; ++i) alpha[i] = 0.5 - 0.1 * i;
  auto passes = [&](TrainableNetwork& net, std::vector<double>& out) {
    std::vector<double> e(n), g(n * 3), grad(p.size(), 0.0);
    net.forward(n, p.data(), in.data(), e.data(), g.data());
    net.backward(p.data(), alpha.data(), u.data(), grad.data());
    out = e;
    out.insert(out.end(), g.begin(), g.end());
    out.insert(out.end(), grad.begin(), grad.end());
  };
  std::vector<double> ra, rb;
  passes(a, ra);
  TrainableNetwork b = a;
  EXPECT_EQ(b.backend(), Backend::Cpu);
  EXPECT_EQ(b.n_parameters(), a.n_parameters());
  passes(b, rb);
  EXPECT_EQ(ra, rb);
}

}  // namespace
}  // namespace vitrum::train
