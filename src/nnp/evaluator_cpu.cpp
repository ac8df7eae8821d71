// The CPU backend of the NNP evaluation: OpenMP over atoms for symmetry functions and their
// gradients (the shared single-source math), BLAS GEMMs for the networks, and a fixed-order
// accumulation of per-neighbor force contributions (deterministic for any thread count).
#include <omp.h>

#include <algorithm>
#include <cmath>

#include "vitrum/core/error.hpp"
#include "vitrum/nnp/evaluator_backend.hpp"
#include "vitrum/nnp/math/scaling.hpp"
#include "vitrum/nnp/math/sf_atom.hpp"
#include "vitrum/nnp/math/simd_math.hpp"  // first: vector math declarations
#include "vitrum/nnp/neighbor_gather.hpp"
#include "vitrum/nnp/network.hpp"

namespace vitrum::nnp {

namespace {

template <typename T>
class CpuBackend final : public EvaluatorBackend {
 public:
  CpuBackend(const Potential& pot, double inv_length, bool fused_runs)
      : pot_(pot), plan_(pot.plan().view()), inv_length_(inv_length) {
    plan_.fused = fused_runs ? 1 : 0;
    for (const auto& el : pot.elements()) {
      nets_.emplace_back(el, pot.normalize_nodes());
      std::vector<T> sc, sh;
      for (const auto& sf : el.sfs) {
        sc.push_back(static_cast<T>(sf.scale));
        sh.push_back(static_cast<T>(sf.shift));
      }
      scale_.push_back(sc);
      shift_.push_back(sh);
    }
    scratch_.resize(std::max(1, omp_get_max_threads()));
  }

  void compute(const neighbor::GhostShell& shell, const neighbor::NeighborList& list, bool forces,
               EvalResult& res) override {
    run(shell, list, forces, false, res);
  }
  void compute_atom_virial(const neighbor::GhostShell& shell, const neighbor::NeighborList& list,
                           EvalResult& res) override {
    run(shell, list, true, true, res);
  }
  bool has_atom_virial() const override { return true; }

