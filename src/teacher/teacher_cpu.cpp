// The CPU backend of the teacher potential. On a half list (what the serial engine builds for
// it: wants_half_list) the vectorised loop of teacher_cpu_half.cpp; on a full list (domain
// decomposition, the LAMMPS bridge, lists built by hand) the loop below: OpenMP over local atoms
// with the single-source pair math of teacher/math/born_dsf.hpp, each pair of local atoms evaluated
// once (Newton's third law).
//
// Half list on the engine's full list: the list is sorted by neighbor index, so the neighbors
// j > i of local atom i are the tail of its slots, [upper_i, end_i): local j first, then ghosts.
// Atom i evaluates each of those pairs once, adds f d to itself and −f d to a local j (½ φ to
// each as its energy share). Serially the ghosts are images of locals, so a pair of i with an
// image of local o is evaluated once too, by the lower of i and o, and the ghost's force is
// added to o (GhostShell::fold_ghosts). Under domain decomposition (fold_ghosts false) a pair
// with a ghost is evaluated from the local side only, with half its energy and virial, exactly as
// with the full list, so nothing lands on ghosts: has_ghost_forces() stays false and no reverse
// halo exchange is needed.
//
// Determinism without atomics: the atoms are cut into kBlocks contiguous blocks of about equal
// work, a choice made from the list alone (not from the thread count). Each block is summed by one
// thread in atom order into its own force/energy arrays, and those are added in block order. So
// the result is the same bits for any thread count (it differs from summing every pair from both
// sides only by rounding, from the other order of the sums).
//
// The list's symmetry (j in i's list exactly when i in j's) is checked once per list (keyed on
// NeighborList::build_id); a list that is not sorted and symmetric (built by hand) is summed from
// both sides with atom_terms as before.
//
// erfc comes from a table (ErfcTable) instead of the C library: the pair term already has
// exp(−x²), and erfc(x) = exp(−x²) erfcx(x) with erfcx smooth, so a short polynomial gives erfc
// to a few ulp at a fraction of the cost (results move at the rounding level only; LAMMPS's
// born/coul/dsf agreement stays ~1e-14).
#include <algorithm>
#include <cmath>
#include <cstdint>

#include "teacher_cpu_half.hpp"
#include "vitrum/core/error.hpp"
#include "vitrum/teacher/math/erfc_table.hpp"
#include "vitrum/teacher/teacher_backend.hpp"

namespace vitrum::teacher {

namespace {

/// w += s · d ⊗ d in Voigt order xx, yy, zz, xy, xz, yz.
inline void add_outer(double* w, double s, const Vec3& d) {
  w[0] += s * d.x * d.x;
  w[1] += s * d.y * d.y;
  w[2] += s * d.z * d.z;
  w[3] += s * d.x * d.y;
  w[4] += s * d.x * d.z;
  w[5] += s * d.y * d.z;
}

/// A view of an ErfcTable for the pair term.
struct TableErfc {
  const ErfcTable* table;
  double operator()(double x, double exp_neg_x2) const { return (*table)(x, exp_neg_x2); }
};

/// Every pair evaluated with the given erfc (a list that is not sorted and symmetric).
template <class Erfc>
struct EvaluateWith {
  Erfc erfc_of;
  bool operator()(int /*q*/, int /*j*/, double r2, const PairCoeffs& p, const DsfCoeffs& d,
                  double& e, double& f) const {
    return pair_energy_force(r2, p, d, e, f, erfc_of);
  }
};

/// What the pairs of one block add to an atom: force (eV/Å) and energy share (eV).
struct Scatter {
  Vec3 force;
  double energy;
};

/// Number of blocks the atoms are cut into (fixed: the result must not depend on the threads).
constexpr int kBlocks = 32;

class CpuTeacher final : public TeacherBackend {
 public:
  explicit CpuTeacher(const TeacherTables& tables)
      : tables_(tables),
        erfc_(tables.dsf.alpha * std::sqrt(tables.dsf.rc2)),
        soa_(tables.host_view(), erfc_.view()),
        half_(soa_) {}

  bool half_list() const override { return erfc_.usable(); }

  void compute(const neighbor::GhostShell& shell, const neighbor::NeighborList& list,
               const std::vector<int>& types, std::vector<AtomTerms>& terms) override {
    if (list.half) {
      if (!half_list()) fail("teacher: a half neighbor list needs the tabulated erfc");
      half_.compute(shell, list, types, tables_.self_energy, tables_.n_types, terms);
      return;
    }
    if (erfc_.usable())
      compute_with(shell, list, types, terms, TableErfc{&erfc_});
    else
      compute_with(shell, list, types, terms, LibmErfc{});
  }

