// The CUDA backend of the NNP evaluation: the neighbor list on the device; symmetry functions
// and their gradients by a warp per centre atom (team_sf.hpp / team_sf_grad.hpp: neighbors
// staged in shared memory, lanes over neighbors and (j, k) pairs, butterfly reductions; the
// default) or, selectable with VITRUM_NNP_KERNELS=legacy, by a thread per centre atom (the same
// single-source math as the CPU backend); cuBLAS GEMMs for the per-element networks; a
// deterministic gather of per-neighbor force contributions through the transposed neighbor list
// and a fixed-order virial reduction on the device (no floating-point atomics). Atoms are
// processed in chunks so the per-neighbor buffers stay bounded: dG/dr is never stored.
#include <algorithm>
#include <cmath>
#include <cstdio>

#include "core/device_array.cuh"
#include "neighbor/neighbor_list.cuh"
#include "nnp/network_cuda.cuh"
#include "nnp/team_kernels.cuh"
#include "vitrum/core/error.hpp"
#include "vitrum/nnp/evaluator_backend.hpp"
#include "vitrum/nnp/math/activation.hpp"
#include "vitrum/nnp/math/scaling.hpp"
#include "vitrum/nnp/math/sf_atom.hpp"

namespace vitrum::nnp {

namespace {

using cuda::DeviceArray;

// Scaling of raw G and the extrapolation count (integer atomics: order-independent).
template <typename T>
__global__ void scaling_kernel(long n, int nsf, const T* scale, const T* shift, const double* gmin,
                               const double* gmax, T* g, unsigned long long* extrapolations) {
  const long q = blockIdx.x * static_cast<long>(blockDim.x) + threadIdx.x;
  if (q >= n * nsf) return;
  const int s = static_cast<int>(q % nsf);
  const double raw = static_cast<double>(g[q]);
  if (outside_scaling_range<T>(raw, gmin[s], gmax[s])) atomicAdd(extrapolations, 1ULL);
  g[q] = scale[s] * g[q] + shift[s];
}

// dE/dG(raw) = dE/dG_s * scale_s * factor.
template <typename T>
__global__ void dedg_kernel(long n, int nsf, const T* scale, T factor, T* d) {
  const long q = blockIdx.x * static_cast<long>(blockDim.x) + threadIdx.x;
  if (q < n * nsf) d[q] *= scale[q % nsf] * factor;
}

struct Layout {
  const int* elem;    ///< element per shell entry (locals and ghosts)
  const int* row;     ///< row of local atom i in its element's batch
  const long* g_off;  ///< [e] offset of element e's G block
  const double* z;    ///< atomic numbers per shell entry
  double inv_length;  ///< caller length -> potential length
};

template <typename T>
struct ChunkScratch {
  T *dx, *dy, *dz, *r, *z, *val, *der, *gx, *gy, *gz, *work;
  int* elem;
  int* entry;
  int* elem_begin;  ///< (n_elements + 1) per centre of the chunk
  long work_per_entry;
};

// Gathers atom i's neighbors within its element's cutoff into the chunk scratch at `sb`, sorted
// by element (the layout atom_symmetry_functions expects), as the CPU backend does.
template <typename T>
__device__ int gather(const SfPlanView& p, const Vec3* pos, const int* off, const int* nbr,
                      const Layout& L, int i, long sb, int* eb, const ChunkScratch<T>& s,
                      double& dmin) {
  const double inv_length = L.inv_length;
  const int e = L.elem[i];
  const int ne = p.n_elements;
  const double rmax = p.elem_rmax[e];
  const Vec3 ri = pos[i];
  for (int x = 0; x <= ne; ++x) eb[x] = 0;
  for (int q = off[i]; q < off[i + 1]; ++q) {
    const int j = nbr[q];
    const Vec3 d = inv_length * (pos[j] - ri);
    const double r = sqrt(dot(d, d));
    dmin = fmin(dmin, r);
    if (r < rmax) ++eb[L.elem[j] + 1];
  }
  for (int x = 0; x < ne; ++x) eb[x + 1] += eb[x];
  // Place: eb[x] is used as the fill pointer, then restored.
  for (int q = off[i]; q < off[i + 1]; ++q) {
    const int j = nbr[q];
    const Vec3 d = inv_length * (pos[j] - ri);
    const double r = sqrt(dot(d, d));
    if (r >= rmax) continue;
    const int m = eb[L.elem[j]]++;
    s.dx[sb + m] = static_cast<T>(d.x);
    s.dy[sb + m] = static_cast<T>(d.y);
    s.dz[sb + m] = static_cast<T>(d.z);
    s.r[sb + m] = static_cast<T>(r);
    s.elem[sb + m] = L.elem[j];
    s.z[sb + m] = static_cast<T>(L.z[j]);
    s.entry[sb + m] = q;
  }
  for (int x = ne; x > 0; --x) eb[x] = eb[x - 1];
  eb[0] = 0;
  return eb[ne];
}

template <typename T>
__device__ AtomNeighbors<T> view(const ChunkScratch<T>& s, long sb, int m, const int* eb) {
  return {m, s.dx + sb, s.dy + sb, s.dz + sb, s.r + sb, s.elem + sb, s.z + sb, eb};
}

template <typename T>
__global__ void symmetry_function_kernel(SfPlanView p, const Vec3* pos, const int* off,
                                         const int* nbr, Layout L, int c0, int c1, long base,
                                         ChunkScratch<T> s, T* G, double* dmin) {
  const int i = c0 + blockIdx.x * blockDim.x + threadIdx.x;
  if (i >= c1) return;
  const long sb = off[i] - base;
  int* eb = s.elem_begin + static_cast<long>(i - c0) * (p.n_elements + 1);
  T* work = s.work + sb * s.work_per_entry;
  double dm = INFINITY;
  const int m = gather<T>(p, pos, off, nbr, L, i, sb, eb, s, dm);
  dmin[i] = dm;
  const int e = L.elem[i];
  const auto nb = view(s, sb, m, eb);
  T* val = s.val + sb * p.max_slots;
  T* der = s.der + sb * p.max_slots;
  fill_slot_cache<T, false>(p, e, nb, val, der, m, work);
  atom_symmetry_functions<T>(p, e, nb, val, m, G + L.g_off[e] + (long)L.row[i] * p.elem_n_sf[e],
                             work);
}

template <typename T>
__global__ void gradient_kernel(SfPlanView p, const Vec3* pos, const int* off, const int* nbr,
                                Layout L, int c0, int c1, long base, ChunkScratch<T> s,
                                const T* dEdG, Vec3* grad, double* virial) {
  const int i = c0 + blockIdx.x * blockDim.x + threadIdx.x;
  if (i >= c1) return;
  const long sb = off[i] - base;
  int* eb = s.elem_begin + static_cast<long>(i - c0) * (p.n_elements + 1);
  T* work = s.work + sb * s.work_per_entry;
  double dm = INFINITY;
  const int m = gather<T>(p, pos, off, nbr, L, i, sb, eb, s, dm);
  const int e = L.elem[i];
  const auto nb = view(s, sb, m, eb);
  T* val = s.val + sb * p.max_slots;
  T* der = s.der + sb * p.max_slots;
  fill_slot_cache<T>(p, e, nb, val, der, m, work);
  atom_sf_gradient<T>(p, e, nb, val, der, m, dEdG + L.g_off[e] + (long)L.row[i] * p.elem_n_sf[e],
                      s.gx + sb, s.gy + sb, s.gz + sb, work);
  for (int q = off[i]; q < off[i + 1]; ++q) grad[q - base] = Vec3{0, 0, 0};
  double w[9] = {0, 0, 0, 0, 0, 0, 0, 0, 0};
  const Vec3 ri = pos[i];
  for (int k = 0; k < m; ++k) {
    const Vec3 g{static_cast<double>(s.gx[sb + k]), static_cast<double>(s.gy[sb + k]),
                 static_cast<double>(s.gz[sb + k])};
    const int q = s.entry[sb + k];
    grad[q - base] = g;
    const Vec3 d = pos[nbr[q]] - ri;
    for (int a = 0; a < 3; ++a)
      for (int b = 0; b < 3; ++b) w[3 * a + b] -= d[a] * g[b];
  }
  for (int k = 0; k < 9; ++k) virial[9L * (i - c0) + k] = w[k];
}

// F_j -= sum of contributions to j from this chunk's centres (in centre order), and the centres
// of the chunk add their own sum: one thread per shell entry, no atomics.
// Forces handed to a device consumer, in the caller's units.
__global__ void scale_copy_kernel(int n, double scale, const Vec3* in, Vec3* out) {
  const int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i < n) out[i] = scale * in[i];
}

__global__ void gather_kernel(int n_total, const int* toff, const int* tentries, const int* off,
                              int c0, int c1, long base, long end, const Vec3* grad, Vec3* f) {
  const int j = blockIdx.x * blockDim.x + threadIdx.x;
  if (j >= n_total) return;
  f[j] = gather_target_force(j, toff, tentries, off, c0, c1, base, end, grad, f[j]);
}

template <typename T>
class CudaBackend final : public EvaluatorBackend {
 public:
  CudaBackend(const Potential& pot, double inv_length)
      : pot_(pot), inv_length_(inv_length), kernels_(nnp_kernels_from_env()) {
    VITRUM_CUBLAS_CHECK(cuda::blas::create(&blas_));
    const SfPlan& p = pot.plan();
    ang_rmax_.upload(angular_rmax(p.view()));
    int dev = 0, optin = 0;
    VITRUM_CUDA_CHECK(cudaGetDevice(&dev));
    VITRUM_CUDA_CHECK(cudaDeviceGetAttribute(&optin, cudaDevAttrMaxSharedMemoryPerBlockOptin, dev));
    smem_optin_ = optin;
    fns_.upload(p.fns);
    elem_n_sf_.upload(p.elem_n_sf);
    elem_rmax_.upload(p.elem_rmax);
    slot_begin_.upload(p.slot_begin);
    slot_fn_.upload(p.slot_fn);
    radial_begin_.upload(p.radial_begin);
    radial_.upload(p.radial);
    groups_.upload(p.groups);
    angular_.upload(p.angular);
    jk_fns_.upload(p.jk_fns);
    plan_ = p.view();
    plan_.fns = fns_.data();
    plan_.elem_n_sf = elem_n_sf_.data();
    plan_.elem_rmax = elem_rmax_.data();
    plan_.slot_begin = slot_begin_.data();
    plan_.slot_fn = slot_fn_.data();
    plan_.radial_begin = radial_begin_.data();
    plan_.radial = radial_.data();
    plan_.groups = groups_.data();
    plan_.angular = angular_.data();
    plan_.jk_fns = jk_fns_.data();
    plan_.max_slots = std::max(1, p.max_slots);
    for (const auto& el : pot.elements()) {
      Net net;
      net.sizes.push_back(el.layers.front().n_in);
      for (const auto& l : el.layers) {
        net.sizes.push_back(l.n_out);
        net.act.push_back(l.activation);
        std::vector<T> w(l.weights.begin(), l.weights.end()), b(l.bias.begin(), l.bias.end());
        net.w.emplace_back();
        net.w.back().upload(w);
        net.b.emplace_back();
        net.b.back().upload(b);
      }
      std::vector<T> sc, sh;
      std::vector<double> lo, hi;
      for (const auto& sf : el.sfs) {
        sc.push_back(static_cast<T>(sf.scale));
        sh.push_back(static_cast<T>(sf.shift));
        lo.push_back(sf.gmin);
        hi.push_back(sf.gmax);
      }
      net.scale.upload(sc);
      net.shift.upload(sh);
      net.gmin.upload(lo);
      net.gmax.upload(hi);
      nets_.push_back(std::move(net));
    }
    extrapolations_.resize(1);
  }
  ~CudaBackend() override { cuda::blas::destroy(blas_); }

