/// \file integrator.cpp
/// Ensemble names, parameter checks, the integrator factory and velocity Verlet (NVE).
///
/// Velocity Verlet: v(t+dt/2) = v(t) + dt/2 F(t)/m;  r(t+dt) = r(t) + dt v(t+dt/2);
/// v(t+dt) = v(t+dt/2) + dt/2 F(t+dt)/m. Symplectic and time reversible; the total energy
/// E = K + U is conserved up to O(dt²) fluctuations without drift.

#include "vitrum/md/integrator.hpp"

#include <fmt/format.h>

#include <cmath>

#include "integrate_cpu.hpp"
#include "integrators_impl.hpp"
#include "vitrum/core/error.hpp"
#include "vitrum/md/math/nose_hoover.hpp"

namespace vitrum::md {

Ensemble parse_ensemble(const std::string& name) {
  if (name == "nve") return Ensemble::Nve;
  if (name == "nvt_nose_hoover") return Ensemble::NvtNoseHoover;
  if (name == "nvt_langevin") return Ensemble::NvtLangevin;
  if (name == "npt_mtk") return Ensemble::NptMtk;
  if (name == "minimize_fire") return Ensemble::MinimizeFire;
  fail(
      "unknown ensemble '{}': expected one of nve, nvt_nose_hoover, nvt_langevin, npt_mtk, "
      "minimize_fire",
      name);
}

const char* to_string(Ensemble e) {
  switch (e) {
    case Ensemble::Nve:
      return "nve";
    case Ensemble::NvtNoseHoover:
      return "nvt_nose_hoover";
    case Ensemble::NvtLangevin:
      return "nvt_langevin";
    case Ensemble::NptMtk:
      return "npt_mtk";
    case Ensemble::MinimizeFire:
      return "minimize_fire";
  }
  return "?";
}

void HostAtomOps::kick(double h) {
  cpu::kick_all(sys_, h);
}
void HostAtomOps::drift(double h) {
  cpu::drift_all(sys_, h);
}
void HostAtomOps::scale(const Vec3& s) {
  cpu::scale_all(sys_, s);
}
void HostAtomOps::langevin(double c1, double kt, std::uint64_t seed, std::uint64_t step) {
  cpu::langevin_all(sys_, c1, kt, seed, step);
}
void HostAtomOps::mtk_drift(const Vec3& half_expansion, double dt) {
  cpu::mtk_drift_all(sys_, half_expansion, dt);
}
Kinetic HostAtomOps::kinetic() {
  return md::kinetic(sys_);
}

namespace detail {
namespace {

class VelocityVerlet final : public Integrator {
 public:
  VelocityVerlet(const IntegratorParams& p, const MdSystem&) : dt_(p.dt) {}
  void first_half(MdSystem&, AtomOps& atoms, const StepContext&) override {
    atoms.kick(0.5 * dt_);
    atoms.drift(dt_);
  }
  void second_half(MdSystem&, AtomOps& atoms, const StepContext&) override {
    atoms.kick(0.5 * dt_);
  }
  double extended_energy(const MdSystem&) const override { return 0.0; }
  double timestep() const override { return dt_; }
  std::string describe() const override {
    return fmt::format("NVE velocity Verlet, dt {} fs", dt_);
  }

 private:
  double dt_;
};

}  // namespace

std::unique_ptr<Integrator> make_nve(const IntegratorParams& p, const MdSystem& sys) {
  return std::make_unique<VelocityVerlet>(p, sys);
}

const std::vector<double>& state_entry(const IntegratorState& state, const std::string& key,
                                       std::size_t n, const char* who) {
  const auto it = state.find(key);
  if (it == state.end()) fail("{} state: '{}' is missing", who, key);
  if (it->second.size() != n) {
    fail("{} state: '{}' holds {} value(s), expected {}", who, key, it->second.size(), n);
  }
  return it->second;
}

void put_chain(IntegratorState& state, const std::string& prefix, const math::NhcChain& c) {
  state[prefix + "_xi"].assign(c.xi, c.xi + c.length);
  state[prefix + "_v"].assign(c.v, c.v + c.length);
  state[prefix + "_q"].assign(c.q, c.q + c.length);
}

void get_chain(const IntegratorState& state, const std::string& prefix, math::NhcChain& c,
               const char* who) {
  const std::size_t m = static_cast<std::size_t>(c.length);
  const auto& xi = state_entry(state, prefix + "_xi", m, who);
  const auto& v = state_entry(state, prefix + "_v", m, who);
  const auto& q = state_entry(state, prefix + "_q", m, who);
  for (std::size_t j = 0; j < m; ++j) {
    c.xi[j] = xi[j];
    c.v[j] = v[j];
    c.q[j] = q[j];
  }
}

}  // namespace detail

std::unique_ptr<Integrator> make_integrator(const IntegratorParams& p, const MdSystem& sys) {
  if (!(p.dt > 0.0) || !std::isfinite(p.dt)) fail("time step must be > 0 fs, got {}", p.dt);
  if (p.ensemble != Ensemble::Nve && p.ensemble != Ensemble::MinimizeFire) {
    if (!(p.tdamp > 0.0) || !std::isfinite(p.tdamp))
      fail("thermostat time constant tdamp must be > 0 fs, got {}", p.tdamp);
  }
  if (p.ensemble == Ensemble::NvtNoseHoover || p.ensemble == Ensemble::NptMtk) {
    if (p.chain_length < 1 || p.chain_length > math::kMaxChainLength)
      fail("Nosé–Hoover chain length must be 1..{}, got {}", math::kMaxChainLength, p.chain_length);
    if (p.chain_loops < 1) fail("Nosé–Hoover chain loops must be >= 1, got {}", p.chain_loops);
    double w[7];
    if (math::suzuki_yoshida_weights(p.sy_order, w) == 0)
      fail("Suzuki–Yoshida order must be 1, 3, 5 or 7, got {}", p.sy_order);
  }
  if (sys.global_size() == 0) fail("cannot integrate a system without atoms");
  switch (p.ensemble) {
    case Ensemble::Nve:
      return detail::make_nve(p, sys);
    case Ensemble::NvtNoseHoover:
      return detail::make_nvt_nose_hoover(p, sys);
    case Ensemble::NvtLangevin:
      return detail::make_nvt_langevin(p, sys);
    case Ensemble::NptMtk:
      return detail::make_npt_mtk(p, sys);
    case Ensemble::MinimizeFire:
      return detail::make_minimize_fire(p, sys);
  }
  fail("unknown ensemble");
}

}  // namespace vitrum::md