 private:
  template <class Erfc>
  void compute_with(const neighbor::GhostShell& shell, const neighbor::NeighborList& list,
                    const std::vector<int>& types, std::vector<AtomTerms>& terms,
                    const Erfc& erfc_of) {
    const int n = shell.n_local;
    terms.resize(n);
    const TeacherView view = tables_.host_view();
    const Vec3* pos = shell.positions.data();
    const int* type = types.data();
    const int* nbr = list.neighbors.data();
    const int* off = list.offsets.data();
    if (!plan_for(list, n)) {
      const EvaluateWith<Erfc> pair_term{erfc_of};
#pragma omp parallel for schedule(dynamic, 64)
      for (int i = 0; i < n; ++i)
        terms[i] = atom_terms(i, pos, type, nbr, off[i], off[i + 1], view, pair_term);
      return;
    }
    const int nt = view.n_types;
    scatter_.resize(static_cast<std::size_t>(kBlocks) * n);
    const int* upper = upper_.data();
    const int* local_end = local_end_.data();
    const bool fold = shell.fold_ghosts && shell.owner.size() == shell.positions.size();
    const int* owner = fold ? shell.owner.data() : nullptr;
#pragma omp parallel for schedule(dynamic, 1)
    for (int b = 0; b < kBlocks; ++b) {
      Scatter* acc = scatter_.data() + static_cast<std::size_t>(b) * n;
      std::fill(acc, acc + n, Scatter{Vec3{0.0, 0.0, 0.0}, 0.0});
      for (int i = block_begin_[b]; i < block_begin_[b + 1]; ++i) {
        const int ti = type[i];
        const Vec3 ri = pos[i];
        const PairCoeffs* row = view.pair + static_cast<long>(ti) * nt;
        Vec3 fi{0.0, 0.0, 0.0};
        double ei = 0.0, w[6] = {0, 0, 0, 0, 0, 0}, min_r2 = INFINITY;
        // Pairs with local j > i: the whole pair's force, energy and virial, once.
        for (int q = upper[i]; q < local_end[i]; ++q) {
          const int j = nbr[q];
          const Vec3 d = ri - pos[j];
          const double r2 = dot(d, d);
          min_r2 = std::min(min_r2, r2);
          double e, f;
          if (!pair_energy_force(r2, row[type[j]], view.dsf, e, f, erfc_of)) continue;
          const Vec3 fd = f * d;
          fi += fd;
          acc[j].force -= fd;
          const double he = 0.5 * e;
          ei += he;
          acc[j].energy += he;
          add_outer(w, f, d);
        }
        // Pairs with ghosts. Serial (the ghosts are images of locals, forces on them belong to
        // their owners): the pair of i with an image of local o is the pair of o with an image
        // of i, so only the lower of i and o evaluates it, whole, and the ghost's force goes to
        // o. An image of i itself, and any ghost under domain decomposition: i's half only.
        for (int q = local_end[i]; q < off[i + 1]; ++q) {
          const int j = nbr[q];
          const int o = owner != nullptr ? owner[j] : -1;
          if (o >= 0 && o < i) continue;  // o evaluates it
          const Vec3 d = ri - pos[j];
          const double r2 = dot(d, d);
          min_r2 = std::min(min_r2, r2);
          double e, f;
          if (!pair_energy_force(r2, row[type[j]], view.dsf, e, f, erfc_of)) continue;
          const Vec3 fd = f * d;
          fi += fd;
          const double he = 0.5 * e;
          ei += he;
          double wf = f;
          if (o > i) {
            acc[o].force -= fd;
            acc[o].energy += he;
          } else {
            wf = 0.5 * f;
          }
          add_outer(w, wf, d);
        }
        // Pairs with local j < i were evaluated by j (their distances are in j's min_r2).
        acc[i].force += fi;
        acc[i].energy += ei;
        AtomTerms& t = terms[i];
        for (int c = 0; c < 6; ++c) t.virial[c] = w[c];  // i's share: its pairs j > i whole
        t.min_r2 = min_r2;
      }
    }
    // Block sums in block order: the same bits for any thread count.
#pragma omp parallel for schedule(static)
    for (int i = 0; i < n; ++i) {
      Vec3 f{0.0, 0.0, 0.0};
      double e = 0.0;
      for (int b = 0; b < kBlocks; ++b) {
        const Scatter& s = scatter_[static_cast<std::size_t>(b) * n + i];
        f += s.force;
        e += s.energy;
      }
      terms[i].force = f;
      terms[i].energy = view.self_energy[type[i]] + e;
    }
  }

