#pragma once
/// \file campaign_ops.hpp
/// The campaign loop as a list of operations (src/md/campaign.cpp): thermo line and CSV, extxyz
/// snapshot, H5MD frame, training-set sample, progress line, checkpoint and stop checks are each
/// an Operation with its own trigger (every N steps, at a stage's end, at every step, or a
/// question asked at every step such as "has the checkpoint interval passed?") and a statement
/// of the host data it reads (the thermodynamic observables, this rank's atoms or the whole
/// system, and which per-atom arrays: md::HostArray bits). At each step the list asks the engine
/// once for the union of what the due operations read, so the device-resident engine copies
/// device -> host only those arrays, and only at steps where something is due. Adding an output
/// or an in-situ analysis is adding an Operation. Internal to the md area.

#include <functional>
#include <string>
#include <vector>

#include "campaign_engine.hpp"

namespace vitrum::md::campaign_detail {

/// Where the loop is when the operations are asked.
struct StepInfo {
  long step = 0;           ///< the engine's step count after this step
  long k = 0;              ///< step within the stage (1..steps)
  std::size_t stage = 0;   ///< stage index
  bool stage_end = false;  ///< the stage's last step (or its minimizer converged)
  bool last = false;       ///< the campaign's last step
};

/// When an operation runs. Due when any part says so.
struct Trigger {
  long every = 0;          ///< at steps that are multiples of this (0: not by step count)
  bool stage_end = false;  ///< at a stage's last step
  bool each_step = false;  ///< at every step (the operation may throttle itself)
  /// Asked at every step (exactly once, whether or not another part fired first): a time
  /// interval, a stop request. Must give the same answer on every rank when the operation
  /// reads the whole system.
  std::function<bool(const StepInfo&)> ask;
  bool due(const StepInfo& at) const;
};

/// What a due operation reads, fetched once per step for all due operations.
struct OpInput {
  const StepInfo& at;
  const Thermo* thermo;   ///< when the operation asked for it
  const MdSystem* local;  ///< this rank's atoms with the asked arrays current (always set)
  const MdSystem* whole;  ///< the whole system (atoms on rank 0), when asked
};

struct Operation {
  std::string name;
  Trigger when;
  unsigned arrays = 0;  ///< md::HostArray bits of the per-atom data it reads (0: scalars only)
  bool whole = false;   ///< reads the whole system (collective gather under MPI)
  bool thermo = false;  ///< reads the thermodynamic observables
  /// Counted as output time (the checkpoint counts its own time).
  bool output_time = true;
  std::function<void(const OpInput&)> run;
};

/// The operations of one stage, in the order they run within a step.
class OperationList {
 public:
  void add(Operation op) { ops_.push_back(std::move(op)); }
  /// Runs the operations due at `at`: asks `engine` once for what they read (the thermodynamic
  /// observables from `thermo`, the union of their arrays, locally and/or gathered) and runs
  /// them in order. Returns the HostArray bits asked for (0: a scalars-only step).
  unsigned run(RunEngine& engine, const StepInfo& at, const std::function<Thermo()>& thermo);
  const std::vector<Operation>& operations() const { return ops_; }

 private:
  std::vector<Operation> ops_;
  std::vector<char> due_;
};

}  // namespace vitrum::md::campaign_detail
