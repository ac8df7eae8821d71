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
        type_(space),
        offsets_(space),
        neighbors_(space),
        terms_(space),
        a_(space),
        b_(space) {
    pair_.upload(tables_.pair.data(), tables_.pair.size(), "teacher:tables");
    self_.upload(tables_.self_energy.data(), tables_.self_energy.size(), "teacher:tables");
  }

  double cutoff() const override { return tables_.cutoff; }
  double min_distance() const override { return 1e-6 * cutoff(); }
  std::string describe() const override { return describe_; }

  void rebuild(const neighbor::GhostShell& shell, const neighbor::NeighborList& list) override {
    if (list.cutoff + list.skin < cutoff() * (1 - 1e-12))
      fail("neighbor list cutoff {} Å is shorter than the teacher potential's cutoff {} Å",
           list.cutoff + list.skin, cutoff());
    std::vector<int> types(shell.size());
    for (int i = 0; i < shell.size(); ++i) {
      const int z = shell.species[i];
      types[i] = (z > 0 && z < 128) ? tables_.type_of_z[z] : -1;
      if (types[i] < 0)
        fail(
            "atom {} has atomic number {} ({}), an element the teacher potential has no charge "
            "for ({})",
            i, z, (z >= 1 && z <= 118) ? element_symbol(z) : std::string("?"), describe_);
    }
    n_local_ = shell.n_local;
    type_.upload(types.data(), types.size(), "rebuild:types");
    offsets_.upload(list.offsets.data(), list.offsets.size(), "rebuild:list");
    neighbors_.resize(std::max<std::size_t>(1, list.neighbors.size()));
    neighbors_.upload(list.neighbors.data(), list.neighbors.size(), "rebuild:list");
    terms_.resize(std::max(n_local_, 1));
    const std::size_t need = (vitrum::math::reduce_blocks(n_local_) + 1) * 7;
    a_.resize(need);
    b_.resize(need);
  }

  void compute(const Vec3* d_positions, Vec3* d_forces, md::ForceScalars& out) override {
    const TeacherView view{tables_.n_types, pair_.data(), self_.data(), tables_.dsf};
    launch_.for_each(n_local_, AtomKernel{d_positions, type_.data(), offsets_.data(),
                                          neighbors_.data(), view, terms_.data(), d_forces});
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
  exec::DeviceBuffer<int> type_, offsets_, neighbors_;
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
