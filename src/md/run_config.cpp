/// \file run_config.cpp
/// Reading the TOML campaign file of `vitrum run` (schema in run_config_help() below, which is
/// also what `vitrum run --help` prints and docs/md-run.md documents).

#include "vitrum/md/run_config.hpp"

#include <cmath>
#include <filesystem>
#include <fstream>
#include <functional>
#include <limits>
#include <sstream>

#include "builder_args_impl.hpp"
#include "vitrum/core/elements.hpp"
#include "vitrum/core/error.hpp"
#include "vitrum/core/toml.hpp"
#include "vitrum/core/units.hpp"
#include "vitrum/md/force_field_registry.hpp"

namespace vitrum::md {

const char* to_string(MdEngineKind kind) {
  switch (kind) {
    case MdEngineKind::Host:
      return "host";
    case MdEngineKind::Device:
      return "device";
    case MdEngineKind::DeviceEmulated:
      return "device-emulated";
    case MdEngineKind::Auto:
      break;
  }
  return "auto";
}

MdEngineKind parse_md_engine(const std::string& name, const std::string& where) {
  for (MdEngineKind k :
       {MdEngineKind::Auto, MdEngineKind::Host, MdEngineKind::Device, MdEngineKind::DeviceEmulated})
    if (name == to_string(k)) return k;
  fail("{}: \"{}\" is not one of \"auto\", \"host\", \"device\", \"device-emulated\"", where, name);
}

namespace {

using TableReader = TomlTable;
constexpr long kMaxLong = std::numeric_limits<long>::max();

std::string resolve(const std::string& base_dir, const std::string& p) {
  namespace fs = std::filesystem;
  if (p.empty() || fs::path(p).is_absolute() || base_dir.empty()) return p;
  return (fs::path(base_dir) / p).lexically_normal().string();
}

/// A temperature (K) read by `read` (which checks >= 0) that must also stay below [md]
/// max_temperature: a larger one stops the run at once as exploding dynamics.
double temperature(TableReader& r, const std::string& key, const RunConfig& c,
                   const std::function<double()>& read) {
  const double t = read();
  if (t > c.max_temperature)
    r.error(key, fmt::format("{} K is above [md] max_temperature = {} K (the run would stop at "
                             "once as exploding dynamics); expected a temperature in 0..{} K",
                             t, c.max_temperature, c.max_temperature));
  return t;
}

/// Steps of a stage `ps` picoseconds long at `dt` fs, in checked arithmetic: an error naming
/// `key` when the count does not fit the step counter or rounds to no step at all.
long stage_steps(TableReader& r, const std::string& key, double ps, double dt,
                 const std::string& what) {
  const double steps = ps * 1000.0 / dt;
  // 2^63 is exactly representable; anything at or above it does not fit a long.
  if (!std::isfinite(steps) || steps >= 9223372036854775808.0)
    r.error(key, fmt::format("{} gives {:.4g} steps of {} fs, more than the step counter holds "
                             "({}); expected a stage of at most {:.4g} ps",
                             what, steps, dt, kMaxLong, static_cast<double>(kMaxLong) * dt * 1e-3));
  if (steps < 0.5)
    r.error(key, fmt::format("{} gives {:.4g} steps of {} fs: shorter than one time step", what,
                             steps, dt));
  return std::max(1L, std::lround(steps));
}

/// A unit given by name ("bohr") or as a number of Å (eV) per unit.
double unit_value(TableReader& r, const std::string& key, bool length) {
  const toml::node* n = r.get(key);
  if (n == nullptr) return 1.0;
  if (n->is_string()) {
    try {
      return length ? units::length_in_angstrom(*n->value<std::string>())
                    : units::energy_in_ev(*n->value<std::string>());
    } catch (const Error& e) {
      r.error(key, e.what());
    }
  }
  if (n->is_floating_point() || n->is_integer()) {
    const double v = *n->value<double>();
    if (!(v > 0.0) || !std::isfinite(v)) r.error(key, fmt::format("expected > 0, got {}", v));
    return v;
  }
  r.error(key, fmt::format("expected a unit name or a number of {} per unit", length ? "Å" : "eV"));
}

void read_structure(TableReader& r, RunConfig& c, const std::string& base_dir) {
  const bool has_file = r.has("file");
  const bool has_gen = r.has("generate");
  if (has_file == has_gen) {
    r.error_at(&r.table(),
               "[structure] needs exactly one of file = \"...\" (a structure file) or "
               "a [structure.generate] table (a builder)");
  }
  if (has_file) c.structure.file = resolve(base_dir, r.string("file", std::nullopt));
  c.structure.length_unit = unit_value(r, "length_unit", true);
  c.structure.frame = r.integer("frame", 0, std::numeric_limits<long>::min(), kMaxLong);
  if (r.has("replicate")) {
    const auto v = r.numbers("replicate", std::nullopt);
    if (v.size() != 3) r.error("replicate", "expected three integers [na, nb, nc]");
    for (int d = 0; d < 3; ++d) {
      if (v[d] < 1 || v[d] != std::floor(v[d]) || v[d] > 1000)
        r.error("replicate", "expected three integers in 1..1000");
      c.structure.replicate[d] = static_cast<int>(v[d]);
    }
  }
  if (const toml::table* g = r.subtable("generate")) {
    TableReader gr(*g, r.file(), "structure.generate");
    const std::string builder = gr.string("builder", std::nullopt);
    auto impl = std::make_shared<BuilderArgs::Impl>(*g, r.file(), builder, c.seed);
    impl->reader.get("builder");
    c.structure.generate = std::make_shared<BuilderArgs>(impl);
    if (c.structure.length_unit != 1.0) {
      r.error("length_unit", "applies to structure files only; builders work in Å");
    }
  }
  r.check_unknown("file, generate, length_unit, frame, replicate");
}

/// The keys every force-field kind shares; a kind given by `kind` reads its own keys later
/// (md/force_field_registry.hpp), a kind given by the path has none.
void read_potential(TableReader& r, RunConfig& c, const std::string& base_dir,
                    const std::shared_ptr<const toml::table>& document) {
  auto& p = c.potential;
  p.kind = r.string("kind", "");
  if (!p.kind.empty() && !has_force_field_kind(p.kind)) {
    std::string kinds;
    for (const auto& [name, description] : force_field_kinds())
      kinds += fmt::format("{}\"{}\"", kinds.empty() ? "" : ", ", name);
    r.error("kind",
            fmt::format("unknown force-field kind \"{}\"; registered kinds: {}", p.kind, kinds));
  }
  p.path = resolve(
      base_dir, r.string("path", p.kind.empty() ? std::nullopt : std::optional<std::string>("")));
  p.length_unit = unit_value(r, "length_unit", true);
  p.energy_unit = unit_value(r, "energy_unit", false);
  p.backend = parse_backend(r.choice("backend", "cpu", {"cpu", "cuda"}));
  p.precision = parse_precision(r.choice("precision", "double", {"double", "mixed"}));
  if (p.kind.empty()) r.check_unknown(kCommonPotentialKeys);
  p.table = std::make_shared<PotentialTable>(PotentialTable{document, &r.table(), r.file()});
}

void read_md(TableReader& r, RunConfig& c) {
  c.timestep_fs = r.positive("timestep_fs", c.timestep_fs);
  c.seed = static_cast<std::uint64_t>(r.integer("seed", 1, 0, kMaxLong));
  c.skin = r.non_negative("skin", c.skin);
  if (r.has("masses")) {
    c.masses = r.number_table("masses", std::nullopt);
    for (const auto& [symbol, m] : c.masses) {
      if (atomic_number(symbol) == 0)
        r.error("masses", fmt::format("'{}' is not an element symbol", symbol));
      if (!(m > 0.0) || !std::isfinite(m))
        r.error("masses",
                fmt::format("the mass of {} must be a positive number of amu, got {}", symbol, m));
    }
  }
  c.threads = static_cast<int>(r.integer("threads", 0, 0, 4096));
  c.remove_drift_every = r.integer("remove_drift_every", c.remove_drift_every, 0, kMaxLong);
  c.max_temperature = r.positive("max_temperature", c.max_temperature);
  c.min_distance = r.non_negative("min_distance", c.min_distance);
  const std::string engine =
      r.choice("engine", "auto", {"auto", "host", "device", "device-emulated"});
  c.engine = parse_md_engine(engine, "[md] engine");
  r.check_unknown(
      "timestep_fs, seed, skin, masses, threads, remove_drift_every, max_temperature, "
      "min_distance, engine");
}

void read_velocities(TableReader& r, RunConfig& c) {
  if (r.has("temperature")) {
    c.velocities.has_temperature = true;
    c.velocities.temperature = temperature(
        r, "temperature", c, [&] { return r.non_negative("temperature", std::nullopt); });
  }
  c.velocities.rescale = r.boolean("rescale", true);
  c.velocities.seed =
      static_cast<std::uint64_t>(r.integer("seed", static_cast<long>(c.seed), 0, kMaxLong));
  r.check_unknown("temperature, rescale, seed");
}

void read_output(TableReader& r, RunConfig& c) {
  auto& o = c.output;
  o.directory = r.string("directory", o.directory);
  o.thermo_every = r.integer("thermo_every", o.thermo_every, 0, kMaxLong);
  o.thermo_csv = r.string("thermo_csv", o.thermo_csv);
  o.trajectory_every = r.integer("trajectory_every", o.trajectory_every, 0, kMaxLong);
  o.trajectory = r.string("trajectory", o.trajectory);
  o.trajectory_forces = r.boolean("trajectory_forces", o.trajectory_forces);
  o.trajectory_unwrapped = r.boolean("trajectory_unwrapped", o.trajectory_unwrapped);
  o.final_structure = r.string("final_structure", o.final_structure);
  o.crash_structure = r.string("crash_structure", o.crash_structure);
  o.progress = r.boolean("progress", o.progress);
  o.dataset_every = r.integer("dataset_every", o.dataset_every, 0, kMaxLong);
  o.dataset = r.string("dataset", o.dataset);
  if (o.dataset.empty()) r.error("dataset", "expected a file name");
  o.dataset_test_fraction = r.non_negative("dataset_test_fraction", o.dataset_test_fraction);
  if (o.dataset_test_fraction >= 1) r.error("dataset_test_fraction", "expected a number in [0, 1)");
  if (const toml::table* t = r.subtable("h5md")) {
    TableReader hr(*t, r.file(), "output.h5md");
    auto& h = o.h5md;
    h.every = hr.integer("every", std::nullopt, 0, kMaxLong);
    h.file = hr.string("file", h.file);
    h.velocities = hr.boolean("velocities", h.velocities);
    h.forces = hr.boolean("forces", h.forces);
    h.unwrapped = hr.boolean("unwrapped", h.unwrapped);
    h.compression = static_cast<int>(hr.integer("compression", h.compression, 0, 9));
    hr.check_unknown("every, file, velocities, forces, unwrapped, compression");
  }
  r.check_unknown(
      "directory, thermo_every, thermo_csv, trajectory_every, trajectory, trajectory_forces, "
      "trajectory_unwrapped, final_structure, crash_structure, progress, h5md, dataset_every, "
      "dataset, dataset_test_fraction");
}

void read_checkpoint_table(TableReader& r, RunConfig& c) {
  auto& k = c.checkpoint;
  k.file = r.string("file", k.file);
  if (k.file.empty()) r.error("file", "expected a file name");
  k.every_steps = r.integer("every_steps", k.every_steps, 0, kMaxLong);
  k.every_minutes = r.non_negative("every_minutes", k.every_minutes);
  k.at_end = r.boolean("at_end", k.at_end);
  r.check_unknown("file, every_steps, every_minutes, at_end");
}

void read_parallel(TableReader& r, RunConfig& c) {
  if (r.has("gpu_aware_mpi")) {
    c.gpu_mpi = parallel::parse_gpu_mpi_mode(
        r.choice("gpu_aware_mpi", "auto", {"auto", "on", "off"}), "[parallel] gpu_aware_mpi");
    c.gpu_mpi_set = true;
  }
  r.check_unknown("gpu_aware_mpi");
}

/// Rejects a key that the stage's ensemble does not use.
void forbid(TableReader& r, const char* key, const std::string& ens, const char* why) {
  if (r.has(key)) r.error(key, fmt::format("not used by ensemble \"{}\" ({})", ens, why));
}

/// Temperature: a number (constant) or { from, to [, rate] } (ramp). Returns the ramp rate
/// (K/ps; 0 without one).
double read_stage_temperature(TableReader& r, const RunConfig& c, StageConfig& s,
                              const std::string& ens) {
  double ramp_rate = 0.0;
  if (!s.thermostatted()) {
    forbid(r, "temperature", ens, (ens + " has no thermostat").c_str());
  } else if (const toml::node* n = r.get("temperature")) {
    if (n->is_table()) {
      TableReader tr(*n->as_table(), r.file(), "stage.temperature");
      s.temperature_from =
          temperature(tr, "from", c, [&] { return tr.non_negative("from", std::nullopt); });
      s.temperature_to =
          temperature(tr, "to", c, [&] { return tr.non_negative("to", std::nullopt); });
      if (tr.has("rate")) ramp_rate = tr.positive("rate", std::nullopt);
      tr.check_unknown("from, to, rate (K/ps)");
    } else {
      s.temperature_from = s.temperature_to = temperature(
          r, "temperature", c, [&] { return r.non_negative("temperature", std::nullopt); });
    }
  } else {
    r.error_at(&r.table(),
               fmt::format("[[stage]] \"{}\": ensemble \"{}\" needs temperature = <K> or "
                           "temperature = {{ from = <K>, to = <K>, rate = <K/ps> }}",
                           s.name, ens));
  }
  return ramp_rate;
}

/// Duration: steps, time_ps, or a ramp rate.
void read_stage_duration(TableReader& r, StageConfig& s, double ramp_rate) {
  const double dt = s.integrator.dt;
  const int given = (r.has("steps") ? 1 : 0) + (r.has("time_ps") ? 1 : 0) + (ramp_rate > 0 ? 1 : 0);
  if (given != 1) {
    r.error_at(&r.table(),
               fmt::format("[[stage]] \"{}\": give exactly one of steps = <n>, time_ps = <ps> or a "
                           "ramp rate (temperature = {{ from, to, rate }}); found {}",
                           s.name, given));
  }
  if (r.has("steps")) {
    s.steps = r.integer("steps", std::nullopt, 1, kMaxLong);
  } else if (r.has("time_ps")) {
    const double t = r.positive("time_ps", std::nullopt);
    s.steps = stage_steps(r, "time_ps", t, dt, fmt::format("time_ps = {}", t));
  } else {
    const double dT = std::fabs(s.temperature_to - s.temperature_from);
    if (dT == 0.0) {
      r.error("temperature", "a ramp rate needs from != to; give steps or time_ps instead");
    }
    s.steps = stage_steps(r, "temperature", dT / ramp_rate, dt,
                          fmt::format("a ramp of {} K at rate = {} K/ps", dT, ramp_rate));
  }
}

/// Barostat, thermostat time constant, Nosé–Hoover chains and the Langevin seed: each only for
/// the ensembles that use it.
void read_stage_coupling(TableReader& r, const RunConfig& c, StageConfig& s,
                         const std::string& ens) {
  const double dt = s.integrator.dt;
  const bool thermostat = s.thermostatted();
  const bool barostat = s.integrator.ensemble == Ensemble::NptMtk;
  const bool chain = s.integrator.ensemble == Ensemble::NvtNoseHoover || barostat;
  if (barostat) {
    s.pressure = r.number("pressure", 1.0);
    const std::string coupling = r.choice("barostat", "iso", {"iso", "aniso"});
    s.integrator.coupling =
        coupling == "iso" ? BarostatCoupling::Isotropic : BarostatCoupling::Anisotropic;
    s.integrator.pdamp = r.positive("pdamp_fs", 1000.0 * dt);
  } else {
    for (const char* key : {"pressure", "barostat", "pdamp_fs"})
      forbid(r, key, ens, "only npt_mtk has a barostat");
  }
  if (thermostat) {
    s.integrator.tdamp = r.positive("tdamp_fs", 100.0 * dt);
  } else {
    forbid(r, "tdamp_fs", ens, (ens + " has no thermostat").c_str());
  }
  if (chain) {
    s.integrator.chain_length = static_cast<int>(r.integer("chain_length", 3, 1, 10));
    s.integrator.chain_loops = static_cast<int>(r.integer("chain_loops", 1, 1, 100));
    s.integrator.sy_order = static_cast<int>(r.integer("sy_order", 3, 1, 7));
    if (s.integrator.sy_order % 2 == 0)
      r.error("sy_order", fmt::format("expected 1, 3, 5 or 7, got {}", s.integrator.sy_order));
  } else {
    for (const char* key : {"chain_length", "chain_loops", "sy_order"})
      forbid(r, key, ens, "only the Nosé–Hoover ensembles have chains");
  }
  if (s.integrator.ensemble == Ensemble::NvtLangevin) {
    s.integrator.seed =
        static_cast<std::uint64_t>(r.integer("seed", static_cast<long>(c.seed), 0, kMaxLong));
  } else {
    forbid(r, "seed", ens, "only nvt_langevin draws random numbers");
  }
}

void read_stage(TableReader& r, RunConfig& c, int index) {
  StageConfig s;
  s.line = toml_line(&r.table());
  s.name = r.string("name", fmt::format("stage {}", index + 1));
  if (!r.has("ensemble")) {
    r.error_at(&r.table(), fmt::format("[[stage]] \"{}\" needs ensemble = \"nve\" | "
                                       "\"nvt_nose_hoover\" | \"nvt_langevin\" | \"npt_mtk\" | "
                                       "\"minimize_fire\"",
                                       s.name));
  }
  const std::string ens = r.choice(
      "ensemble", "", {"nve", "nvt_nose_hoover", "nvt_langevin", "npt_mtk", "minimize_fire"});
  s.integrator.ensemble = parse_ensemble(ens);
  s.integrator.dt = r.positive("timestep_fs", c.timestep_fs);
  s.integrator.seed = c.seed;
  const double ramp_rate = read_stage_temperature(r, c, s, ens);
  read_stage_duration(r, s, ramp_rate);
  read_stage_coupling(r, c, s, ens);
  if (s.integrator.ensemble == Ensemble::MinimizeFire) {
    s.integrator.fmax = r.non_negative("fmax", 0.0, "eV/Å");
  } else {
    forbid(r, "fmax", ens, "only minimize_fire has a force tolerance");
  }
  s.thermo_every = r.integer("thermo_every", -1, 0, kMaxLong);
  s.trajectory_every = r.integer("trajectory_every", -1, 0, kMaxLong);
  s.h5md_every = r.integer("h5md_every", -1, 0, kMaxLong);
  s.dataset_every = r.integer("dataset_every", -1, 0, kMaxLong);
  r.check_unknown(
      "name, ensemble, timestep_fs, steps, time_ps, temperature, pressure, barostat, tdamp_fs, "
      "pdamp_fs, chain_length, chain_loops, sy_order, seed, fmax, thermo_every, "
      "trajectory_every, h5md_every, dataset_every");
  c.stages.push_back(std::move(s));
}

}  // namespace

bool StageConfig::thermostatted() const {
  return integrator.ensemble != Ensemble::Nve && integrator.ensemble != Ensemble::MinimizeFire;
}

double StageConfig::temperature_at(long k) const {
  if (steps <= 0) return temperature_to;
  return temperature_from +
         (temperature_to - temperature_from) * static_cast<double>(k) / static_cast<double>(steps);
}

double RunConfig::total_time_ps() const {
  double t = 0.0;
  for (const auto& s : stages) t += s.steps * s.integrator.dt * 1e-3;
  return t;
}

long RunConfig::total_steps() const {
  long n = 0;
  for (const auto& s : stages) n += s.steps;
  return n;
}

RunConfig parse_run_config_text(std::string_view text, const std::string& file,
                                const std::string& base_dir) {
  const auto document = std::make_shared<const toml::table>(parse_toml(text, file));
  const toml::table& root = *document;
  RunConfig c;
  c.file = file;
  TableReader top(root, file, "");
  // [md] first: the time step and seed are defaults elsewhere.
  if (const toml::table* t = top.subtable("md")) {
    TableReader r(*t, file, "md");
    read_md(r, c);
  }
  if (const toml::table* t = top.subtable("structure")) {
    TableReader r(*t, file, "structure");
    read_structure(r, c, base_dir);
  } else {
    throw InputError(file, 0, "missing [structure] table (file = \"...\" or [structure.generate])");
  }
  if (const toml::table* t = top.subtable("potential")) {
    TableReader r(*t, file, "potential");
    read_potential(r, c, base_dir, document);
  } else {
    throw InputError(file, 0, "missing [potential] table (path = \"...\")");
  }
  c.velocities.seed = c.seed;
  if (const toml::table* t = top.subtable("velocities")) {
    TableReader r(*t, file, "velocities");
    read_velocities(r, c);
  }
  if (const toml::table* t = top.subtable("output")) {
    TableReader r(*t, file, "output");
    read_output(r, c);
  }
  if (const toml::table* t = top.subtable("checkpoint")) {
    TableReader r(*t, file, "checkpoint");
    read_checkpoint_table(r, c);
  }
  if (const toml::table* t = top.subtable("parallel")) {
    TableReader r(*t, file, "parallel");
    read_parallel(r, c);
  }
  if (const toml::node* n = top.get("stage")) {
    if (!n->is_array_of_tables()) {
      top.error("stage", "expected [[stage]] tables (an array of tables)");
    }
    int k = 0;
    for (const toml::node& e : *n->as_array()) {
      TableReader r(*e.as_table(), file, "[stage]");
      read_stage(r, c, k++);
    }
  }
  if (c.stages.empty()) {
    throw InputError(file, 0, "no [[stage]] tables: nothing to run");
  }
  long total = 0;  // the campaign's step counter must hold every stage (checked arithmetic)
  for (const auto& st : c.stages)
    if (__builtin_add_overflow(total, st.steps, &total))
      throw InputError(file, st.line,
                       fmt::format("[[stage]] \"{}\": the stages add up to more steps than the "
                                   "step counter holds ({})",
                                   st.name, kMaxLong));
  top.check_unknown(
      "[structure], [potential], [md], [velocities], [output], [checkpoint], [parallel], "
      "[[stage]]");
  return c;
}

RunConfig parse_run_config(const std::string& path) {
  std::ifstream in(path);
  if (!in) fail("{}: cannot open the run configuration", path);
  std::stringstream ss;
  ss << in.rdbuf();
  const std::string base = std::filesystem::path(path).parent_path().string();
  return parse_run_config_text(ss.str(), path, base);
}

// One raw string, the schema text of `vitrum run --help`: longer than 80 lines by nature.
std::string run_config_help() {
  std::string builders;
  for (const auto& [name, description] : structure_builders()) {
    builders += fmt::format("  builder = \"{}\": {}\n", name, description);
  }
  std::string kinds;
  for (const auto& [name, description] : force_field_kinds())
    kinds += fmt::format("  kind = \"{}\": {}\n", name, description);
  return R"(CONFIG.toml schema (units: Å, fs, K, bar, amu, eV; relative input paths are resolved
against the config file's directory, the output directory against the working directory):

[structure]              the starting structure: file = "..." OR a [structure.generate] table
  file = "path"          *.data (n2p2), *.xyz/*.extxyz (extended XYZ), *.lmp (LAMMPS data)
  length_unit = "angstrom"  unit of the file's positions and cell: name (angstrom, bohr, nm) or Å
  frame = 0              frame of a multi-frame file (negative: from the end, -1 = last)
  replicate = [1, 1, 1]  periodic replication along a, b, c
[structure.generate]     a registered builder makes the structure
  builder = "name"       plus the builder's own keys (seed defaults to [md] seed)
[potential]
  kind = "..."           force-field kind (list below); default: from path, an n2p2 directory
                         is "n2p2", a *.toml file "teacher"
  path = "path"          n2p2 potential directory or SiO2 teacher *.toml
  length_unit = "angstrom"  n2p2 potentials: unit of the files (name or Å), e.g. "bohr"
  energy_unit = "eV"     n2p2 potentials: energy unit (name or eV), e.g. "Hartree"
  backend = "cpu"        cpu | cuda
  precision = "double"   double | mixed
[md]
  timestep_fs = 1.0      time step (fs)
  seed = 1               random seed (velocities, Langevin noise, builders)
  skin = 1.0             neighbor-list skin (Å); the list is rebuilt when needed
  masses = { }           per-element mass overrides (amu), e.g. { H = 2.014 }
  threads = 0            OpenMP threads (0: OMP_NUM_THREADS or all cores)
  remove_drift_every = 1000  steps between centre-of-mass drift removals (0: never)
  max_temperature = 1e5  stop when T exceeds this (K): exploding dynamics
  min_distance = 0.3     stop when two atoms come closer (Å): at the start, list rebuilds, thermo lines
  engine = "auto"        host | device | device-emulated | auto. device: the device-resident
                         engine (state on the GPU, docs/device-resident.md; backend = "cuda",
                         a teacher potential on any rank count or an HDNNP on one rank, no
                         FIRE stage; not yet run on a GPU).
                         auto: the host engine for now. device-emulated: the device engine on
                         the emulated device (tests)
[velocities]             default: the structure's velocities (extxyz vel, Å/fs), else zero
  temperature = <K>      draw Maxwell–Boltzmann velocities (Philox keyed by atom id)
  rescale = true         scale to exactly this temperature after removing the drift
  seed = [md] seed
[output]
  directory = "."        output directory (created)
  thermo_every = 100     steps between thermo lines (console and CSV); 0: stage ends only
  thermo_csv = "thermo.csv"
  trajectory_every = 0   steps between extxyz snapshots (0: none)
  trajectory = "trajectory.xyz"
  trajectory_forces = false
  trajectory_unwrapped = true  snapshot positions unwrapped (image counts), for MSD
  final_structure = "final.xyz"   format by extension (.xyz, .data)
  crash_structure = "crash.xyz"   last snapshot when the run becomes unstable
  progress = true        progress line with ETA on stderr when it is a terminal
  h5md = { every = 0, file = "trajectory.h5", velocities = true, forces = false,
           unwrapped = true, compression = 4 }
                         H5MD 1.1 trajectory every N steps (0: none): position, velocity,
                         force, species, box edges, step, time; readable by h5py and MDAnalysis
  dataset_every = 0      steps between training-set frames (0: none): n2p2 input.data with the
                         potential energy (eV) and forces (eV/Å), `begin set=train|test`
  dataset = "dataset.data"        the training-set file
  dataset_test_fraction = 0.1     share of frames flagged set=test (by [md] seed and step)
[checkpoint]             restart files: vitrum run CONFIG --restart FILE continues the campaign
  file = "checkpoint.h5" in the output directory; written atomically (temporary name, rename)
  every_steps = 0        steps between checkpoints (0: not by steps)
  every_minutes = 30     wall-clock minutes between checkpoints (0: not by time)
  at_end = true          a checkpoint when the campaign ends
                         SIGTERM/SIGUSR1/SIGINT and --max-walltime: finish the step, write the
                         checkpoint, close the files, exit with status 75 (resubmit with --restart)
[parallel]               domain decomposition under mpiexec
  gpu_aware_mpi = "auto" auto | on | off: device (cuda) halo buffers go to MPI as device pointers
                         (on: needs a CUDA-aware MPI) or through pinned host buffers (off); auto
                         asks the MPI library. Overridden by VITRUM_GPU_AWARE_MPI, which
                         --gpu-aware-mpi overrides
[[stage]]                run in order; one of steps / time_ps / a ramp rate sets the length
  name = "stage <k>"
  ensemble = "..."       nve | nvt_nose_hoover | nvt_langevin | npt_mtk | minimize_fire
                         (FIRE 2.0 energy minimization at fixed cell, timestep_fs = initial step)
  fmax = 0.0             minimize_fire: end the stage once every |F_i| < fmax (eV/Å); steps is
                         then the most it may take (0: always all steps)
  timestep_fs = [md] timestep_fs   this stage's time step (fs)
  steps = <n>  or  time_ps = <ps>
  temperature = <K>  or  temperature = { from = <K>, to = <K>, rate = <K/ps> }   (not nve)
                         a ramp is linear in the step; with rate the length is |to-from|/rate
  pressure = 1.0         npt_mtk target pressure (bar)
  barostat = "iso"       npt_mtk: iso | aniso (orthogonal cells)
  tdamp_fs = 100*dt      thermostat time constant (fs; Langevin: 1/friction)
  pdamp_fs = 1000*dt     barostat time constant (fs)
  chain_length = 3       Nosé–Hoover chain length (nvt_nose_hoover, npt_mtk)
  chain_loops = 1        Nosé–Hoover multiple-time-step loops
  sy_order = 3           Suzuki–Yoshida order 1, 3, 5 or 7
  seed = [md] seed       nvt_langevin noise seed
  thermo_every, trajectory_every, h5md_every, dataset_every   override [output] for this stage

Force-field kinds ([potential] kind = "..."):
)" + kinds +
         R"(  "lennard_jones" keys: epsilon (eV), sigma (Å), cutoff = 2.5 sigma (Å), shift = true

Structure builders ([structure.generate] builder = "..."):
)" + builders +
         R"(  "amorphous" keys: composition = { Si = 1, O = 2 } (formula unit), n_atoms, density (g/cm³),
  min_distance = 0 (Å, all pairs), min_distances = { Si-O = 1.6, O-O = 2.3 } (Å), aspect = [1, 1, 1],
  max_attempts = 10000, seed = [md] seed
)";
}

}  // namespace vitrum::md
