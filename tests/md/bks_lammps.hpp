#pragma once
// The SiO2 BKS system as vitrum and LAMMPS both run it, for the comparison tests
// (tests/md/bks_*_test.cpp) and the MD benchmark (benchmarks/md_bench.cpp): the random starting
// cell, the LAMMPS data file and input preamble (units metal, charges through fix property/atom,
// pair_style born/coul/dsf from the teacher's parameters), starting `lmp` (Debian package
// lammps) and reading its thermo table and loop time. No GoogleTest here: the benchmark uses it.
#include <sys/wait.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "vitrum/io/builders.hpp"
#include "vitrum/io/lammps_data.hpp"
#include "vitrum/teacher/teacher.hpp"

namespace vitrum::test {

/// A random SiO2 cell (density in g/cm³) with glass-like minimum distances at 2.2 g/cm³, scaled
/// by (2.2/density)^(1/3) in denser cells.
inline Structure sio2_cell(int n_atoms, std::uint64_t seed, double density = 2.2) {
  const double s = density > 2.2 ? std::cbrt(2.2 / density) : 1.0;
  io::AmorphousCellSpec spec;
  spec.composition = {{"Si", 1}, {"O", 2}};
  spec.n_atoms = n_atoms;
  spec.density = density;
  spec.seed = seed;
  spec.min_distances = {{"Si", "O", 1.55 * s}, {"O", "O", 2.3 * s}, {"Si", "Si", 2.9 * s}};
  return io::build_amorphous_cell(spec);
}

/// The LAMMPS binary: $VITRUM_LMP, else lmp / lmp_serial / lmp_mpi on PATH; "" when none.
inline std::string find_lmp() {
  if (const char* env = std::getenv("VITRUM_LMP")) return env;
  for (const char* name : {"lmp", "lmp_serial", "lmp_mpi"}) {
    const std::string cmd = std::string("command -v ") + name + " >/dev/null 2>&1";
    if (std::system(cmd.c_str()) == 0) return name;
  }
  return "";
}

/// Runs a shell command; returns stdout and stderr together and sets `status` to its exit code
/// (-1 when it did not exit normally).
inline std::string run_command(const std::string& cmd, int& status) {
  std::unique_ptr<FILE, int (*)(FILE*)> p(popen((cmd + " 2>&1").c_str(), "r"), pclose);
  std::string out;
  std::array<char, 4096> buf;
  std::size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), p.get())) > 0) out.append(buf.data(), n);
  const int st = pclose(p.release());
  status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  return out;
}

/// Runs `lmp -in in.lmp` in `dir` (OpenMPI's root guard lifted; `launcher` e.g. "mpirun -np 2"
/// goes in front). Returns the console output; `status` is the exit code.
inline std::string run_lammps(const std::string& lmp, const std::string& dir, int& status,
                              const std::string& launcher = "") {
  return run_command("cd '" + dir +
                         "' && OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 "
                         "OMP_NUM_THREADS=1 " +
                         (launcher.empty() ? "" : launcher + " ") + lmp +
                         " -nocite -log none -in in.lmp",
                     status);
}

/// Writes `s` (positions, velocities) as the LAMMPS data file `path`, types numbered Si = 1,
/// O = 2.
inline void write_sio2_data(const std::string& path, const Structure& s) {
  io::LammpsDataOptions opt;
  opt.type_elements = {"Si", "O"};
  std::ofstream data(path);
  io::write_lammps_data(data, s, opt);
}

