#pragma once
/// \file device_evaluator_impl.hpp
/// The device HDNNP evaluator (device_evaluator.hpp) written once over an execution policy
/// `Exec` that supplies what differs between the emulated device and CUDA:
///
///   using Real;                       the network precision (double or float)
///   Launcher launcher();              exec::HostLauncher / exec::CudaLauncher
///   void transpose(keys, n, targets, entries, offsets)
///                                     entries [0, n) stably sorted by keys[q] in [0, targets),
///                                     offsets[t] = first entry with key t (targets + 1 values)
///   void team_sf(plan, in, rows, n, cap, G, dmin)            team_atom_sf for atoms [0, n)
///   void team_gradient(plan, in, rows, n, cap, dEdG, grad, virial)  team_atom_gradient
///   void network(e, n, G, E, dEdG)    element e's batched network (forward and reverse)
///
/// Everything else (the rebuild's element rows, transposes and ghost lists, scaling, dE/dG
/// scaling, force gather and fold, per-atom energies, the fixed-order energy and virial
/// reductions) is a single-source functor run by the launcher. Host-compilable: no CUDA here.

#include <algorithm>
#include <string>
#include <vector>

#include "vitrum/core/elements.hpp"
#include "vitrum/core/error.hpp"
#include "vitrum/core/exec_space.hpp"
#include "vitrum/core/math/block_reduce.hpp"
#include "vitrum/nnp/device_evaluator.hpp"
#include "vitrum/nnp/math/scaling.hpp"
#include "vitrum/nnp/math/team_sf_grad.hpp"

