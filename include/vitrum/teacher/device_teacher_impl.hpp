#pragma once
/// \file device_teacher_impl.hpp
/// The device teacher (device_teacher.hpp) written once over a launcher (exec::HostLauncher for
/// the emulated device, exec::CudaLauncher): instantiated in src/teacher/device_teacher.cpp and
/// kernels/teacher/device_teacher.cu. Host-compilable: no CUDA in here.

#include <fmt/format.h>

#include <algorithm>
#include <string>
#include <vector>

#include "vitrum/core/elements.hpp"
#include "vitrum/core/error.hpp"
#include "vitrum/core/math/block_reduce.hpp"
#include "vitrum/md/device_engine.hpp"
#include "vitrum/teacher/math/born_dsf.hpp"
#include "vitrum/teacher/teacher_backend.hpp"

namespace vitrum::teacher {
namespace device_detail {

/// One local atom: its terms (kept for the sums) and its force (into the engine's array).
struct AtomKernel {
  const Vec3* pos;
  const int* type;
  const int* offsets;
  const int* neighbors;
  TeacherView view;
  AtomTerms* terms;
  Vec3* forces;
  VITRUM_HD void operator()(long i) const {
    const int a = static_cast<int>(i);
    const AtomTerms t = atom_terms(a, pos, type, neighbors, offsets[a], offsets[a + 1], view);
    terms[i] = t;
    forces[i] = t.force;
  }
};

/// type[i] = the teacher type of atom i's element (-1: unknown to the potential).
struct TypeKernel {
  const int* species;
  const int* type_of_z;  ///< 128 entries
  int* type;
  VITRUM_HD void operator()(long i) const {
    const int z = species[i];
    type[i] = (z > 0 && z < 128) ? type_of_z[z] : -1;
  }
};

/// n - i for an atom of unknown type, else 0 (max-reduced: n - the first such atom).
struct UnknownTypeTerm {
  const int* type;
  long n;
  VITRUM_HD void operator()(long i, double* out) const {
    out[0] = type[i] < 0 ? static_cast<double>(n - i) : 0.0;
  }
};

/// Energy and the six virial components (xx, yy, zz, xy, xz, yz) of one atom.
struct EnergyVirialTerm {
  const AtomTerms* terms;
  VITRUM_HD void operator()(long i, double* out) const {
    out[0] = terms[i].energy;
    for (int c = 0; c < 6; ++c) out[1 + c] = terms[i].virial[c];
  }
};

template <class Launcher>
class DeviceTeacher final : public md::DeviceForceField {
 public:
  DeviceTeacher(TeacherTables tables, std::string describe, exec::Space& space)
      : tables_(std::move(tables)),
        describe_(std::move(describe)),
        space_(space),
        launch_{&space},
        pair_(space),
        self_(space),
        type_of_z_(space),
        type_(space),
        terms_(space),
        a_(space),
        b_(space) {
    pair_.upload(tables_.pair.data(), tables_.pair.size(), "teacher:tables");
    self_.upload(tables_.self_energy.data(), tables_.self_energy.size(), "teacher:tables");
    type_of_z_.upload(tables_.type_of_z.data(), tables_.type_of_z.size(), "teacher:tables");
  }

  double cutoff() const override { return tables_.cutoff; }
  double min_distance() const override { return 1e-6 * cutoff(); }
  std::string describe() const override { return describe_; }
  /// Each local's force is summed over its own full row: no forces on ghosts.
  bool local_forces_complete() const override { return true; }
  std::size_t device_bytes() const override {
    return pair_.bytes() + self_.bytes() + type_of_z_.bytes() + type_.bytes() + terms_.bytes() +
           a_.bytes() + b_.bytes();
  }

  void rebuild(const neighbor::DeviceShellView& shell,
               const neighbor::DeviceListView& list) override {
    if (list.cutoff + list.skin < cutoff() * (1 - 1e-12))
      fail("neighbor list cutoff {} Å is shorter than the teacher potential's cutoff {} Å",
           list.cutoff + list.skin, cutoff());
    const long n_all = shell.n_all;
    n_local_ = shell.n_local;
    type_.resize(static_cast<std::size_t>(std::max(n_all, 1L)));
    const std::size_t need = (vitrum::math::reduce_blocks(std::max<long>(n_all, n_local_)) + 1) * 7;
    a_.resize(need);
    b_.resize(need);
    launch_.for_each(n_all, TypeKernel{shell.species, type_of_z_.data(), type_.data()});
    double first = 0.0;
    launch_.template reduce<1>(n_all, UnknownTypeTerm{type_.data(), n_all}, vitrum::math::MaxOp{},
                               a_.data(), b_.data(), &first, "reduce:types");
    if (n_all > 0 && first > 0.0) {
      const long i = n_all - static_cast<long>(first);
      int z = 0;
      space_.to_host(&z, shell.species + i, sizeof(int), "error:types");
      fail(
          "atom {} has atomic number {} ({}), an element the teacher potential has no charge "
          "for ({})",
          i, z, (z >= 1 && z <= 118) ? element_symbol(z) : std::string("?"), describe_);
    }
    offsets_ = list.offsets;
    neighbors_ = list.neighbors;
    terms_.resize(std::max(n_local_, 1));
  }

  void compute(const Vec3* d_positions, Vec3* d_forces, md::ForceScalars& out) override {
    const TeacherView view{tables_.n_types, pair_.data(), self_.data(), tables_.dsf};
    launch_.for_each(n_local_, AtomKernel{d_positions, type_.data(), offsets_, neighbors_, view,
                                          terms_.data(), d_forces});
    double s[7];
    launch_.template reduce<7>(n_local_, EnergyVirialTerm{terms_.data()}, vitrum::math::SumOp{},
                               a_.data(), b_.data(), s, "reduce:energy+virial");
    out.energy = s[0];
    out.virial[0][0] = s[1];
    out.virial[1][1] = s[2];
    out.virial[2][2] = s[3];
    out.virial[0][1] = out.virial[1][0] = s[4];
    out.virial[0][2] = out.virial[2][0] = s[5];
    out.virial[1][2] = out.virial[2][1] = s[6];
  }

 private:
  TeacherTables tables_;
  std::string describe_;
  exec::Space& space_;
  Launcher launch_;
  exec::DeviceBuffer<PairCoeffs> pair_;
  exec::DeviceBuffer<double> self_;
  exec::DeviceBuffer<int> type_of_z_, type_;
  const int* offsets_ = nullptr;  ///< the device list's CSR (valid until the next rebuild)
  const int* neighbors_ = nullptr;
  exec::DeviceBuffer<AtomTerms> terms_;
  exec::DeviceBuffer<double> a_, b_;
  int n_local_ = 0;
};

}  // namespace device_detail

/// The CUDA instantiation (kernels/teacher/device_teacher.cu).
std::unique_ptr<md::DeviceForceField> make_cuda_device_teacher(TeacherTables tables,
                                                               std::string describe,
                                                               exec::Space& space);

}  // namespace vitrum::teacher