/// The start of a LAMMPS input for the BKS system of `params`: units metal, the data file `data`
/// written by write_sio2_data, charges per type, the pair style, and a neighbor list with the
/// given skin (Å) checked every step, as vitrum's engine does. Without repulsive walls this is
/// pair_style born/coul/dsf alone (exactly vitrum's teacher). With walls, born/coul/dsf is
/// overlaid (pair_style hybrid/overlay) with pair_style table holding each wall
/// φ = ε [(r_w/r)ⁿ + n r/r_w − (n+1)] on kWallTablePoints points from kWallTableInner Å to r_w,
/// written to `dir`/walls.table: equal to vitrum's wall up to the table's interpolation, which
/// matters only for pairs closer than r_w.
constexpr int kWallTablePoints = 20000;
constexpr double kWallTableInner = 0.4;  // Å: LAMMPS stops when a pair comes closer
inline std::string lammps_bks_preamble(const teacher::TeacherParams& params,
                                       const std::string& data, double skin,
                                       const std::string& dir = ".") {
  teacher::TeacherParams bare = params;
  for (auto& pp : bare.pairs) pp.has_wall = false;
  const std::vector<std::string> types = {"Si", "O"};
  std::string pair = teacher::lammps_pair_commands(bare, types);
  bool walls = false;
  for (const auto& pp : params.pairs) walls = walls || pp.has_wall;
  if (walls) {
    std::istringstream lines(pair);
    std::ostringstream hybrid;
    std::string line;
    while (std::getline(lines, line)) {
      if (line.rfind("pair_style born/coul/dsf ", 0) == 0)
        line = "pair_style hybrid/overlay" + line.substr(10) + " table linear " +
               std::to_string(kWallTablePoints);
      else if (line.rfind("pair_coeff ", 0) == 0)
        line = line.insert(line.find(' ', line.find(' ', 11) + 1), " born/coul/dsf");
      hybrid << line << "\n";
    }
    std::ofstream table(dir + "/walls.table");
    table.precision(17);
    for (const auto& pp : params.pairs) {
      if (!pp.has_wall) continue;
      const std::string key = pp.a + pp.b;
      const auto& w = pp.wall;
      table << key << "\nN " << kWallTablePoints << "\n\n";
      for (int k = 0; k < kWallTablePoints; ++k) {
        const double r =
            kWallTableInner + (w.radius - kWallTableInner) * k / (kWallTablePoints - 1);
        const double x = std::pow(w.radius / r, w.exponent);
        const double e = w.epsilon * (x + w.exponent * r / w.radius - (w.exponent + 1));
        const double f = w.epsilon * w.exponent * (x / r - 1.0 / w.radius);  // -dφ/dr
        table << k + 1 << " " << r << " " << e << " " << f << "\n";
      }
      table << "\n";
      const int ta = pp.a == "Si" ? 1 : 2, tb = pp.b == "Si" ? 1 : 2;
      hybrid << "pair_coeff " << std::min(ta, tb) << " " << std::max(ta, tb)
             << " table walls.table " << key << " " << w.radius << "\n";
    }
    pair = hybrid.str();
  }
  std::ostringstream in;
  in << "units metal\natom_style atomic\nboundary p p p\n"
     << "fix q all property/atom q ghost yes\n"
     << "read_data " << data << " fix q NULL Charges\n"
     << pair << "neighbor " << skin << " bin\n"
     << "neigh_modify every 1 delay 0 check yes\n";
  return in.str();
}

/// The numeric rows of every thermo table in LAMMPS's console output (the lines between a
/// header starting with "Step" and the following "Loop time"), all tables concatenated.
inline std::vector<std::vector<double>> lammps_thermo_rows(const std::string& out) {
  std::vector<std::vector<double>> rows;
  std::istringstream in(out);
  std::string line;
  bool inside = false;
  while (std::getline(in, line)) {
    std::istringstream ls(line);
    std::string first;
    ls >> first;
    if (first == "Step") {
      inside = true;
      continue;
    }
    if (first == "Loop") inside = false;
    if (!inside || first.empty()) continue;
    std::istringstream vs(line);
    std::vector<double> row;
    double v;
    while (vs >> v) row.push_back(v);
    if (vs.eof() && !row.empty()) rows.push_back(row);
  }
  return rows;
}

/// LAMMPS's "Loop time of T on P procs for S steps with N atoms" line (the last one) and the
/// "C% CPU use with P MPI tasks" line after it.
struct LammpsLoop {
  bool found = false;
  double seconds = 0.0;  ///< wall-clock seconds of the run
  int procs = 0;         ///< MPI ranks
  long steps = 0;
  long atoms = 0;
  double cpu_percent = 0.0;  ///< CPU use per rank (%), 0 when not printed
  double atom_steps_per_s() const { return seconds > 0 ? steps * double(atoms) / seconds : 0; }
  /// Atom-steps per CPU second summed over the ranks (0 without the CPU-use line).
  double atom_steps_per_cpu_s() const {
    const double cpu = seconds * procs * cpu_percent / 100.0;
    return cpu > 0 ? steps * double(atoms) / cpu : 0;
  }
};
inline LammpsLoop lammps_loop_time(const std::string& out) {
  LammpsLoop r;
  const std::size_t at = out.rfind("Loop time of ");
  if (at == std::string::npos) return r;
  std::istringstream ls(out.substr(at + 13));
  std::string on, procs_word, for_word, steps_word, with_word;
  if (ls >> r.seconds >> on >> r.procs >> procs_word >> for_word >> r.steps >> steps_word >>
      with_word >> r.atoms)
    r.found = true;
  const std::size_t cpu = out.find("% CPU use", at);
  if (cpu != std::string::npos) {
    const std::size_t line = out.rfind('\n', cpu);
    r.cpu_percent = std::atof(out.c_str() + (line == std::string::npos ? 0 : line + 1));
  }
  return r;
}

}  // namespace vitrum::test
