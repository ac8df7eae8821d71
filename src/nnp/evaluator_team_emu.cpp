// The team emulator backend: the CUDA backend's cooperative kernels (team_sf.hpp,
// team_sf_grad.hpp), run on the CPU with an emulated team of 1..32 lanes that executes the very
// same lane mapping and butterfly reduction order. The networks are the CPU ones. It exists so
// that the GPU kernels' logic is checked against n2p2 without a GPU; it is not a fast path.
#include <algorithm>
#include <cmath>

#include "vitrum/core/error.hpp"
#include "vitrum/nnp/evaluator_backend.hpp"
#include "vitrum/nnp/math/scaling.hpp"
#include "vitrum/nnp/math/team_sf_grad.hpp"
#include "vitrum/nnp/network.hpp"

namespace vitrum::nnp {

namespace {

/// The transposed neighbor list (entries sorted by target, ascending within a target), as the
/// device neighbor builder provides it.
void transpose(const neighbor::NeighborList& list, int n_total, std::vector<int>& toff,
               std::vector<int>& tent) {
  toff.assign(n_total + 1, 0);
  for (int j : list.neighbors) ++toff[j + 1];
  for (int j = 0; j < n_total; ++j) toff[j + 1] += toff[j];
  std::vector<int> fill(toff.begin(), toff.end() - 1);
  tent.resize(list.neighbors.size());
  for (int q = 0; q < static_cast<int>(list.neighbors.size()); ++q)
    tent[fill[list.neighbors[q]]++] = q;
}

template <typename T>
class TeamEmulatorBackend final : public EvaluatorBackend {
 public:
  TeamEmulatorBackend(const Potential& pot, double inv_length, int team_size)
      : pot_(pot), plan_(pot.plan().view()), inv_length_(inv_length), team_{team_size} {
    if (team_size < 1 || team_size > kMaxTeam || (team_size & (team_size - 1)) != 0)
      fail("team size {} is not a power of two between 1 and {}", team_size, kMaxTeam);
    ang_rmax_ = angular_rmax(plan_);
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
  }

