#pragma once
/// \file integrate.hpp
/// Per-atom update formulas of the MD integrators, single source for the CPU loops
/// (src/md/*.cpp) and CUDA kernels. Units: positions Å, velocities Å/fs, forces eV/Å, masses
/// amu, time fs, energies eV. With kMvv2e = 103.6427 eV per amu Å²/fs² (vitrum/core/units.hpp):
///   acceleration a = F / (m kMvv2e)  [Å/fs²],   kinetic energy = kMvv2e m v² / 2  [eV].

#include <cmath>

#include "vitrum/core/hd.hpp"
#include "vitrum/core/units.hpp"
#include "vitrum/core/vec3.hpp"
#include "vitrum/md/math/philox.hpp"

namespace vitrum::md::math {

/// 1 / (m kMvv2e) for a mass m in amu: the factor turning eV/Å into Å/fs². Computed where it is
/// used rather than stored per atom, because atoms change order and rank when they migrate.
VITRUM_HD double inverse_mass_conv(double mass) {
  return 1.0 / (units::kMvv2e * mass);
}

/// Velocity half-kick (the "B" step): v <- v + h F / (m kMvv2e), with h the sub-step (fs) and
/// `inv_mass_conv` = 1 / (m kMvv2e) precomputed per atom.
VITRUM_HD void kick(Vec3& v, const Vec3& f, double inv_mass_conv, double h) {
  const double s = h * inv_mass_conv;
  v.x += s * f.x;
  v.y += s * f.y;
  v.z += s * f.z;
}

/// Position drift (the "A" step): r <- r + h v.
VITRUM_HD void drift(Vec3& r, const Vec3& v, double h) {
  r.x += h * v.x;
  r.y += h * v.y;
  r.z += h * v.z;
}

/// Componentwise velocity scaling v_a <- s_a v_a (thermostat and barostat friction factors).
VITRUM_HD void scale(Vec3& v, const Vec3& s) {
  v.x *= s.x;
  v.y *= s.y;
  v.z *= s.z;
}

/// Twice the kinetic energy tensor diagonal of one atom in eV: kMvv2e m (v_x², v_y², v_z²).
VITRUM_HD Vec3 mvv_diagonal(const Vec3& v, double mass_conv) {
  return {mass_conv * v.x * v.x, mass_conv * v.y * v.y, mass_conv * v.z * v.z};
}

/// Langevin "O" step: the exact Ornstein–Uhlenbeck update over a time h with friction γ,
///   v <- c1 v + sqrt((1 - c1²) kT / (m kMvv2e)) ξ,   c1 = exp(-γ h),  ξ ~ N(0, 1)³,
/// given c1 and sigma = sqrt((1 - c1²) kT / (m kMvv2e)) (Å/fs). The three normals of atom `id`
/// at step `step` come from the Philox stream kLangevin under `seed`, so the noise is a function
/// of (seed, id, step) only: independent of threads, ranks and backend.
VITRUM_HD void langevin_ou(Vec3& v, double c1, double sigma, std::uint64_t seed, std::uint32_t id,
                           std::uint64_t step) {
  double z[4];
  normal4(philox_keyed(seed, id, step, PhiloxStream::kLangevin), z);
  v.x = c1 * v.x + sigma * z[0];
  v.y = c1 * v.y + sigma * z[1];
  v.z = c1 * v.z + sigma * z[2];
}

/// The Langevin O step of one atom of mass m (amu) given var = (1 - c1²) kT (eV):
/// sigma = sqrt(var / (m kMvv2e)).
VITRUM_HD void langevin_atom(Vec3& v, double mass, double c1, double var, std::uint64_t seed,
                             std::uint32_t id, std::uint64_t step) {
  langevin_ou(v, c1, sqrt(var * inverse_mass_conv(mass)), seed, id, step);
}

/// The six terms of twice the kinetic energy tensor of one atom (eV), in the order
/// xx, yy, zz, xy, xz, yz: kMvv2e m v_a v_b.
VITRUM_HD void kinetic_terms(const Vec3& v, double mass, double* out) {
  const double mc = units::kMvv2e * mass;
  out[0] = mc * v.x * v.x;
  out[1] = mc * v.y * v.y;
  out[2] = mc * v.z * v.z;
  out[3] = mc * v.x * v.y;
  out[4] = mc * v.x * v.z;
  out[5] = mc * v.y * v.z;
}

/// The four terms of the momentum sums of one atom: m v_x, m v_y, m v_z, m (amu, Å/fs).
VITRUM_HD void momentum_terms(const Vec3& v, double mass, double* out) {
  out[0] = mass * v.x;
  out[1] = mass * v.y;
  out[2] = mass * v.z;
  out[3] = mass;
}

/// The Cartesian shift of a periodic image with integer image counts n: Σ_d n_d h_d.
VITRUM_HD Vec3 image_shift(const int n[3], const Vec3& h0, const Vec3& h1, const Vec3& h2) {
  return static_cast<double>(n[0]) * h0 + static_cast<double>(n[1]) * h1 +
         static_cast<double>(n[2]) * h2;
}

/// Maxwell–Boltzmann velocity of atom `id`: v = sqrt(kT / (m kMvv2e)) ξ, ξ from the
/// kInitialVelocity stream (`draw` distinguishes successive velocity draws of one run).
VITRUM_HD Vec3 maxwell_boltzmann_velocity(double kt, double inv_mass_conv, std::uint64_t seed,
                                          std::uint32_t id, std::uint64_t draw) {
  double z[4];
  normal4(philox_keyed(seed, id, draw, PhiloxStream::kInitialVelocity), z);
  const double s = sqrt(kt * inv_mass_conv);
  return {s * z[0], s * z[1], s * z[2]};
}

/// MTK position update of an orthogonal cell over a full step dt with barostat strain rates
/// ω̇_a (1/fs), split symmetrically as LAMMPS's fix nh does:
///   r_a <- e^{ω̇_a dt/2} ( e^{ω̇_a dt/2} r_a + dt v_a ),
/// a second-order, time-reversible approximation of ṙ_a = v_a + ω̇_a r_a. `half_expansion` holds
/// e^{ω̇_a dt/2}.
VITRUM_HD void mtk_drift(Vec3& r, const Vec3& v, const Vec3& half_expansion, double dt) {
  r.x = half_expansion.x * (half_expansion.x * r.x + dt * v.x);
  r.y = half_expansion.y * (half_expansion.y * r.y + dt * v.y);
  r.z = half_expansion.z * (half_expansion.z * r.z + dt * v.z);
}

}  // namespace vitrum::md::math
