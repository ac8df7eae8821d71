#pragma once
/// \file integrator.hpp
/// Time integrators of the MD engine, as a two-phase step around the force evaluation:
///
///   first_half(sys, atoms, ctx)    velocities and positions (and cell) up to the new positions
///   [engine]                       ghosts, neighbor list, forces / energy / virial there
///   second_half(sys, atoms, ctx)   the closing velocity (and thermostat/barostat) updates
///
/// An integrator touches the atoms only through AtomOps (per-atom updates and kinetic sums), so
/// one integrator runs on the host arrays of `sys` (HostAtomOps) or on device-resident arrays
/// (vitrum/md/device_engine.hpp); `sys` supplies the scalars (cell, virial, sizes, comm).
///
/// Ensembles (per-atom formulas in vitrum/md/math/):
/// - nve: velocity Verlet, B A B (B = half kick, A = drift).
/// - nvt_nose_hoover: Nosé–Hoover chain, NHC(dt/2) B A B NHC(dt/2) (Martyna–Klein–Tuckerman
///   chain, Suzuki–Yoshida factorised; LAMMPS fix nvt uses the same splitting).
/// - nvt_langevin: BAOAB (Leimkuhler–Matthews): B A O A B with the exact Ornstein–Uhlenbeck
///   step O over dt; noise from Philox keyed by (seed, atom id, step).
/// - npt_mtk: Martyna–Tobias–Klein barostat with Nosé–Hoover chains on the particles and on the
///   barostat, orthogonal cells, isotropic (one strain rate) or anisotropic (three), in the
///   splitting and variables of LAMMPS fix npt (strain rates ω̇_a, mass W = (N+1) kT τ_P²).
/// - minimize_fire: FIRE 2.0 energy minimization at fixed cell (src/md/minimize_fire.cpp).
///
/// Each integrator reports its contribution to the conserved quantity
/// (extended_energy(), eV), so that E_tot + extended_energy() is constant up to integration error
/// at constant targets. Thermostat/barostat variables start at zero when the integrator is made
/// (at the start of a stage), so the conserved quantity is continuous across stages.

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "vitrum/md/system.hpp"

namespace vitrum::md {

enum class Ensemble { Nve, NvtNoseHoover, NvtLangevin, NptMtk, MinimizeFire };
enum class BarostatCoupling { Isotropic, Anisotropic };

/// Parses "nve", "nvt_nose_hoover", "nvt_langevin", "npt_mtk"; throws naming the accepted values.
Ensemble parse_ensemble(const std::string& name);
const char* to_string(Ensemble e);

/// Parameters of one integrator (one stage).
struct IntegratorParams {
  Ensemble ensemble = Ensemble::Nve;
  double dt = 1.0;        ///< time step (fs)
  double tdamp = 100.0;   ///< thermostat time constant τ_T (fs): NHC period scale, 1/γ
  double pdamp = 1000.0;  ///< barostat time constant τ_P (fs)
  int chain_length = 3;   ///< thermostat chain length M (1..10)
  int chain_loops = 1;    ///< multiple-time-step loops n_c of the chain
  int sy_order = 3;       ///< Suzuki–Yoshida order (1, 3, 5, 7)
  BarostatCoupling coupling = BarostatCoupling::Isotropic;
  std::uint64_t seed = 0;  ///< Langevin noise seed
  double fmax = 0.0;       ///< minimize_fire: converged when max_i |F_i| < fmax (eV/Å); 0 = never
};

/// What the integrator needs to know about the step being taken.
struct StepContext {
  long step = 0;             ///< number of the step being taken (the state after it has this step)
  double temperature = 0.0;  ///< thermostat target T (K) for this step
  double pressure = 0.0;     ///< barostat target P (bar) for this step
};

/// The integrator's own state beyond the atoms (thermostat and barostat variables, tallies), as
/// named arrays for checkpoints. Loading it into an integrator made with the same parameters for
/// the same system continues the dynamics bit for bit.
using IntegratorState = std::map<std::string, std::vector<double>>;

/// The per-atom operations of the integrators (formulas of vitrum/md/math/integrate.hpp) on the
/// atoms of one memory space. Sums are collective over the ranks of the system's comm.
class AtomOps {
 public:
  virtual ~AtomOps() = default;
  /// v <- v + h F/(m kMvv2e).
  virtual void kick(double h) = 0;
  /// r <- r + h v.
  virtual void drift(double h) = 0;
  /// v_a <- s_a v_a.
  virtual void scale(const Vec3& s) = 0;
  /// Langevin O step (math::langevin_atom) with noise keyed by (seed, atom id, step).
  virtual void langevin(double c1, double kt, std::uint64_t seed, std::uint64_t step) = 0;
  /// MTK drift r_a <- e_a (e_a r_a + dt v_a), e_a = half_expansion_a.
  virtual void mtk_drift(const Vec3& half_expansion, double dt) = 0;
  /// Kinetic energy and tensor (fixed-order sums, over all ranks).
  virtual Kinetic kinetic() = 0;
};

/// AtomOps on the host arrays of an MdSystem (OpenMP loops).
class HostAtomOps final : public AtomOps {
 public:
  explicit HostAtomOps(MdSystem& sys) : sys_(sys) {}
  void kick(double h) override;
  void drift(double h) override;
  void scale(const Vec3& s) override;
  void langevin(double c1, double kt, std::uint64_t seed, std::uint64_t step) override;
  void mtk_drift(const Vec3& half_expansion, double dt) override;
  Kinetic kinetic() override;

 private:
  MdSystem& sys_;
};

/// One integrator; made per stage by make_integrator.
class Integrator {
 public:
  virtual ~Integrator() = default;
  /// Called once before the first step, with forces valid for the current positions.
  virtual void begin(MdSystem& sys, const StepContext& ctx) { (void)sys, (void)ctx; }
  /// Advances velocities and positions (and cell) to the new positions. `sys` holds the
  /// scalars (cell, virial, sizes); the atoms are changed through `atoms` only.
  virtual void first_half(MdSystem& sys, AtomOps& atoms, const StepContext& ctx) = 0;
  /// Completes the step once the forces, energy and virial at the new positions are in place.
  virtual void second_half(MdSystem& sys, AtomOps& atoms, const StepContext& ctx) = 0;
  /// Thermostat/barostat energy (eV) that makes E_tot + extended_energy() the conserved quantity.
  virtual double extended_energy(const MdSystem& sys) const = 0;
  /// The time step (fs).
  virtual double timestep() const = 0;
  /// True when first_half may change the cell.
  virtual bool changes_box() const { return false; }
  /// True once a minimizer has met its tolerance: the step that found it left the atoms where
  /// they were, and the stage ends after it (collective: the same on every rank).
  virtual bool converged() const { return false; }
  /// One line for logs.
  virtual std::string describe() const = 0;
  /// The state a checkpoint must hold to continue this integrator (empty for velocity Verlet;
  /// the Langevin noise is counter-based, so only its heat tally is kept).
  virtual IntegratorState save_state() const { return {}; }
  /// Restores save_state()'s result. Throws vitrum::Error naming a missing or mis-sized entry.
  virtual void load_state(const IntegratorState& state) { (void)state; }
};

/// Makes the integrator of `params` for `sys` (which fixes N and N_f). Throws vitrum::Error for
/// invalid parameters (non-positive dt or time constants, chain length outside 1..10, an SY
/// order other than 1/3/5/7, NPT on a non-periodic or non-orthogonal cell).
std::unique_ptr<Integrator> make_integrator(const IntegratorParams& params, const MdSystem& sys);

}  // namespace vitrum::md
