#pragma once
/// \file migrate_kernels.hpp
/// The per-atom kernels of atom migration between MPI ranks on a device (vitrum/md/
/// device_engine.hpp): which atoms left this rank's subdomain (the owner test of
/// parallel::migrate_atoms, the same arithmetic), the sort keys that put the staying atoms first
/// in id order, and the pack/unpack of the leaving/arriving atoms' records. VITRUM_HD bodies run
/// by the launcher of the space (host loops on the emulated device, CUDA threads on a GPU).

#include <array>
#include <cmath>
#include <cstdint>

#include "vitrum/core/hd.hpp"
#include "vitrum/core/vec3.hpp"

namespace vitrum::md {

/// One atom's record while it travels to another rank (positions wrapped into the cell).
struct AtomRecord {
  Vec3 r;
  Vec3 v;
  double mass;
  int species;
  int id;
  int image[3];
  int pad;
};

/// Device pointers to every per-atom array that travels with an atom (n entries each).
struct DeviceAtomArrays {
  long n = 0;
  Vec3* positions = nullptr;
  Vec3* velocities = nullptr;
  double* mass = nullptr;
  int* species = nullptr;
  int* id = nullptr;
  std::array<int, 3>* image = nullptr;
};

/// A domain's owner test (parallel::Domain): s_d = recip_d · r, cell c_d = floor((s_d -
/// floor(s_d)) p_d) clamped to the grid; an atom leaves when c differs from this rank's coords.
struct MigrationGeom {
  Vec3 recip[3];
  int grid[3];
  int coords[3];
};

namespace device_ops {

/// 1 if the atom at r belongs to another rank (the test of parallel::migrate_atoms).
VITRUM_HD int leaves_rank(const MigrationGeom& g, const Vec3& r) {
  using std::floor;
  for (int d = 0; d < 3; ++d) {
    const double s = dot(g.recip[d], r);
    const double t = s - floor(s);
    int c = static_cast<int>(t * g.grid[d]);
    c = c >= g.grid[d] ? g.grid[d] - 1 : (c < 0 ? 0 : c);
    if (c != g.coords[d]) return 1;
  }
  return 0;
}

/// key[i] = (leaves << 32) | id: after a stable sort the staying atoms come first in id order,
/// then the leaving ones.
struct MigrationKey {
  const Vec3* r;
  const int* id;
  MigrationGeom g;
  std::uint64_t* key;
  VITRUM_HD void operator()(long i) const {
    key[i] = (static_cast<std::uint64_t>(leaves_rank(g, r[i])) << 32) |
             static_cast<std::uint32_t>(id[i]);
  }
};

/// Reduction term: 1 for an atom that leaves (summed: the number leaving).
struct LeaveTerm {
  const Vec3* r;
  MigrationGeom g;
  VITRUM_HD void operator()(long i, double* out) const {
    out[0] = static_cast<double>(leaves_rank(g, r[i]));
  }
};

/// key[i] = id[i] (the id order of the locals).
struct IdKey {
  const int* id;
  std::uint64_t* key;
  VITRUM_HD void operator()(long i) const { key[i] = static_cast<std::uint32_t>(id[i]); }
};

/// out[k] = the record of atom first + k.
struct PackAtoms {
  DeviceAtomArrays a;
  long first;
  AtomRecord* out;
  VITRUM_HD void operator()(long k) const {
    const long i = first + k;
    AtomRecord& o = out[k];
    o.r = a.positions[i];
    o.v = a.velocities[i];
    o.mass = a.mass[i];
    o.species = a.species[i];
    o.id = a.id[i];
    for (int d = 0; d < 3; ++d) o.image[d] = a.image[i][d];
    o.pad = 0;
  }
};

/// Atom first + k = record in[k].
struct UnpackAtoms {
  const AtomRecord* in;
  long first;
  DeviceAtomArrays a;
  VITRUM_HD void operator()(long k) const {
    const long i = first + k;
    const AtomRecord& o = in[k];
    a.positions[i] = o.r;
    a.velocities[i] = o.v;
    a.mass[i] = o.mass;
    a.species[i] = o.species;
    a.id[i] = o.id;
    for (int d = 0; d < 3; ++d) a.image[i][d] = o.image[d];
  }
};

}  // namespace device_ops
}  // namespace vitrum::md
