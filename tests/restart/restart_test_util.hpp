#pragma once
// Helpers of the checkpoint/restart tests: a small BKS silica campaign, scratch directories,
// running campaigns in process and the real binary as a child process.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "../test_paths.hpp"
#include "vitrum/md/campaign.hpp"
#include "vitrum/md/run_config.hpp"

namespace vitrum::test {

/// A fresh empty directory per test, removed afterwards (kept with VITRUM_KEEP_SCRATCH=1).
class RestartScratch {
 public:
  explicit RestartScratch(const std::string& tag) {
    static int counter = 0;
    path_ = std::filesystem::temp_directory_path() /
            ("vitrum_restart_" + tag + "_" + std::to_string(::getpid()) + "_" +
             std::to_string(counter++));
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ~RestartScratch() {
    if (!std::getenv("VITRUM_KEEP_SCRATCH")) std::filesystem::remove_all(path_);
  }
  std::string file(const std::string& name) const { return (path_ / name).string(); }
  std::string path() const { return path_.string(); }

 private:
  std::filesystem::path path_;
};

inline void write_text(const std::string& path, const std::string& text) {
  std::ofstream(path) << text;
}

inline std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

/// A BKS silica campaign on a generated 96-atom cell (2.2 g/cm³, 1 fs steps from 2500 K), with
/// thermo lines, extxyz snapshots and an H5MD trajectory (positions, velocities, forces), and the
/// given extra [checkpoint] keys and [[stage]] tables.
inline std::string bks_campaign(const std::string& out_dir, const std::string& stages,
                                const std::string& checkpoint_keys = "every_minutes = 0\n",
                                int atoms = 96) {
  return "[structure.generate]\nbuilder = \"amorphous\"\ncomposition = { Si = 1, O = 2 }\n"
         "n_atoms = " +
         std::to_string(atoms) +
         "\ndensity = 2.2\nmin_distances = { Si-O = 1.55, O-O = 2.3, Si-Si = 2.9 }\n"
         "[potential]\npath = \"" +
         source_dir() +
         "/configs/potentials/SiO2-BKS.toml\"\n"
         "[md]\ntimestep_fs = 1.0\nseed = 7\nremove_drift_every = 50\n"
         "[velocities]\ntemperature = 2500\n"
         "[output]\ndirectory = \"" +
         out_dir +
         "\"\nthermo_every = 10\ntrajectory_every = 25\nprogress = false\n"
         "h5md = { every = 10, forces = true }\n"
         "[checkpoint]\n" +
         checkpoint_keys + stages;
}

/// Runs a campaign in this process (quiet, one thread).
inline md::RunSummary run_in_process(const std::string& config_text, const std::string& dir,
                                     md::RunOptions o = {}) {
  const std::string file = dir + "/campaign.toml";
  write_text(file, config_text);
  const md::RunConfig c = md::parse_run_config(file);
  o.quiet = true;
  o.threads = 1;
  return md::run_campaign(c, o);
}

/// A child process running the vitrum binary, its output in a file.
class VitrumProcess {
 public:
  VitrumProcess(const std::vector<std::string>& args, const std::string& log)
      : VitrumProcess(vitrum_binary(), args, log) {}
  /// Any program (an absolute path), e.g. /usr/bin/env to run a script with variables set.
  VitrumProcess(const std::string& bin, const std::vector<std::string>& args,
                const std::string& log) {
    start_ = std::chrono::steady_clock::now();
    pid_ = ::fork();
    if (pid_ == 0) {
      std::vector<char*> argv;
      argv.push_back(const_cast<char*>(bin.c_str()));
      for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
      argv.push_back(nullptr);
      if (std::freopen(log.c_str(), "w", stdout) == nullptr) _exit(127);
      ::dup2(STDOUT_FILENO, STDERR_FILENO);
      ::execv(bin.c_str(), argv.data());
      _exit(127);
    }
  }
  ~VitrumProcess() {
    if (pid_ > 0 && !waited_) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
  }
  pid_t pid() const { return pid_; }
  void signal(int s) const { ::kill(pid_, s); }
  /// Waits for the exit; returns the exit status, or -signal when killed by a signal.
  int wait() {
    if (!waited_) {
      ::waitpid(pid_, &status_, 0);
      reaped();
    }
    if (WIFEXITED(status_)) return WEXITSTATUS(status_);
    return WIFSIGNALED(status_) ? -WTERMSIG(status_) : -1000;
  }
  /// Seconds from the start to the exit (after wait()).
  double elapsed() const { return elapsed_; }
  bool running() {
    if (waited_) return false;
    if (::waitpid(pid_, &status_, WNOHANG) == pid_) {
      reaped();
      return false;
    }
    return true;
  }

 private:
  void reaped() {
    waited_ = true;
    elapsed_ = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  }

  pid_t pid_ = -1;
  int status_ = 0;
  bool waited_ = false;
  std::chrono::steady_clock::time_point start_;
  double elapsed_ = 0.0;
};

/// Runs the binary to completion; returns the exit status (negative: killed by that signal).
inline int run_binary(const std::vector<std::string>& args, const std::string& log) {
  VitrumProcess p(args, log);
  return p.wait();
}

/// Lines of a text file.
inline std::vector<std::string> lines_of(const std::string& path) {
  std::ifstream in(path);
  std::vector<std::string> out;
  std::string l;
  while (std::getline(in, l)) out.push_back(l);
  return out;
}

}  // namespace vitrum::test