  void compute(const neighbor::GhostShell& shell, const neighbor::NeighborList&, bool forces,
               EvalResult& res) override {
    run(shell, nullptr, forces, res);
    if (!forces) return;
    const int n = shell.n_local, nt = shell.size();
    std::vector<Vec3> fext(nt);
    fext_.download(fext.data(), nt);
    for (int i = 0; i < n; ++i) res.forces[i] = fext[i];
    if (shell.fold_ghosts) {
      for (int g = n; g < nt; ++g) res.forces[shell.owner[g]] += fext[g];
    } else {
      res.ghost_forces.assign(fext.begin() + n, fext.end());
    }
  }

  void compute_device(const neighbor::GhostShell& shell, const Vec3* positions, bool forces,
                      double force_scale, Vec3* d_forces, EvalResult& res) override {
    run(shell, positions, forces, res);
    res.forces.clear();
    res.ghost_forces.clear();
    const int nt = shell.size();
    if (nt == 0) return;
    if (!forces) {
      VITRUM_CUDA_CHECK(cudaMemset(d_forces, 0, nt * sizeof(Vec3)));
      return;
    }
    scale_copy_kernel<<<blocks(nt), kThreads>>>(nt, force_scale, fext_.data(), d_forces);
    VITRUM_CUDA_CHECK(cudaGetLastError());
  }

