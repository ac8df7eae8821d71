#pragma once
// Named glass analyses of `vitrum analyze` (rings, Qn, S(q), ...): one table in
// glass_analyses.cpp lists each with its flag, help, options and the function that runs it. A new
// analysis is one entry there (plus its options in GlassOptions).
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "vitrum/analysis/bonds.hpp"
#include "vitrum/analysis/report.hpp"
#include "vitrum/analysis/trajectory.hpp"

namespace CLI {
class App;
}

namespace vitrum::app {

/// Options of every named analysis (defaults are the documented CLI defaults).
struct GlassOptions {
  std::vector<std::string> enabled;  ///< flags given, e.g. "rings"
  int ring_max = 10;                 ///< largest ring size (in counted atoms)
  std::string ring_count = "auto";   ///< counted species: auto (first bond's center), all, or Z
  double sq_qmax = 25.0, sq_dq = 0.02, sq_rmax = 0.0, sq_direct_qmax = 12.0;
  bool sq_no_lorch = false;
  int vdos_max_lag = 0, vdos_origin_stride = 1;
  double vdos_numax = 50.0, vdos_dnu = 0.05;
  std::string potential;  ///< force field for --phonons (n2p2 directory or teacher TOML)
  double phonon_delta = 0.01, phonon_sigma = 0.2;
};

/// What an analysis receives.
struct GlassContext {
  const analysis::Trajectory& trajectory;
  const std::vector<analysis::BondSpec>& bonds;
  const GlassOptions& options;
  std::function<void(const std::string& name, const std::string& text)> write;
  std::vector<analysis::SummaryRow>& rows;
};

/// Adds the flags and options of every named analysis to `cmd`.
void add_glass_options(CLI::App& cmd, const std::shared_ptr<GlassOptions>& options);
/// True when any named analysis was requested.
bool any_glass_analysis(const GlassOptions& options);
/// Runs the requested analyses in table order.
void run_glass_analyses(const GlassContext& context);

}  // namespace vitrum::app
