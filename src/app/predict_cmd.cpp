// `vitrum predict`: energies and forces of every structure in a file with any force field: an
// n2p2-format HDNNP directory or a teacher parameter file (*.toml).
#include <omp.h>

#include <CLI/CLI.hpp>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdio>

#include "commands.hpp"
#include "vitrum/core/error.hpp"
#include "vitrum/core/output_guard.hpp"
#include "vitrum/core/units.hpp"
#include "vitrum/io/structure_io.hpp"
#include "vitrum/md/distribute.hpp"
#include "vitrum/md/force_field.hpp"
#include "vitrum/neighbor/ghosts.hpp"
#include "vitrum/neighbor/neighbor_list.hpp"
#include "vitrum/parallel/device_binding.hpp"
#include "vitrum/parallel/gpu_mpi.hpp"

namespace vitrum::app {

namespace {

struct PredictArgs {
  std::string potential, input, output;
  std::string backend = "cpu", precision = "double";
  std::string length_unit = "1", energy_unit = "1";
  int threads = 0;
  std::string gpu_aware_mpi;  ///< --gpu-aware-mpi (empty: VITRUM_GPU_AWARE_MPI, else auto)
  bool overwrite = false;
};

/// A unit given as a number (caller units per potential unit) or by name (angstrom, bohr, nm;
/// eV, Hartree, Ry, kcal/mol, kJ/mol).
double parse_unit(const std::string& s, bool length) {
  double v = 0;
  const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec == std::errc() && p == s.data() + s.size()) {
    if (!(v > 0) || !std::isfinite(v))
      fail("--{}-unit {} must be a positive number or a unit name", length ? "length" : "energy",
           s);
    return v;
  }
  return length ? units::length_in_angstrom(s) : units::energy_in_ev(s);
}

void run_predict(const PredictArgs& a) {
  const auto backend = parse_backend(a.backend);
  const auto precision = parse_precision(a.precision);
  const double length_unit = parse_unit(a.length_unit, true);
  const double energy_unit = parse_unit(a.energy_unit, false);
  const parallel::GpuMpiMode gpu_mpi =
      a.gpu_aware_mpi.empty() ? parallel::gpu_mpi_mode_from_env(parallel::GpuMpiMode::Auto)
                              : parallel::parse_gpu_mpi_mode(a.gpu_aware_mpi, "--gpu-aware-mpi");
  if (a.threads > 0) omp_set_num_threads(a.threads);
  // Check the output (vitrum/core/output_guard.hpp) and its format before doing any work.
  guard_existing_outputs({a.output}, a.overwrite, "give --overwrite to replace it");
  io::structure_format_from_path(a.output);
  // One rank per GPU: the ranks of a node spread over its devices (before any CUDA allocation).
  if (backend == Backend::Cuda) parallel::bind_cuda_device();
  auto ff = md::load_force_field(a.potential, backend, precision, length_unit, energy_unit);
  auto structures = io::read_structures(a.input);
  if (structures.empty()) fail("{}: no structures found", a.input);
  const double rc = ff->cutoff();
  // Under mpiexec each periodic structure is decomposed over the ranks (vitrum/parallel); an
  // isolated one is evaluated by every rank alike. Rank 0 prints and writes.
  const parallel::Comm world = parallel::Comm::world();
  const bool root = world.rank() == 0;
  auto print = [&](const std::string& line) {
    if (root) std::fputs(line.c_str(), stdout);
  };

  print(fmt::format("vitrum predict: potential {}, {} structure(s), {} thread(s){}\n",
                    ff->describe(), structures.size(), omp_get_max_threads(),
                    world.size() > 1 ? fmt::format(", {} MPI ranks", world.size()) : ""));
  print(fmt::format("{:>10} {:>8} {:>24} {:>22}\n", "structure", "atoms", "energy", "energy/atom"));
  long atoms = 0, extrapolations = 0;
  double seconds = 0;
  for (size_t k = 0; k < structures.size(); ++k) {
    auto& s = structures[k];
    const std::string where = fmt::format("{}, structure {}", a.input, k + 1);
    validate_structure(s, where);
    const auto t0 = std::chrono::steady_clock::now();
    md::ForceResult r;
    try {
      if (world.size() > 1 && s.box.periodic) {
        r = md::evaluate_distributed(*ff, s, world, 0, gpu_mpi);
      } else {
        const neighbor::GhostShell shell =
            neighbor::build_ghost_shell(s.box, s.positions, s.species, rc);
        const neighbor::NeighborList list = neighbor::build_neighbor_list(shell, rc, 0.0);
        ff->compute(shell, list, r);
      }
    } catch (const Error& e) {
      fail("{}: {}", where, e.what());
    }
    seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    // Two atoms on top of each other make any potential meaningless.
    if (r.min_distance < ff->min_distance())
      fail(
          "{}: two atoms are {:.6g} apart, closer than the smallest distance the potential "
          "accepts ({:.6g}); the structure is broken or in the wrong length unit",
          where, r.min_distance, ff->min_distance());
    if (!std::isfinite(r.energy))
      fail("{}: the energy is not finite ({}); are two atoms much too close?", where, r.energy);
    atoms += static_cast<long>(s.size());
    extrapolations += r.extrapolations;
    s.has_energy = true;
    s.energy = r.energy;
    s.forces = r.forces;
    s.has_virial = true;
    for (int x = 0; x < 3; ++x)
      for (int y = 0; y < 3; ++y) s.virial[x][y] = r.virial[x][y];
    print(fmt::format("{:10} {:8} {:24.12f} {:22.12f}\n", k + 1, s.size(), r.energy,
                      r.energy / static_cast<double>(s.size())));
  }
  if (!root) return;
  io::write_structures(a.output, structures);
  std::printf("%ld atom evaluations (energy + forces) in %.3f s: %.4g atoms/s\n", atoms, seconds,
              atoms / seconds);
  if (extrapolations > 0)
    std::fprintf(stderr,
                 "vitrum: warning: %ld symmetry-function values were outside the range seen in "
                 "training (scaling.data): the potential extrapolates\n",
                 extrapolations);
  std::printf("wrote %s\n", a.output.c_str());
}

}  // namespace

