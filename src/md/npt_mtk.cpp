/// \file npt_mtk.cpp
/// NPT: Martyna–Tobias–Klein barostat (J. Chem. Phys. 101, 4177 (1994)) with Nosé–Hoover chains
/// on the particles and on the barostat, for orthogonal cells, in the variables and splitting of
/// LAMMPS fix npt (Shinoda, Shiga, Mikami, PRB 69, 134103 (2004)), so that LAMMPS users find the
/// same time constants and the same conserved quantity.
///
/// Variables: strain rates ω̇_a (1/fs) of the three cell lengths, L_a' = ω̇_a L_a, each with mass
/// W = (N + 1) kT τ_P² (eV fs²). Isotropic coupling keeps ω̇_x = ω̇_y = ω̇_z. Equations of motion
/// (P_ext in eV/Å³, V in Å³, 2K = Σ kMvv2e m v²):
///   ṙ_a = v_a + ω̇_a r_a,
///   v̇_a = F_a/m - (ω̇_a + Σ_b ω̇_b / (3N)) v_a - v_ξ1 v_a,
///   W ω̈_a = (P_a - P_ext) V + 2K/(3N) - v_η1 W ω̇_a,
/// with P_a = (2K_aa + W_aa)/V (anisotropic) or the scalar pressure (isotropic), and Nosé–Hoover
/// chains ξ (particles, N_f degrees of freedom) and η (barostat; 1 degree of freedom isotropic, 3
/// anisotropic). Conserved quantity:
///   H = K + U + P_ext (V - V_0) + Σ_a W ω̇_a²/2 + H_NHC(ξ) + H_NHC(η).
/// Splitting per step (dt): NHC_η(dt/2) NHC_ξ(dt/2) ω̇(dt/2) v-scale(dt/2) B(dt/2)
/// [cell and positions over dt: r_a <- e^{ω̇_a dt/2}(e^{ω̇_a dt/2} r_a + dt v_a), L_a <- e^{ω̇_a
/// dt} L_a] forces, B(dt/2) v-scale(dt/2) ω̇(dt/2) NHC_ξ(dt/2) NHC_η(dt/2). The cell is scaled
/// about the origin (LAMMPS: about its centre; this only translates the system).

#include <fmt/format.h>

#include <cmath>

#include "integrators_impl.hpp"
#include "vitrum/core/error.hpp"
#include "vitrum/core/units.hpp"
#include "vitrum/md/math/nose_hoover.hpp"

namespace vitrum::md::detail {
namespace {

class NptMtk final : public Integrator {
 public:
  NptMtk(const IntegratorParams& p, const MdSystem& sys)
      : p_(p),
        iso_(p.coupling == BarostatCoupling::Isotropic),
        natoms_(static_cast<double>(sys.global_size())),
        ndof_(sys.degrees_of_freedom()),
        v0_(sys.box.volume()) {
    if (!sys.box.periodic) fail("npt_mtk needs a periodic cell; the structure has none");
    for (int a = 0; a < 3; ++a) {
      const double len = std::sqrt(dot(sys.box.h[a], sys.box.h[a]));
      for (int b = 0; b < 3; ++b) {
        if (a != b && std::fabs(sys.box.h[a][b]) > 1e-10 * len) {
          fail(
              "npt_mtk supports orthogonal cells only; cell vector {} = ({}, {}, {}) has an "
              "off-diagonal component",
              "abc"[a], sys.box.h[a].x, sys.box.h[a].y, sys.box.h[a].z);
        }
      }
    }
    if (!(p.pdamp > 0.0) || !std::isfinite(p.pdamp))
      fail("barostat time constant pdamp must be > 0 fs, got {}", p.pdamp);
    chain_t_.length = p.chain_length;
    chain_p_.length = p.chain_length;
  }

  bool changes_box() const override { return true; }

  void first_half(MdSystem& sys, AtomOps& atoms, const StepContext& ctx) override {
    set_targets(ctx);
    barostat_thermostat();
    particle_thermostat(atoms);
    omega_dot_half(sys, atoms.kinetic());
    scale_velocities(atoms);
    atoms.kick(0.5 * p_.dt);
    // Cell and positions over dt.
    Vec3 half{1, 1, 1};
    for (int a = 0; a < 3; ++a) {
      half[a] = std::exp(0.5 * p_.dt * omega_dot_[a]);
      sys.box.h[a][a] *= half[a] * half[a];
    }
    atoms.mtk_drift(half, p_.dt);
  }

  void second_half(MdSystem& sys, AtomOps& atoms, const StepContext& ctx) override {
    set_targets(ctx);
    atoms.kick(0.5 * p_.dt);
    scale_velocities(atoms);
    omega_dot_half(sys, atoms.kinetic());
    particle_thermostat(atoms);
    barostat_thermostat();
  }

