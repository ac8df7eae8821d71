#pragma once
/// \file engine.hpp
/// The MD step loop around a ForceField: explicit periodic ghosts updated every step, a Verlet
/// list (cutoff + skin) rebuilt only when needed, atoms wrapped into the cell at each rebuild,
/// integrator half steps around the force evaluation, health checks and per-stage timers.
///
/// Rebuild criterion (also valid while an NPT barostat deforms the cell): since the last
/// rebuild, every pair distance changed by at most 2 max_i |Δr_i| + max_g |Δshift_g|, where
/// Δshift_g = Σ_d n_gd (h_d - h_d^ref) is the change of a ghost's image shift with the cell
/// (n_gd its integer image indices). The list and the ghost shell (width cutoff + skin) stay
/// exact while that bound is below the skin; the engine rebuilds as soon as it is not. With a
/// fixed cell this is the usual "some atom moved more than skin/2" (vitrum::needs_rebuild).

#include <array>
#include <string>
#include <vector>

#include "vitrum/core/error.hpp"
#include "vitrum/md/force_field.hpp"
#include "vitrum/md/integrator.hpp"
#include "vitrum/md/system.hpp"
#include "vitrum/neighbor/ghosts.hpp"
#include "vitrum/neighbor/neighbor_list.hpp"

namespace vitrum::md {

/// Wall-clock seconds spent per part of the step.
struct StepTimers {
  double neighbor = 0.0;   ///< ghost updates, rebuild checks, wrapping, ghost shell and list builds
  double force = 0.0;      ///< ForceField::compute
  double integrate = 0.0;  ///< integrator half steps, kinetic sums, health checks
  double output = 0.0;     ///< thermo lines, CSV, snapshots (accounted by the caller)
  double total() const { return neighbor + force + integrate + output; }
};

/// Engine settings.
struct EngineOptions {
  double skin = 1.0;             ///< Verlet skin (Å)
  double max_temperature = 1e5;  ///< T above this (K) stops the run as exploding
  double min_distance = 0.3;     ///< a pair closer than this (Å) stops the run as overlapping
};

/// Raised by the engine when the dynamics became unphysical (NaN, exploding temperature,
/// overlapping atoms). The state at that moment is still in the engine for a last snapshot.
class UnstableDynamics : public Error {
 public:
  explicit UnstableDynamics(const std::string& msg) : Error(msg) {}
};

/// Runs MD steps for one system with one force field (the force field must outlive the engine).
class Engine {
 public:
  Engine(MdSystem system, ForceField& force_field, EngineOptions options);

  /// Builds ghosts and the list and evaluates forces at the current positions. Called by the
  /// constructor; call again after changing positions or the cell from outside.
  void setup();
  /// One time step with `integrator` (targets in `ctx`; ctx.step is set by the engine).
  /// Throws UnstableDynamics when the energy or temperature is not finite or T exceeds
  /// max_temperature.
  void step(Integrator& integrator, StepContext ctx);
  /// Checks the smallest pair distance against min_distance (throws UnstableDynamics); also done
  /// by step() after every neighbor-list rebuild.
  void check_overlaps();

  MdSystem& system() { return sys_; }
  const MdSystem& system() const { return sys_; }
  ForceField& force_field() { return ff_; }
  const EngineOptions& options() const { return opt_; }
  StepTimers& timers() { return timers_; }
  const StepTimers& timers() const { return timers_; }
  long rebuilds() const { return rebuilds_; }
  /// Smallest pair distance (Å) in the current list, and the atoms (ids) forming it.
  double min_distance(int* i = nullptr, int* j = nullptr) const;

 private:
  void rebuild();
  bool rebuild_needed() const;
  void update_ghosts();
  void compute_forces();

  MdSystem sys_;
  ForceField& ff_;
  EngineOptions opt_;
  GhostShell shell_;
  NeighborList list_;
  ForceResult result_;
  std::vector<std::array<int, 3>> ghost_image_;  ///< integer image indices of each ghost
  Box ref_box_;                                  ///< cell at the last rebuild
  std::array<int, 3> max_image_{0, 0, 0};        ///< largest |image index| per direction
  StepTimers timers_;
  long rebuilds_ = 0;
};

}  // namespace vitrum::md
