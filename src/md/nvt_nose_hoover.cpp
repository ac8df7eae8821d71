/// \file nvt_nose_hoover.cpp
/// NVT with a Nosé–Hoover chain (vitrum/md/math/nose_hoover.hpp), the splitting of LAMMPS fix
/// nvt: NHC(dt/2) B(dt/2) A(dt) [forces] B(dt/2) NHC(dt/2). The chain masses follow the current
/// target (Q_1 = N_f kT τ², Q_j = kT τ²), so a temperature ramp keeps the thermostat period.

#include <fmt/format.h>

#include "integrators_impl.hpp"
#include "vitrum/core/units.hpp"
#include "vitrum/md/math/nose_hoover.hpp"

namespace vitrum::md::detail {
namespace {

class NoseHooverChain final : public Integrator {
 public:
  NoseHooverChain(const IntegratorParams& p, const MdSystem& sys)
      : p_(p), ndof_(sys.degrees_of_freedom()) {
    chain_.length = p.chain_length;
  }

  void first_half(MdSystem&, AtomOps& atoms, const StepContext& ctx) override {
    thermostat(atoms, ctx);
    atoms.kick(0.5 * p_.dt);
    atoms.drift(p_.dt);
  }
  void second_half(MdSystem&, AtomOps& atoms, const StepContext& ctx) override {
    atoms.kick(0.5 * p_.dt);
    thermostat(atoms, ctx);
  }
  double extended_energy(const MdSystem&) const override {
    return math::nhc_energy(chain_, ndof_, kt_);
  }
  double timestep() const override { return p_.dt; }
  std::string describe() const override {
    return fmt::format(
        "NVT Nosé–Hoover chain (length {}, {} loop(s), Suzuki–Yoshida order {}), tdamp {} fs, "
        "dt {} fs",
        p_.chain_length, p_.chain_loops, p_.sy_order, p_.tdamp, p_.dt);
  }
  IntegratorState save_state() const override {
    IntegratorState s;
    s["kt"] = {kt_};
    put_chain(s, "chain", chain_);
    return s;
  }
  void load_state(const IntegratorState& s) override {
    kt_ = state_entry(s, "kt", 1, "nvt_nose_hoover")[0];
    get_chain(s, "chain", chain_, "nvt_nose_hoover");
  }

 private:
  void thermostat(AtomOps& atoms, const StepContext& ctx) {
    kt_ = units::kBoltzmann * ctx.temperature;
    math::nhc_set_masses(chain_, ndof_, kt_, p_.tdamp);
    const double ke2 = 2.0 * atoms.kinetic().energy;
    const double s =
        math::nhc_propagate(chain_, ke2, ndof_, kt_, 0.5 * p_.dt, p_.chain_loops, p_.sy_order);
    atoms.scale(Vec3{s, s, s});
  }

  IntegratorParams p_;
  double ndof_;
  double kt_ = 0.0;
  math::NhcChain chain_;
};

}  // namespace

std::unique_ptr<Integrator> make_nvt_nose_hoover(const IntegratorParams& p, const MdSystem& sys) {
  return std::make_unique<NoseHooverChain>(p, sys);
}

}  // namespace vitrum::md::detail
