#pragma once
/// \file batch_control.hpp
/// Batch-job operation of `vitrum run`: stop requests from signals, a wall-time budget and a
/// step budget, and the checkpoint cadence.
///
/// Signals (SIGTERM, SIGUSR1, SIGINT) only store their number in a `volatile sig_atomic_t` (the
/// one thing a handler may portably do); the step loop polls it after every step, then finishes
/// the step's output, writes a checkpoint, closes its files and `vitrum run` exits with
/// kExitCheckpointed. Handlers are installed with SA_RESTART, so a signal arriving during file
/// I/O does not interrupt it. A second SIGINT (Ctrl-C) terminates at once.
///
/// Wall-time budget (--max-walltime, measured from the start of the campaign): after each step the
/// run stops when
///   elapsed + 2 (t_step + t_checkpoint) + reserve ≥ budget,
/// with t_step a decaying maximum of recent step times (rebuild and output steps included),
/// t_checkpoint the duration of the last checkpoint write (before the first one 0.05 s + the
/// checkpoint size at 100 MB/s) and reserve = 5 % of the budget, at least 0.5 s and at most 60 s,
/// for closing files and exiting. With several MPI ranks every decision is agreed (one
/// MPI_Allreduce of two flags per step over MPI_COMM_WORLD), so all ranks stop and checkpoint at
/// the same step.

#include <chrono>
#include <string>

namespace vitrum::md {

/// Exit status of `vitrum run` after an early stop with a checkpoint (signal, wall-time or step
/// budget): EX_TEMPFAIL of sysexits.h, "temporary failure, try again" — resubmit with --restart.
constexpr int kExitCheckpointed = 75;

/// Installs the stop handlers for SIGTERM, SIGUSR1 and SIGINT for its lifetime and clears any
/// earlier request; the previous handlers are restored by the destructor.
class SignalGuard {
 public:
  SignalGuard();
  ~SignalGuard();
  SignalGuard(const SignalGuard&) = delete;
  SignalGuard& operator=(const SignalGuard&) = delete;

 private:
  struct Saved;
  Saved* saved_;
};

/// The signal that requested a stop (0: none).
int stop_signal();
/// Requests a stop as signal `signo` would (tests, embedding code).
void request_stop(int signo);

/// Limits and cadences of one job.
struct BatchLimits {
  double max_walltime_s = 0.0;      ///< wall-time budget (s; 0: none)
  long max_steps = 0;               ///< steps this job may run (0: no limit)
  long checkpoint_every_steps = 0;  ///< checkpoint when step % N == 0 (0: never)
  double checkpoint_every_s = 0.0;  ///< checkpoint when this much wall time passed (0: never)
  double checkpoint_bytes = 0.0;    ///< expected checkpoint size, for the first estimate
};

enum class StopReason { None, Signal, Walltime, MaxSteps };

/// Decides after every step whether to checkpoint and whether to stop.
class BatchControl {
 public:
  using Clock = std::chrono::steady_clock;
  struct Decision {
    bool checkpoint = false;  ///< a periodic checkpoint is due
    StopReason stop = StopReason::None;
  };

  /// `start`: when the job started (the wall-time budget counts from there).
  BatchControl(const BatchLimits& limits, Clock::time_point start);
  /// After the campaign step `step` is complete (outputs written). Agreed across MPI ranks.
  Decision after_step(long step);
  /// Records that a checkpoint was just written and how long it took (s).
  void checkpoint_written(double seconds);
  /// Why the run stopped, for messages ("SIGTERM", "the wall-time budget of 01:00:00", ...).
  std::string describe(StopReason reason) const;
  /// The current estimate of the time the stop sequence needs (s), for messages and tests.
  double stop_margin() const;

  /// Parses a wall time "SS", "MM:SS", "HH:MM:SS" or "D-HH:MM:SS" (Slurm's formats) into
  /// seconds. Throws vitrum::Error naming the accepted forms.
  static double parse_walltime(const std::string& text);
  /// Formats seconds as HH:MM:SS.
  static std::string format_walltime(double seconds);

 private:
  BatchLimits lim_;
  Clock::time_point start_, last_step_end_, last_checkpoint_;
  double step_estimate_ = 0.0;
  double checkpoint_estimate_ = 0.0;
  long steps_ = 0;
  int signal_ = 0;
};

}  // namespace vitrum::md
