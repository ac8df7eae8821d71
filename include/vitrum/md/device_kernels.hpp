#pragma once
/// \file device_kernels.hpp
/// The kernel drivers of a device-resident MD run (vitrum/md/device_engine.hpp): per-atom
/// integrator updates, kinetic and momentum sums, the rebuild check and the ghost update, on
/// arrays in the memory of one exec::Space. One template (device_kernels_impl.hpp) holds every
/// driver over the single-source formulas of vitrum/md/math/; it is instantiated with the host
/// launcher for the emulated device (src/md/device_kernels_emulated.cpp) and with the CUDA
/// launcher (kernels/md/device_kernels.cu). Only the W doubles of a reduction reach the host.

#include <array>
#include <cstdint>
#include <memory>

#include "vitrum/core/exec_space.hpp"
#include "vitrum/core/vec3.hpp"
#include "vitrum/md/math/migrate_kernels.hpp"

namespace vitrum::md {

/// Device pointers to the atoms of one rank (n entries each; id may be null: atom i is id i).
struct DeviceAtoms {
  long n = 0;
  Vec3* positions = nullptr;
  Vec3* velocities = nullptr;
  const Vec3* forces = nullptr;
  const double* mass = nullptr;
  const int* id = nullptr;
};

class DeviceMdKernels {
 public:
  virtual ~DeviceMdKernels() = default;
  virtual exec::Space& space() = 0;
  // ---- integrator updates (math/integrate.hpp), one thread per atom
  virtual void kick(const DeviceAtoms& a, double h) = 0;
  virtual void drift(const DeviceAtoms& a, double h) = 0;
  virtual void scale(const DeviceAtoms& a, const Vec3& s) = 0;
  virtual void langevin(const DeviceAtoms& a, double c1, double var, std::uint64_t seed,
                        std::uint64_t step) = 0;
  virtual void mtk_drift(const DeviceAtoms& a, const Vec3& half_expansion, double dt) = 0;
  /// v <- v - vcm.
  virtual void subtract_velocity(const DeviceAtoms& a, const Vec3& vcm) = 0;
  // ---- fixed-order reductions (math/block_reduce.hpp); the results come to the host
  /// This rank's sums of math::kinetic_terms (xx, yy, zz, xy, xz, yz).
  virtual std::array<double, 6> kinetic_sums(const DeviceAtoms& a) = 0;
  /// This rank's sums of math::momentum_terms (m v_x, m v_y, m v_z, m).
  virtual std::array<double, 4> momentum_sums(const DeviceAtoms& a) = 0;
  /// max_i |r_i - ref_i|² over n atoms (0 for none).
  virtual double max_displacement2(long n, const Vec3* r, const Vec3* ref) = 0;
  /// Sum over n entries of e (energies).
  virtual double sum(long n, const double* e) = 0;
  // ---- ghosts of a serial periodic shell (entries n_local .. n_all)
  /// pos[g] = pos[owner[g]] + shift[g].
  virtual void update_ghosts(long n_local, long n_all, Vec3* pos, const int* owner,
                             const Vec3* shift) = 0;
  /// shift[g] = math::image_shift(image[g], h) for the ghosts (the cell changed).
  virtual void ghost_shifts(long n_local, long n_all, Vec3* shift, const std::array<int, 3>* image,
                            const Vec3 h[3]) = 0;
  // ---- migration between MPI ranks (math/migrate_kernels.hpp)
  /// key[i] = (leaves << 32) | id[i] for the n atoms at r (leaves: owned by another rank of
  /// `g`); returns the number leaving (a sum reduction: 8 bytes to the host).
  virtual long migration_keys(long n, const Vec3* r, const int* id, const MigrationGeom& g,
                              std::uint64_t* key) = 0;
  /// key[i] = id[i].
  virtual void id_keys(long n, const int* id, std::uint64_t* key) = 0;
  /// out[k] = record of atom first + k, for k < count.
  virtual void pack_atoms(const DeviceAtomArrays& a, long first, long count, AtomRecord* out) = 0;
  /// Atom first + k = in[k], for k < count.
  virtual void unpack_atoms(const AtomRecord* in, long first, long count,
                            const DeviceAtomArrays& a) = 0;
};

/// The kernels of `space` (emulated or CUDA; the latter throws in a build without CUDA). The
/// space must outlive them.
std::unique_ptr<DeviceMdKernels> make_device_md_kernels(exec::Space& space);
/// The two instantiations (device_kernels_emulated.cpp, kernels/md/device_kernels.cu).
std::unique_ptr<DeviceMdKernels> make_emulated_md_kernels(exec::Space& space);
std::unique_ptr<DeviceMdKernels> make_cuda_md_kernels(exec::Space& space);

}  // namespace vitrum::md