 private:
  /// Energy, virial and min_distance into `res`, forces on locals and ghosts left in fext_
  /// (potential units). Positions of locals and ghosts from `positions` (device) when given,
  /// uploaded from the shell otherwise.
  void run(const neighbor::GhostShell& shell, const Vec3* positions, bool forces, EvalResult& res) {
    const int n = shell.n_local, nt = shell.size(), ne = pot_.n_elements();
    const std::vector<int> elem = element_indices(pot_, shell);
    // Layout: rows per element and G block offsets.
    std::vector<int> row(n), count(ne, 0);
    for (int i = 0; i < n; ++i) row[i] = count[elem[i]]++;
    std::vector<long> g_off(ne + 1, 0);
    for (int e = 0; e < ne; ++e)
      g_off[e + 1] = g_off[e] + (long)count[e] * pot_.plan().elem_n_sf[e];
    std::vector<double> z(shell.species.begin(), shell.species.end());
    if (positions == nullptr) {
      pos_.upload(shell.positions);
      positions = pos_.data();
    }
    elem_.upload(elem);
    row_.upload(row);
    goff_.upload(g_off);
    z_.upload(z);
    Layout L{elem_.data(), row_.data(), goff_.data(), z_.data(), inv_length_};
    // Neighbor list on the device. The bins span the host positions' bounding box; positions
    // read from the device may lie slightly outside it (the host shell is that of the last
    // rebuild), which the binning clamps: correct, only the edge bins hold more atoms.
    Vec3 lo = shell.positions.empty() ? Vec3{0, 0, 0} : shell.positions[0], hi = lo;
    for (const auto& p : shell.positions)
      for (int d = 0; d < 3; ++d) {
        lo[d] = std::min(lo[d], p[d]);
        hi[d] = std::max(hi[d], p[d]);
      }
    nl_.build(positions, n, nt, lo, hi, pot_.cutoff() / inv_length_);
    std::vector<int> off(n + 1);
    VITRUM_CUDA_CHECK(
        cudaMemcpy(off.data(), nl_.offsets(), (n + 1) * sizeof(int), cudaMemcpyDeviceToHost));
    const TeamInputs in{positions, nl_.offsets(), nl_.neighbors(), elem_.data(),
                        z_.data(), inv_length_,   ang_rmax_.data()};
    g_.resize(std::max(1L, g_off[ne]));
    dedg_.resize(std::max(1L, g_off[ne]));
    dmin_.resize(std::max(1, n));
    extrapolations_.zero();

    // ---- symmetry functions, chunked by neighbor entries
    for_chunks(off, [&](int c0, int c1, long base, long entries) {
      TeamLaunch t{};
      if (use_team(off, c0, c1, false, t)) {
        team_sf_kernel<T><<<team_blocks(c1 - c0, t), 32 * t.warps, t.warps * t.stage_bytes>>>(
            plan_, in, TeamRows{L.elem, L.row, L.g_off}, c0, c1, t, g_.data(), dmin_.data());
        VITRUM_CUDA_CHECK(cudaGetLastError());
        return;
      }
      reserve_scratch(entries, c1 - c0);
      symmetry_function_kernel<T>
          <<<blocks(c1 - c0), kThreads>>>(plan_, positions, nl_.offsets(), nl_.neighbors(), L, c0,
                                          c1, base, scratch(), g_.data(), dmin_.data());
      VITRUM_CUDA_CHECK(cudaGetLastError());
    });
    std::vector<double> dmin(n);
    dmin_.download(dmin.data(), n);
    res.min_distance = INFINITY;
    for (double d : dmin) res.min_distance = std::min(res.min_distance, d);

    // ---- scaling and networks
    e_.resize(std::max(1, n));
    long e_base = 0;
    std::vector<long> e_off(ne + 1, 0);
    for (int e = 0; e < ne; ++e) {
      const int nsf = pot_.plan().elem_n_sf[e];
      e_off[e] = e_base;
      e_base += count[e];
      if (count[e] == 0) continue;
      T* g = g_.data() + g_off[e];
      auto& net = nets_[e];
      scaling_kernel<T><<<blocks((long)count[e] * nsf), kThreads>>>(
          count[e], nsf, net.scale.data(), net.shift.data(), net.gmin.data(), net.gmax.data(), g,
          extrapolations_.data());
      VITRUM_CUDA_CHECK(cudaGetLastError());
      run_network(blas_, pot_.normalize_nodes(), net, count[e], g, e_.data() + e_base - count[e],
                  forces ? dedg_.data() + g_off[e] : nullptr);
    }
    unsigned long long ex = 0;
    extrapolations_.download(&ex, 1);
    res.extrapolations = static_cast<long>(ex);
    std::vector<T> e_rows(n);
    e_.download(e_rows.data(), n);
    const double inv_ce = pot_.normalized() ? 1.0 / pot_.conv_energy() : 1.0;
    const double mean = pot_.normalized() ? pot_.mean_energy() : 0.0;
    res.atom_energy.resize(n);
    double etot = 0;
    for (int i = 0; i < n; ++i) {
      res.atom_energy[i] = static_cast<double>(e_rows[e_off[elem[i]] + row[i]]) * inv_ce;
      etot += res.atom_energy[i] + mean + pot_.element(elem[i]).atom_energy;
    }
    res.energy = etot;
    res.forces.assign(n, Vec3{0, 0, 0});
    res.ghost_forces.clear();
    for (auto& r : res.virial)
      for (double& v : r) v = 0;
    if (!forces) return;

    // ---- forces
    for (int e = 0; e < ne; ++e) {
      if (count[e] == 0) continue;
      const int nsf = pot_.plan().elem_n_sf[e];
      dedg_kernel<T><<<blocks((long)count[e] * nsf), kThreads>>>(
          count[e], nsf, nets_[e].scale.data(), static_cast<T>(inv_ce), dedg_.data() + g_off[e]);
      VITRUM_CUDA_CHECK(cudaGetLastError());
    }
    fext_.resize(nt);
    fext_.zero();
    virial_.resize(9L * std::max(1, n));
    for_chunks(off, [&](int c0, int c1, long base, long entries) {
      grad_.resize(std::max(1L, entries));
      TeamLaunch t{};
      if (use_team(off, c0, c1, true, t)) {
        team_gradient_kernel<T><<<team_blocks(c1 - c0, t), 32 * t.warps, t.warps * t.stage_bytes>>>(
            plan_, in, TeamRows{L.elem, L.row, L.g_off}, c0, c1, base, t, dedg_.data(),
            grad_.data(), virial_.data());
      } else {
        reserve_scratch(entries, c1 - c0);
        gradient_kernel<T><<<blocks(c1 - c0), kThreads>>>(
            plan_, positions, nl_.offsets(), nl_.neighbors(), L, c0, c1, base, scratch(),
            dedg_.data(), grad_.data(), virial_.data() + 9L * c0);
      }
      VITRUM_CUDA_CHECK(cudaGetLastError());
      gather_kernel<<<blocks(nt), kThreads>>>(nt, nl_.transposed_offsets(),
                                              nl_.transposed_entries(), nl_.offsets(), c0, c1, base,
                                              base + entries, grad_.data(), fext_.data());
      VITRUM_CUDA_CHECK(cudaGetLastError());
    });
    // The virial: per-atom rows reduced on the device in a fixed order, 9 numbers downloaded.
    vpart_.resize(9L * kReduceBlocks);
    vtot_.resize(9);
    virial_reduce_kernel<<<kReduceBlocks, kReduceThreads>>>(n, virial_.data(), vpart_.data());
    virial_reduce_kernel<<<1, kReduceThreads>>>(kReduceBlocks, vpart_.data(), vtot_.data());
    VITRUM_CUDA_CHECK(cudaGetLastError());
    double w[9];
    vtot_.download(w, 9);
    for (int k = 0; k < 9; ++k) res.virial[k / 3][k % 3] = w[k];
  }

