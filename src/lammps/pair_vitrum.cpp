// `pair_style vitrum` (n2p2 HDNNP) and `pair_style vitrum/teacher` (SiO2 BKS/TTAM) for LAMMPS.
// This file includes LAMMPS headers only; vitrum is reached through vitrum_bridge.hpp.
#include "pair_vitrum.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <limits>
#include <string>

#include "atom.h"
#include "comm.h"
#include "error.h"
#include "force.h"
#include "memory.h"
#include "neigh_list.h"
#include "neighbor.h"
#include "update.h"
#include "vitrum_bridge.hpp"

using namespace LAMMPS_NS;
using vitrum::lammps_bridge::Model;

namespace {

/// build_id of the lists handed to vitrum: far from the ids vitrum's own list builder counts.
constexpr std::uint64_t kListIdBase = std::uint64_t{1} << 62;

double parse_positive(Error* error, const char* key, const char* value) {
  char* end = nullptr;
  const double v = std::strtod(value, &end);
  if (end == value || *end != '\0' || !(v > 0) || !std::isfinite(v))
    error->all(FLERR, "pair_style vitrum: {} {}: expected a positive number", key, value);
  return v;
}

}  // namespace

PairVitrum::PairVitrum(LAMMPS* lmp, bool teacher) : Pair(lmp), teacher_(teacher) {
  single_enable = 0;
  restartinfo = 0;
  one_coeff = 1;
  manybody_flag = 1;
  no_virial_fdotr_compute = 1;  // the virial comes from vitrum (global); see compute()
  centroidstressflag = CENTROID_NOTAVAIL;
}

PairVitrum::~PairVitrum() {
  if (allocated) {
    memory->destroy(setflag);
    memory->destroy(cutsq);
  }
}

void PairVitrum::allocate() {
  allocated = 1;
  const int n = atom->ntypes + 1;
  memory->create(setflag, n, n, "pair:setflag");
  memory->create(cutsq, n, n, "pair:cutsq");
  for (int i = 0; i < n; ++i)
    for (int j = 0; j < n; ++j) setflag[i][j] = 0;
}

void PairVitrum::settings(int narg, char** arg) {
  for (int k = 0; k < narg; k += 2) {
    const std::string key = arg[k];
    if (k + 1 >= narg)
      error->all(FLERR, "pair_style {}: keyword {} needs a value", style_name(), key);
    const char* value = arg[k + 1];
    if (key == "cflength" && !teacher_) {
      cflength_ = parse_positive(error, "cflength", value);
    } else if (key == "cfenergy" && !teacher_) {
      cfenergy_ = parse_positive(error, "cfenergy", value);
    } else if (key == "backend") {
      backend_ = value;
    } else if (key == "precision" && !teacher_) {
      precision_ = value;
    } else {
      error->all(FLERR, "pair_style {}: unknown keyword '{}' (expected {})", style_name(), key,
                 teacher_ ? "backend" : "cflength, cfenergy, backend, precision");
    }
  }
}

void PairVitrum::coeff(int narg, char** arg) {
  if (!allocated) allocate();
  const int ntypes = atom->ntypes;
  if (narg != 3 + ntypes || std::strcmp(arg[0], "*") != 0 || std::strcmp(arg[1], "*") != 0)
    error->all(FLERR,
               "pair_coeff for pair_style {}: expected '* * {} El_1 ... El_{}' (one element per "
               "atom type, {} types), got {} arguments",
               style_name(), teacher_ ? "PARAMS.toml" : "POTENTIAL_DIR", ntypes, ntypes, narg);
  path_ = arg[2];
  type_elements_.assign(arg + 3, arg + narg);
  try {
    model_ = teacher_ ? Model::load_teacher(path_, type_elements_, backend_)
                      : Model::load_nnp(path_, type_elements_, cflength_, cfenergy_, backend_,
                                        precision_);
  } catch (const std::exception& e) {
    error->all(FLERR, "pair_style {}: {}", style_name(), e.what());
  }
  cutoff_ = model_->cutoff();
  for (int i = 1; i <= ntypes; ++i)
    for (int j = i; j <= ntypes; ++j) setflag[i][j] = 1;
  if (comm->me == 0) utils::logmesg(lmp, "pair_style {}: {}\n", style_name(), model_->describe());
}

void PairVitrum::check_units() const {
  double lmp_angstrom = 0, lmp_ev = 0;
  const bool physical =
      vitrum::lammps_bridge::lammps_units(update->unit_style, lmp_angstrom, lmp_ev);
  if (teacher_ && (!physical || lmp_angstrom != 1.0 || lmp_ev != 1.0))
    error->all(FLERR,
               "pair_style vitrum/teacher: the teacher potential {} is in Å and eV; it needs "
               "'units metal' (this run has units {})",
               path_, update->unit_style);
  const double pl = model_->stated_length_angstrom(), pe = model_->stated_energy_ev();
  if (teacher_ || pl == 0.0) return;
  if (!physical)
    error->all(FLERR,
               "pair_style vitrum: the potential {} states its units ({} Å, {} eV per unit) but "
               "LAMMPS 'units {}' has no fixed relation to them; use metal, real or electron",
               path_, pl, pe, update->unit_style);
  // One potential length unit is 1/cflength LAMMPS length units (pair_style hdnnp's convention).
  const double got_l = lmp_angstrom / cflength_, got_e = lmp_ev / cfenergy_;
  if (std::fabs(got_l / pl - 1) > 1e-4 || std::fabs(got_e / pe - 1) > 1e-4)
    error->all(FLERR,
               "pair_style vitrum: unit mismatch: the potential {} is in units of {} Å and {} eV "
               "(input.nn), but 'units {}' with cflength {} and cfenergy {} make its unit {} Å "
               "and {} eV; use cflength {:.10g} cfenergy {:.10g}",
               path_, pl, pe, update->unit_style, cflength_, cfenergy_, got_l, got_e,
               lmp_angstrom / pl, lmp_ev / pe);
}

