/// \file device_evaluator.cpp
/// The device HDNNP evaluator's dispatch and its emulated-device policy: the team functions of
/// team_sf.hpp / team_sf_grad.hpp run by an EmulatedTeam (the warp's lane mapping and butterfly
/// order) over one staging area per host thread, the CPU's batched networks, and counting-sort
/// transposes, all on the emulated device's memory. The CUDA policy is in
/// kernels/nnp/device_evaluator.cu.
#include <omp.h>

#include "vitrum/core/launch_host.hpp"
#include "vitrum/nnp/device_evaluator_impl.hpp"
#include "vitrum/nnp/network.hpp"

namespace vitrum::nnp {
namespace {

template <typename T>
class EmulatedExec {
 public:
  using Real = T;
  EmulatedExec(const Potential& pot, const DeviceEvalOptions& opt, exec::Space& space)
      : space_(space), team_{opt.team_size} {
    if (opt.team_size < 1 || opt.team_size > kMaxTeam || (opt.team_size & (opt.team_size - 1)))
      fail("team size {} is not a power of two between 1 and {}", opt.team_size, kMaxTeam);
    for (const auto& el : pot.elements()) nets_.emplace_back(el, pot.normalize_nodes());
  }

  exec::HostLauncher launcher() const { return exec::HostLauncher{&space_}; }

  /// A stable counting sort of [0, n) by key (the emulated device's memory is host memory).
  void transpose(const int* keys, long n, int targets, int* entries, int* offsets) const {
    std::fill(offsets, offsets + targets + 1, 0);
    for (long q = 0; q < n; ++q) ++offsets[keys[q] + 1];
    for (int t = 0; t < targets; ++t) offsets[t + 1] += offsets[t];
    std::vector<int> fill(offsets, offsets + targets);
    for (long q = 0; q < n; ++q) entries[fill[keys[q]]++] = static_cast<int>(q);
  }

  void team_sf(const SfPlanView& p, const TeamInputs& in, const TeamRowsView& rows, int n, int cap,
               T* G, double* dmin) {
    for_atoms(n, cap, p, false, [&](int i, TeamStage<T>& s) {
      const int e = rows.elem[i];
      team_atom_sf<T>(team_, p, in, i, s, G + rows.g_off[e] + (long)rows.row[i] * p.elem_n_sf[e],
                      dmin + i);
    });
  }

  void team_gradient(const SfPlanView& p, const TeamInputs& in, const TeamRowsView& rows, int n,
                     int cap, const T* dedg, Vec3* grad, double* virial) {
    for_atoms(n, cap, p, true, [&](int i, TeamStage<T>& s) {
      const int e = rows.elem[i];
      team_atom_gradient<T>(team_, p, in, i, s,
                            dedg + rows.g_off[e] + (long)rows.row[i] * p.elem_n_sf[e], grad, 0,
                            virial + 9L * i);
    });
  }

  void network(int e, int n, const T* g, T* energy, T* dedg) { nets_[e].run(n, g, energy, dedg); }

  std::size_t device_bytes() const {
    std::size_t b = 0;
    for (const auto& s : stages_) b += s.capacity() * sizeof(double);
    // The networks' batch buffers are device memory on a GPU (network_cuda.cuh's y, d, delta,
    // back): counted here too, so that the emulated accounting is the GPU's.
    for (const auto& net : nets_) b += net.buffer_bytes();
    return b;
  }

 private:
  /// f(i, stage) for every atom, each host thread with its own staging area (a warp's shared
  /// memory on the GPU); atoms are independent, so the result does not depend on the threads.
  template <class F>
  void for_atoms(int n, int cap, const SfPlanView& p, bool grad, F&& f) {
    const long bytes = team_stage_bytes(sizeof(T), cap, p.n_elements, p.max_slots, grad);
    const int threads = omp_get_max_threads();
    if (static_cast<int>(stages_.size()) < threads) stages_.resize(threads);
#pragma omp parallel num_threads(threads)
    {
      std::vector<double>& buf = stages_[omp_get_thread_num()];
      buf.assign((bytes + 7) / 8, 0.0);
      TeamStage<T> s = carve_stage<T>(buf.data(), cap, p.n_elements, p.max_slots, grad);
#pragma omp for schedule(dynamic, 16)
      for (int i = 0; i < n; ++i) f(i, s);
    }
  }

  exec::Space& space_;
  EmulatedTeam team_;
  std::vector<BatchedNetwork<T>> nets_;
  std::vector<std::vector<double>> stages_;
};

}  // namespace

std::unique_ptr<DeviceEvaluator> make_device_evaluator(const Potential& potential,
                                                       DeviceEvalOptions options,
                                                       exec::Space& space) {
  if (!(options.length_unit > 0) || !(options.energy_unit > 0))
    fail("potential units must be positive (length_unit {}, energy_unit {})", options.length_unit,
         options.energy_unit);
  if (space.kind() == exec::SpaceKind::Cuda)
    return make_cuda_device_evaluator(potential, options, space);
  if (options.precision == Precision::Mixed)
    return std::make_unique<device_detail::DeviceHdnnp<EmulatedExec<float>>>(potential, options,
                                                                             space);
  return std::make_unique<device_detail::DeviceHdnnp<EmulatedExec<double>>>(potential, options,
                                                                            space);
}

#ifndef VITRUM_HAVE_CUDA
std::unique_ptr<DeviceEvaluator> make_cuda_device_evaluator(const Potential&, DeviceEvalOptions,
                                                            exec::Space&) {
  fail(
      "the device HDNNP on a CUDA device needs the CUDA backend; this vitrum was built without "
      "CUDA");
}
#endif

}  // namespace vitrum::nnp
