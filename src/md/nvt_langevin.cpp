/// \file nvt_langevin.cpp
/// NVT Langevin dynamics, BAOAB splitting (Leimkuhler & Matthews, Appl. Math. Res. Express 2013,
/// 34): B(dt/2) A(dt/2) O(dt) A(dt/2) [forces] B(dt/2), with the exact Ornstein–Uhlenbeck step
///   O: v <- c1 v + sqrt((1 - c1²) kT/m) ξ,   c1 = exp(-γ dt),   γ = 1/tdamp.
/// Its configurational sampling is exact to O(dt²) with a small constant, and one force
/// evaluation per step suffices. The noise ξ of atom i at step n is Philox(seed; i, n), so a run
/// is reproducible for any thread count, rank count or backend.
///
/// Conserved quantity: the heat exchanged with the bath is tallied as the kinetic-energy change of
/// each O step; E_tot - Σ ΔK_O is then conserved up to the B/A integration error (LAMMPS
/// fix langevin ... tally yes).

#include <fmt/format.h>

#include <cmath>

#include "integrators_impl.hpp"
#include "vitrum/core/units.hpp"

namespace vitrum::md::detail {
namespace {

class LangevinBaoab final : public Integrator {
 public:
  LangevinBaoab(const IntegratorParams& p, const MdSystem&) : p_(p) {}

  void first_half(MdSystem&, AtomOps& atoms, const StepContext& ctx) override {
    atoms.kick(0.5 * p_.dt);
    atoms.drift(0.5 * p_.dt);
    const double kt = units::kBoltzmann * ctx.temperature;
    const double c1 = std::exp(-p_.dt / p_.tdamp);
    const double k0 = atoms.kinetic().energy;
    atoms.langevin(c1, kt, p_.seed, static_cast<std::uint64_t>(ctx.step));
    heat_ += atoms.kinetic().energy - k0;
    atoms.drift(0.5 * p_.dt);
  }
  void second_half(MdSystem&, AtomOps& atoms, const StepContext&) override {
    atoms.kick(0.5 * p_.dt);
  }
  double extended_energy(const MdSystem&) const override { return -heat_; }
  double timestep() const override { return p_.dt; }
  std::string describe() const override {
    return fmt::format("NVT Langevin (BAOAB), tdamp {} fs, seed {}, dt {} fs", p_.tdamp, p_.seed,
                       p_.dt);
  }
  // The noise is Philox(seed; atom id, step): the step and the seed continue it exactly.
  IntegratorState save_state() const override { return {{"heat", {heat_}}}; }
  void load_state(const IntegratorState& s) override {
    heat_ = state_entry(s, "heat", 1, "nvt_langevin")[0];
  }

 private:
  IntegratorParams p_;
  double heat_ = 0.0;  ///< energy received from the bath (eV)
};

}  // namespace

std::unique_ptr<Integrator> make_nvt_langevin(const IntegratorParams& p, const MdSystem& sys) {
  return std::make_unique<LangevinBaoab>(p, sys);
}

}  // namespace vitrum::md::detail
