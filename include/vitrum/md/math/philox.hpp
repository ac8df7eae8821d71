#pragma once
/// \file philox.hpp
/// Counter-based random numbers for MD: Philox4x32-10 (Salmon, Moraes, Dror, Shaw, "Parallel
/// random numbers: as easy as 1, 2, 3", SC'11; the Random123 reference algorithm), written once
/// as VITRUM_HD code for the CPU and CUDA backends.
///
/// A counter-based generator is a pure function out = philox(counter, key): there is no state to
/// carry, split or synchronise. vitrum keys every draw by (seed, atom id, step, stream), so the
/// number an atom receives at a step does not depend on the thread, rank, backend or the order
/// in which atoms are visited, and a restart at step n continues the same sequence.
///
/// Layout used by the MD engine: counter = {atom id, step low 32 bits, step high 32 bits,
/// stream}, key = {seed low 32 bits, seed high 32 bits}. Streams are listed in PhiloxStream.

#include <cmath>
#include <cstdint>

#include "vitrum/core/hd.hpp"

namespace vitrum::md::math {

/// 128-bit counter / output block of Philox4x32.
struct Philox4x32Block {
  std::uint32_t v[4];
};

/// Independent random streams of one run (the fourth counter word).
enum class PhiloxStream : std::uint32_t {
  kLangevin = 0,         ///< Langevin thermostat noise, one draw per atom and step
  kInitialVelocity = 1,  ///< Maxwell–Boltzmann initial velocities (step = velocity draw index)
  kBuilder = 2,          ///< structure builders (random cells)
};

namespace detail {
constexpr std::uint32_t kPhiloxM0 = 0xD2511F53u;  ///< multiplier of counter word 0
constexpr std::uint32_t kPhiloxM1 = 0xCD9E8D57u;  ///< multiplier of counter word 2
constexpr std::uint32_t kPhiloxW0 = 0x9E3779B9u;  ///< Weyl key increment (golden ratio)
constexpr std::uint32_t kPhiloxW1 = 0xBB67AE85u;  ///< Weyl key increment (sqrt(3) - 1)

VITRUM_HD void mulhilo32(std::uint32_t a, std::uint32_t b, std::uint32_t& hi, std::uint32_t& lo) {
  const std::uint64_t p = static_cast<std::uint64_t>(a) * static_cast<std::uint64_t>(b);
  hi = static_cast<std::uint32_t>(p >> 32);
  lo = static_cast<std::uint32_t>(p);
}
}  // namespace detail

/// Philox4x32-10: ten rounds of
///   (hi0, lo0) = M0 * c0,  (hi1, lo1) = M1 * c2,
///   c = {hi1 ^ c1 ^ k0, lo1, hi0 ^ c3 ^ k1, lo0},
/// with the key bumped by the Weyl constants (k0 += W0, k1 += W1) between rounds.
/// Matches the Random123 known-answer vectors (tests/md/philox_test.cpp).
VITRUM_HD Philox4x32Block philox4x32_10(Philox4x32Block ctr, std::uint32_t k0, std::uint32_t k1) {
  for (int round = 0; round < 10; ++round) {
    if (round > 0) {
      k0 += detail::kPhiloxW0;
      k1 += detail::kPhiloxW1;
    }
    std::uint32_t hi0, lo0, hi1, lo1;
    detail::mulhilo32(detail::kPhiloxM0, ctr.v[0], hi0, lo0);
    detail::mulhilo32(detail::kPhiloxM1, ctr.v[2], hi1, lo1);
    ctr = Philox4x32Block{{hi1 ^ ctr.v[1] ^ k0, lo1, hi0 ^ ctr.v[3] ^ k1, lo0}};
  }
  return ctr;
}

/// The Philox block of one (seed, atom id, step, stream) key, as laid out in the file comment.
VITRUM_HD Philox4x32Block philox_keyed(std::uint64_t seed, std::uint32_t atom_id,
                                       std::uint64_t step, PhiloxStream stream) {
  const Philox4x32Block ctr{{atom_id, static_cast<std::uint32_t>(step),
                             static_cast<std::uint32_t>(step >> 32),
                             static_cast<std::uint32_t>(stream)}};
  return philox4x32_10(ctr, static_cast<std::uint32_t>(seed),
                       static_cast<std::uint32_t>(seed >> 32));
}

/// Uniform double in the open interval (0, 1) from 32 random bits: (x + 1/2) 2^-32.
VITRUM_HD double uniform_open01(std::uint32_t x) {
  return (static_cast<double>(x) + 0.5) * 2.3283064365386962890625e-10;
}

/// Four standard normal deviates from one Philox block (two Box–Muller pairs):
///   z0 = sqrt(-2 ln u0) cos(2 pi u1),  z1 = sqrt(-2 ln u0) sin(2 pi u1),  likewise (u2, u3).
/// u in (0, 1) with 32-bit resolution, so |z| < 6.7 (the tail beyond has probability 2e-11).
VITRUM_HD void normal4(const Philox4x32Block& b, double z[4]) {
  constexpr double kTwoPi = 6.283185307179586476925286766559;
  for (int p = 0; p < 2; ++p) {
    const double r = sqrt(-2.0 * log(uniform_open01(b.v[2 * p])));
    const double phi = kTwoPi * uniform_open01(b.v[2 * p + 1]);
    z[2 * p] = r * cos(phi);
    z[2 * p + 1] = r * sin(phi);
  }
}

}  // namespace vitrum::md::math