namespace vitrum::nnp {

/// Where an atom's G and dE/dG rows live (the layout of the CUDA team kernels).
struct TeamRowsView {
  const int* elem;    ///< element per shell entry
  const int* row;     ///< row of each local in its element's batch
  const long* g_off;  ///< [e] first G value of element e's block
};

namespace device_detail {

/// elem[i] (the potential's element index, -1 unknown) and z[i] of every shell entry.
struct ElementKernel {
  const int* species;
  const int* elem_of_z;  ///< 128 entries
  int* elem;
  double* z;
  VITRUM_HD void operator()(long i) const {
    const int s = species[i];
    elem[i] = (s > 0 && s < 128) ? elem_of_z[s] : -1;
    z[i] = static_cast<double>(s);
  }
};

/// n - i for an entry of unknown element, else 0 (max-reduced: n - the first such entry).
struct UnknownElementTerm {
  const int* elem;
  long n;
  VITRUM_HD void operator()(long i, double* out) const {
    out[0] = elem[i] < 0 ? static_cast<double>(n - i) : 0.0;
  }
};

/// row[i] = the rank of local i among the locals of its element (by_elem: locals sorted by
/// element, stable; start: each element's first position).
struct RowKernel {
  const int* elem;
  const int* by_elem;
  const int* start;
  int* row;
  VITRUM_HD void operator()(long k) const {
    const int i = by_elem[k];
    row[i] = static_cast<int>(k) - start[elem[i]];
  }
};

/// The network inputs: g = scale * g + shift (per SF of the element).
template <typename T>
struct ScaleKernel {
  T* g;
  const T* scale;
  const T* shift;
  int nsf;
  VITRUM_HD void operator()(long q) const {
    const int s = static_cast<int>(q % nsf);
    g[q] = scale[s] * g[q] + shift[s];
  }
};

/// The raw G of one batch row outside the training range (nnp/math/scaling.hpp, the host
/// evaluator's test), counted into ext[local] (the row's atom: by_elem[first + q]).
template <typename T>
struct ExtrapolationKernel {
  const T* g;
  const double* gmin;
  const double* gmax;
  int nsf;
  const int* by_elem;  ///< locals sorted by element, from this element's first
  double* ext;
  VITRUM_HD void operator()(long q) const {
    int c = 0;
    for (int s = 0; s < nsf; ++s)
      c += outside_scaling_range<T>(static_cast<double>(g[q * nsf + s]), gmin[s], gmax[s]) ? 1 : 0;
    ext[by_elem[q]] = static_cast<double>(c);
  }
};

/// dE/dG of the raw SFs: dE/dG_scaled * scale / conv_energy.
template <typename T>
struct DedgKernel {
  T* d;
  const T* scale;
  T inv_ce;
  int nsf;
  VITRUM_HD void operator()(long q) const { d[q] *= scale[q % nsf] * inv_ce; }
};

/// Each local's share of the energy in potential units, E_i/conv + mean + element energy, and
/// (when `out` is set) in caller units.
template <typename T>
struct AtomEnergyKernel {
  const int* elem;
  const int* row;
  const long* e_off;  ///< [e] first energy of element e's batch
  const T* energy;
  const double* elem_energy;
  double inv_ce, mean, energy_unit;
  double* share;
  double* out;
  VITRUM_HD void operator()(long i) const {
    const int e = elem[i];
    const double a = static_cast<double>(energy[e_off[e] + row[i]]) * inv_ce;
    share[i] = a + mean + elem_energy[e];
    if (out != nullptr) out[i] = share[i] * energy_unit;
  }
};

/// The per-step sums in one fixed-order reduction: energy share, extrapolation count, virial.
struct StepTerm {
  const double* share;
  const double* ext;
  const double* v;  ///< 9 per local
  VITRUM_HD void operator()(long i, double* out) const {
    out[0] = share[i];
    out[1] = ext[i];
    for (int x = 0; x < 9; ++x) out[2 + x] = v[9 * i + x];
  }
};

/// Force on shell entry j from the per-entry gradients, through the transposed list.
struct GatherKernel {
  const int* toff;
  const int* tent;
  const int* off;
  int n_local;
  long entries;
  const Vec3* grad;
  Vec3* fext;
  VITRUM_HD void operator()(long j) const {
    fext[j] = gather_target_force(static_cast<int>(j), toff, tent, off, 0, n_local, 0, entries,
                                  grad, Vec3{0, 0, 0});
  }
};

/// A local's force: its own, then its ghosts' in ascending shell order, times the force unit.
struct FoldKernel {
  const Vec3* fext;
  const int* goff;  ///< n_local + 1: each local's ghosts in gent
  const int* gent;  ///< ghost index - n_local, ascending within a local
  int n_local;
  double force_unit;
  Vec3* forces;
  VITRUM_HD void operator()(long i) const {
    Vec3 f = fext[i];
    for (int k = goff[i]; k < goff[i + 1]; ++k) f += fext[n_local + gent[k]];
    forces[i] = force_unit * f;
  }
};

/// The plan's arrays in device memory of one space, and the view over them.
class DevicePlan {
 public:
  DevicePlan(const SfPlan& p, exec::Space& space)
      : fns_(space),
        n_sf_(space),
        slot_begin_(space),
        slot_fn_(space),
        radial_begin_(space),
        jk_fns_(space),
        rmax_(space),
        ang_rmax_(space),
        radial_(space),
        groups_(space),
        angular_(space) {
    const char* tag = "nnp:plan";
    fns_.upload(p.fns.data(), p.fns.size(), tag);
    n_sf_.upload(p.elem_n_sf.data(), p.elem_n_sf.size(), tag);
    slot_begin_.upload(p.slot_begin.data(), p.slot_begin.size(), tag);
    slot_fn_.upload(p.slot_fn.data(), p.slot_fn.size(), tag);
    radial_begin_.upload(p.radial_begin.data(), p.radial_begin.size(), tag);
    jk_fns_.upload(p.jk_fns.data(), p.jk_fns.size(), tag);
    rmax_.upload(p.elem_rmax.data(), p.elem_rmax.size(), tag);
    const std::vector<double> ang = angular_rmax(p.view());
    ang_rmax_.upload(ang.data(), ang.size(), tag);
    radial_.upload(p.radial.data(), p.radial.size(), tag);
    groups_.upload(p.groups.data(), p.groups.size(), tag);
    angular_.upload(p.angular.data(), p.angular.size(), tag);
    view_ = p.view();
    view_.fns = fns_.data();
    view_.elem_n_sf = n_sf_.data();
    view_.elem_rmax = rmax_.data();
    view_.slot_begin = slot_begin_.data();
    view_.slot_fn = slot_fn_.data();
    view_.radial_begin = radial_begin_.data();
    view_.radial = radial_.data();
    view_.groups = groups_.data();
    view_.angular = angular_.data();
    view_.jk_fns = jk_fns_.data();
    view_.max_slots = std::max(1, p.max_slots);
  }
  const SfPlanView& view() const { return view_; }
  const double* ang_rmax() const { return ang_rmax_.data(); }