void register_predict(CLI::App& app) {
  auto a = std::make_shared<PredictArgs>();
  auto* cmd = app.add_subcommand(
      "predict",
      "Energies, forces and virials of every structure in an n2p2 input.data, extended XYZ or "
      "LAMMPS data file with an n2p2-format HDNNP or the SiO2 teacher potential");
  cmd->add_option("--potential,-p", a->potential,
                  "n2p2 potential directory (input.nn, scaling.data, weights.NNN.data) or teacher "
                  "parameter file (*.toml, e.g. configs/potentials/SiO2-BKS.toml)")
      ->required()
      ->check(CLI::ExistingPath);
  cmd->add_option("--input,-i", a->input,
                  "structures: *.data (n2p2), *.xyz / *.extxyz (extended XYZ) or *.lmp / *.lammps "
                  "(LAMMPS data, atomic or charge style)")
      ->required()
      ->check(CLI::ExistingFile);
  cmd->add_option("--output,-o", a->output,
                  "output with predicted energies and forces: *.data (n2p2 output.data format) or "
                  "*.xyz (extended XYZ)")
      ->required();
  cmd->add_flag("--overwrite", a->overwrite, overwrite_help());
  cmd->add_option("--backend", a->backend, "cpu or cuda")->capture_default_str();
  cmd->add_option("--precision", a->precision,
                  "double, or mixed (HDNNP only: float symmetry functions and networks, double "
                  "accumulation)")
      ->capture_default_str();
  cmd->add_option("--length-unit", a->length_unit,
                  "n2p2 potentials: one potential length unit in the structure file's length "
                  "unit, as a number or a name (angstrom, bohr, nm); default: the potential's own")
      ->capture_default_str();
  cmd->add_option("--energy-unit", a->energy_unit,
                  "n2p2 potentials: one potential energy unit in the output's energy unit, as a "
                  "number or a name (eV, Hartree, Ry, kcal/mol, kJ/mol); default: the potential's "
                  "own")
      ->capture_default_str();
  cmd->add_option("--threads", a->threads,
                  "OpenMP threads (default: OMP_NUM_THREADS or all cores)");
  cmd->add_option("--gpu-aware-mpi", a->gpu_aware_mpi,
                  "auto|on|off: how device (--backend cuda) halo buffers reach MPI under mpiexec: "
                  "on = device pointers (needs a CUDA-aware MPI), off = pinned host staging, auto "
                  "= ask the MPI library. Precedence: this option > VITRUM_GPU_AWARE_MPI > auto")
      ->check(CLI::IsMember({"auto", "on", "off"}));
  cmd->callback([a] { run_predict(*a); });
}

}  // namespace vitrum::app
