#pragma once
/// \file atom_kernels.hpp
/// The per-atom kernels of the integrators, the ghost update and the per-atom terms of the
/// kinetic, momentum and displacement sums, as functors over an index (VITRUM_HD bodies calling
/// math/integrate.hpp). The host engine runs them through exec::HostLauncher
/// (src/md/integrate_cpu.hpp); a device-resident run through the launcher of its space
/// (vitrum/md/device_kernels_impl.hpp). One loop body for every backend.

#include <array>
#include <cstdint>

#include "vitrum/core/hd.hpp"
#include "vitrum/core/vec3.hpp"
#include "vitrum/md/math/integrate.hpp"

namespace vitrum::md::device_ops {

struct Kick {
  Vec3* v;
  const Vec3* f;
  const double* m;
  double h;
  VITRUM_HD void operator()(long i) const {
    math::kick(v[i], f[i], math::inverse_mass_conv(m[i]), h);
  }
};

struct Drift {
  Vec3* r;
  const Vec3* v;
  double h;
  VITRUM_HD void operator()(long i) const { math::drift(r[i], v[i], h); }
};

struct Scale {
  Vec3* v;
  Vec3 s;
  VITRUM_HD void operator()(long i) const { math::scale(v[i], s); }
};

struct Langevin {
  Vec3* v;
  const double* m;
  const int* id;
  double c1, var;
  std::uint64_t seed, step;
  VITRUM_HD void operator()(long i) const {
    const auto key = static_cast<std::uint32_t>(id != nullptr ? id[i] : i);
    math::langevin_atom(v[i], m[i], c1, var, seed, key, step);
  }
};

struct MtkDrift {
  Vec3* r;
  const Vec3* v;
  Vec3 half;
  double dt;
  VITRUM_HD void operator()(long i) const { math::mtk_drift(r[i], v[i], half, dt); }
};

struct Subtract {
  Vec3* v;
  Vec3 vcm;
  VITRUM_HD void operator()(long i) const { v[i] -= vcm; }
};

struct KineticTerm {
  const Vec3* v;
  const double* m;
  VITRUM_HD void operator()(long i, double* out) const { math::kinetic_terms(v[i], m[i], out); }
};

struct MomentumTerm {
  const Vec3* v;
  const double* m;
  VITRUM_HD void operator()(long i, double* out) const { math::momentum_terms(v[i], m[i], out); }
};

struct Displacement2Term {
  const Vec3* r;
  const Vec3* ref;
  VITRUM_HD void operator()(long i, double* out) const {
    const Vec3 d = r[i] - ref[i];
    out[0] = dot(d, d);
  }
};

struct ValueTerm {
  const double* e;
  VITRUM_HD void operator()(long i, double* out) const { out[0] = e[i]; }
};

struct Ghost {
  Vec3* pos;
  const int* owner;
  const Vec3* shift;
  long first;
  VITRUM_HD void operator()(long k) const {
    const long g = first + k;
    pos[g] = pos[owner[g]] + shift[g];
  }
};

struct GhostShift {
  Vec3* shift;
  const std::array<int, 3>* image;
  Vec3 h0, h1, h2;
  long first;
  VITRUM_HD void operator()(long k) const {
    const long g = first + k;
    const int n[3] = {image[k][0], image[k][1], image[k][2]};
    shift[g] = math::image_shift(n, h0, h1, h2);
  }
};

}  // namespace vitrum::md::device_ops
