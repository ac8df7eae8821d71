// The CUDA backend of the teacher potential: positions (unless the device halo holds them), types
// and the host-built neighbor list (once per rebuild, keyed by NeighborList::build_id) are
// uploaded into buffers that grow and are reused (no per-step allocation once sized), one
// thread per local atom runs the single-source atom_terms, and the per-atom terms come back for
// the dispatch point's fixed-order reduction.
#include <algorithm>
#include <cstdint>

#include "core/device_array.cuh"
#include "teacher/teacher.cuh"
#include "vitrum/core/error.hpp"
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

}  // namespace

void launch_teacher_atoms(const TeacherLaunch& args) {
  if (args.n_local <= 0) return;
  const int blocks = (args.n_local + kThreads - 1) / kThreads;
  teacher_atoms_kernel<<<blocks, kThreads>>>(args);
  VITRUM_CUDA_CHECK(cudaGetLastError());
}

}  // namespace cuda

namespace {

using vitrum::cuda::DeviceArray;

class CudaTeacher final : public TeacherBackend {
 public:
  explicit CudaTeacher(const TeacherTables& tables) : n_types_(tables.n_types), dsf_(tables.dsf) {
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
    cuda::launch_teacher_atoms(a);
    terms_.download(terms.data(), n);  // cudaMemcpy synchronizes with the kernel
  }

 private:
  int n_types_;
  DsfCoeffs dsf_;
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
