/// \file device_force_field.cpp
/// Device force fields of md::DeviceEngine (vitrum/md/device_engine.hpp): a host ForceField as
/// the emulated device's force kernel, and the HDNNP's device force field (the "n2p2" kind's,
/// over nnp::DeviceEvaluator).
#include <algorithm>
#include <filesystem>

#include "vitrum/core/error.hpp"
#include "vitrum/md/device_engine.hpp"
#include "vitrum/md/force_field_registry.hpp"
#include "vitrum/md/run_config.hpp"
#include "vitrum/neighbor/neighbor_list.hpp"
#include "vitrum/nnp/device_evaluator.hpp"

namespace vitrum::md {
namespace {

class EmulatedForceField final : public DeviceForceField {
 public:
  EmulatedForceField(ForceField& ff, exec::Space& space) : ff_(ff), space_(space) {}
  double cutoff() const override { return ff_.cutoff(); }
  double min_distance() const override { return ff_.min_distance(); }
  void rebuild(const neighbor::DeviceShellView& shell,
               const neighbor::DeviceListView& list) override {
    // Emulated device memory is host memory: the host force field reads the device shell and
    // list in place (device-local in emulation, so not in the ledger).
    shell_ = neighbor::GhostShell{};
    shell_.n_local = shell.n_local;
    shell_.width = shell.width;
    shell_.positions.assign(shell.positions, shell.positions + shell.n_all);
    shell_.species.assign(shell.species, shell.species + shell.n_all);
    shell_.owner.assign(shell.owner, shell.owner + shell.n_all);
    shell_.shift.assign(shell.shift, shell.shift + shell.n_all);
    shell_.fold_ghosts = true;
    if (ff_.wants_half_list()) {
      // The list the host engine gives this force field (a pair potential's half list), built
      // from the device shell where it lies, so that the emulated device sums the pairs in the
      // host engine's order and keeps its bits.
      list_ = neighbor::build_half_neighbor_list(shell_, list.cutoff, list.skin);
    } else {
      list_.offsets.assign(list.offsets, list.offsets + list.n_local + 1);
      list_.neighbors.assign(list.neighbors, list.neighbors + list.entries);
    }
    list_.cutoff = list.cutoff;
    list_.skin = list.skin;
    list_.build_id = list.build_id;
    list_.reference_positions.assign(shell.positions, shell.positions + shell.n_local);
    built_ = true;
  }
  void compute(const Vec3* d_positions, Vec3* d_forces, ForceScalars& out) override {
    if (!built_) fail("{}: compute() before rebuild()", ff_.describe());
    // Emulated device memory is host memory: these copies stay on the "device".
    std::copy(d_positions, d_positions + shell_.size(), shell_.positions.begin());
    ff_.compute(shell_, list_, result_);
    if (static_cast<int>(result_.forces.size()) != shell_.n_local)
      fail("force field returned {} forces for {} atoms", result_.forces.size(), shell_.n_local);
    std::copy(result_.forces.begin(), result_.forces.end(), d_forces);
    out.energy = result_.energy;
    for (int a = 0; a < 3; ++a)
      for (int b = 0; b < 3; ++b) out.virial[a][b] = result_.virial[a][b];
    extrapolations_ = result_.extrapolations;
    // What a device force field sends up per evaluation: its energy and virial sums.
    space_.ledger().record_to_host("force:energy+virial", sizeof(double) * 10);
  }
  std::string describe() const override { return ff_.describe() + " (on the emulated device)"; }
  long extrapolations() const override { return extrapolations_; }

 private:
  ForceField& ff_;
  long extrapolations_ = 0;
  exec::Space& space_;
  neighbor::GhostShell shell_;
  neighbor::NeighborList list_;
  bool built_ = false;
  ForceResult result_;
};

/// The HDNNP on the device: nnp::DeviceEvaluator reads the engine's shell and list in place and
/// leaves forces and per-atom energies in device memory; its energy, extrapolation count and
/// virial are the 88 bytes per step that reach the host (one reduction).
class HdnnpDeviceForceField final : public DeviceForceField {
 public:
  HdnnpDeviceForceField(std::unique_ptr<nnp::Potential> pot, nnp::DeviceEvalOptions opt,
                        exec::Space& space)
      : pot_(std::move(pot)), opt_(opt), eval_(nnp::make_device_evaluator(*pot_, opt, space)) {
    describe_ = fmt::format(
        "HDNNP {} ({} elements, cutoff {:.4g} Å, 1 length unit = {:.10g} Å, 1 energy unit = "
        "{:.10g} eV, precision {}) on the {} device",
        pot_->directory(), pot_->n_elements(), cutoff(), opt.length_unit, opt.energy_unit,
        to_string(opt.precision), to_string(space.kind()));
  }
  double cutoff() const override { return eval_->cutoff(); }
  double min_distance() const override {
    const double d = pot_->min_distance() * opt_.length_unit;
    return d > 0 ? d : 1e-6 * cutoff();
  }
  void rebuild(const neighbor::DeviceShellView& shell,
               const neighbor::DeviceListView& list) override {
    eval_->rebuild(shell, list);
  }
  void compute(const Vec3* d_positions, Vec3* d_forces, ForceScalars& out) override {
    compute_with_energies(d_positions, d_forces, nullptr, out);
  }
  bool has_atom_energies() const override { return true; }
  void compute_with_energies(const Vec3* d_positions, Vec3* d_forces, double* d_atom_energy,
                             ForceScalars& out) override {
    nnp::DeviceEvalScalars s;
    eval_->compute(d_positions, d_forces, d_atom_energy, s);
    out.energy = s.energy;
    for (int a = 0; a < 3; ++a)
      for (int b = 0; b < 3; ++b) out.virial[a][b] = s.virial[a][b];
    extrapolations_ = s.extrapolations;
  }
  std::string describe() const override { return describe_; }
  long extrapolations() const override { return extrapolations_; }
  std::size_t device_bytes() const override { return eval_->device_bytes(); }

 private:
  std::unique_ptr<nnp::Potential> pot_;
  nnp::DeviceEvalOptions opt_;
  std::unique_ptr<nnp::DeviceEvaluator> eval_;
  std::string describe_;
  long extrapolations_ = 0;
};

}  // namespace

void DeviceForceField::compute_with_energies(const Vec3*, Vec3*, double*, ForceScalars&) {
  fail("{}: this device force field gives no per-atom energies", describe());
}

std::unique_ptr<DeviceForceField> make_device_hdnnp(const PotentialConfig& c, exec::Space& space) {
  if (!std::filesystem::is_directory(c.path))
    fail("{}: not an n2p2 potential directory (input.nn, scaling.data, weights.NNN.data)", c.path);
  auto pot = std::make_unique<nnp::Potential>(nnp::Potential::load_n2p2(c.path));
  nnp::DeviceEvalOptions opt;
  opt.precision = c.precision;
  opt.length_unit = c.length_unit;
  opt.energy_unit = c.energy_unit;
  return std::make_unique<HdnnpDeviceForceField>(std::move(pot), opt, space);
}

void register_device_hdnnp_force_field() {
  register_device_force_field("n2p2", make_device_hdnnp);
}

std::unique_ptr<DeviceForceField> emulate_force_field(ForceField& ff, exec::Space& space) {
  if (space.kind() != exec::SpaceKind::Emulated)
    fail("{}: a host force field runs on the emulated device only, not on a {} device",
         ff.describe(), to_string(space.kind()));
  return std::make_unique<EmulatedForceField>(ff, space);
}

}  // namespace vitrum::md