 private:
  exec::DeviceBuffer<DistanceFn> fns_;
  exec::DeviceBuffer<int> n_sf_, slot_begin_, slot_fn_, radial_begin_, jk_fns_;
  exec::DeviceBuffer<double> rmax_, ang_rmax_;
  exec::DeviceBuffer<RadialTerm> radial_;
  exec::DeviceBuffer<PairGroup> groups_;
  exec::DeviceBuffer<AngularTerm> angular_;
  SfPlanView view_{};
};

template <class Exec>
class DeviceHdnnp final : public DeviceEvaluator {
  using T = typename Exec::Real;

 public:
  DeviceHdnnp(const Potential& pot, DeviceEvalOptions opt, exec::Space& space)
      : pot_(pot),
        opt_(opt),
        space_(space),
        exec_(pot, opt, space),
        plan_(pot.plan(), space),
        elem_of_z_(space),
        elem_(space),
        row_(space),
        by_elem_(space),
        start_(space),
        toff_(space),
        tent_(space),
        goff_(space),
        gent_(space),
        g_off_(space),
        e_off_(space),
        z_(space),
        elem_energy_(space),
        dmin_(space),
        share_(space),
        virial_(space),
        a_(space),
        b_(space),
        gmin_(space),
        gmax_(space),
        ext_(space),
        scale_(space),
        shift_(space),
        g_(space),
        dedg_(space),
        e_(space),
        grad_(space),
        fext_(space) {
    std::vector<int> ez(128, -1);
    std::vector<double> energy;
    std::vector<T> sc, sh;       // every element's SF scaling, one block per element
    std::vector<double> lo, hi;  // and its training range (extrapolation count)
    for (int e = 0; e < pot.n_elements(); ++e) {
      const int z = pot.element(e).z;
      if (z > 0 && z < 128) ez[z] = e;
      energy.push_back(pot.element(e).atom_energy);
      sf_off_.push_back(static_cast<long>(sc.size()));
      for (const auto& sf : pot.element(e).sfs) {
        sc.push_back(static_cast<T>(sf.scale));
        sh.push_back(static_cast<T>(sf.shift));
        lo.push_back(sf.gmin);
        hi.push_back(sf.gmax);
      }
    }
    scale_.upload(sc.data(), sc.size(), "nnp:scaling");
    shift_.upload(sh.data(), sh.size(), "nnp:scaling");
    gmin_.upload(lo.data(), lo.size(), "nnp:scaling");
    gmax_.upload(hi.data(), hi.size(), "nnp:scaling");
    elem_of_z_.upload(ez.data(), ez.size(), "nnp:elements");
    elem_energy_.upload(energy.data(), energy.size(), "nnp:elements");
  }

  double cutoff() const override { return pot_.cutoff() * opt_.length_unit; }

