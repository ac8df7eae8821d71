// Symmetry functions and their position Jacobians for the training data (CPU, OpenMP over
// atoms; every atom writes only its own rows, so the result does not depend on the threads).
#include "vitrum/train/training_set.hpp"

#include <omp.h>

#include <algorithm>
#include <cmath>

#include "vitrum/core/error.hpp"
#include "vitrum/neighbor/ghosts.hpp"
#include "vitrum/neighbor/neighbor_list.hpp"
#include "vitrum/nnp/evaluator_backend.hpp"
#include "vitrum/nnp/math/sf_atom.hpp"
#include "vitrum/nnp/math/simd_math.hpp"  // first: vector math declarations
#include "vitrum/nnp/neighbor_gather.hpp"

namespace vitrum::train {

namespace {

using nnp::AtomNeighbors;
using nnp::SfPlanView;

/// Plans that contain a single symmetry function of one element (its radial term, or its
/// angular term inside its pair group): atom_sf_gradient with such a plan costs only that
/// function's work, so the Jacobian costs about one gradient evaluation in total.
struct SingleSfPlans {
  struct One {
    std::vector<int> radial_begin;
    std::vector<nnp::RadialTerm> radial;
    std::vector<nnp::PairGroup> groups;
    SfPlanView view;
  };
  std::vector<std::vector<One>> per;  // [element][sf]