 private:
  void run(const neighbor::GhostShell& shell, const neighbor::NeighborList& list, bool forces,
           bool atom_virial, EvalResult& res) {
    const int n = shell.n_local;
    const int ne = pot_.n_elements();
    const std::vector<int> elem = element_indices(pot_, shell);
    // Local atoms grouped by element: row of atom i in its element's batch.
    rows_.assign(n, 0);
    members_.assign(ne, {});
    for (int i = 0; i < n; ++i) {
      rows_[i] = static_cast<int>(members_[elem[i]].size());
      members_[elem[i]].push_back(i);
    }
    g_.resize(ne);
    dedg_.resize(ne);
    energy_.resize(ne);
    for (int e = 0; e < ne; ++e) {
      g_[e].resize(members_[e].size() * plan_.elem_n_sf[e]);
      dedg_[e].resize(members_[e].size() * plan_.elem_n_sf[e]);
      energy_[e].resize(members_[e].size());
    }
    if (static_cast<int>(scratch_.size()) < omp_get_max_threads())
      scratch_.resize(omp_get_max_threads());

    // ---- symmetry functions
    res.stage_seconds = {};
    const double t0 = omp_get_wtime();
    double dmin = INFINITY;
#pragma omp parallel reduction(min : dmin)
    {
      NeighborScratch<T>& s = scratch_[omp_get_thread_num()];
#pragma omp for schedule(dynamic, 8)
      for (int i = 0; i < n; ++i) {
        const int e = elem[i];
        const int m = gather_neighbors(plan_, shell, list, elem, inv_length_, i, s, dmin);
        fill_slot_cache<T, false>(plan_, e, s.view(m), s.val.data(), s.der.data(), m,
                                  s.work.data());
        atom_symmetry_functions<T>(plan_, e, s.view(m), s.val.data(), m,
                                   g_[e].data() + (size_t)rows_[i] * plan_.elem_n_sf[e],
                                   s.work.data());
      }
    }
    res.min_distance = dmin;
    const double t1 = omp_get_wtime();
    res.stage_seconds.symmetry = t1 - t0;

    // ---- scaling, extrapolation count, networks
    long extrapolations = 0;
    for (int e = 0; e < ne; ++e) {
      const int nsf = plan_.elem_n_sf[e];
      const auto& sfs = pot_.element(e).sfs;
      const long nrows = static_cast<long>(members_[e].size());
      T* g = g_[e].data();
#pragma omp parallel for reduction(+ : extrapolations) schedule(static)
      for (long q = 0; q < nrows * nsf; ++q) {
        const int s = static_cast<int>(q % nsf);
        const double raw = static_cast<double>(g[q]);
        if (outside_scaling_range<T>(raw, sfs[s].gmin, sfs[s].gmax)) ++extrapolations;
        g[q] = scale_[e][s] * g[q] + shift_[e][s];
      }
      if (nrows > 0)
        nets_[e].run(static_cast<int>(nrows), g, energy_[e].data(),
                     forces ? dedg_[e].data() : nullptr);
    }
    res.extrapolations = extrapolations;
    res.stage_seconds.network = omp_get_wtime() - t1;

    // ---- energy: E = sum_i [E_i^NN / c_E + mean + offset] in atom order
    const double inv_ce = pot_.normalized() ? 1.0 / pot_.conv_energy() : 1.0;
    const double mean = pot_.normalized() ? pot_.mean_energy() : 0.0;
    res.atom_energy.resize(n);
    double etot = 0.0;
    for (int i = 0; i < n; ++i) {
      const double ei = static_cast<double>(energy_[elem[i]][rows_[i]]) * inv_ce;
      res.atom_energy[i] = ei;
      etot += ei + mean + pot_.element(elem[i]).atom_energy;
    }
    res.energy = etot;
    res.forces.assign(n, Vec3{0, 0, 0});
    res.ghost_forces.clear();
    res.atom_virial.clear();
    for (auto& row : res.virial)
      for (double& v : row) v = 0.0;
    if (!forces) return;
    const double t2 = omp_get_wtime();

    // dE/dG(raw) = dE/dG_s * scale / c_E
    for (int e = 0; e < ne; ++e) {
      const int nsf = plan_.elem_n_sf[e];
      const long total = static_cast<long>(members_[e].size()) * nsf;
      T* d = dedg_[e].data();
#pragma omp parallel for schedule(static)
      for (long q = 0; q < total; ++q) d[q] *= scale_[e][q % nsf] * static_cast<T>(inv_ce);
    }

    // ---- forces, chunked over centres so the per-entry buffer stays bounded
    fext_.assign(shell.size(), Vec3{0, 0, 0});
    if (atom_virial) atom_w_.assign(6 * static_cast<size_t>(shell.size()), 0.0);
    accumulate_atom_virial_ = atom_virial;
    double w[3][3] = {};
    const long kChunkEntries = 1L << 22;
    int c0 = 0;
    while (c0 < n) {
      int c1 = c0;
      while (c1 < n && (c1 == c0 || list.offsets[c1 + 1] - list.offsets[c0] <= kChunkEntries)) ++c1;
      const long base = list.offsets[c0];
      const long entries = list.offsets[c1] - base;
      grad_.assign(static_cast<size_t>(entries), Vec3{0, 0, 0});
#pragma omp parallel
      {
        NeighborScratch<T>& s = scratch_[omp_get_thread_num()];
        double unused = INFINITY;
#pragma omp for schedule(dynamic, 8)
        for (int i = c0; i < c1; ++i) {
          const int e = elem[i];
          const int m = gather_neighbors(plan_, shell, list, elem, inv_length_, i, s, unused);
          fill_slot_cache<T>(plan_, e, s.view(m), s.val.data(), s.der.data(), m, s.work.data());
          atom_sf_gradient<T>(plan_, e, s.view(m), s.val.data(), s.der.data(), m,
                              dedg_[e].data() + (size_t)rows_[i] * plan_.elem_n_sf[e], s.gx.data(),
                              s.gy.data(), s.gz.data(), s.work.data());
          for (int q = 0; q < m; ++q)
            grad_[s.entry[q] - base] =
                Vec3{static_cast<double>(s.gx[q]), static_cast<double>(s.gy[q]),
                     static_cast<double>(s.gz[q])};
        }
      }
      accumulate(shell, list, c0, c1, base, w);
      c0 = c1;
    }
    for (int i = 0; i < n; ++i) res.forces[i] = fext_[i];
    if (shell.fold_ghosts) {
      for (int g = n; g < shell.size(); ++g) res.forces[shell.owner[g]] += fext_[g];
    } else {
      res.ghost_forces.assign(fext_.begin() + n, fext_.end());
    }
    if (atom_virial) finish_atom_virial(shell, res);
    for (int a = 0; a < 3; ++a)
      for (int b = 0; b < 3; ++b) res.virial[a][b] = w[a][b];
    res.stage_seconds.forces = omp_get_wtime() - t2;
  }

