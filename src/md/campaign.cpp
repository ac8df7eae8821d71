/// \file campaign.cpp
/// `vitrum run`: starting structure, force field, velocities, stages, thermo/CSV/snapshot
/// output, progress line, crash snapshot and timing summary.

#include "vitrum/md/campaign.hpp"

#include <omp.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <map>
#include <sstream>

#include "vitrum/core/elements.hpp"
#include "vitrum/core/error.hpp"
#include "vitrum/io/builders.hpp"
#include "vitrum/io/structure_io.hpp"

namespace vitrum::md {
namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

std::string composition(const std::vector<int>& species) {
  std::map<int, long> count;
  for (int z : species) ++count[z];
  std::string out;
  for (const auto& [z, c] : count) out += fmt::format("{}{} ", element_symbol(z), c);
  if (!out.empty()) out.pop_back();
  return out;
}

std::string format_duration(double s) {
  if (!std::isfinite(s) || s < 0) return "?";
  const long t = std::lround(s);
  if (t >= 3600) return fmt::format("{}h{:02d}m", t / 3600, static_cast<int>((t % 3600) / 60));
  if (t >= 60) return fmt::format("{}m{:02d}s", t / 60, static_cast<int>(t % 60));
  return fmt::format("{}s", t);
}

/// Appends to a text file, flushing after every write (a crash keeps every complete line/frame).
class AppendFile {
 public:
  AppendFile() = default;
  AppendFile(const AppendFile&) = delete;
  AppendFile& operator=(const AppendFile&) = delete;
  ~AppendFile() {
    if (f_ != nullptr) std::fclose(f_);
  }
  void open(const std::string& path) {
    path_ = path;
    f_ = std::fopen(path.c_str(), "w");
    if (f_ == nullptr) fail("{}: cannot create the file: {}", path, std::strerror(errno));
  }
  bool is_open() const { return f_ != nullptr; }
  void write(const std::string& text) {
    if (std::fwrite(text.data(), 1, text.size(), f_) != text.size() || std::fflush(f_) != 0) {
      fail("{}: write failed: {}", path_, std::strerror(errno));
    }
  }

 private:
  std::FILE* f_ = nullptr;
  std::string path_;
};

/// Console, CSV, snapshots and the progress line.
class Output {
 public:
  Output(const RunConfig& c, const RunOptions& o, const std::string& dir, int atoms)
      : c_(c), o_(o), dir_(dir), atoms_(atoms) {
    csv_.open(path(c.output.thermo_csv));
    csv_.write(
        "step,time_fs,temperature_K,pressure_bar,pe_eV,ke_eV,etotal_eV,conserved_eV,volume_A3,"
        "density_g_cm3,atom_steps_per_s,stage\n");
    bool traj = c.output.trajectory_every > 0;
    for (const auto& s : c.stages) traj = traj || s.trajectory_every > 0;
    if (traj) traj_.open(path(c.output.trajectory));
    progress_ = c.output.progress && !o.quiet && isatty(STDERR_FILENO) == 1;
    start_ = last_time_ = Clock::now();
  }

  std::string path(const std::string& name) const {
    return (std::filesystem::path(dir_) / name).string();
  }

  void header() {
    if (o_.quiet) return;
    std::fprintf(o_.out, "%9s %11s %10s %12s %19s %16s %19s %19s %12s %9s %11s\n", "step",
                 "time_fs", "T_K", "P_bar", "E_pot_eV", "E_kin_eV", "E_tot_eV", "E_conserved_eV",
                 "volume_A3", "rho_g_cm3", "atom-step/s");
    std::fflush(o_.out);
  }