  void compute(const neighbor::GhostShell& shell, const neighbor::NeighborList& list, bool forces,
               EvalResult& res) override {
    const int n = shell.n_local, ne = pot_.n_elements();
    const std::vector<int> elem = element_indices(pot_, shell);
    const std::vector<double> z(shell.species.begin(), shell.species.end());
    const TeamInputs in{shell.positions.data(),
                        list.offsets.data(),
                        list.neighbors.data(),
                        elem.data(),
                        z.data(),
                        inv_length_,
                        ang_rmax_.data()};
    std::vector<int> row(n), count(ne, 0);
    for (int i = 0; i < n; ++i) row[i] = count[elem[i]]++;
    std::vector<std::vector<T>> g(ne), dedg(ne), energy(ne);
    for (int e = 0; e < ne; ++e) {
      g[e].resize((size_t)count[e] * plan_.elem_n_sf[e]);
      dedg[e].resize(g[e].size());
      energy[e].resize(count[e]);
    }
    res.min_distance = INFINITY;
    for (int i = 0; i < n; ++i) {
      const int e = elem[i];
      TeamStage<T> s = stage(list.offsets[i + 1] - list.offsets[i], false);
      double dmin = INFINITY;
      team_atom_sf<T>(team_, plan_, in, i, s, g[e].data() + (size_t)row[i] * plan_.elem_n_sf[e],
                      &dmin);
      res.min_distance = std::min(res.min_distance, dmin);
    }
    long extrapolations = 0;
    for (int e = 0; e < ne; ++e) {
      const int nsf = plan_.elem_n_sf[e];
      const auto& sfs = pot_.element(e).sfs;
      for (size_t q = 0; q < g[e].size(); ++q) {
        const int s = static_cast<int>(q % nsf);
        if (outside_scaling_range<T>(static_cast<double>(g[e][q]), sfs[s].gmin, sfs[s].gmax))
          ++extrapolations;
        g[e][q] = scale_[e][s] * g[e][q] + shift_[e][s];
      }
      if (count[e] > 0)
        nets_[e].run(count[e], g[e].data(), energy[e].data(), forces ? dedg[e].data() : nullptr);
    }
    res.extrapolations = extrapolations;
    const double inv_ce = pot_.normalized() ? 1.0 / pot_.conv_energy() : 1.0;
    const double mean = pot_.normalized() ? pot_.mean_energy() : 0.0;
    res.atom_energy.resize(n);
    res.energy = 0;
    for (int i = 0; i < n; ++i) {
      res.atom_energy[i] = static_cast<double>(energy[elem[i]][row[i]]) * inv_ce;
      res.energy += res.atom_energy[i] + mean + pot_.element(elem[i]).atom_energy;
    }
    res.forces.assign(n, Vec3{0, 0, 0});
    res.ghost_forces.clear();
    for (auto& r : res.virial)
      for (double& v : r) v = 0;
    if (!forces) return;

    for (int e = 0; e < ne; ++e) {
      const int nsf = plan_.elem_n_sf[e];
      for (size_t q = 0; q < dedg[e].size(); ++q)
        dedg[e][q] *= scale_[e][q % nsf] * static_cast<T>(inv_ce);
    }
    const long entries = list.offsets.empty() ? 0 : list.offsets.back();
    std::vector<Vec3> grad(entries);
    std::vector<double> vir(9);
    for (int i = 0; i < n; ++i) {
      const int e = elem[i];
      TeamStage<T> s = stage(list.offsets[i + 1] - list.offsets[i], true);
      team_atom_gradient<T>(team_, plan_, in, i, s,
                            dedg[e].data() + (size_t)row[i] * plan_.elem_n_sf[e], grad.data(), 0,
                            vir.data());
      for (int x = 0; x < 9; ++x) res.virial[x / 3][x % 3] += vir[x];
    }
    std::vector<int> toff, tent;
    transpose(list, shell.size(), toff, tent);
    std::vector<Vec3> f(shell.size());
    for (int j = 0; j < shell.size(); ++j)
      f[j] = gather_target_force(j, toff.data(), tent.data(), list.offsets.data(), 0, n, 0, entries,
                                 grad.data(), Vec3{0, 0, 0});
    for (int i = 0; i < n; ++i) res.forces[i] = f[i];
    if (shell.fold_ghosts) {
      for (int q = n; q < shell.size(); ++q) res.forces[shell.owner[q]] += f[q];
    } else {
      res.ghost_forces.assign(f.begin() + n, f.end());
    }
  }

  size_t memory_bytes() const override { return buffer_.capacity() * sizeof(double); }

 private:
  /// A staging area for `cap` neighbors, as one team's shared memory on the GPU.
  TeamStage<T> stage(int cap, bool grad) {
    const long bytes =
        team_stage_bytes(sizeof(T), std::max(1, cap), plan_.n_elements, plan_.max_slots, grad);
    buffer_.assign((bytes + 7) / 8, 0.0);
    return carve_stage<T>(buffer_.data(), std::max(1, cap), plan_.n_elements, plan_.max_slots,
                          grad);
  }

  const Potential& pot_;
  SfPlanView plan_;
  double inv_length_;
  EmulatedTeam team_;
  std::vector<double> ang_rmax_, buffer_;
  std::vector<BatchedNetwork<T>> nets_;
  std::vector<std::vector<T>> scale_, shift_;
};

}  // namespace

std::unique_ptr<EvaluatorBackend> make_team_emulator_backend(const Potential& pot,
                                                             Precision precision, double inv_length,
                                                             int team_size) {
  if (precision == Precision::Mixed)
    return std::make_unique<TeamEmulatorBackend<float>>(pot, inv_length, team_size);
  return std::make_unique<TeamEmulatorBackend<double>>(pot, inv_length, team_size);
}

}  // namespace vitrum::nnp