  double extended_energy(const MdSystem& sys) const override {
    double e = pext_ * (sys.box.volume() - v0_);
    for (int a = 0; a < 3; ++a) e += 0.5 * w_ * omega_dot_[a] * omega_dot_[a];
    e += math::nhc_energy(chain_t_, ndof_, kt_);
    e += math::nhc_energy(chain_p_, iso_ ? 1.0 : 3.0, kt_);
    return e;
  }

  double timestep() const override { return p_.dt; }
  std::string describe() const override {
    return fmt::format(
        "NPT Martyna–Tobias–Klein ({}), tdamp {} fs, pdamp {} fs, Nosé–Hoover chains of {} "
        "({} loop(s), Suzuki–Yoshida order {}), dt {} fs",
        iso_ ? "isotropic" : "anisotropic", p_.tdamp, p_.pdamp, p_.chain_length, p_.chain_loops,
        p_.sy_order, p_.dt);
  }
  IntegratorState save_state() const override {
    IntegratorState s;
    s["kt"] = {kt_};
    s["pext"] = {pext_};
    s["w"] = {w_};
    s["v0"] = {v0_};
    s["omega_dot"] = {omega_dot_[0], omega_dot_[1], omega_dot_[2]};
    put_chain(s, "chain_t", chain_t_);
    put_chain(s, "chain_p", chain_p_);
    return s;
  }
  void load_state(const IntegratorState& s) override {
    const char* who = "npt_mtk";
    kt_ = state_entry(s, "kt", 1, who)[0];
    pext_ = state_entry(s, "pext", 1, who)[0];
    w_ = state_entry(s, "w", 1, who)[0];
    v0_ = state_entry(s, "v0", 1, who)[0];
    const auto& od = state_entry(s, "omega_dot", 3, who);
    for (int a = 0; a < 3; ++a) omega_dot_[a] = od[a];
    get_chain(s, "chain_t", chain_t_, who);
    get_chain(s, "chain_p", chain_p_, who);
  }

 private:
  void set_targets(const StepContext& ctx) {
    kt_ = units::kBoltzmann * ctx.temperature;
    pext_ = ctx.pressure / units::kEvPerA3ToBar;
    w_ = (natoms_ + 1.0) * kt_ * p_.pdamp * p_.pdamp;
    math::nhc_set_masses(chain_t_, ndof_, kt_, p_.tdamp);
    math::nhc_set_masses(chain_p_, iso_ ? 1.0 : 3.0, kt_, p_.pdamp);
  }

  void particle_thermostat(AtomOps& atoms) {
    const double ke2 = 2.0 * atoms.kinetic().energy;
    const double s =
        math::nhc_propagate(chain_t_, ke2, ndof_, kt_, 0.5 * p_.dt, p_.chain_loops, p_.sy_order);
    atoms.scale(Vec3{s, s, s});
  }

  void barostat_thermostat() {
    double ke2 = 0.0;
    for (int a = 0; a < 3; ++a) ke2 += w_ * omega_dot_[a] * omega_dot_[a];
    const double s = math::nhc_propagate(chain_p_, ke2, iso_ ? 1.0 : 3.0, kt_, 0.5 * p_.dt,
                                         p_.chain_loops, p_.sy_order);
    for (int a = 0; a < 3; ++a) omega_dot_[a] *= s;
  }

  /// ω̇_a += dt/2 [(P_a - P_ext) V + 2K/(3N)] / W.
  void omega_dot_half(const MdSystem& sys, const Kinetic& k) {
    const double v = sys.box.volume();
    double p[3];
    for (int a = 0; a < 3; ++a) p[a] = (k.tensor[a][a] + sys.virial[a][a]) / v;
    if (iso_) p[0] = p[1] = p[2] = (p[0] + p[1] + p[2]) / 3.0;
    const double mtk1 = 2.0 * k.energy / (3.0 * natoms_);
    for (int a = 0; a < 3; ++a) {
      omega_dot_[a] += 0.5 * p_.dt * ((p[a] - pext_) * v + mtk1) / w_;
    }
  }

  /// v_a <- v_a exp(-dt/2 (ω̇_a + Σ_b ω̇_b / (3N))).
  void scale_velocities(AtomOps& atoms) {
    const double mtk2 = (omega_dot_[0] + omega_dot_[1] + omega_dot_[2]) / (3.0 * natoms_);
    Vec3 s;
    for (int a = 0; a < 3; ++a) s[a] = std::exp(-0.5 * p_.dt * (omega_dot_[a] + mtk2));
    atoms.scale(s);
  }

  IntegratorParams p_;
  bool iso_;
  double natoms_;
  double ndof_;
  double v0_;
  double kt_ = 0.0, pext_ = 0.0, w_ = 0.0;
  double omega_dot_[3] = {0, 0, 0};
  math::NhcChain chain_t_, chain_p_;
};

}  // namespace

std::unique_ptr<Integrator> make_npt_mtk(const IntegratorParams& p, const MdSystem& sys) {
  return std::make_unique<NptMtk>(p, sys);
}

}  // namespace vitrum::md::detail
