// CPU backend of the integrators' per-atom loops: the kernels of vitrum/md/math/atom_kernels.hpp
// run by the host launcher (OpenMP loops), the same compiled loops as the emulated device's
// (vitrum/md/device_kernels_impl.hpp); a CUDA device launches the same functors one thread per
// atom. Every loop is per atom with no reduction, so the result does not depend on the thread
// count.
#pragma once

#include <cstdint>
#include <vector>

#include "vitrum/core/launch_host.hpp"
#include "vitrum/core/units.hpp"
#include "vitrum/md/math/atom_kernels.hpp"
#include "vitrum/md/system.hpp"

namespace vitrum::md::cpu {

using math::inverse_mass_conv;

/// v <- v + h F/(m kMvv2e) for every atom.
inline void kick_all(MdSystem& sys, double h) {
  exec::HostLauncher{nullptr}.for_each(
      sys.size(), device_ops::Kick{sys.velocities.data(), sys.forces.data(), sys.mass.data(), h});
}

/// r <- r + h v for every atom.
inline void drift_all(MdSystem& sys, double h) {
  exec::HostLauncher{nullptr}.for_each(
      sys.size(), device_ops::Drift{sys.positions.data(), sys.velocities.data(), h});
}

/// v_a <- s_a v_a for every atom.
inline void scale_all(MdSystem& sys, const Vec3& s) {
  exec::HostLauncher{nullptr}.for_each(sys.size(), device_ops::Scale{sys.velocities.data(), s});
}

/// Langevin O step for every atom (noise keyed by atom id and step).
inline void langevin_all(MdSystem& sys, double c1, double kt, std::uint64_t seed,
                         std::uint64_t step) {
  const double var = (1.0 - c1 * c1) * kt;
  const int* id = sys.id.empty() ? nullptr : sys.id.data();
  exec::HostLauncher{nullptr}.for_each(
      sys.size(),
      device_ops::Langevin{sys.velocities.data(), sys.mass.data(), id, c1, var, seed, step});
}

/// MTK drift for every atom: r_a <- e_a (e_a r_a + dt v_a), e_a = exp(ω̇_a dt/2).
inline void mtk_drift_all(MdSystem& sys, const Vec3& half_expansion, double dt) {
  exec::HostLauncher{nullptr}.for_each(
      sys.size(),
      device_ops::MtkDrift{sys.positions.data(), sys.velocities.data(), half_expansion, dt});
}

}  // namespace vitrum::md::cpu