  /// Whether the chunk [c0, c1) runs the team kernels, and their launch shape: the staging area
  /// of the chunk's longest neighbor list must fit the shared memory of a block. Otherwise the
  /// legacy kernels run for the chunk (noted once on stderr).
  bool use_team(const std::vector<int>& off, int c0, int c1, bool grad, TeamLaunch& t) {
    if (kernels_ != NnpKernels::Team) return false;
    int cap = 1;
    for (int i = c0; i < c1; ++i) cap = std::max(cap, off[i + 1] - off[i]);
    t.cap = cap;
    t.stage_bytes = team_stage_bytes(sizeof(T), cap, pot_.n_elements(), plan_.max_slots, grad);
    if (t.stage_bytes > smem_optin_) {
      if (!fallback_noted_)
        std::fprintf(stderr,
                     "vitrum: the NNP team kernels need %ld bytes of shared memory per warp for "
                     "%d neighbors (%ld available); these atoms use the legacy kernels\n",
                     t.stage_bytes, cap, smem_optin_);
      fallback_noted_ = true;
      ++legacy_chunks_;
      return false;
    }
    t.warps = static_cast<int>(std::clamp(48L * 1024 / t.stage_bytes, 1L, 4L));
    const long bytes = t.warps * t.stage_bytes;
    if (bytes > 48L * 1024) {
      if (grad)
        VITRUM_CUDA_CHECK(cudaFuncSetAttribute(
            team_gradient_kernel<T>, cudaFuncAttributeMaxDynamicSharedMemorySize, (int)bytes));
      else
        VITRUM_CUDA_CHECK(cudaFuncSetAttribute(
            team_sf_kernel<T>, cudaFuncAttributeMaxDynamicSharedMemorySize, (int)bytes));
    }
    return true;
  }
  static int team_blocks(int atoms, const TeamLaunch& t) {
    return std::max(1, (atoms + t.warps - 1) / t.warps);
  }