/// A type whose mass is nearer another element of the potential than the one pair_coeff gives it
/// means the element list is out of order.
void PairVitrum::check_masses() const {
  if (atom->rmass_flag || !atom->mass) return;
  const auto masses = model_->element_masses();
  for (int t = 1; t <= atom->ntypes; ++t) {
    if (!atom->mass_setflag[t]) continue;
    const double m = atom->mass[t];
    const std::string& given = type_elements_[t - 1];
    double m_given = 0;
    for (const auto& [el, em] : masses)
      if (el == given) m_given = em;
    for (const auto& [el, em] : masses)
      if (el != given && std::fabs(m - em) < std::fabs(m - m_given))
        error->all(FLERR,
                   "pair_coeff for pair_style {}: atom type {} has mass {} but is mapped to {} "
                   "({} amu); {} ({} amu) is closer: is the element order of pair_coeff '{}' "
                   "that of the atom types?",
                   style_name(), t, m, given, m_given, el, em, joined_elements());
  }
}

std::string PairVitrum::joined_elements() const {
  std::string s;
  for (const auto& e : type_elements_) s += (s.empty() ? "" : " ") + e;
  return s;
}

void PairVitrum::init_style() {
  if (!model_) error->all(FLERR, "pair_style {}: pair_coeff * * ... was not given", style_name());
  if (!teacher_ && force->newton_pair == 0)
    error->all(FLERR,
               "pair_style vitrum requires newton_pair on (its forces on ghost atoms are sent to "
               "their owners by LAMMPS's reverse communication)");
  check_units();
  check_masses();
  neighbor->add_request(this, NeighConst::REQ_FULL);
}

double PairVitrum::init_one(int, int) {
  return cutoff_;
}

/// vitrum's CSR copy of LAMMPS's full list (rows sorted, pairs within cutoff + skin), redone only
/// when LAMMPS rebuilt its list (neighbor->ago == 0): between rebuilds the entries, and so any
/// plan vitrum keyed on the list's build_id, stay valid while the atoms move.
void PairVitrum::build_list() {
  const int nlocal = atom->nlocal, nall = nlocal + atom->nghost;
  if (neighbor->ago != 0 && list_id_ != 0 && nlocal == list_nlocal_ && nall == list_nall_) return;
  list_nlocal_ = nlocal;
  list_nall_ = nall;
  ++list_id_;
  offsets_.assign(nlocal + 1, 0);
  neighbors_.clear();
  for (int i = 0; i < nlocal; ++i) {
    const int begin = static_cast<int>(neighbors_.size());
    const int* jl = list->firstneigh[i];
    for (int k = 0; k < list->numneigh[i]; ++k) neighbors_.push_back(jl[k] & NEIGHMASK);
    std::sort(neighbors_.begin() + begin, neighbors_.end());
    offsets_[i + 1] = static_cast<int>(neighbors_.size());
  }
}

void PairVitrum::compute(int eflag, int vflag) {
  ev_init(eflag, vflag);
  if (list->inum != atom->nlocal)
    error->one(FLERR, "pair_style {}: the neighbor list does not cover every local atom",
               style_name());
  build_list();
  const int nlocal = atom->nlocal, nall = nlocal + atom->nghost;
  try {
    const double* x = nall > 0 ? &atom->x[0][0] : nullptr;  // LAMMPS's x is one block
    model_->compute(nlocal, nall, x, atom->type, offsets_, neighbors_, neighbor->skin,
                    kListIdBase + list_id_, vflag_atom != 0, out_);
  } catch (const std::exception& e) {
    error->one(FLERR, "pair_style {}: step {}: {}", style_name(), update->ntimestep, e.what());
  }
  if (nlocal > 0 && out_.min_distance < model_->min_distance())
    error->one(FLERR,
               "pair_style {}: step {}: two atoms are {:.6g} apart, closer than the smallest "
               "distance the potential accepts ({:.6g}); the structure is broken or in the wrong "
               "length unit (cflength)",
               style_name(), update->ntimestep, out_.min_distance, model_->min_distance());
  double** f = atom->f;
  for (int i = 0; i < nlocal; ++i)
    for (int c = 0; c < 3; ++c) f[i][c] += out_.forces[3 * i + c];
  if (!out_.ghost_forces.empty())
    for (int g = nlocal; g < nall; ++g)
      for (int c = 0; c < 3; ++c) f[g][c] += out_.ghost_forces[3 * (g - nlocal) + c];
  if (eflag_global) eng_vdwl += out_.energy;
  if (eflag_atom)
    for (int i = 0; i < nlocal; ++i) eatom[i] += out_.atom_energy[i];
  if (vflag_global)
    for (int c = 0; c < 6; ++c) virial[c] += out_.virial[c];
  // Ghost entries (the HDNNP's) reach their owners through compute stress/atom's reverse
  // communication (newton_pair on, required for pair_style vitrum).
  if (vflag_atom)
    for (int i = 0; i < nall; ++i)
      for (int c = 0; c < 6; ++c) vatom[i][c] += out_.atom_virial[6 * static_cast<size_t>(i) + c];
  if (out_.extrapolations > 0 && !warned_extrapolation_) {
    warned_extrapolation_ = true;
    error->warning(FLERR,
                   "pair_style {}: step {}: {} symmetry-function values outside the range seen "
                   "in training (the potential extrapolates; warned once)",
                   style_name(), update->ntimestep, out_.extrapolations);
  }
}
