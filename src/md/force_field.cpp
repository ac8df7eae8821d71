// Force fields the MD engine drives: the HDNNP evaluator in vitrum's units.
#include "vitrum/md/force_field.hpp"

#include <filesystem>

#include "vitrum/core/error.hpp"
#include "vitrum/parallel/device_binding.hpp"
#include "vitrum/teacher/teacher.hpp"

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

std::unique_ptr<ForceField> load_force_field(const std::string& path, Backend backend,
                                             Precision precision, double length_unit,
                                             double energy_unit) {
  namespace fs = std::filesystem;
  // One rank per GPU: the ranks of a node spread over its devices (before any CUDA allocation).
  if (backend == Backend::Cuda) parallel::bind_cuda_device();
  if (fs::is_directory(path)) {
    auto pot = std::make_unique<nnp::Potential>(nnp::Potential::load_n2p2(path));
    nnp::EvalOptions opt{backend, precision, true, length_unit, energy_unit};
    const nnp::Potential& ref = *pot;
    return std::make_unique<NnpForceField>(ref, opt, std::move(pot));
  }
  const fs::path p(path);
  if (p.extension() == ".toml") {
    if (!fs::is_regular_file(p)) fail("{}: no such teacher parameter file", path);
    if (length_unit != 1.0 || energy_unit != 1.0)
      fail(
          "{}: length/energy unit options apply to n2p2 potentials only; a teacher parameter file "
          "is in Å and eV (got length unit {}, energy unit {})",
          path, length_unit, energy_unit);
    if (precision != Precision::Double)
      fail("{}: the teacher potential runs in double precision only (got precision {})", path,
           to_string(precision));
    return teacher::load_teacher(path, backend);
  }
  fail(
      "{}: not a potential: expected an n2p2 potential directory (input.nn, scaling.data, "
      "weights.NNN.data) or a teacher parameter file (*.toml)",
      path);
}

}  // namespace vitrum::md
