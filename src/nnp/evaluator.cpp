// The dispatch point of the NNP evaluation: sizing, the ghost/neighbor set-up for whole
// structures, input checks, and the single backend switch.
#include <cmath>

#include "vitrum/core/error.hpp"
#include "vitrum/core/structure.hpp"
#include "vitrum/nnp/evaluator_backend.hpp"

namespace vitrum::nnp {

std::vector<int> element_indices(const Potential& pot, const neighbor::GhostShell& shell) {
  int lut[128];
  for (int& x : lut) x = -1;
  for (int e = 0; e < pot.n_elements(); ++e) lut[pot.element(e).z] = e;
  std::vector<int> elem(shell.size());
  for (int i = 0; i < shell.size(); ++i) {
    const int z = shell.species[i];
    elem[i] = (z > 0 && z < 128) ? lut[z] : -1;
    if (elem[i] < 0 && i < shell.n_local) {
      std::string known;
      for (const auto& el : pot.elements()) known += (known.empty() ? "" : ", ") + el.symbol;
      fail(
          "atom {} has atomic number {}, an element the potential in {} does not have "
          "(it knows {})",
          i, z, pot.directory(), known);
    }
  }
  return elem;
}

Evaluator::Evaluator(const Potential& potential, EvalOptions options)
    : potential_(&potential), options_(options) {
  require_backend(options.backend);
  if (!(options.length_unit > 0) || !(options.energy_unit > 0))
    fail("potential units must be positive (length_unit {}, energy_unit {})", options.length_unit,
         options.energy_unit);
  const double inv_length = 1.0 / options.length_unit;
  switch (options.backend) {
    case Backend::Cpu:
      backend_ = make_cpu_backend(potential, options.precision, inv_length, options.fused_runs);
      break;
    case Backend::Cuda:
      backend_ = make_cuda_backend(potential, options.precision, inv_length);
      break;
  }
}

Evaluator::~Evaluator() = default;
size_t Evaluator::memory_bytes() const {
  return backend_->memory_bytes();
}
Evaluator::Evaluator(Evaluator&&) noexcept = default;
Evaluator& Evaluator::operator=(Evaluator&&) noexcept = default;

namespace {

void check_list(const neighbor::NeighborList& list, double cutoff) {
  if (list.cutoff + list.skin < cutoff * (1 - 1e-12))
    fail("neighbor list cutoff {} is shorter than the potential's cutoff {}",
         list.cutoff + list.skin, cutoff);
}

/// From potential units to the caller's (see evaluator_backend.hpp): energies scale by the
/// energy unit; forces and virial, computed as dE_pot/dr_pot, by energy unit / length unit.
void to_caller_units(const EvalOptions& o, EvalResult& result) {
  const double eu = o.energy_unit;
  if (eu != 1.0 || o.length_unit != 1.0) {
    const double fu = eu / o.length_unit;
    result.energy *= eu;
    for (double& e : result.atom_energy) e *= eu;
    for (auto& f : result.forces) f = fu * f;
    for (auto& f : result.ghost_forces) f = fu * f;
    for (auto& row : result.virial)
      for (double& v : row) v *= fu;
    for (double& v : result.atom_virial) v *= fu;
  }
  result.min_distance *= o.length_unit;
}

}  // namespace

void EvaluatorBackend::compute_device(const neighbor::GhostShell&, const Vec3*, bool, double, Vec3*,
                                      EvalResult&) {
  fail("device-resident evaluation needs the CUDA backend");
}

void EvaluatorBackend::compute_atom_virial(const neighbor::GhostShell&,
                                           const neighbor::NeighborList&, EvalResult&) {
  fail("per-atom virials of the HDNNP need the CPU backend");
}

bool Evaluator::has_atom_virial() const {
  return backend_->has_atom_virial();
}

void Evaluator::compute(const neighbor::GhostShell& shell, const neighbor::NeighborList& list,
                        EvalResult& result, bool atom_virial) {
  check_list(list, cutoff());
  if (atom_virial) {
    backend_->compute_atom_virial(shell, list, result);
  } else {
    backend_->compute(shell, list, options_.forces, result);
    result.atom_virial.clear();
  }
  to_caller_units(options_, result);
}

void Evaluator::compute_device(const neighbor::GhostShell& shell,
                               const neighbor::NeighborList& list, const Vec3* d_positions,
                               Vec3* d_forces, EvalResult& result) {
  check_list(list, cutoff());
  backend_->compute_device(shell, d_positions, options_.forces,
                           options_.energy_unit / options_.length_unit, d_forces, result);
  to_caller_units(options_, result);  // forces are on the device, already scaled
}

EvalResult Evaluator::evaluate(const Structure& s, const std::string& where) {
  validate_structure(s, where);
  for (size_t i = 0; i < s.size(); ++i)
    if (potential_->element_index(s.species[i]) < 0)
      fail("{}: atom {} is element Z={}, which the potential in {} does not have", where, i,
           s.species[i], potential_->directory());
  const double rc = cutoff();
  neighbor::GhostShell shell = neighbor::build_ghost_shell(s.box, s.positions, s.species, rc);
  neighbor::NeighborList list = neighbor::build_neighbor_list(shell, rc, 0.0);
  EvalResult r;
  compute(shell, list, r);
  // Two atoms on top of each other make every symmetry function meaningless.
  const double min_ok = potential_->min_distance() > 0
                            ? potential_->min_distance() * options_.length_unit
                            : 1e-6 * rc;
  if (r.min_distance < min_ok)
    fail(
        "{}: two atoms are {:.6g} apart, closer than the smallest distance the potential "
        "accepts ({:.6g}{}); the structure is broken or in the wrong length unit",
        where, r.min_distance, min_ok,
        potential_->min_distance() > 0 ? ", vitrum_min_distance in input.nn" : "");
  return r;
}

}  // namespace vitrum::nnp
