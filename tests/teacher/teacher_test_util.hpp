#pragma once
// Helpers of the teacher tests: evaluating a whole structure with a force field, SiO2 test cells
// from the builder, and scratch directories.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "../test_paths.hpp"
#include "vitrum/io/builders.hpp"
#include "vitrum/md/force_field.hpp"
#include "vitrum/neighbor/ghosts.hpp"
#include "vitrum/neighbor/neighbor_list.hpp"
#include "vitrum/teacher/teacher.hpp"

namespace vitrum::test {

/// Energy, forces and virial of a whole structure (ghosts and a skinless list at the cutoff).
inline md::ForceResult evaluate(md::ForceField& ff, const Structure& s) {
  const double rc = ff.cutoff();
  const neighbor::GhostShell shell = neighbor::build_ghost_shell(s.box, s.positions, s.species, rc);
  const neighbor::NeighborList list = neighbor::build_neighbor_list(shell, rc, 0.0);
  md::ForceResult r;
  ff.compute(shell, list, r);
  return r;
}

inline std::string bks_path() {
  return source_dir() + "/configs/potentials/SiO2-BKS.toml";
}
inline std::string ttam_path() {
  return source_dir() + "/configs/potentials/SiO2-TTAM.toml";
}

/// A random SiO2 cell at `density` g/cm³ with glass-like minimum distances; `tilted` gives a
/// triclinic cell (tilts within LAMMPS's default limits).
inline Structure sio2_cell(int n_atoms, double density, std::uint64_t seed, bool tilted,
                           double si_o = 1.5, double o_o = 2.2, double si_si = 2.8) {
  io::AmorphousCellSpec spec;
  spec.composition = {{"Si", 1}, {"O", 2}};
  spec.n_atoms = n_atoms;
  spec.density = density;
  spec.seed = seed;
  spec.min_distances = {{"Si", "O", si_o}, {"O", "O", o_o}, {"Si", "Si", si_si}};
  if (tilted) {
    spec.shape[0] = {1.0, 0.0, 0.0};
    spec.shape[1] = {0.3, 1.0, 0.0};
    spec.shape[2] = {-0.2, 0.25, 1.0};
  }
  return io::build_amorphous_cell(spec);
}

/// Largest absolute component of a set of vectors.
inline double max_abs(const std::vector<Vec3>& v) {
  double m = 0;
  for (const auto& x : v) m = std::max({m, std::abs(x.x), std::abs(x.y), std::abs(x.z)});
  return m;
}

/// A fresh empty directory per test, removed afterwards.
class ScratchDir {
 public:
  explicit ScratchDir(const std::string& tag) {
    static int counter = 0;
    path_ = std::filesystem::temp_directory_path() /
            ("vitrum_" + tag + "_" + std::to_string(::getpid()) + "_" + std::to_string(counter++));
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ~ScratchDir() {
    if (!std::getenv("VITRUM_KEEP_SCRATCH")) std::filesystem::remove_all(path_);
  }
  std::string file(const std::string& name) const { return (path_ / name).string(); }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

}  // namespace vitrum::test
