// Analytic weight gradients of the training loss against central finite differences, for the
// energy term and the force term (forward-over-reverse) separately, over the activations of
// n2p2 and with normalize_nodes on and off.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "train_test_util.hpp"
#include "vitrum/train/training_set.hpp"

namespace vitrum::train {
namespace {

struct Case {
  std::string acts;
  bool normalize_nodes;
};

void PrintTo(const Case& c, std::ostream* os) {
  *os << c.acts << (c.normalize_nodes ? " normalize_nodes" : "");
}

class GradientTest : public ::testing::TestWithParam<Case> {};

/// Largest relative error of the analytic gradient over a spread of parameters.
double max_gradient_error(Fitter& f, const std::vector<int>& list, double& max_grad) {
  std::vector<double> grad;
  f.loss(list, &grad);
  auto& p = f.parameters();
  const long np = static_cast<long>(p.size());
  max_grad = 0;
  for (double g : grad) max_grad = std::max(max_grad, std::abs(g));
  double worst = 0;
  const long stride = std::max(1L, np / 60);
  for (long q = 0; q < np; q += stride) {
    // Fourth-order central difference: truncation O(h^4), rounding ~ eps L / h.
    const double p0 = p[q];
    const double h = 1e-3 * std::max(1.0, std::abs(p0));
    auto at = [&](double x) {
      p[q] = x;
      return f.loss(list, nullptr).loss();
    };
    const double fd =
        (8 * (at(p0 + h) - at(p0 - h)) - (at(p0 + 2 * h) - at(p0 - 2 * h))) / (12 * h);
    p[q] = p0;
    // Relative to the gradient's scale: entries near zero are judged against the largest one.
    const double err = std::abs(fd - grad[q]) / std::max(std::abs(grad[q]), 1e-3 * max_grad);
    worst = std::max(worst, err);
  }
  return worst;
}

TEST_P(GradientTest, EnergyAndForceLossMatchFiniteDifferences) {
  const Case c = GetParam();
  const auto data = test::teacher_structures(3, 7);
  test::TestPotentialSpec spec;
  spec.hidden = {7, 5};
  spec.activations = c.acts;
  spec.normalize_nodes = c.normalize_nodes;
  spec.n_radial = 4;
  spec.n_angular = 1;
  const std::string dir = test::fresh_dir("grad_" + c.acts + (c.normalize_nodes ? "_nn" : ""));
  const nnp::Potential pot = test::build_test_potential(dir, spec, data);
  std::vector<std::string> names = {"s1", "s2", "s3"};
  const TrainingSet set(pot, data, names, {false, false, false}, true);
  const std::vector<int> list = {0, 1, 2};
  // Energy term only, then force term only; weights large enough that f' and f'' matter.
  for (int term = 0; term < 2; ++term) {
    Fitter f(pot, set, 0.05, 1.0, term == 0 ? 1.0 : 0.0, term == 0 ? 0.0 : 1.0);
    f.initialize(11, 0.3);
    double gmax = 0;
    const double err = max_gradient_error(f, list, gmax);
    std::printf(
        "  activations %s normalize_nodes %d: %s-loss gradient max rel. error %.2e "
        "(|grad|max %.2e)\n",
        c.acts.c_str(), c.normalize_nodes, term == 0 ? "energy" : "force", err, gmax);
    EXPECT_GT(gmax, 0.0);
    EXPECT_LT(err, 2e-6) << (term == 0 ? "energy" : "force") << " loss, activations " << c.acts;
  }
}

INSTANTIATE_TEST_SUITE_P(
    Activations, GradientTest,
    ::testing::Values(Case{"ttl", false}, Case{"ttl", true}, Case{"ssl", false}, Case{"ppl", true},
                      Case{"ggl", false}, Case{"ccl", false}, Case{"SSl", true}, Case{"eel", false},
                      Case{"hhl", false}, Case{"tpt", false}, Case{"lll", false},
                      Case{"tsp", true}),
    [](const ::testing::TestParamInfo<Case>& i) {
      return i.param.acts + (i.param.normalize_nodes ? "_normalize_nodes" : "");
    });

}  // namespace
}  // namespace vitrum::train
