// CPU backend of the integrators' per-atom loops: OpenMP loops over the formulas of
// vitrum/md/math/integrate.hpp. Every loop is per atom with no reduction, so the result does not
// depend on the thread count. (A CUDA backend launches the same formulas one thread per atom.)
#pragma once

#include <cstdint>
#include <vector>

#include "vitrum/core/units.hpp"
#include "vitrum/md/math/integrate.hpp"
#include "vitrum/md/system.hpp"

namespace vitrum::md::cpu {

/// Parallelise only loops long enough to pay for the threads.
constexpr int kParallelAtoms = 8192;

using math::inverse_mass_conv;

/// v <- v + h F/(m kMvv2e) for every atom.
inline void kick_all(MdSystem& sys, double h) {
  const int n = sys.size();
  Vec3* v = sys.velocities.data();
  const Vec3* f = sys.forces.data();
  const double* m = sys.mass.data();
#pragma omp parallel for schedule(static) if (n > kParallelAtoms)
  for (int i = 0; i < n; ++i) math::kick(v[i], f[i], inverse_mass_conv(m[i]), h);
}

/// r <- r + h v for every atom.
inline void drift_all(MdSystem& sys, double h) {
  const int n = sys.size();
  Vec3* r = sys.positions.data();
  const Vec3* v = sys.velocities.data();
#pragma omp parallel for schedule(static) if (n > kParallelAtoms)
  for (int i = 0; i < n; ++i) math::drift(r[i], v[i], h);
}

/// v_a <- s_a v_a for every atom.
inline void scale_all(MdSystem& sys, const Vec3& s) {
  const int n = sys.size();
  Vec3* v = sys.velocities.data();
#pragma omp parallel for schedule(static) if (n > kParallelAtoms)
  for (int i = 0; i < n; ++i) math::scale(v[i], s);
}

/// Langevin O step for every atom (noise keyed by atom id and step).
inline void langevin_all(MdSystem& sys, double c1, double kt, std::uint64_t seed,
                         std::uint64_t step) {
  const int n = sys.size();
  Vec3* v = sys.velocities.data();
  const double* m = sys.mass.data();
  const int* id = sys.id.empty() ? nullptr : sys.id.data();
  const double var = (1.0 - c1 * c1) * kt;
#pragma omp parallel for schedule(static) if (n > kParallelAtoms)
  for (int i = 0; i < n; ++i) {
    const auto key = static_cast<std::uint32_t>(id != nullptr ? id[i] : i);
    math::langevin_atom(v[i], m[i], c1, var, seed, key, step);
  }
}

/// MTK drift for every atom: r_a <- e_a (e_a r_a + dt v_a), e_a = exp(ω̇_a dt/2).
inline void mtk_drift_all(MdSystem& sys, const Vec3& half_expansion, double dt) {
  const int n = sys.size();
  Vec3* r = sys.positions.data();
  const Vec3* v = sys.velocities.data();
#pragma omp parallel for schedule(static) if (n > kParallelAtoms)
  for (int i = 0; i < n; ++i) math::mtk_drift(r[i], v[i], half_expansion, dt);
}

}  // namespace vitrum::md::cpu