 public:
  size_t memory_bytes() const override {
    size_t b = nl_.device_bytes();
    for (const auto* a :
         {&g_, &dedg_, &e_, &dx_, &dy_, &dz_, &r_, &zz_, &val_, &der_, &gx_, &gy_, &gz_, &work_})
      b += a->bytes();
    for (const auto* a : {&pos_, &grad_, &fext_}) b += a->bytes();
    for (const auto* a : {&elem_, &row_, &nelem_, &entry_, &elem_begin_}) b += a->bytes();
    for (const auto* a : {&z_, &dmin_, &virial_, &vpart_, &vtot_, &ang_rmax_}) b += a->bytes();
    b += goff_.bytes();
    for (const auto& net : nets_) {
      for (const auto& a : net.y) b += a.bytes();
      for (const auto& a : net.d) b += a.bytes();
      b += net.delta.bytes() + net.back.bytes();
    }
    return b;
  }

 private:
  using Net = CudaNetwork<T>;

  // Chunks of centres whose neighbor entries fit the scratch budget.
  template <typename F>
  void for_chunks(const std::vector<int>& off, F&& f) {
    const long budget = 1L << 21;  // neighbor entries per chunk (bounds the scratch)
    const int n = static_cast<int>(off.size()) - 1;
    int c0 = 0;
    while (c0 < n) {
      int c1 = c0 + 1;
      while (c1 < n && off[c1 + 1] - off[c0] <= budget) ++c1;
      f(c0, c1, static_cast<long>(off[c0]), static_cast<long>(off[c1] - off[c0]));
      c0 = c1;
    }
  }