  /// Fixed-order accumulation of the centres [c0, c1) (their gradients in grad_ from entry
  /// `base`): F_j -= dE_i/dr_j, F_i += dE_i/dr_j, W -= d_ij (x) g, and with per-atom virials half
  /// of each pair's term to i and half to j.
  void accumulate(const neighbor::GhostShell& shell, const neighbor::NeighborList& list, int c0,
                  int c1, long base, double (&w)[3][3]) {
    for (int i = c0; i < c1; ++i) {
      Vec3 fi{0, 0, 0};
      const Vec3 ri = shell.positions[i];
      for (int q = list.offsets[i]; q < list.offsets[i + 1]; ++q) {
        const Vec3 g = grad_[q - base];
        if (g.x == 0.0 && g.y == 0.0 && g.z == 0.0) continue;
        const int j = list.neighbors[q];
        fext_[j] -= g;
        fi += g;
        const Vec3 d = shell.positions[j] - ri;
        for (int a = 0; a < 3; ++a)
          for (int b = 0; b < 3; ++b) w[a][b] -= d[a] * g[b];
        if (accumulate_atom_virial_) {
          const double h[6] = {-0.5 * d.x * g.x, -0.5 * d.y * g.y, -0.5 * d.z * g.z,
                               -0.5 * d.x * g.y, -0.5 * d.x * g.z, -0.5 * d.y * g.z};
          double* wi = atom_w_.data() + 6 * static_cast<size_t>(i);
          double* wj = atom_w_.data() + 6 * static_cast<size_t>(j);
          for (int c = 0; c < 6; ++c) {
            wi[c] += h[c];
            wj[c] += h[c];
          }
        }
      }
      fext_[i] += fi;
    }
  }

  /// res.atom_virial from the accumulated halves: per shell entry, or ghosts folded onto owners.
  void finish_atom_virial(const neighbor::GhostShell& shell, EvalResult& res) const {
    const int n = shell.n_local;
    if (!shell.fold_ghosts) {
      res.atom_virial = atom_w_;
      return;
    }
    res.atom_virial.assign(atom_w_.begin(), atom_w_.begin() + 6 * static_cast<size_t>(n));
    for (int g = n; g < shell.size(); ++g)
      for (int c = 0; c < 6; ++c)
        res.atom_virial[6 * static_cast<size_t>(shell.owner[g]) + c] +=
            atom_w_[6 * static_cast<size_t>(g) + c];
  }

 public:
  size_t memory_bytes() const override {
    size_t b = 0;
    auto add = [&](const auto& v) { b += v.capacity() * sizeof(v[0]); };
    for (const auto& s : scratch_) {
      for (const auto* v :
           {&s.dx, &s.dy, &s.dz, &s.r, &s.z, &s.val, &s.der, &s.gx, &s.gy, &s.gz, &s.work})
        add(*v);
      add(s.elem);
      add(s.entry);
    }
    for (const auto& v : g_) add(v);
    for (const auto& v : dedg_) add(v);
    for (const auto& v : energy_) add(v);
    add(rows_);
    add(fext_);
    add(grad_);
    add(atom_w_);
    return b;
  }

 private:
  const Potential& pot_;
  SfPlanView plan_;
  double inv_length_;
  std::vector<BatchedNetwork<T>> nets_;
  std::vector<std::vector<T>> scale_, shift_;
  std::vector<NeighborScratch<T>> scratch_;
  std::vector<int> rows_;
  std::vector<std::vector<int>> members_;
  std::vector<std::vector<T>> g_, dedg_, energy_;
  std::vector<Vec3> fext_, grad_;
  std::vector<double> atom_w_;  ///< per-atom virial halves, 6 per shell entry
  bool accumulate_atom_virial_ = false;
};

}  // namespace

std::unique_ptr<EvaluatorBackend> make_cpu_backend(const Potential& pot, Precision precision,
                                                   double inv_length, bool fused_runs) {
  if (precision == Precision::Mixed)
    return std::make_unique<CpuBackend<float>>(pot, inv_length, fused_runs);
  return std::make_unique<CpuBackend<double>>(pot, inv_length, fused_runs);
}

#ifndef VITRUM_HAVE_CUDA
std::unique_ptr<EvaluatorBackend> make_cuda_backend(const Potential&, Precision, double) {
  fail("the CUDA backend is not compiled into this build");
}
#endif

}  // namespace vitrum::nnp

namespace vitrum::nnp {

std::vector<std::vector<double>> raw_symmetry_functions(const Potential& pot, const Structure& s) {
  const double rc = pot.cutoff();
  neighbor::GhostShell shell = neighbor::build_ghost_shell(s.box, s.positions, s.species, rc);
  neighbor::NeighborList list = neighbor::build_neighbor_list(shell, rc, 0.0);
  const std::vector<int> elem = element_indices(pot, shell);
  const SfPlanView plan = pot.plan().view();
  std::vector<std::vector<double>> out(shell.n_local);
#pragma omp parallel
  {
    NeighborScratch<double> sc;
    double unused = INFINITY;
#pragma omp for schedule(dynamic, 8)
    for (int i = 0; i < shell.n_local; ++i) {
      const int e = elem[i];
      const int m = gather_neighbors(plan, shell, list, elem, 1.0, i, sc, unused);
      out[i].resize(plan.elem_n_sf[e]);
      fill_slot_cache<double, false>(plan, e, sc.view(m), sc.val.data(), sc.der.data(), m,
                                     sc.work.data());
      atom_symmetry_functions<double>(plan, e, sc.view(m), sc.val.data(), m, out[i].data(),
                                      sc.work.data());
    }
  }
  return out;
}

}  // namespace vitrum::nnp
