// `vitrum predict`: energies and forces of every structure in a file with an HDNNP.
#include <omp.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdio>

#include "commands.hpp"
#include "vitrum/core/error.hpp"
#include "vitrum/io/structure_io.hpp"
#include "vitrum/nnp/evaluator.hpp"

namespace vitrum::app {

namespace {

struct PredictArgs {
  std::string potential, input, output;
  std::string backend = "cpu", precision = "double";
  int threads = 0;
};

void run_predict(const PredictArgs& a) {
  const auto backend = parse_backend(a.backend);
  const auto precision = parse_precision(a.precision);
  if (a.threads > 0) omp_set_num_threads(a.threads);
  // Check the output's format before doing any work.
  structure_format_from_path(a.output);
  const auto pot = nnp::Potential::load_n2p2(a.potential);
  auto structures = read_structures(a.input);
  if (structures.empty()) fail("{}: no structures found", a.input);
  nnp::Evaluator eval(pot, {backend, precision, true});

  std::printf(
      "vitrum predict: potential %s (%d elements, cutoff %.4g), %zu structure(s), "
      "backend %s, precision %s, %d thread(s)\n",
      a.potential.c_str(), pot.n_elements(), pot.cutoff(), structures.size(), to_string(backend),
      to_string(precision), omp_get_max_threads());
  std::printf("%10s %8s %24s %22s\n", "structure", "atoms", "energy", "energy/atom");
  long atoms = 0, extrapolations = 0;
  double seconds = 0;
  for (size_t k = 0; k < structures.size(); ++k) {
    auto& s = structures[k];
    const auto t0 = std::chrono::steady_clock::now();
    const auto r = eval.evaluate(s, fmt::format("{}, structure {}", a.input, k + 1));
    seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    atoms += static_cast<long>(s.size());
    extrapolations += r.extrapolations;
    s.has_energy = true;
    s.energy = r.energy;
    s.forces = r.forces;
    s.has_virial = true;
    for (int x = 0; x < 3; ++x)
      for (int y = 0; y < 3; ++y) s.virial[x][y] = r.virial[x][y];
    std::printf("%10zu %8zu %24.12f %22.12f\n", k + 1, s.size(), r.energy,
                r.energy / static_cast<double>(s.size()));
  }
  write_structures(a.output, structures);
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
      "Energies and forces of every structure in an n2p2 input.data or extended XYZ file with an "
      "n2p2-format HDNNP (units: those of the potential and the file)");
  cmd->add_option("--potential,-p", a->potential,
                  "n2p2 potential directory (input.nn, scaling.data, weights.NNN.data)")
      ->required()
      ->check(CLI::ExistingDirectory);
  cmd->add_option("--input,-i", a->input, "structures: *.data (n2p2) or *.xyz (extended XYZ)")
      ->required()
      ->check(CLI::ExistingFile);
  cmd->add_option("--output,-o", a->output,
                  "output with predicted energies and forces: *.data (n2p2 output.data format) or "
                  "*.xyz (extended XYZ)")
      ->required();
  cmd->add_option("--backend", a->backend, "cpu or cuda")->capture_default_str();
  cmd->add_option("--precision", a->precision,
                  "double, or mixed (float symmetry functions and networks, double accumulation)")
      ->capture_default_str();
  cmd->add_option("--threads", a->threads,
                  "OpenMP threads (default: OMP_NUM_THREADS or all cores)");
  cmd->callback([a] { run_predict(*a); });
}

}  // namespace vitrum::app
