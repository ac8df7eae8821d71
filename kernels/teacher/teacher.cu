// The CUDA backend of the teacher potential: positions (unless the device halo holds them), types
// and the host-built neighbor list (once per rebuild, keyed by NeighborList::build_id) are
// uploaded into buffers that grow and are reused (no per-step allocation once sized), a warp per
// local atom runs the single-source team_atom_terms (lanes over the list slots, butterfly sums;
// VITRUM_TEACHER_KERNELS=legacy: one thread per atom runs atom_terms), and the per-atom terms
// come back for the dispatch point's fixed-order reduction.
#include <algorithm>
#include <cmath>
#include <cstdint>

#include "core/device_array.cuh"
#include "teacher/teacher.cuh"
#include "vitrum/core/error.hpp"
#include "vitrum/core/kernel_choice.hpp"
#include "vitrum/teacher/math/team_pair.hpp"
#include "vitrum/teacher/teacher_backend.hpp"

namespace vitrum::teacher {

namespace cuda {

namespace {

constexpr int kThreads = 128;

__global__ void teacher_atoms_kernel(TeacherLaunch a) {
  const int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i >= a.n_local) return;
  a.terms[i] = atom_terms(i, a.pos, a.type, a.neighbors, a.offsets[i], a.offsets[i + 1], a.view);
}

// A warp per atom: lanes over the atom's list slots (kThreads / 32 atoms per block).
__global__ void teacher_team_kernel(TeacherLaunch a) {
  const int i = blockIdx.x * (kThreads / 32) + static_cast<int>(threadIdx.x >> 5);
  if (i >= a.n_local) return;  // whole warps leave together
  const int lane = static_cast<int>(threadIdx.x & 31);
  const nnp::WarpTeam team{lane};
  const int b = a.offsets[i], e = a.offsets[i + 1];
  const AtomTerms t =
      a.table
          ? team_atom_terms(team, i, a.pos, a.type, a.neighbors, b, e, a.view, TablePair{a.erfc})
          : team_atom_terms(team, i, a.pos, a.type, a.neighbors, b, e, a.view, EvaluatePair{});
  if (lane == 0) a.terms[i] = t;
}

}  // namespace

void launch_teacher_atoms(const TeacherLaunch& args) {
  if (args.n_local <= 0) return;
  if (args.team) {
    const int per_block = kThreads / 32;
    teacher_team_kernel<<<(args.n_local + per_block - 1) / per_block, kThreads>>>(args);
  } else {
    teacher_atoms_kernel<<<(args.n_local + kThreads - 1) / kThreads, kThreads>>>(args);
  }
  VITRUM_CUDA_CHECK(cudaGetLastError());
}

}  // namespace cuda

namespace {

using vitrum::cuda::DeviceArray;

class CudaTeacher final : public TeacherBackend {
 public:
  explicit CudaTeacher(const TeacherTables& tables)
      : n_types_(tables.n_types),
        dsf_(tables.dsf),
        team_(kernel_choice_from_env("VITRUM_TEACHER_KERNELS") == KernelChoice::Team) {
    // The tabulated erfc of the CPU backend, on the device for the team kernel (if it passed its
    // check against the C library; otherwise libm's erfc).
    const ErfcTable table(tables.dsf.alpha * std::sqrt(tables.dsf.rc2));
    if (table.usable()) {
      erfc_coeffs_.upload(table.coefficients());
      erfc_ = ErfcTableView{table.intervals(), table.inv_width(), erfc_coeffs_.data()};
    }
    pair_.upload(tables.pair);
    self_.upload(tables.self_energy);
  }

  void compute(const neighbor::GhostShell& shell, const neighbor::NeighborList& list,
               const std::vector<int>& types, std::vector<AtomTerms>& terms) override {
    if (shell.n_local == 0) {
      terms.clear();
      return;
    }
    pos_.upload(shell.positions);
    run(shell, list, types, pos_.data(), terms);
  }

  void compute_device(const neighbor::GhostShell& shell, const neighbor::NeighborList& list,
                      const std::vector<int>& types, const Vec3* d_positions,
                      std::vector<AtomTerms>& terms) override {
    run(shell, list, types, d_positions, terms);
  }

 private:
  void run(const neighbor::GhostShell& shell, const neighbor::NeighborList& list,
           const std::vector<int>& types, const Vec3* positions, std::vector<AtomTerms>& terms) {
    const int n = shell.n_local;
    terms.resize(n);
    if (n == 0) return;
    type_.upload(types);
    // The list changes only at a rebuild (a new build_id): upload it then, not every step (it is
    // the largest transfer by far: ~100 entries per atom).
    if (list.build_id == 0 || list.build_id != uploaded_id_ ||
        list.offsets.size() != uploaded_offsets_ || list.neighbors.size() != uploaded_entries_) {
      offsets_.upload(list.offsets);
      // An empty list still needs a valid pointer.
      neighbors_.resize(std::max<size_t>(1, list.neighbors.size()));
      if (!list.neighbors.empty()) neighbors_.upload(list.neighbors);
      uploaded_id_ = list.build_id;
      uploaded_offsets_ = list.offsets.size();
      uploaded_entries_ = list.neighbors.size();
    }
    terms_.resize(n);
    cuda::TeacherLaunch a;
    a.n_local = n;
    a.pos = positions;
    a.type = type_.data();
    a.offsets = offsets_.data();
    a.neighbors = neighbors_.data();
    a.view = TeacherView{n_types_, pair_.data(), self_.data(), dsf_};
    a.terms = terms_.data();
    a.team = team_;
    a.table = erfc_.coeffs != nullptr;
    a.erfc = erfc_;
    cuda::launch_teacher_atoms(a);
    terms_.download(terms.data(), n);  // cudaMemcpy synchronizes with the kernel
  }

 private:
  int n_types_;
  DsfCoeffs dsf_;
  bool team_;
  ErfcTableView erfc_{};
  DeviceArray<double> erfc_coeffs_;
  DeviceArray<PairCoeffs> pair_;
  DeviceArray<double> self_;
  DeviceArray<Vec3> pos_;
  DeviceArray<int> type_, offsets_, neighbors_;
  DeviceArray<AtomTerms> terms_;
  std::uint64_t uploaded_id_ = 0;  ///< build_id of the list on the device (0: none)
  std::size_t uploaded_offsets_ = 0, uploaded_entries_ = 0;
};

}  // namespace

std::unique_ptr<TeacherBackend> make_teacher_cuda_backend(const TeacherTables& tables) {
  return std::make_unique<CudaTeacher>(tables);
}

}  // namespace vitrum::teacher