  void thermo(const Thermo& t, const std::string& stage) {
    const double wall = seconds_since(last_time_);
    const long dsteps = t.step - last_step_;
    const double rate = dsteps > 0 && wall > 0 ? static_cast<double>(dsteps) * atoms_ / wall : 0.0;
    last_time_ = Clock::now();
    last_step_ = t.step;
    clear_progress();
    if (!o_.quiet) {
      std::fprintf(o_.out,
                   "%9ld %11.3f %10.2f %12.2f %19.8f %16.8f %19.8f %19.8f %12.3f %9.5f %11.4g\n",
                   t.step, t.time_fs, t.temperature, t.pressure, t.potential_energy,
                   t.kinetic_energy, t.total_energy, t.conserved, t.volume, t.density, rate);
      std::fflush(o_.out);
    }
    csv_.write(fmt::format(
        "{},{:.6f},{:.10g},{:.10g},{:.17g},{:.17g},{:.17g},{:.17g},{:.12g},{:.10g},"
        "{:.6g},\"{}\"\n",
        t.step, t.time_fs, t.temperature, t.pressure, t.potential_energy, t.kinetic_energy,
        t.total_energy, t.conserved, t.volume, t.density, rate, stage));
  }

  void snapshot(const MdSystem& sys, const Thermo& t, const std::string& stage) {
    Structure s = to_structure(sys, c_.output.trajectory_unwrapped, c_.output.trajectory_forces);
    s.info["step"] = std::to_string(sys.step);
    s.info["time_fs"] = fmt::format("{}", sys.time_fs);
    s.info["temperature_K"] = fmt::format("{:.6g}", t.temperature);
    s.info["stage"] = stage;
    s.info["velocity_unit"] = "A/fs";
    std::ostringstream ss;
    write_extxyz(ss, {s});
    traj_.write(ss.str());
  }

  void progress(long done, long total, int stage_index, int n_stages, const std::string& stage,
                double temperature) {
    if (!progress_) return;
    const auto now = Clock::now();
    if (std::chrono::duration<double>(now - last_progress_).count() < 0.5 && done < total) return;
    last_progress_ = now;
    const double elapsed = seconds_since(start_);
    const double eta = done > 0 ? elapsed * static_cast<double>(total - done) / done : NAN;
    std::fprintf(stderr, "\r  [%d/%d %s] step %ld/%ld (%.1f%%)  T %.1f K  ETA %s\033[K",
                 stage_index + 1, n_stages, stage.c_str(), done, total,
                 100.0 * static_cast<double>(done) / std::max(1L, total), temperature,
                 format_duration(eta).c_str());
    std::fflush(stderr);
    shown_ = true;
  }

  void clear_progress() {
    if (shown_) {
      std::fprintf(stderr, "\r\033[K");
      std::fflush(stderr);
      shown_ = false;
    }
  }

 private:
  const RunConfig& c_;
  const RunOptions& o_;
  std::string dir_;
  int atoms_;
  AppendFile csv_, traj_;
  bool progress_ = false, shown_ = false;
  Clock::time_point start_, last_time_, last_progress_{};
  long last_step_ = 0;
};

}  // namespace

Structure load_initial_structure(const RunConfig& c) {
  Structure s;
  std::string where;
  if (c.structure.generate) {
    s = build_structure(*c.structure.generate);
    where = c.structure.generate->where();
  } else {
    auto all = read_structures(c.structure.file);
    const long n = static_cast<long>(all.size());
    if (n == 0) fail("{}: the file holds no structure", c.structure.file);
    long f = c.structure.frame < 0 ? n + c.structure.frame : c.structure.frame;
    if (f < 0 || f >= n) {
      fail("{}: [structure] frame = {} but the file holds {} frame(s)", c.file, c.structure.frame,
           n);
    }
    s = std::move(all[f]);
    where = fmt::format("{}, frame {}", c.structure.file, f);
    const double u = c.structure.length_unit;
    if (u != 1.0) {
      for (auto& r : s.positions) r = u * r;
      for (auto& v : s.velocities) v = u * v;
      for (auto& h : s.box.h) h = u * h;
    }
  }
  const auto& rep = c.structure.replicate;
  if (rep[0] != 1 || rep[1] != 1 || rep[2] != 1) {
    if (!s.box.periodic) fail("{}: [structure] replicate needs a periodic cell", where);
    s = replicate(s, rep[0], rep[1], rep[2]);
  }
  s.forces.clear();
  validate_structure(s, where);
  return s;
}