  explicit SingleSfPlans(const nnp::SfPlan& plan) {
    const int ne = plan.n_elements;
    const SfPlanView base = plan.view();
    per.resize(ne);
    for (int e = 0; e < ne; ++e) {
      const int nsf = plan.elem_n_sf[e];
      per[e].resize(nsf);
      for (int s = 0; s < nsf; ++s) {
        One& o = per[e][s];
        o.radial_begin.assign(ne + 1, 0);
        o.groups = plan.groups;
        for (int a = 0; a < ne; ++a)
          for (int b = 0; b < ne; ++b) {
            auto& g = o.groups[(e * ne + a) * ne + b];
            g.term_end = g.term_begin;
          }
      }
      for (int t = plan.radial_begin[e]; t < plan.radial_begin[e + 1]; ++t) {
        One& o = per[e][plan.radial[t].sf];
        o.radial.push_back(plan.radial[t]);
        for (int x = e + 1; x <= ne; ++x) o.radial_begin[x] = static_cast<int>(o.radial.size());
      }
      for (int a = 0; a < ne; ++a)
        for (int b = a; b < ne; ++b) {
          const int gi = (e * ne + a) * ne + b;
          const auto& g = plan.groups[gi];
          for (int t = g.term_begin; t < g.term_end; ++t) {
            One& o = per[e][plan.angular[t].sf];
            o.groups[gi].term_begin = t;
            o.groups[gi].term_end = t + 1;
          }
        }
      for (int s = 0; s < nsf; ++s) {
        One& o = per[e][s];
        o.view = base;
        o.view.radial_begin = o.radial_begin.data();
        o.view.radial = o.radial.data();
        o.view.groups = o.groups.data();
      }
    }
  }
};

/// The evaluator's per-thread neighbor scratch plus the trainer's own buffers.
struct Scratch : nnp::NeighborScratch<double> {
  std::vector<double> w, jtmp;
  std::vector<int> owners, slot;
};

struct Geometry {
  neighbor::GhostShell shell;
  neighbor::NeighborList list;
  std::vector<int> elem;
};

}  // namespace

TrainingSet::TrainingSet(const nnp::Potential& pot, const std::vector<Structure>& structures,
                         const std::vector<std::string>& names, const std::vector<bool>& test,
                         bool with_jacobians, double max_bytes)
    : with_jac_(with_jacobians) {
  const int ne = pot.n_elements();
  const SfPlanView plan = pot.plan().view();
  const int nst = static_cast<int>(structures.size());
  if (names.size() != structures.size() || test.size() != structures.size())
    fail("TrainingSet: {} structures but {} names and {} test flags", nst, names.size(),
         test.size());
  n_sf_.resize(ne);
  for (int e = 0; e < ne; ++e) n_sf_[e] = plan.elem_n_sf[e];
  // Atom bookkeeping in set order.
  std::vector<long> rows(ne, 0);
  structures_.resize(nst);
  long atoms = 0;
  for (int k = 0; k < nst; ++k) {
    const Structure& s = structures[k];
    auto& rs = structures_[k];
    rs.name = names[k];
    rs.n_atoms = static_cast<int>(s.size());
    rs.energy = s.energy;
    rs.test = test[k];
    rs.first_atom = atoms;
    if (with_jacobians) rs.forces = s.forces;
    for (size_t i = 0; i < s.size(); ++i) {
      const int e = pot.element_index(s.species[i]);
      if (e < 0)
        fail("{}: atom {} is element Z={}, which the potential does not have", names[k], i + 1,
             s.species[i]);
      atom_elem_.push_back(e);
      atom_row_.push_back(rows[e]++);
    }
    atoms += static_cast<long>(s.size());
  }
  g_.resize(ne);
  for (int e = 0; e < ne; ++e) g_[e].assign(static_cast<size_t>(rows[e]) * n_sf_[e], 0.0);
  if (with_jacobians) jac_.resize(atoms);

  const SingleSfPlans single(pot.plan());
  const double rc = pot.cutoff();
  std::vector<Scratch> scratch(std::max(1, omp_get_max_threads()));
  double bytes = 0;
  const int kChunk = 64;
  for (int k0 = 0; k0 < nst; k0 += kChunk) {
    const int k1 = std::min(nst, k0 + kChunk);
    std::vector<Geometry> geo(k1 - k0);
    std::vector<std::string> errors(k1 - k0);
#pragma omp parallel for schedule(dynamic, 1)
    for (int k = k0; k < k1; ++k) {
      try {
        const Structure& s = structures[k];
        Geometry& g = geo[k - k0];
        g.shell = neighbor::build_ghost_shell(s.box, s.positions, s.species, rc);
        g.list = neighbor::build_neighbor_list(g.shell, rc, 0.0);
        g.elem = nnp::element_indices(pot, g.shell);
      } catch (const std::exception& ex) {
        errors[k - k0] = ex.what();
      }
    }
    for (int k = k0; k < k1; ++k)
      if (!errors[k - k0].empty()) fail("{}: {}", names[k], errors[k - k0]);
    if (with_jacobians) {
      for (int k = k0; k < k1; ++k) {
        const Geometry& g = geo[k - k0];
        const int n = g.shell.n_local;
        for (int i = 0; i < n; ++i) {
          const long nb = std::min(g.list.offsets[i + 1] - g.list.offsets[i], n - 1);
          bytes += (nb + 1.0) * 3.0 * 8.0 * n_sf_[atom_elem_[structures_[k].first_atom + i]];
        }
      }
      if (max_bytes > 0 && bytes > max_bytes)
        fail(
            "the symmetry-function derivatives (dG/dr) of the first {} structures already need "
            "{:.2f} GB, more than the limit of {:.2f} GB ([training] max_memory_gb): use fewer "
            "or smaller structures, fewer symmetry functions, or raise the limit",
            k1, bytes / 1e9, max_bytes / 1e9);
    }
    // Flattened (structure, atom) work list of the chunk.
    std::vector<std::pair<int, int>> work;
    for (int k = k0; k < k1; ++k)
      for (int i = 0; i < structures_[k].n_atoms; ++i) work.emplace_back(k, i);
#pragma omp parallel
    {
      Scratch& s = scratch[omp_get_thread_num()];
#pragma omp for schedule(dynamic, 4)
      for (long w = 0; w < static_cast<long>(work.size()); ++w) {
        const int k = work[w].first, i = work[w].second;
        const Geometry& geom = geo[k - k0];
        const long a = structures_[k].first_atom + i;
        const int e = atom_elem_[a];
        const int nsf = n_sf_[e];
        double dmin_unused = INFINITY;
        const int m =
            nnp::gather_neighbors(plan, geom.shell, geom.list, geom.elem, 1.0, i, s, dmin_unused);
        const auto nbv = s.view(m);
        nnp::fill_slot_cache<double>(plan, e, nbv, s.val.data(), s.der.data(), m, s.work.data());
        nnp::atom_symmetry_functions<double>(plan, e, nbv, s.val.data(), m,
                                             g_[e].data() + atom_row_[a] * nsf, s.work.data());
        if (!with_jac_) continue;
        // Atoms G_i depends on: the centre and the owners of its neighbors, ascending.
        s.owners.assign(1, i);
        for (int q = 0; q < m; ++q)
          s.owners.push_back(geom.shell.owner[geom.list.neighbors[s.entry[q]]]);
        std::sort(s.owners.begin(), s.owners.end());
        s.owners.erase(std::unique(s.owners.begin(), s.owners.end()), s.owners.end());
        const int n_owner = static_cast<int>(s.owners.size());
        if (static_cast<int>(s.slot.size()) < geom.shell.n_local)
          s.slot.assign(geom.shell.n_local, -1);
        for (int q = 0; q < n_owner; ++q) s.slot[s.owners[q]] = q;
        s.jtmp.assign(static_cast<size_t>(n_owner) * 3 * nsf, 0.0);
        s.w.assign(nsf, 0.0);
        const int ci = s.slot[i];
        for (int sf = 0; sf < nsf; ++sf) {
          s.w[sf] = 1.0;
          nnp::atom_sf_gradient<double>(single.per[e][sf].view, e, nbv, s.val.data(), s.der.data(),
                                        m, s.w.data(), s.gx.data(), s.gy.data(), s.gz.data(),
                                        s.work.data());
          s.w[sf] = 0.0;
          double cx = 0, cy = 0, cz = 0;
          for (int q = 0; q < m; ++q) {
            const int kk = s.slot[geom.shell.owner[geom.list.neighbors[s.entry[q]]]];
            double* J = s.jtmp.data() + static_cast<size_t>(kk) * 3 * nsf + sf;
            J[0] += s.gx[q];
            J[nsf] += s.gy[q];
            J[2 * nsf] += s.gz[q];
            cx += s.gx[q];
            cy += s.gy[q];
            cz += s.gz[q];
          }
          double* Jc = s.jtmp.data() + static_cast<size_t>(ci) * 3 * nsf + sf;
          Jc[0] -= cx;
          Jc[nsf] -= cy;
          Jc[2 * nsf] -= cz;
        }
        for (int q = 0; q < n_owner; ++q) s.slot[s.owners[q]] = -1;
        AtomJacobian& J = jac_[a];
        J.atoms = s.owners;
        J.values = s.jtmp;
      }
    }
  }
}

size_t TrainingSet::memory_bytes() const {
  size_t b = 0;
  for (const auto& g : g_) b += g.capacity() * sizeof(double);
  for (const auto& j : jac_) b += j.atoms.capacity() * sizeof(int) + j.values.capacity() * 8;
  return b;
}

}  // namespace vitrum::train
