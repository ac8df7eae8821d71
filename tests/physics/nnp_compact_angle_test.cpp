// The compact angular fast path of the CPU evaluator (one acos and sqrt(1 - cos^2) per pair,
// compact_angles, shared by every compact term of a pair group; CompactAngle::block) against the
// single-argument angular factor that the team kernels and the reference code call
// (angular_factor), for every compact angular term of the synthetic potentials that use them:
// the same bits, including collinear and nearly collinear pairs.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "nnp_reference.hpp"
#include "vitrum/nnp/math/simd_math.hpp"
#include "vitrum/nnp/potential.hpp"

using namespace vitrum;

namespace {

template <typename T>
std::vector<T> cosines() {
  std::vector<T> c = {
      T(-1),  T(1),   T(0),   std::nextafter(T(-1), T(0)), std::nextafter(T(1), T(0)), T(-0.5),
      T(0.5), T(1.5), T(-1.5)};
  for (int k = 0; k <= 400; ++k) c.push_back(T(-1) + T(k) / T(200));
  return c;
}

template <typename T>
void check_potential(const std::string& name, int& terms) {
  const auto pot = nnp::Potential::load_n2p2(test::n2p2_dir() + "/synthetic/" + name);
  const auto c = cosines<T>();
  const int n = static_cast<int>(c.size());
  std::vector<T> th(n), sq(n);
  nnp::compact_angles<T>(0, n, c.data(), th.data(), sq.data());
  for (const auto& at : pot.plan().angular) {
    if (at.kind != 1) continue;
    ++terms;
    nnp::with_angle<T>(at, [&](const auto& ang) {
      for (int k = 0; k < n; ++k) {
        T a0, d0, a1, d1;
        nnp::angular_factor<T>(at, c[k], a0, d0);
        ang.block(c.data(), th.data(), sq.data(), k, a1, d1);
        EXPECT_EQ(a0, a1) << name << " term of SF " << at.sf << ", cos " << c[k];
        EXPECT_EQ(d0, d1) << name << " term of SF " << at.sf << ", cos " << c[k];
      }
    });
  }
}

}  // namespace

TEST(NnpCompactAngle, BlockPathEqualsSingleArgumentFactor) {
  for (const char* name :
       {"synth_Ethylbenzene_compact_20_21_22", "synth_QM9_polyweighted_23_24_25"}) {
    int terms = 0;
    check_potential<double>(name, terms);
    check_potential<float>(name, terms);
    EXPECT_GT(terms, 0) << name << " has no compact angular term";
  }
}
