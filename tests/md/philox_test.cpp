// Philox4x32-10 known answers (Random123 kat_vectors) and the normal deviates built on it.
#include "vitrum/md/math/philox.hpp"

#include <gtest/gtest.h>

#include <cmath>

namespace vitrum::md::math {
namespace {

TEST(Philox, Random123KnownAnswers) {
  // Random123 tests/kat_vectors, the three "philox4x32 10" lines: counter, key, expected output.
  struct Kat {
    std::uint32_t ctr[4], key[2], out[4];
  };
  const Kat kats[] = {
      {{0, 0, 0, 0}, {0, 0}, {0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8}},
      {{0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff},
       {0xffffffff, 0xffffffff},
       {0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd}},
      {{0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344},
       {0xa4093822, 0x299f31d0},
       {0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1}},
  };
  for (const Kat& k : kats) {
    const Philox4x32Block out = philox4x32_10(
        Philox4x32Block{{k.ctr[0], k.ctr[1], k.ctr[2], k.ctr[3]}}, k.key[0], k.key[1]);
    for (int w = 0; w < 4; ++w) EXPECT_EQ(out.v[w], k.out[w]) << "word " << w;
  }
}

TEST(Philox, KeyedStreamsDiffer) {
  const auto a = philox_keyed(7, 3, 100, PhiloxStream::kLangevin);
  const auto b = philox_keyed(7, 3, 101, PhiloxStream::kLangevin);
  const auto c = philox_keyed(7, 4, 100, PhiloxStream::kLangevin);
  const auto d = philox_keyed(7, 3, 100, PhiloxStream::kInitialVelocity);
  const auto e = philox_keyed(8, 3, 100, PhiloxStream::kLangevin);
  const auto f = philox_keyed(7, 3, 100 + (1ULL << 32), PhiloxStream::kLangevin);
  for (const auto* x : {&b, &c, &d, &e, &f}) EXPECT_NE(a.v[0], x->v[0]);
  const auto a2 = philox_keyed(7, 3, 100, PhiloxStream::kLangevin);
  for (int w = 0; w < 4; ++w) EXPECT_EQ(a.v[w], a2.v[w]);
}

TEST(Philox, NormalDeviatesHaveUnitMoments) {
  // 4e5 deviates: mean 0 ± 0.0016, variance 1 ± 0.0022, kurtosis 3 ± 0.008 (one sigma).
  const int blocks = 100000;
  double s1 = 0, s2 = 0, s4 = 0;
  for (int i = 0; i < blocks; ++i) {
    double z[4];
    normal4(philox_keyed(12345, static_cast<std::uint32_t>(i), 0, PhiloxStream::kLangevin), z);
    for (double x : z) {
      s1 += x;
      s2 += x * x;
      s4 += x * x * x * x;
    }
  }
  const double n = 4.0 * blocks;
  EXPECT_NEAR(s1 / n, 0.0, 0.008);
  EXPECT_NEAR(s2 / n, 1.0, 0.011);
  EXPECT_NEAR(s4 / n, 3.0, 0.04);
}

}  // namespace
}  // namespace vitrum::md::math