  // Workspace per neighbor entry: sf_workspace_size is linear in the neighbor count.
  long work_per_entry() const { return sf_workspace_size(plan_, 1); }
  void reserve_scratch(long entries, int centres) {
    const long e = std::max(1L, entries);
    for (auto* a : {&dx_, &dy_, &dz_, &r_, &zz_, &gx_, &gy_, &gz_}) a->resize(e);
    nelem_.resize(e);
    entry_.resize(e);
    val_.resize(e * plan_.max_slots);
    der_.resize(e * plan_.max_slots);
    work_.resize(e * work_per_entry());
    elem_begin_.resize(static_cast<size_t>(std::max(1, centres)) * (pot_.n_elements() + 1));
  }
  ChunkScratch<T> scratch() {
    return {dx_.data(),   dy_.data(),    dz_.data(),    r_.data(),          zz_.data(),
            val_.data(),  der_.data(),   gx_.data(),    gy_.data(),         gz_.data(),
            work_.data(), nelem_.data(), entry_.data(), elem_begin_.data(), work_per_entry()};
  }

  const Potential& pot_;
  double inv_length_;
  NnpKernels kernels_;
  long smem_optin_ = 0;
  bool fallback_noted_ = false;
  long legacy_chunks_ = 0;
  cublasHandle_t blas_ = nullptr;
  SfPlanView plan_;
  DeviceArray<DistanceFn> fns_;
  DeviceArray<int> elem_n_sf_, slot_begin_, slot_fn_, radial_begin_, jk_fns_;
  DeviceArray<double> elem_rmax_;
  DeviceArray<RadialTerm> radial_;
  DeviceArray<PairGroup> groups_;
  DeviceArray<AngularTerm> angular_;
  std::vector<Net> nets_;
  neighbor::cuda::NeighborBuilder nl_;
  DeviceArray<Vec3> pos_, grad_, fext_;
  DeviceArray<int> elem_, row_, nelem_, entry_, elem_begin_;
  DeviceArray<long> goff_;
  DeviceArray<double> z_, dmin_, virial_, vpart_, vtot_, ang_rmax_;
  DeviceArray<T> g_, dedg_, e_, dx_, dy_, dz_, r_, zz_, val_, der_, gx_, gy_, gz_, work_;
  DeviceArray<unsigned long long> extrapolations_;
};

}  // namespace

std::unique_ptr<EvaluatorBackend> make_cuda_backend(const Potential& pot, Precision precision,
                                                    double inv_length) {
  if (precision == Precision::Mixed) return std::make_unique<CudaBackend<float>>(pot, inv_length);
  return std::make_unique<CudaBackend<double>>(pot, inv_length);
}

}  // namespace vitrum::nnp
