/// \file batch_control.cpp
/// Stop requests (signals, wall time, step budget) and checkpoint cadence of `vitrum run`; see
/// vitrum/md/batch_control.hpp for the stop rule.

#include "vitrum/md/batch_control.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <csignal>
#include <cstdlib>
#include <string>
#include <vector>

#include "vitrum/core/error.hpp"

#ifdef VITRUM_HAVE_MPI
#include <mpi.h>
#endif

namespace vitrum::md {
namespace {

volatile std::sig_atomic_t g_stop_signal = 0;

extern "C" void on_stop_signal(int signo) {
  if (g_stop_signal == 0) g_stop_signal = signo;
}

constexpr int kSignals[] = {SIGTERM, SIGUSR1, SIGINT};

const char* signal_name(int s) {
  switch (s) {
    case SIGTERM:
      return "SIGTERM";
    case SIGUSR1:
      return "SIGUSR1";
    case SIGINT:
      return "SIGINT";
    default:
      return "a signal";
  }
}

/// Largest value over the MPI ranks (the value itself without MPI or with one rank).
void agree_max(int* v, int n) {
#ifdef VITRUM_HAVE_MPI
  int initialized = 0, finalized = 0;
  MPI_Initialized(&initialized);
  MPI_Finalized(&finalized);
  if (!initialized || finalized) return;
  int size = 1;
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  if (size > 1) MPI_Allreduce(MPI_IN_PLACE, v, n, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
#else
  (void)v, (void)n;
#endif
}

double seconds(BatchControl::Clock::duration d) {
  return std::chrono::duration<double>(d).count();
}

}  // namespace

struct SignalGuard::Saved {
  struct sigaction old[3];
};

SignalGuard::SignalGuard() : saved_(new Saved) {
  g_stop_signal = 0;
  for (int k = 0; k < 3; ++k) {
    struct sigaction sa {};
    sa.sa_handler = on_stop_signal;
    sigemptyset(&sa.sa_mask);
    // SA_RESTART: file I/O in progress is not interrupted. A second Ctrl-C kills at once.
    sa.sa_flags = SA_RESTART | (kSignals[k] == SIGINT ? SA_RESETHAND : 0);
    sigaction(kSignals[k], &sa, &saved_->old[k]);
  }
}

SignalGuard::~SignalGuard() {
  for (int k = 0; k < 3; ++k) sigaction(kSignals[k], &saved_->old[k], nullptr);
  delete saved_;
}

int stop_signal() {
  return g_stop_signal;
}

void request_stop(int signo) {
  g_stop_signal = signo;
}

BatchControl::BatchControl(const BatchLimits& limits, Clock::time_point start)
    : lim_(limits), start_(start), last_step_end_(Clock::now()), last_checkpoint_(Clock::now()) {
  checkpoint_estimate_ = 0.05 + lim_.checkpoint_bytes / 100e6;
}

BatchControl::Decision BatchControl::after_step(long step) {
  const auto now = Clock::now();
  const double dt = seconds(now - last_step_end_);
  last_step_end_ = now;
  // Decaying maximum: slow steps (rebuilds, output) dominate for a while.
  step_estimate_ = std::max(dt, 0.98 * step_estimate_);
  ++steps_;

  int flags[3] = {static_cast<int>(stop_signal()), 0, 0};
  if (lim_.max_walltime_s > 0.0 && seconds(now - start_) + stop_margin() >= lim_.max_walltime_s) {
    flags[1] = 1;
  }
  if (lim_.checkpoint_every_s > 0.0 && seconds(now - last_checkpoint_) >= lim_.checkpoint_every_s)
    flags[2] = 1;
  agree_max(flags, 3);

  Decision d;
  d.checkpoint =
      flags[2] != 0 || (lim_.checkpoint_every_steps > 0 && step % lim_.checkpoint_every_steps == 0);
  if (flags[0] != 0) {
    signal_ = flags[0];
    d.stop = StopReason::Signal;
  } else if (flags[1] != 0) {
    d.stop = StopReason::Walltime;
  } else if (lim_.max_steps > 0 && steps_ >= lim_.max_steps) {
    d.stop = StopReason::MaxSteps;
  }
  return d;
}

void BatchControl::checkpoint_written(double s) {
  checkpoint_estimate_ = s;
  last_checkpoint_ = last_step_end_ = Clock::now();
}

double BatchControl::stop_margin() const {
  const double reserve = std::clamp(0.05 * lim_.max_walltime_s, 0.5, 60.0);
  return 2.0 * (step_estimate_ + checkpoint_estimate_) + reserve;
}

std::string BatchControl::describe(StopReason reason) const {
  switch (reason) {
    case StopReason::Signal:
      return signal_name(signal_);
    case StopReason::Walltime:
      return fmt::format("the wall-time budget (--max-walltime {}, stop margin {:.3g} s)",
                         format_walltime(lim_.max_walltime_s), stop_margin());
    case StopReason::MaxSteps:
      return fmt::format("the step budget (--max-steps {})", lim_.max_steps);
    case StopReason::None:
      break;
  }
  return "no stop";
}

double BatchControl::parse_walltime(const std::string& text) {
  auto bad = [&]() -> double {
    fail("--max-walltime '{}': expected SS, MM:SS, HH:MM:SS or D-HH:MM:SS (Slurm's formats)", text);
  };
  if (text.empty()) return bad();
  long days = 0;
  std::string rest = text;
  const auto dash = text.find('-');
  if (dash != std::string::npos) {
    const std::string d = text.substr(0, dash);
    if (d.empty() || !std::all_of(d.begin(), d.end(), ::isdigit)) return bad();
    days = std::atol(d.c_str());
    rest = text.substr(dash + 1);
  }
  std::vector<long> parts;
  std::size_t pos = 0;
  while (true) {
    const auto colon = rest.find(':', pos);
    const std::string p =
        rest.substr(pos, colon == std::string::npos ? std::string::npos : colon - pos);
    if (p.empty() || !std::all_of(p.begin(), p.end(), ::isdigit) || p.size() > 6) return bad();
    parts.push_back(std::atol(p.c_str()));
    if (colon == std::string::npos) break;
    pos = colon + 1;
  }
  if (parts.size() > 3 || (dash != std::string::npos && parts.size() != 3)) return bad();
  double s = 0.0;
  for (long p : parts) s = 60.0 * s + static_cast<double>(p);
  s += 86400.0 * static_cast<double>(days);
  if (!(s > 0.0)) fail("--max-walltime '{}': the budget must be positive", text);
  return s;
}

std::string BatchControl::format_walltime(double s) {
  const long t = std::lround(s);
  return fmt::format("{:02d}:{:02d}:{:02d}", t / 3600, (t % 3600) / 60, t % 60);
}

}  // namespace vitrum::md
