/// \file minimize_fire.cpp
/// Energy minimization as a stage: FIRE 2.0 (Bitzek et al., Phys. Rev. Lett. 97, 170201 (2006);
/// Guénolé et al., Comput. Mater. Sci. 175, 109584 (2020)) at fixed cell, with the
/// semi-implicit Euler step of FIRE 2.0, all in first_half() with the forces of the current
/// positions:
///   P = F·v (all atoms, all ranks)
///   P > 0: after N_delay = 5 such steps, Δt <- min(1.1 Δt, Δt_max), α <- 0.99 α
///   P <= 0: Δt <- max(0.5 Δt, Δt_min), α <- α0 = 0.25, x <- x - Δt/2 v, v <- 0
///   v <- v + Δt F/m;   v <- (1 - α) v + α |v| F/|F|;   x <- x + Δt v
/// with Δt_0 = the stage's timestep_fs, Δt_max = 10 Δt_0, Δt_min = 0.02 Δt_0. The velocities are
/// the minimizer's (their "temperature" in the thermo output is not a physical one); the energy
/// decreases towards a local minimum of the potential energy. The conserved-energy column is
/// meaningless during the stage (extended energy 0). With fmax > 0 (eV/Å) the stage ends at the
/// first step whose starting forces all have |F_i| < fmax (max over all atoms and ranks): that
/// step leaves the atoms where they are, and the next stage starts from the relaxed structure.

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "integrate_cpu.hpp"
#include "integrators_impl.hpp"
#include "vitrum/core/error.hpp"

namespace vitrum::md::detail {
namespace {

class Fire final : public Integrator {
 public:
  explicit Fire(const IntegratorParams& p) : p_(p), dt_(p.dt) {}

  void begin(MdSystem& sys, const StepContext&) override {
    std::fill(sys.velocities.begin(), sys.velocities.end(), Vec3{0, 0, 0});
  }

  void first_half(MdSystem& sys, AtomOps& atoms, const StepContext&) override {
    // FIRE's power and norms are sums over the host arrays: the minimizer runs on the host engine.
    if (dynamic_cast<HostAtomOps*>(&atoms) == nullptr)
      vitrum::fail(
          "minimize_fire: the FIRE stage runs on the host engine only (not device-resident)");
    const int n = sys.size();
    double sums[3] = {0.0, 0.0, 0.0};  // F·v, |v|², |F|²
    double f2_max = 0.0;
    for (int i = 0; i < n; ++i) {
      sums[0] += dot(sys.forces[i], sys.velocities[i]);
      sums[1] += dot(sys.velocities[i], sys.velocities[i]);
      const double f2 = dot(sys.forces[i], sys.forces[i]);
      sums[2] += f2;
      f2_max = std::max(f2_max, f2);
    }
    sys.comm.sum(sums, 3);
    sys.comm.max(&f2_max, 1);
    max_force_ = std::sqrt(f2_max);
    if (p_.fmax > 0.0 && max_force_ < p_.fmax) {
      converged_ = true;
      std::fill(sys.velocities.begin(), sys.velocities.end(), Vec3{0, 0, 0});
      return;
    }
    if (sums[0] > 0.0) {
      if (++n_positive_ > kDelay) {
        dt_ = std::min(dt_ * 1.1, 10.0 * p_.dt);
        alpha_ *= 0.99;
      }
    } else {
      n_positive_ = 0;
      dt_ = std::max(dt_ * 0.5, 0.02 * p_.dt);
      alpha_ = kAlpha0;
      atoms.drift(-0.5 * dt_);
      std::fill(sys.velocities.begin(), sys.velocities.end(), Vec3{0, 0, 0});
    }
    atoms.kick(dt_);
    double vv = 0.0;
    for (int i = 0; i < n; ++i) vv += dot(sys.velocities[i], sys.velocities[i]);
    vv = sys.comm.sum(vv);
    if (sums[2] > 0.0) {
      const double mix = alpha_ * std::sqrt(vv / sums[2]);
      for (int i = 0; i < n; ++i) {
        sys.velocities[i] = (1.0 - alpha_) * sys.velocities[i] + mix * sys.forces[i];
      }
    }
    atoms.drift(dt_);
  }
  void second_half(MdSystem&, AtomOps&, const StepContext&) override {}
  bool converged() const override { return converged_; }
  double extended_energy(const MdSystem&) const override { return 0.0; }
  double timestep() const override { return p_.dt; }
  std::string describe() const override {
    return fmt::format("FIRE 2.0 energy minimization at fixed cell, dt {} fs (max {} fs){}", p_.dt,
                       10 * p_.dt,
                       p_.fmax > 0 ? fmt::format(", until max |F| < {} eV/Å", p_.fmax) : "");
  }
  IntegratorState save_state() const override {
    return {{"fire", {dt_, alpha_, static_cast<double>(n_positive_)}}};
  }
  void load_state(const IntegratorState& s) override {
    const auto& v = state_entry(s, "fire", 3, "minimize_fire");
    dt_ = v[0];
    alpha_ = v[1];
    n_positive_ = static_cast<int>(v[2]);
  }

 private:
  static constexpr int kDelay = 5;
  static constexpr double kAlpha0 = 0.25;
  IntegratorParams p_;
  double dt_;
  double alpha_ = kAlpha0;
  int n_positive_ = 0;
  double max_force_ = 0.0;
  bool converged_ = false;
};

}  // namespace

std::unique_ptr<Integrator> make_minimize_fire(const IntegratorParams& p, const MdSystem&) {
  return std::make_unique<Fire>(p);
}

}  // namespace vitrum::md::detail