  /// Checks `list` and cuts the atoms into blocks unless done for it already; false when the
  /// list is not a sorted symmetric full list (then every pair is summed from both sides).
  bool plan_for(const neighbor::NeighborList& list, int n) {
    if (list.build_id != 0 && list.build_id == plan_id_ && n == plan_n_ &&
        list.neighbors.size() == plan_entries_)
      return plan_ok_;
    plan_id_ = list.build_id;
    plan_n_ = n;
    plan_entries_ = list.neighbors.size();
    plan_ok_ = build_plan(list, n);
    return plan_ok_;
  }

  bool build_plan(const neighbor::NeighborList& list, int n) {
    const int* nbr = list.neighbors.data();
    const int* off = list.offsets.data();
    upper_.resize(n);
    local_end_.resize(n);
    bool sorted = true;
#pragma omp parallel for schedule(static) reduction(&& : sorted)
    for (int i = 0; i < n; ++i) {
      sorted = sorted && std::is_sorted(nbr + off[i], nbr + off[i + 1]);
      upper_[i] = static_cast<int>(std::upper_bound(nbr + off[i], nbr + off[i + 1], i) - nbr);
      local_end_[i] =
          static_cast<int>(std::lower_bound(nbr + upper_[i], nbr + off[i + 1], n) - nbr);
    }
    if (!sorted) return false;
    // Symmetry: local j's slots below upper_[j] hold its neighbors i < j in ascending order, and
    // the pairs (i, j), i < j, come in ascending i; a cursor per j must meet exactly those.
    std::vector<int> cursor(off, off + n);
    for (int i = 0; i < n; ++i) {
      for (int q = upper_[i]; q < local_end_[i]; ++q) {
        const int j = nbr[q];
        const int c = cursor[j]++;
        if (c >= upper_[j] || nbr[c] != i) return false;
      }
    }
    for (int j = 0; j < n; ++j)
      if (cursor[j] != upper_[j]) return false;
    // Blocks of about equal work (slots from upper_[i] on), from the list alone.
    long total = 0;
    for (int i = 0; i < n; ++i) total += off[i + 1] - upper_[i] + 1;
    block_begin_.assign(kBlocks + 1, n);
    block_begin_[0] = 0;
    long done = 0;
    int b = 1;
    for (int i = 0; i < n && b < kBlocks; ++i) {
      done += off[i + 1] - upper_[i] + 1;
      while (b < kBlocks && done * kBlocks >= total * b) block_begin_[b++] = i + 1;
    }
    return true;
  }

  const TeacherTables& tables_;
  ErfcTable erfc_;
  PairTableSoA soa_;              ///< the pair coefficients for the vectorised half-list loop
  HalfListKernel half_;           ///< the pair loop on a half list
  std::vector<Scatter> scatter_;  ///< kBlocks × n: what each block adds to each atom
  std::vector<int> upper_;        ///< per atom: first slot with a neighbor index > i
  std::vector<int> local_end_;    ///< per atom: first slot with a ghost neighbor
  std::vector<int> block_begin_;  ///< kBlocks + 1 block boundaries (atom indices)
  std::uint64_t plan_id_ = 0;
  int plan_n_ = -1;
  std::size_t plan_entries_ = 0;
  bool plan_ok_ = false;
};

}  // namespace

std::unique_ptr<TeacherBackend> make_teacher_cpu_backend(const TeacherTables& tables) {
  return std::make_unique<CpuTeacher>(tables);
}

void TeacherBackend::compute_device(const neighbor::GhostShell&, const neighbor::NeighborList&,
                                    const std::vector<int>&, const Vec3*, std::vector<AtomTerms>&) {
  fail("device-resident evaluation of the teacher potential needs the CUDA backend");
}

#ifndef VITRUM_HAVE_CUDA
std::unique_ptr<TeacherBackend> make_teacher_cuda_backend(const TeacherTables&) {
  fail("the CUDA backend is not compiled into this build");
}
#endif

}  // namespace vitrum::teacher