  void rebuild(const neighbor::DeviceShellView& shell,
               const neighbor::DeviceListView& list) override {
    if (list.cutoff + list.skin < cutoff() * (1 - 1e-12))
      fail("neighbor list cutoff {} is shorter than the potential's cutoff {}",
           list.cutoff + list.skin, cutoff());
    const auto launch = exec_.launcher();
    n_local_ = shell.n_local;
    n_all_ = shell.n_all;
    const long n_all = std::max(1, n_all_);
    scratch(std::max(n_all_, n_local_), 11);
    elem_.resize(n_all);
    z_.resize(n_all);
    launch.for_each(n_all_,
                    ElementKernel{shell.species, elem_of_z_.data(), elem_.data(), z_.data()});
    check_elements(shell);
    // Each local's row in its element's batch, and the element block offsets (ne + 1 ints up).
    const int ne = pot_.n_elements();
    by_elem_.resize(std::max(1, n_local_));
    start_.resize(ne + 1);
    exec_.transpose(elem_.data(), n_local_, ne, by_elem_.data(), start_.data());
    std::vector<int> start(ne + 1);
    space_.to_host(start.data(), start_.data(), start.size() * sizeof(int), "nnp:element counts");
    row_.resize(std::max(1, n_local_));
    launch.for_each(n_local_, RowKernel{elem_.data(), by_elem_.data(), start_.data(), row_.data()});
    count_.assign(ne, 0);
    std::vector<long> g_off(ne + 1, 0), e_off(ne + 1, 0);
    for (int e = 0; e < ne; ++e) {
      count_[e] = start[e + 1] - start[e];
      g_off[e + 1] = g_off[e] + static_cast<long>(count_[e]) * pot_.plan().elem_n_sf[e];
      e_off[e + 1] = e_off[e] + count_[e];
    }
    g_off_host_ = g_off;
    e_off_host_ = e_off;
    g_off_.upload(g_off.data(), g_off.size(), "nnp:element counts");
    e_off_.upload(e_off.data(), e_off.size(), "nnp:element counts");
    // The list in place, its transpose (forces gathered by target) and each local's ghosts.
    off_ = list.offsets;
    nbr_ = list.neighbors;
    entries_ = list.entries;
    cap_ = std::max(1, list.max_neighbors);
    toff_.resize(n_all + 1);
    tent_.resize(std::max(1L, entries_));
    exec_.transpose(list.neighbors, entries_, n_all_, tent_.data(), toff_.data());
    goff_.resize(std::max(1, n_local_) + 1);
    gent_.resize(std::max(1, n_all_ - n_local_));
    exec_.transpose(shell.owner + n_local_, n_all_ - n_local_, n_local_, gent_.data(),
                    goff_.data());
    g_.resize(std::max(1L, g_off[ne]));
    dedg_.resize(std::max(1L, g_off[ne]));
    e_.resize(std::max(1L, e_off[ne]));
    grad_.resize(std::max(1L, entries_));
    fext_.resize(n_all);
    dmin_.resize(std::max(1, n_local_));
    share_.resize(std::max(1, n_local_));
    ext_.resize(std::max(1, n_local_));
    virial_.resize(9L * std::max(1, n_local_));
    built_ = true;
  }

  void compute(const Vec3* d_positions, Vec3* d_forces, double* d_atom_energy,
               DeviceEvalScalars& out) override {
    if (!built_) fail("device HDNNP: compute() before rebuild()");
    const auto launch = exec_.launcher();
    const int ne = pot_.n_elements();
    const SfPlanView& p = plan_.view();
    const TeamInputs in{
        d_positions, off_, nbr_, elem_.data(), z_.data(), 1.0 / opt_.length_unit, plan_.ang_rmax()};
    const TeamRowsView rows{elem_.data(), row_.data(), g_off_.data()};
    exec_.team_sf(p, in, rows, n_local_, cap_, g_.data(), dmin_.data());
    const bool norm = pot_.normalized();
    const double inv_ce = norm ? 1.0 / pot_.conv_energy() : 1.0;
    for (int e = 0; e < ne; ++e) {
      if (count_[e] == 0) continue;
      const int nsf = pot_.plan().elem_n_sf[e];
      T* g = g_.data() + g_off_host_[e];
      launch.for_each(
          count_[e], ExtrapolationKernel<T>{g, gmin_.data() + sf_off_[e], gmax_.data() + sf_off_[e],
                                            nsf, by_elem_.data() + e_off_host_[e], ext_.data()});
      launch.for_each(
          static_cast<long>(count_[e]) * nsf,
          ScaleKernel<T>{g, scale_.data() + sf_off_[e], shift_.data() + sf_off_[e], nsf});
      exec_.network(e, count_[e], g, e_.data() + e_off_host_[e], dedg_.data() + g_off_host_[e]);
      launch.for_each(static_cast<long>(count_[e]) * nsf,
                      DedgKernel<T>{dedg_.data() + g_off_host_[e], scale_.data() + sf_off_[e],
                                    static_cast<T>(inv_ce), nsf});
    }
    launch.for_each(
        n_local_, AtomEnergyKernel<T>{elem_.data(), row_.data(), e_off_.data(), e_.data(),
                                      elem_energy_.data(), inv_ce, norm ? pot_.mean_energy() : 0.0,
                                      opt_.energy_unit, share_.data(), d_atom_energy});
    exec_.team_gradient(p, in, rows, n_local_, cap_, dedg_.data(), grad_.data(), virial_.data());
    launch.for_each(n_all_, GatherKernel{toff_.data(), tent_.data(), off_, n_local_, entries_,
                                         grad_.data(), fext_.data()});
    const double fu = opt_.energy_unit / opt_.length_unit;
    launch.for_each(n_local_,
                    FoldKernel{fext_.data(), goff_.data(), gent_.data(), n_local_, fu, d_forces});
    double w[11];  // energy, extrapolation count, virial: one fixed-order reduction, 88 B up
    launch.template reduce<11>(n_local_, StepTerm{share_.data(), ext_.data(), virial_.data()},
                               vitrum::math::SumOp{}, a_.data(), b_.data(), w,
                               "reduce:nnp energy, extrapolations, virial");
    out.energy = w[0] * opt_.energy_unit;
    out.extrapolations = static_cast<long>(w[1]);
    for (int x = 0; x < 9; ++x) out.virial[x / 3][x % 3] = w[2 + x] * fu;
  }

