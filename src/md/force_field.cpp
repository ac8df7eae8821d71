// Force fields the MD engine drives: the HDNNP evaluator in vitrum's units (the "n2p2" kind).
#include "vitrum/md/force_field.hpp"

#include <filesystem>

#include "vitrum/core/error.hpp"
#include "vitrum/md/force_field_registry.hpp"

namespace vitrum::md {

void ForceField::compute_device(const neighbor::GhostShell&, const neighbor::NeighborList&,
                                const Vec3*, Vec3*, ForceResult&) {
  fail("{}: this force field has no device-resident evaluation", describe());
}

namespace {

class NnpForceField final : public ForceField {
 public:
  NnpForceField(const nnp::Potential& pot, nnp::EvalOptions opt,
                std::unique_ptr<nnp::Potential> owned = nullptr)
      : owned_(std::move(owned)), eval_(pot, opt) {}
  double cutoff() const override { return eval_.cutoff(); }
  double min_distance() const override {
    const double d = eval_.potential().min_distance() * eval_.options().length_unit;
    return d > 0 ? d : ForceField::min_distance();
  }
  void compute(const neighbor::GhostShell& shell, const neighbor::NeighborList& list,
               ForceResult& out) override {
    eval_.compute(shell, list, out);
  }
  bool device_resident() const override { return eval_.options().backend == Backend::Cuda; }
  void compute_device(const neighbor::GhostShell& shell, const neighbor::NeighborList& list,
                      const Vec3* d_positions, Vec3* d_forces, ForceResult& out) override {
    eval_.compute_device(shell, list, d_positions, d_forces, out);
  }
  std::string describe() const override {
    const auto& o = eval_.options();
    return fmt::format(
        "HDNNP {} ({} elements, cutoff {:.4g} Å, 1 length unit = {:.10g} Å, "
        "1 energy unit = {:.10g} eV, backend {}, precision {})",
        eval_.potential().directory(), eval_.potential().n_elements(), cutoff(), o.length_unit,
        o.energy_unit, to_string(o.backend), to_string(o.precision));
  }

 private:
  std::unique_ptr<nnp::Potential> owned_;
  nnp::Evaluator eval_;
};

}  // namespace

std::unique_ptr<ForceField> make_nnp_force_field(const nnp::Potential& potential,
                                                 nnp::EvalOptions options) {
  return std::make_unique<NnpForceField>(potential, options);
}

/// The "n2p2" kind: an HDNNP directory with its units stated in [potential].
void register_n2p2_force_field() {
  register_force_field(
      "n2p2", "HDNNP of an n2p2 potential directory (path, length_unit, energy_unit)",
      [](ForceFieldRequest& r) -> std::unique_ptr<ForceField> {
        r.table.check_unknown(kCommonPotentialKeys);
        const PotentialConfig& c = r.config;
        if (!std::filesystem::is_directory(c.path))
          fail("{}: not an n2p2 potential directory (input.nn, scaling.data, weights.NNN.data)",
               c.path);
        auto pot = std::make_unique<nnp::Potential>(nnp::Potential::load_n2p2(c.path));
        nnp::EvalOptions opt{c.backend, c.precision, true, c.length_unit, c.energy_unit};
        const nnp::Potential& ref = *pot;
        return std::make_unique<NnpForceField>(ref, opt, std::move(pot));
      },
      /*cuda=*/true);
}

std::unique_ptr<ForceField> load_force_field(const std::string& path, Backend backend,
                                             Precision precision, double length_unit,
                                             double energy_unit) {
  PotentialConfig c;
  c.path = path;
  c.backend = backend;
  c.precision = precision;
  c.length_unit = length_unit;
  c.energy_unit = energy_unit;
  return make_force_field(c);
}

}  // namespace vitrum::md
