// Shared exponentials of the Gaussian distance functions (shared_exp.hpp): exp(-m eta (r - rs)^2)
// as the m-th power of exp(-eta (r - rs)^2). Checks the integer-multiple detection, the powers
// against std::pow, and every slot and r_jk row of the n2p2 water potential (whose etas are
// integer multiples, so most rows are powers) against std::exp, in double and float, within the
// error bound of the header: relative error <= (5 A + 1) u + 4 u eta (r - rs)^2 with A the chain's
// multiplier (<= 128 in double, 16 in float) (the root exp <= 4 ulp, libmvec's bound; the m - 1
// multiplications <= u each; the reference exp <= 1 ulp; the two exponents' roundings <= 2 u x
// each).
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

TEST(SharedExp, IntegerMultiples) {
  EXPECT_EQ(nnp::exp_multiple(0.07, 0.01), 7);
  EXPECT_EQ(nnp::exp_multiple(0.03, 0.001), 30);
  EXPECT_EQ(nnp::exp_multiple(0.06, 0.03), 2);
  EXPECT_EQ(nnp::exp_multiple(1.5, 0.15), 10);
  EXPECT_EQ(nnp::exp_multiple(0.015, 0.01), 0);         // not an integer multiple
  EXPECT_EQ(nnp::exp_multiple(0.2, 0.001), 0);          // 200 > kMaxExpMultiple
  EXPECT_EQ(nnp::exp_multiple(0.01, 0.01), 0);          // m = 1: nothing to share
  EXPECT_EQ(nnp::exp_multiple(0.01, 0.0), 0);           // eta_b = 0
  EXPECT_EQ(nnp::exp_multiple(0.02 + 1e-12, 0.01), 0);  // off by more than 4 ulp
}

template <typename T>
void check_powers() {
  const T u = std::numeric_limits<T>::epsilon() / 2;
  std::vector<T> b;
  for (int k = 0; k <= 200; ++k) b.push_back(std::exp(-T(k) / T(40)));
  std::vector<T> out(b.size());
  for (int m = 2; m <= 255; ++m) {
    nnp::power_row<T>(static_cast<int>(b.size()), b.data(), m, out.data());
    for (size_t k = 0; k < b.size(); ++k) {
      const double ref = std::pow(static_cast<double>(b[k]), m);
      if (ref < 1e3 * std::numeric_limits<T>::min()) continue;
      EXPECT_LE(std::fabs(out[k] / ref - 1.0), m * u) << "m " << m << " b " << b[k];
    }
  }
}

TEST(SharedExp, PowersAgainstPow) {
  check_powers<double>();
  check_powers<float>();
}

