#pragma once
/// \file teacher_backend.hpp
/// Internal (not for users): the compiled tables of a teacher potential and the interface
/// between its dispatch point (src/teacher/teacher.cpp) and its two backends. A backend fills one
/// AtomTerms per local atom with the single-source math of math/born_dsf.hpp (the CPU backend
/// evaluates each pair once, the CUDA one each pair from both sides: they agree to rounding); the
/// dispatch point reduces them in atom order on the host, independent of the thread count.

#include <memory>
#include <vector>

#include "vitrum/neighbor/ghosts.hpp"
#include "vitrum/neighbor/neighbor_list.hpp"
#include "vitrum/teacher/math/born_dsf.hpp"

namespace vitrum::teacher {

/// Host copy of everything the kernels need, built once from the parameter file.
struct TeacherTables {
  int n_types = 0;
  std::vector<int> type_of_z;       ///< type index per atomic number (size 128), −1 if absent
  std::vector<PairCoeffs> pair;     ///< n_types × n_types
  std::vector<double> self_energy;  ///< DSF self energy per type (eV)
  DsfCoeffs dsf;
  double cutoff = 0.0;  ///< largest cutoff of any pair (Å)

  /// View onto the host arrays (for the CPU backend).
  TeacherView host_view() const {
    return TeacherView{n_types, pair.data(), self_energy.data(), dsf};
  }
};

struct TeacherParams;
/// The tables of validated parameters (what the force field compiles once; tests use it to run
/// the kernels' math directly).
TeacherTables compile_teacher_tables(const TeacherParams& params);

/// One backend (CPU or CUDA) of the teacher: fills per-atom terms; owns its buffers.
class TeacherBackend {
 public:
  virtual ~TeacherBackend() = default;
  /// Fills terms[i] for every local atom i of the shell; `types` holds the type index of every
  /// shell entry (locals and ghosts). Energy and force are atom i's; of the virial and min_r2
  /// only the sum and the minimum over atoms are used, and a backend may split them otherwise
  /// (the CPU backend gives each local–local pair's whole virial to its lower-index atom).
  virtual void compute(const neighbor::GhostShell& shell, const neighbor::NeighborList& list,
                       const std::vector<int>& types, std::vector<AtomTerms>& terms) = 0;
  /// True when compute() accepts a half list (neighbor::build_half_neighbor_list).
  virtual bool half_list() const { return false; }
  /// compute() with the positions of locals and ghosts read from device memory (shell.size()
  /// entries; the device halo of a domain-decomposed run). The CUDA backend only.
  virtual void compute_device(const neighbor::GhostShell& shell, const neighbor::NeighborList& list,
                              const std::vector<int>& types, const Vec3* d_positions,
                              std::vector<AtomTerms>& terms);
};

/// OpenMP backend (src/teacher/teacher_cpu.cpp).
std::unique_ptr<TeacherBackend> make_teacher_cpu_backend(const TeacherTables& tables);
/// CUDA backend (kernels/teacher/teacher.cu); throws when CUDA is not compiled in.
std::unique_ptr<TeacherBackend> make_teacher_cuda_backend(const TeacherTables& tables);

}  // namespace vitrum::teacher
