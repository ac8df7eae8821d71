/// \file system.cpp
/// MD system construction, kinetic sums, observables, Maxwell–Boltzmann velocities.
///
/// Sums over atoms are the fixed-order block reductions of vitrum/core/math/block_reduce.hpp with
/// the per-atom terms of vitrum/md/math/integrate.hpp: the same bits for any number of threads,
/// and the same as a device-resident run (vitrum/md/device_engine.hpp) computes on its device.

#include "vitrum/md/system.hpp"

#include <omp.h>

#include <cmath>
#include <limits>

#include "vitrum/core/elements.hpp"
#include "vitrum/core/error.hpp"
#include "vitrum/core/math/block_reduce.hpp"
#include "vitrum/core/units.hpp"
#include "vitrum/md/math/atom_kernels.hpp"
#include "vitrum/md/math/integrate.hpp"

namespace vitrum::md {
namespace {

/// 1 amu/Å³ in g/cm³ (1.66053906660e-24 g / 1e-24 cm³).
constexpr double kAmuPerA3ToGPerCm3 = 1.66053906660;

}  // namespace

double MdSystem::degrees_of_freedom() const {
  const double n = static_cast<double>(global_size());
  return n > 1 ? 3.0 * n - 3.0 : 3.0 * n;
}

double MdSystem::total_mass() const {
  double m = 0.0;
  for (double x : mass) m += x;
  comm.sum(&m, 1);
  return m;
}

Vec3 MdSystem::unwrapped(int i) const {
  Vec3 r = positions[i];
  for (int d = 0; d < 3; ++d) {
    if (image[i][d] != 0) r += static_cast<double>(image[i][d]) * box.h[d];
  }
  return r;
}

std::vector<double> assign_masses(const std::vector<int>& species,
                                  const std::map<std::string, double>& overrides) {
  std::map<int, double> by_z;
  for (const auto& [symbol, m] : overrides) {
    const int z = atomic_number(symbol);
    if (z == 0) fail("[md] masses: '{}' is not an element symbol", symbol);
    if (!(m > 0.0) || !std::isfinite(m)) {
      fail("[md] masses: mass of {} must be a positive number of amu, got {}", symbol, m);
    }
    by_z[z] = m;
  }
  std::vector<double> mass(species.size());
  for (std::size_t i = 0; i < species.size(); ++i) {
    const auto it = by_z.find(species[i]);
    mass[i] = it != by_z.end() ? it->second : standard_mass(species[i]);
  }
  return mass;
}

MdSystem make_system(const Structure& s, std::vector<double> masses) {
  const std::size_t n = s.size();
  if (masses.size() != n) fail("make_system: {} masses for {} atoms", masses.size(), n);
  MdSystem sys;
  sys.box = s.box;
  sys.species = s.species;
  sys.mass = std::move(masses);
  sys.positions = s.positions;
  sys.velocities = s.velocities.size() == n ? s.velocities : std::vector<Vec3>(n, Vec3{0, 0, 0});
  sys.forces.assign(n, Vec3{0, 0, 0});
  sys.image.assign(n, {0, 0, 0});
  return sys;
}

Structure to_structure(const MdSystem& sys, bool unwrap, bool with_forces) {
  Structure s;
  s.box = sys.box;
  s.species = sys.species;
  s.positions.resize(sys.size());
  for (int i = 0; i < sys.size(); ++i)
    s.positions[i] = unwrap ? sys.unwrapped(i) : sys.positions[i];
  s.velocities = sys.velocities;
  if (with_forces) s.forces = sys.forces;
  s.has_energy = true;
  s.energy = sys.potential_energy;
  s.has_virial = true;
  for (int a = 0; a < 3; ++a)
    for (int b = 0; b < 3; ++b) s.virial[a][b] = sys.virial[a][b];
  return s;
}

Kinetic kinetic(const MdSystem& sys) {
  const Vec3* v = sys.velocities.data();
  const double* m = sys.mass.data();
  std::array<double, 6> t{};
  vitrum::math::block_reduce_host<6>(sys.size(), device_ops::KineticTerm{v, m},
                                     vitrum::math::SumOp{}, t.data());
  return kinetic_from_sums(t.data(), sys.comm);
}

Kinetic kinetic_from_sums(const double* local_sums, const parallel::Comm& comm) {
  std::array<double, 6> t{};
  for (int k = 0; k < 6; ++k) t[k] = local_sums[k];
  comm.sum(t.data(), 6);
  Kinetic k;
  k.tensor[0][0] = t[0];
  k.tensor[1][1] = t[1];
  k.tensor[2][2] = t[2];
  k.tensor[0][1] = k.tensor[1][0] = t[3];
  k.tensor[0][2] = k.tensor[2][0] = t[4];
  k.tensor[1][2] = k.tensor[2][1] = t[5];
  k.energy = 0.5 * (t[0] + t[1] + t[2]);
  return k;
}

Vec3 drift_velocity(const double* local_sums, const parallel::Comm& comm) {
  double pm[4] = {local_sums[0], local_sums[1], local_sums[2], local_sums[3]};
  comm.sum(pm, 4);
  return (1.0 / pm[3]) * Vec3{pm[0], pm[1], pm[2]};
}

double density_g_cm3(double mass_amu, double volume_a3) {
  return volume_a3 > 0.0 ? kAmuPerA3ToGPerCm3 * mass_amu / volume_a3 : 0.0;
}

Thermo compute_thermo(const MdSystem& sys, double extended_energy) {
  return compute_thermo(sys, kinetic(sys), extended_energy);
}

Thermo compute_thermo(const MdSystem& sys, const Kinetic& k, double extended_energy) {
  Thermo t;
  t.step = sys.step;
  t.time_fs = sys.time_fs;
  const double ndof = sys.degrees_of_freedom();
  t.temperature = ndof > 0 ? 2.0 * k.energy / (ndof * units::kBoltzmann) : 0.0;
  t.volume = sys.box.volume();
  if (t.volume > 0.0) {
    for (int a = 0; a < 3; ++a) {
      t.pressure_tensor[a] = (k.tensor[a][a] + sys.virial[a][a]) / t.volume * units::kEvPerA3ToBar;
    }
    t.pressure = (t.pressure_tensor[0] + t.pressure_tensor[1] + t.pressure_tensor[2]) / 3.0;
  }
  t.potential_energy = sys.potential_energy;
  t.kinetic_energy = k.energy;
  t.total_energy = k.energy + sys.potential_energy;
  t.conserved = t.total_energy + extended_energy;
  t.density = density_g_cm3(sys.total_mass(), t.volume);
  for (int d = 0; d < 3; ++d) t.cell_lengths[d] = std::sqrt(dot(sys.box.h[d], sys.box.h[d]));
  return t;
}

void remove_drift(MdSystem& sys) {
  const int n = sys.size();
  if (sys.global_size() == 0) return;
  // Fixed-order sums (deterministic; the same as a device-resident run's).
  const Vec3* v = sys.velocities.data();
  const double* m = sys.mass.data();
  double pm[4];
  vitrum::math::block_reduce_host<4>(n, device_ops::MomentumTerm{v, m}, vitrum::math::SumOp{}, pm);
  const Vec3 vcm = drift_velocity(pm, sys.comm);
#pragma omp parallel for schedule(static) if (n > 20000)
  for (int i = 0; i < n; ++i) sys.velocities[i] -= vcm;
}

void maxwell_boltzmann(MdSystem& sys, double temperature, std::uint64_t seed, bool rescale) {
  if (!(temperature >= 0.0) || !std::isfinite(temperature)) {
    fail("initial velocities: temperature must be finite and >= 0 K, got {}", temperature);
  }
  const int n = sys.size();
  const double kt = units::kBoltzmann * temperature;
#pragma omp parallel for schedule(static) if (n > 20000)
  for (int i = 0; i < n; ++i) {
    const int id = sys.id.empty() ? i : sys.id[i];
    sys.velocities[i] = math::maxwell_boltzmann_velocity(kt, 1.0 / (units::kMvv2e * sys.mass[i]),
                                                         seed, static_cast<std::uint32_t>(id), 0);
  }
  remove_drift(sys);
  if (rescale && sys.global_size() > 1) {
    const double ke = kinetic(sys).energy;
    const double current = 2.0 * ke / (sys.degrees_of_freedom() * units::kBoltzmann);
    const double s = current > 0.0 ? std::sqrt(temperature / current) : 0.0;
    for (auto& v : sys.velocities) v = s * v;
  }
}

double min_pair_distance(const std::vector<Vec3>& shell_positions, const std::vector<int>& offsets,
                         const std::vector<int>& neighbors, int* atom_i, int* atom_j) {
  const int n = offsets.empty() ? 0 : static_cast<int>(offsets.size()) - 1;
  double best = std::numeric_limits<double>::infinity();
  int bi = -1, bj = -1;
  for (int i = 0; i < n; ++i) {
    for (int k = offsets[i]; k < offsets[i + 1]; ++k) {
      const Vec3 d = shell_positions[neighbors[k]] - shell_positions[i];
      const double r2 = dot(d, d);
      if (r2 < best) {
        best = r2;
        bi = i;
        bj = neighbors[k];
      }
    }
  }
  if (atom_i != nullptr) *atom_i = bi;
  if (atom_j != nullptr) *atom_j = bj;
  return std::sqrt(best);
}

}  // namespace vitrum::md