/// Rows idx[0..nf) of the plan at distances r in (0, rc): values and derivatives against the
/// direct formula with std::exp. Adds the number of rows that are powers (not exp) to `powers`.
template <typename T>
void check_rows(const nnp::SfPlan& plan, const int* idx, int nf, int& powers) {
  const T u = std::numeric_limits<T>::epsilon() / 2;
  std::vector<T> r;
  for (int k = 1; k <= 480; ++k) r.push_back(T(k) / T(40));  // 0.025 .. 12 bohr
  const int n = static_cast<int>(r.size());
  std::vector<T> v(nf * n), dv(nf * n), fc(n), dfc(n);
  nnp::distance_function_rows<T, true>(plan.fns.data(), idx, nf, n, r.data(), v.data(), dv.data(),
                                       n, fc.data(), dfc.data());
  // The water rows are one cutoff run (all rc = 12, cutoff type 2), fewer than kMaxSharedRows.
  for (int q = 0; q < nf; ++q) ASSERT_TRUE(nnp::same_cutoff(plan.fns[idx[0]], plan.fns[idx[q]]));
  ASSERT_LE(nf, nnp::kMaxSharedRows);
  std::vector<int> base(nf), m(nf);
  nnp::shared_exp_bases<T>(plan.fns.data(), idx, nf, base.data(), m.data());
  for (int q = 0; q < nf; ++q) {
    const nnp::DistanceFn& f = plan.fns[idx[q]];
    int amp = 1;  // the chain's multiplier
    for (int b = q; b >= 0; b = base[b]) amp *= m[b];
    ASSERT_LE(amp, nnp::max_exp_amplification<T>());
    if (base[q] >= 0) {
      ++powers;
      EXPECT_DOUBLE_EQ(f.eta, m[q] * plan.fns[idx[base[q]]].eta);
      EXPECT_EQ(f.rs, plan.fns[idx[base[q]]].rs);
    }
    for (int k = 0; k < n; ++k) {
      T c, dc;
      nnp::cutoff_function<T>(f.cutoff_type, r[k], T(f.rc), T(f.alpha), c, dc);
      const T dr = r[k] - T(f.rs);
      const T g = std::exp(-T(f.eta) * dr * dr);
      const T val = g * c, der = g * (dc - T(2) * T(f.eta) * dr * c);
      const double x = f.eta * static_cast<double>(dr) * dr;
      const double bound = (5.0 * amp + 1.0 + 4.0 * x) * u;
      const double tiny = 1e3 * std::numeric_limits<T>::min();
      if (std::fabs(val) > tiny)
        EXPECT_LE(std::fabs(v[q * n + k] / val - 1.0), bound)
            << "eta " << f.eta << " rs " << f.rs << " r " << r[k];
      // The derivative g (f_c' - 2 eta dr f_c) relative to g (|f_c'| + |2 eta dr f_c|): the
      // bracket cancels where the derivative changes sign (and may be contracted to an FMA in the
      // vector loop), so its own rounding (<= 4 u of that scale) is added to g's bound.
      const double scale = g * (std::fabs(dc) + std::fabs(2.0 * f.eta * dr * c));
      if (scale > tiny)
        EXPECT_LE(std::fabs(dv[q * n + k] - der) / scale, bound + 4.0 * u)
            << "derivative, eta " << f.eta << " rs " << f.rs << " r " << r[k];
    }
  }
}

template <typename T>
void check_water() {
  const auto pot = nnp::Potential::load_n2p2(test::n2p2_dir() + "/potentials/H2O_RPBE-D3");
  const nnp::SfPlan& plan = pot.plan();
  int slot_powers = 0, jk_powers = 0, jk_rows = 0;
  for (int e = 0; e < plan.n_elements; ++e) {
    const int b = plan.slot_begin[e];
    check_rows<T>(plan, plan.slot_fn.data() + b, plan.slot_begin[e + 1] - b, slot_powers);
  }
  for (const auto& g : plan.groups) {
    if (g.jk_end == g.jk_begin) continue;
    jk_rows += g.jk_end - g.jk_begin;
    check_rows<T>(plan, plan.jk_fns.data() + g.jk_begin, g.jk_end - g.jk_begin, jk_powers);
  }
  if (sizeof(T) == 8) {
    // Slots at rs = 0, etas 0.001, 0.01, 0.03, 0.06, 0.07 (H also 0.2): 0.01 = 0.001^10,
    // 0.03 = 0.01^3, 0.06 = 0.03^2, 0.07 = 0.01^7 (chain 70); 0.2 needs 200: exp. rs = 0.9, 1.9,
    // 4.0 (etas 0.15, 0.3, 0.6, 1.5): 3 powers each; H has rs 0.9 and 1.9, O 0.9 and 4.0.
    EXPECT_EQ(slot_powers, 2 * (4 + 3 + 3));
    // r_jk rows: every one of the 5 groups (HOH, OHH, OOH, HOO, OOO) but its smallest eta.
    EXPECT_EQ(jk_rows, 13);
    EXPECT_EQ(jk_powers, jk_rows - 5);
  } else {
    // Chains <= 16: 0.01 = 0.001^10, 0.06 = 0.03^2, the rs != 0 rows (chains 2, 4, 10).
    EXPECT_EQ(slot_powers, 2 * (2 + 3 + 3));
    EXPECT_GT(jk_powers, 0);
  }
}

TEST(SharedExp, WaterRowsAgainstExp) {
  check_water<double>();
  check_water<float>();
}

}  // namespace