std::string format_timers(const StepTimers& t, long steps, int atoms) {
  const double total = t.total();
  auto line = [&](const char* name, double v) {
    return fmt::format("  {:<10} {:10.3f} s  {:5.1f} %\n", name, v,
                       total > 0 ? 100.0 * v / total : 0.0);
  };
  std::string out = "timings (wall time of the step loop by part):\n";
  out += line("neighbor", t.neighbor);
  out += line("potential", t.force);
  out += line("integrate", t.integrate);
  out += line("output", t.output);
  out += fmt::format("  {:<10} {:10.3f} s  {} steps, {:.4g} atom-steps/s\n", "total", total, steps,
                     total > 0 ? static_cast<double>(steps) * atoms / total : 0.0);
  return out;
}

RunSummary run_campaign(const RunConfig& c, const RunOptions& o) {
  const auto t_start = Clock::now();
  if (o.threads > 0) {
    omp_set_num_threads(o.threads);
  } else if (c.threads > 0) {
    omp_set_num_threads(c.threads);
  }
  const std::string dir = o.output_directory.empty() ? c.output.directory : o.output_directory;
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) fail("cannot create the output directory {}: {}", dir, ec.message());
  // Fail on an unsupported final-structure format before any work.
  structure_format_from_path(c.output.final_structure);

  Structure s0 = load_initial_structure(c);
  auto ff = load_force_field(c.potential.path, c.potential.backend, c.potential.precision,
                             c.potential.length_unit, c.potential.energy_unit);
  MdSystem sys = make_system(s0, assign_masses(s0.species, c.masses));
  std::string vel_source = "zero";
  if (c.velocities.has_temperature) {
    maxwell_boltzmann(sys, c.velocities.temperature, c.velocities.seed, c.velocities.rescale);
    vel_source = fmt::format("Maxwell–Boltzmann at {} K (seed {})", c.velocities.temperature,
                             c.velocities.seed);
  } else if (s0.velocities.size() == s0.size()) {
    vel_source = "from the structure (Å/fs)";
  }
  const int n = sys.size();
  if (!o.quiet) {
    std::fprintf(o.out, "vitrum run %s\n", c.file.c_str());
    std::fprintf(o.out, "  structure: %d atoms (%s), volume %.4f Å³, density %.5f g/cm³\n", n,
                 composition(sys.species).c_str(), sys.box.volume(),
                 density_g_cm3(sys.total_mass(), sys.box.volume()));
    std::fprintf(o.out, "  potential: %s\n", ff->describe().c_str());
    std::fprintf(o.out,
                 "  md: dt %g fs, skin %g Å, seed %llu, %d thread(s); velocities %s; output %s\n",
                 c.timestep_fs, c.skin, static_cast<unsigned long long>(c.seed),
                 omp_get_max_threads(), vel_source.c_str(), dir.c_str());
  }

  Engine engine(std::move(sys), *ff, EngineOptions{c.skin, c.max_temperature, c.min_distance});
  Output out(c, o, dir, n);
  const long total_steps = c.total_steps();
  double conserved_offset = 0.0;
  std::string stage_name = c.stages.front().name;
  std::unique_ptr<Integrator> integ;

  auto thermo_now = [&]() {
    return compute_thermo(engine.system(), (integ ? integ->extended_energy(engine.system()) : 0.0) +
                                               conserved_offset);
  };

  try {
    engine.check_overlaps();
    {
      const auto t0 = Clock::now();
      out.header();
      out.thermo(thermo_now(), stage_name);
      engine.timers().output += seconds_since(t0);
    }
    long done = 0;
    for (std::size_t si = 0; si < c.stages.size(); ++si) {
      const StageConfig& st = c.stages[si];
      stage_name = st.name;
      // Keep the conserved quantity continuous: the new integrator's extended energy starts at 0.
      if (integ) {
        conserved_offset += integ->extended_energy(engine.system());
      }
      integ = make_integrator(st.integrator, engine.system());
      const long thermo_every = st.thermo_every >= 0 ? st.thermo_every : c.output.thermo_every;
      const long traj_every =
          st.trajectory_every >= 0 ? st.trajectory_every : c.output.trajectory_every;
      if (!o.quiet) {
        out.clear_progress();
        std::string targets;
        if (st.thermostatted()) {
          targets = st.temperature_from == st.temperature_to
                        ? fmt::format(", T {} K", st.temperature_from)
                        : fmt::format(", T {} -> {} K ({:.4g} K/ps)", st.temperature_from,
                                      st.temperature_to,
                                      (st.temperature_to - st.temperature_from) /
                                          (st.steps * st.integrator.dt * 1e-3));
        }
        if (st.integrator.ensemble == Ensemble::NptMtk)
          targets += fmt::format(", P {} bar", st.pressure);
        std::fprintf(o.out, "stage %zu/%zu \"%s\": %ld steps (%.4g ps)%s; %s\n", si + 1,
                     c.stages.size(), st.name.c_str(), st.steps, st.steps * st.integrator.dt * 1e-3,
                     targets.c_str(), integ->describe().c_str());
        std::fflush(o.out);
      }
      StepContext ctx;
      ctx.pressure = st.pressure;
      ctx.temperature = st.temperature_at(0);
      integ->begin(engine.system(), ctx);
      for (long k = 1; k <= st.steps; ++k) {
        ctx.temperature = st.temperature_at(k);
        engine.step(*integ, ctx);
        ++done;
        const long step = engine.system().step;
        if (c.remove_drift_every > 0 && step % c.remove_drift_every == 0) {
          remove_drift(engine.system());
        }
        const bool thermo = (thermo_every > 0 && step % thermo_every == 0) || k == st.steps;
        const bool snap = traj_every > 0 && step % traj_every == 0;
        if (thermo || snap) {
          const auto t0 = Clock::now();
          const Thermo t = thermo_now();
          if (thermo) {
            engine.check_overlaps();
            out.thermo(t, st.name);
          }
          if (snap) out.snapshot(engine.system(), t, st.name);
          engine.timers().output += seconds_since(t0);
        }
        out.progress(done, total_steps, static_cast<int>(si), static_cast<int>(c.stages.size()),
                     st.name, ctx.temperature);
      }
    }
  } catch (const Error& e) {
    out.clear_progress();
    const std::string crash = out.path(c.output.crash_structure);
    std::string note;
    try {
      write_structures(crash, {to_structure(engine.system(), false, true)});
      note = fmt::format(" (last snapshot at step {} written to {})", engine.system().step, crash);
    } catch (const Error& e2) {
      note = fmt::format(" (could not write the last snapshot: {})", e2.what());
    }
    if (dynamic_cast<const UnstableDynamics*>(&e) != nullptr) {
      throw UnstableDynamics(std::string(e.what()) + note);
    }
    throw Error(std::string(e.what()) + note);
  }
  out.clear_progress();

  RunSummary r;
  r.final_thermo = thermo_now();
  r.final_structure = out.path(c.output.final_structure);
  {
    const auto t0 = Clock::now();
    write_structures(r.final_structure, {to_structure(engine.system(), false, false)});
    engine.timers().output += seconds_since(t0);
  }
  r.steps = total_steps;
  r.rebuilds = engine.rebuilds();
  r.timers = engine.timers();
  r.wall_seconds = seconds_since(t_start);
  if (!o.quiet) {
    std::fprintf(o.out, "%s", format_timers(r.timers, r.steps, n).c_str());
    std::fprintf(o.out,
                 "neighbor list: %ld builds (every %.1f steps on average); wall time %.3f s\n"
                 "wrote %s, %s\n",
                 r.rebuilds, r.rebuilds > 0 ? static_cast<double>(r.steps) / r.rebuilds : 0.0,
                 r.wall_seconds, out.path(c.output.thermo_csv).c_str(), r.final_structure.c_str());
    std::fflush(o.out);
  }
  return r;
}

}  // namespace vitrum::md
