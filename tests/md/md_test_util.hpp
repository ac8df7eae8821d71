#pragma once
// Helpers of the MD tests: the shipped water HDNNP and BKS teacher, a small water cell in Å, linear
// fits and scratch directories.
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "../test_paths.hpp"
#include "vitrum/core/units.hpp"
#include "vitrum/io/builders.hpp"
#include "vitrum/io/structure_io.hpp"
#include "vitrum/md/force_field.hpp"
#include "vitrum/md/system.hpp"

namespace vitrum::test {

/// A random SiO2 cell at 2.2 g/cm³ (glass-like minimum distances), cubic or triclinic.
inline Structure sio2_random_cell(int n_atoms, std::uint64_t seed, bool triclinic = false) {
  io::AmorphousCellSpec spec;
  spec.composition = {{"Si", 1}, {"O", 2}};
  spec.n_atoms = n_atoms;
  spec.density = 2.2;
  spec.seed = seed;
  spec.min_distances = {{"Si", "O", 1.55}, {"O", "O", 2.3}, {"Si", "Si", 2.9}};
  if (triclinic) {
    spec.shape[0] = {1.0, 0.0, 0.0};
    spec.shape[1] = {0.3, 0.95, 0.0};
    spec.shape[2] = {-0.2, 0.25, 1.05};
  }
  return io::build_amorphous_cell(spec);
}

inline std::string water_potential_dir() {
  return source_dir() + "/configs/potentials/H2O_RPBE-D3";
}

/// The shipped BKS teacher (with its repulsive walls).
inline std::string bks_potential_path() {
  return source_dir() + "/configs/potentials/SiO2-BKS.toml";
}

/// The shipped water HDNNP (bohr, Hartree) driven in Å and eV.
inline std::unique_ptr<md::ForceField> water_force_field() {
  return md::load_force_field(water_potential_dir(), Backend::Cpu, Precision::Double, units::kBohr,
                              units::kHartree);
}

/// The 192-atom liquid-water cell (64 molecules, 13.0 Å cube) of n2p2's H2O_RPBE-D3 dataset,
/// converted from bohr to Å.
inline Structure water_192() {
  Structure s = io::read_structures(n2p2_dir() + "/outputs/H2O_RPBE-D3/dataset/input.data").front();
  for (auto& r : s.positions) r = units::kBohr * r;
  for (auto& h : s.box.h) h = units::kBohr * h;
  s.forces.clear();
  return s;
}

/// Least-squares slope of y(x).
inline double slope(const std::vector<double>& x, const std::vector<double>& y) {
  const double n = static_cast<double>(x.size());
  double sx = 0, sy = 0, sxx = 0, sxy = 0;
  for (std::size_t i = 0; i < x.size(); ++i) {
    sx += x[i];
    sy += y[i];
    sxx += x[i] * x[i];
    sxy += x[i] * y[i];
  }
  return (n * sxy - sx * sy) / (n * sxx - sx * sx);
}

/// Exit status and combined stdout/stderr of one `vitrum` command.
struct CliResult {
  int status = -1;
  std::string output;
};

/// Runs the vitrum binary with `args` (a shell command line) and collects its output.
inline CliResult run_vitrum(const std::string& args) {
  const std::string cmd = vitrum_binary() + " " + args + " 2>&1";
  std::unique_ptr<FILE, int (*)(FILE*)> p(popen(cmd.c_str(), "r"), pclose);
  CliResult r;
  std::array<char, 4096> buf;
  std::size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), p.get())) > 0) r.output.append(buf.data(), n);
  const int st = pclose(p.release());
  r.status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  return r;
}

/// A fresh empty directory per test, removed afterwards (kept with VITRUM_KEEP_SCRATCH=1).
class MdScratchDir {
 public:
  explicit MdScratchDir(const std::string& tag) {
    static int counter = 0;
    path_ =
        std::filesystem::temp_directory_path() /
        ("vitrum_md_" + tag + "_" + std::to_string(::getpid()) + "_" + std::to_string(counter++));
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ~MdScratchDir() {
    if (!std::getenv("VITRUM_KEEP_SCRATCH")) std::filesystem::remove_all(path_);
  }
  std::string file(const std::string& name) const { return (path_ / name).string(); }
  std::string path() const { return path_.string(); }

 private:
  std::filesystem::path path_;
};

}  // namespace vitrum::test
