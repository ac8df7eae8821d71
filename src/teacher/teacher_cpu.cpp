// The CPU backend of the teacher potential: OpenMP over local atoms, each atom summing its
// neighbors in list order with the single-source math of teacher/math/born_dsf.hpp. Every atom
// writes only its own terms, so the result does not depend on the thread count.
#include "vitrum/core/error.hpp"
#include "vitrum/teacher/teacher_backend.hpp"

namespace vitrum::teacher {

namespace {

class CpuTeacher final : public TeacherBackend {
 public:
  explicit CpuTeacher(const TeacherTables& tables) : tables_(tables) {}

  void compute(const GhostShell& shell, const NeighborList& list, const std::vector<int>& types,
               std::vector<AtomTerms>& terms) override {
    const int n = shell.n_local;
    terms.resize(n);
    const TeacherView view = tables_.host_view();
    const Vec3* pos = shell.positions.data();
    const int* type = types.data();
    const int* nbr = list.neighbors.data();
    const int* off = list.offsets.data();
#pragma omp parallel for schedule(dynamic, 64)
    for (int i = 0; i < n; ++i) terms[i] = atom_terms(i, pos, type, nbr, off[i], off[i + 1], view);
  }

 private:
  const TeacherTables& tables_;
};

}  // namespace

std::unique_ptr<TeacherBackend> make_teacher_cpu_backend(const TeacherTables& tables) {
  return std::make_unique<CpuTeacher>(tables);
}

#ifndef VITRUM_HAVE_CUDA
std::unique_ptr<TeacherBackend> make_teacher_cuda_backend(const TeacherTables&) {
  fail("the CUDA backend is not compiled into this build");
}
#endif

}  // namespace vitrum::teacher
