#pragma once
/// \file device_kernels_impl.hpp
/// The drivers of vitrum/md/device_kernels.hpp written once over a launcher (exec::HostLauncher
/// or exec::CudaLauncher), running the kernels of math/atom_kernels.hpp, which the host engine's
/// loops (src/md/integrate_cpu.hpp) run through the host launcher too: the emulated device and
/// the host engine execute the same compiled loops. Host-compilable: no CUDA in here.

#include <array>
#include <cstdint>

#include "vitrum/core/exec_space.hpp"
#include "vitrum/core/math/block_reduce.hpp"
#include "vitrum/md/device_kernels.hpp"
#include "vitrum/md/math/atom_kernels.hpp"
#include "vitrum/md/math/migrate_kernels.hpp"

namespace vitrum::md::device_ops {

/// Every driver over one launcher; scratch for the reductions grows and is reused.
template <class Launcher>
class Kernels final : public DeviceMdKernels {
 public:
  explicit Kernels(exec::Space& space) : space_(space), launch_{&space}, a_(space), b_(space) {}
  exec::Space& space() override { return space_; }

  void kick(const DeviceAtoms& a, double h) override {
    launch_.for_each(a.n, Kick{a.velocities, a.forces, a.mass, h});
  }
  void drift(const DeviceAtoms& a, double h) override {
    launch_.for_each(a.n, Drift{a.positions, a.velocities, h});
  }
  void scale(const DeviceAtoms& a, const Vec3& s) override {
    launch_.for_each(a.n, Scale{a.velocities, s});
  }
  void langevin(const DeviceAtoms& a, double c1, double var, std::uint64_t seed,
                std::uint64_t step) override {
    launch_.for_each(a.n, Langevin{a.velocities, a.mass, a.id, c1, var, seed, step});
  }
  void mtk_drift(const DeviceAtoms& a, const Vec3& half, double dt) override {
    launch_.for_each(a.n, MtkDrift{a.positions, a.velocities, half, dt});
  }
  void subtract_velocity(const DeviceAtoms& a, const Vec3& vcm) override {
    launch_.for_each(a.n, Subtract{a.velocities, vcm});
  }
  std::array<double, 6> kinetic_sums(const DeviceAtoms& a) override {
    return reduce<6>(a.n, KineticTerm{a.velocities, a.mass}, vitrum::math::SumOp{},
                     "reduce:kinetic");
  }
  std::array<double, 4> momentum_sums(const DeviceAtoms& a) override {
    return reduce<4>(a.n, MomentumTerm{a.velocities, a.mass}, vitrum::math::SumOp{},
                     "reduce:momentum");
  }
  double max_displacement2(long n, const Vec3* r, const Vec3* ref) override {
    if (n <= 0) return 0.0;
    return reduce<1>(n, Displacement2Term{r, ref}, vitrum::math::MaxOp{}, "reduce:displacement")[0];
  }
  double sum(long n, const double* e) override {
    return reduce<1>(n, ValueTerm{e}, vitrum::math::SumOp{}, "reduce:energy")[0];
  }
  void update_ghosts(long n_local, long n_all, Vec3* pos, const int* owner,
                     const Vec3* shift) override {
    launch_.for_each(n_all - n_local, Ghost{pos, owner, shift, n_local});
  }
  void ghost_shifts(long n_local, long n_all, Vec3* shift, const std::array<int, 3>* image,
                    const Vec3 h[3]) override {
    launch_.for_each(n_all - n_local, GhostShift{shift, image, h[0], h[1], h[2], n_local});
  }
  long migration_keys(long n, const Vec3* r, const int* id, const MigrationGeom& g,
                      std::uint64_t* key) override {
    if (n <= 0) return 0;
    launch_.for_each(n, MigrationKey{r, id, g, key});
    const double leaving =
        reduce<1>(n, LeaveTerm{r, g}, vitrum::math::SumOp{}, "reduce:migration_count")[0];
    return static_cast<long>(leaving);
  }
  void id_keys(long n, const int* id, std::uint64_t* key) override {
    if (n > 0) launch_.for_each(n, IdKey{id, key});
  }
  void pack_atoms(const DeviceAtomArrays& a, long first, long count, AtomRecord* out) override {
    if (count > 0) launch_.for_each(count, PackAtoms{a, first, out});
  }
  void unpack_atoms(const AtomRecord* in, long first, long count,
                    const DeviceAtomArrays& a) override {
    if (count > 0) launch_.for_each(count, UnpackAtoms{in, first, a});
  }

 private:
  template <int W, class Term, class Op>
  std::array<double, W> reduce(long n, const Term& term, const Op& op, const char* name) {
    const std::size_t need = static_cast<std::size_t>(vitrum::math::reduce_blocks(n) + 1) * W;
    if (a_.size() < need) {
      a_.resize(need);
      b_.resize(need);
    }
    std::array<double, W> out{};
    launch_.template reduce<W>(n, term, op, a_.data(), b_.data(), out.data(), name);
    return out;
  }

  exec::Space& space_;
  Launcher launch_;
  exec::DeviceBuffer<double> a_, b_;
};

}  // namespace vitrum::md::device_ops
