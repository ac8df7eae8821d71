#pragma once
/// \file campaign_run.hpp
/// One campaign run (`vitrum run`, vitrum/md/campaign.hpp): set-up (campaign.cpp), the stage
/// loop over the engine (campaign_engine.hpp) and the stage's list of operations
/// (campaign_ops.hpp, built in campaign_ops.cpp), the way out. Internal to the md area.

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "campaign_engine.hpp"
#include "campaign_ops.hpp"
#include "campaign_output.hpp"

namespace vitrum::md::campaign_detail {

class Campaign {
 public:
  Campaign(const RunConfig& c, const RunOptions& options);
  RunSummary run();

 private:
  // campaign.cpp
  void load();
  void start_engine();
  void restore();
  void begin_stage(std::size_t si);
  bool run_stage(std::size_t si);
  void step_done(const StepInfo& at, unsigned arrays, std::size_t bytes_before, long rebuilds);
  void note_ledger();
  RunSummary finish();
  RunSummary stop_summary();
  [[noreturn]] void crash(const Error& e);
  void tally(RunSummary& r) const;
  std::string transfer_line() const;
  // campaign_ops.cpp
  OperationList stage_operations(std::size_t si);
  void start_outputs();
  void first_outputs();
  void write_checkpoint_now(std::size_t si, long k);
  Thermo thermo_now();

  const RunConfig& c_;
  parallel::Comm world_;
  bool root_;
  RunOptions o_;
  Clock::time_point t_start_;
  std::string dir_;
  SignalGuard signals_;
  std::optional<Checkpoint> ck_;
  bool ck_share_ = false;
  std::vector<std::string> restart_notes_;
  std::unique_ptr<ForceField> ff_;
  MdSystem sys0_;  ///< the starting system, until the engine takes it
  int n_ = 0;      ///< atoms on all ranks
  std::unique_ptr<parallel::Domain> domain_;
  std::unique_ptr<RunEngine> engine_;
  std::unique_ptr<Output> out_;
  std::unique_ptr<DatasetWriter> dataset_;
  bool sampling_ = false;
  std::unique_ptr<BatchControl> batch_;
  std::unique_ptr<Integrator> integ_;
  StepContext ctx_;
  double conserved_offset_ = 0.0;
  std::string stage_name_;
  long first_done_ = 0, done_ = 0, steps_run_ = 0;
  StopReason stopped_ = StopReason::None;
  StopReason pending_stop_ = StopReason::None;
  std::string last_checkpoint_;
  // The host<->device traffic of the steps (device engine only).
  TransferStats transfers_;
  std::map<std::string, std::size_t> ledger_seen_;  ///< ledger bytes per entry at a step's start
};

}  // namespace vitrum::md::campaign_detail