  std::size_t device_bytes() const override {
    std::size_t b = elem_.bytes() + row_.bytes() + by_elem_.bytes() + toff_.bytes() +
                    tent_.bytes() + goff_.bytes() + gent_.bytes() + z_.bytes() + dmin_.bytes() +
                    share_.bytes() + ext_.bytes() + virial_.bytes() + a_.bytes() + b_.bytes() +
                    g_.bytes() + dedg_.bytes() + e_.bytes() + grad_.bytes() + fext_.bytes();
    return b + exec_.device_bytes();
  }

 private:
  void scratch(long n, int width) {
    const std::size_t need = (vitrum::math::reduce_blocks(std::max(1L, n)) + 1) * width;
    a_.resize(need);
    b_.resize(need);
  }

  void check_elements(const neighbor::DeviceShellView& shell) {
    double first = 0.0;
    exec_.launcher().template reduce<1>(n_all_, UnknownElementTerm{elem_.data(), n_all_},
                                        vitrum::math::MaxOp{}, a_.data(), b_.data(), &first,
                                        "reduce:nnp elements");
    if (n_all_ == 0 || first <= 0.0) return;
    const long i = n_all_ - static_cast<long>(first);
    int z = 0;
    space_.to_host(&z, shell.species + i, sizeof(int), "error:elements");
    fail("atom {} is element Z={} ({}), which the potential in {} does not have", i, z,
         (z >= 1 && z <= 118) ? element_symbol(z) : std::string("?"), pot_.directory());
  }

  const Potential& pot_;
  DeviceEvalOptions opt_;
  exec::Space& space_;
  Exec exec_;
  DevicePlan plan_;
  exec::DeviceBuffer<int> elem_of_z_, elem_, row_, by_elem_, start_, toff_, tent_, goff_, gent_;
  exec::DeviceBuffer<long> g_off_, e_off_;
  exec::DeviceBuffer<double> z_, elem_energy_, dmin_, share_, virial_, a_, b_, gmin_, gmax_, ext_;
  exec::DeviceBuffer<T> scale_, shift_, g_, dedg_, e_;
  std::vector<long> sf_off_;  ///< [e] first scaling entry of element e
  exec::DeviceBuffer<Vec3> grad_, fext_;
  std::vector<int> count_;
  std::vector<long> g_off_host_, e_off_host_;
  const int* off_ = nullptr;  ///< the device list's CSR (valid until the next rebuild)
  const int* nbr_ = nullptr;
  long entries_ = 0;
  int cap_ = 1, n_local_ = 0, n_all_ = 0;
  bool built_ = false;
};

}  // namespace device_detail
}  // namespace vitrum::nnp
