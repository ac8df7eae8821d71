/// \file campaign.cpp
/// `vitrum run`: starting structure, force field, velocities, stages, thermo/CSV/snapshot
/// output, progress line, crash snapshot and timing summary; H5MD trajectory, checkpoints,
/// restart and batch-job stops (the checkpoint and batch logic live in checkpoint.cpp and
/// batch_control.cpp; here only where they hook into the loop).

#include "vitrum/md/campaign.hpp"

#include <omp.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <functional>
#include <map>
#include <numeric>
#include <optional>
#include <sstream>

#include "campaign_output.hpp"
#include "vitrum/core/elements.hpp"
#include "vitrum/core/error.hpp"
#include "vitrum/io/builders.hpp"
#include "vitrum/io/h5md.hpp"
#include "vitrum/io/structure_io.hpp"
#include "vitrum/md/batch_control.hpp"
#include "vitrum/md/checkpoint.hpp"
#include "vitrum/md/dataset_output.hpp"
#include "vitrum/md/distribute.hpp"
#include "vitrum/md/force_field_registry.hpp"
#include "vitrum/parallel/device_binding.hpp"
#include "vitrum/parallel/domain.hpp"

namespace vitrum::md {

using namespace campaign_detail;

Structure load_initial_structure(const RunConfig& c) {
  Structure s;
  std::string where;
  if (c.structure.generate) {
    s = build_structure(*c.structure.generate);
    where = c.structure.generate->where();
  } else {
    auto all = io::read_structures(c.structure.file);
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
    s = io::replicate(s, rep[0], rep[1], rep[2]);
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
  if (t.comm > 0) out += line("comm", t.comm);  // MPI domain decomposition
  out += fmt::format("  {:<10} {:10.3f} s  {} steps, {:.4g} atom-steps/s\n", "total", total, steps,
                     total > 0 ? static_cast<double>(steps) * atoms / total : 0.0);
  return out;
}

RunSummary run_campaign(const RunConfig& c, const RunOptions& options) {
  const auto t_start = Clock::now();
  // ---- MPI domain decomposition: rank 0 alone prints and writes files
  const parallel::Comm world = parallel::Comm::world();
  const bool root = world.rank() == 0;
  RunOptions rank_options = options;
  if (!root) rank_options.quiet = true;
  const RunOptions& o = rank_options;
  // ----
  SignalGuard signals;  // SIGTERM/SIGUSR1/SIGINT: stop after the step with a checkpoint
  if (o.threads > 0) {
    omp_set_num_threads(o.threads);
  } else if (c.threads > 0) {
    omp_set_num_threads(c.threads);
  }
  const std::string dir = o.output_directory.empty() ? c.output.directory : o.output_directory;
  guard_campaign_outputs(c, dir, o);  // an earlier run's outputs stay unless told
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) fail("cannot create the output directory {}: {}", dir, ec.message());
  // Fail on an unsupported final-structure format before any work.
  io::structure_format_from_path(c.output.final_structure);

  // ---- restart: the checkpoint replaces the starting structure and velocities
  std::optional<Checkpoint> ck;
  std::vector<std::string> restart_notes;
  if (!o.restart_file.empty()) {
    // Under MPI each rank reads only its block of ids (collective; Engine::restore takes the
    // atoms to their owners), so no rank holds the whole checkpoint.
    ck =
        world.size() > 1 ? read_checkpoint(o.restart_file, world) : read_checkpoint(o.restart_file);
    restart_notes = check_restart_config(*ck, c, o.restart_file);
  }
  const bool ck_share = ck && !ck->ids.empty();  // ck->system: this rank's block of the atoms
  if (ck_share) ck->system.id.assign(ck->ids.begin(), ck->ids.end());
  // ----

  Structure s0 = ck ? Structure{} : load_initial_structure(c);
  // One rank per GPU: the ranks of a node spread over its devices (before any CUDA allocation).
  if (c.potential.backend == Backend::Cuda) parallel::bind_cuda_device();
  auto ff = make_force_field(c.potential);
  MdSystem sys = ck ? ck->system : make_system(s0, assign_masses(s0.species, c.masses));
  std::string vel_source = "zero";
  if (ck) {
    vel_source = fmt::format("from checkpoint {}", o.restart_file);
  } else if (c.velocities.has_temperature) {
    maxwell_boltzmann(sys, c.velocities.temperature, c.velocities.seed, c.velocities.rescale);
    vel_source = fmt::format("Maxwell–Boltzmann at {} K (seed {})", c.velocities.temperature,
                             c.velocities.seed);
  } else if (s0.velocities.size() == s0.size()) {
    vel_source = "from the structure (Å/fs)";
  }
  const int n = ck ? static_cast<int>(ck->n_atoms_total) : sys.size();  // atoms on all ranks
  // A checkpoint's blocks: sums over the ranks.
  const std::string atoms_composition =
      composition(sys.species, ck_share ? world : parallel::Comm());
  const double atoms_mass = ck_share ? world.sum(sys.total_mass()) : sys.total_mass();
  if (!o.quiet) {
    std::fprintf(o.out, "vitrum run %s\n", c.file.c_str());
    std::fprintf(o.out, "  structure: %d atoms (%s), volume %.4f Å³, density %.5f g/cm³\n", n,
                 atoms_composition.c_str(), sys.box.volume(),
                 density_g_cm3(atoms_mass, sys.box.volume()));
    std::fprintf(o.out, "  potential: %s\n", ff->describe().c_str());
    if (c.potential.backend == Backend::Cuda)
      std::fprintf(o.out, "  gpu: %s\n", parallel::bind_cuda_device().describe().c_str());
    std::fprintf(o.out,
                 "  md: dt %g fs, skin %g Å, seed %llu, %d thread(s); velocities %s; output %s\n",
                 c.timestep_fs, c.skin, static_cast<unsigned long long>(c.seed),
                 omp_get_max_threads(), vel_source.c_str(), dir.c_str());
  }

  // ---- MPI domain decomposition (vitrum/parallel): with several ranks each keeps the atoms of
  // its subdomain; outputs gather the whole system on rank 0 (whole(), collective).
  std::unique_ptr<parallel::Domain> domain;
  if (world.size() > 1) {
    // A restart on the writer's rank count keeps its grid (the grid chosen for the current cell
    // may differ after a barostat changed the cell's shape, and bit for bit needs the same one).
    std::array<int, 3> grid{0, 0, 0};  // chosen for the cell
    if (ck && ck->domain_grid[0] * ck->domain_grid[1] * ck->domain_grid[2] == world.size())
      grid = ck->domain_grid;
    domain = std::make_unique<parallel::Domain>(world, sys.box, grid);
    if (!o.quiet)
      std::fprintf(o.out, "  domain decomposition: %s\n", domain->describe(sys.box).c_str());
    // A checkpoint's blocks are a partition of the atoms already: the engine takes them to
    // their owners.
    if (!ck_share) sys = distribute_system(std::move(sys), *domain);
  }
  // ----
  Engine engine(std::move(sys), *ff,
                EngineOptions{c.skin, c.max_temperature, c.min_distance, c.gpu_mpi}, domain.get());
  if (engine.device_halo() != nullptr && !o.quiet)
    std::fprintf(o.out, "  halo: packed and unpacked on the GPU; %s\n",
                 engine.device_halo()->describe().c_str());
  auto whole = [&]() -> const MdSystem& { return engine.gather_system(); };
  // ---- restart: replay the checkpoint's last neighbor-list rebuild, compare the forces
  long first_done = 0;  // campaign steps already taken
  if (ck) {
    // Under domain decomposition restore() is collective: every rank passes its block of the
    // checkpoint (or, on one rank, the whole) and keeps the atoms the replayed rebuild gives it.
    const std::vector<Vec3> ck_forces = engine.restore(
        ck->system, ck->rebuild, ck_share ? RestoreInput::Share : RestoreInput::Whole);
    // The forces at the checkpoint, compared atom by atom (ck_forces: the checkpoint's forces of
    // the atoms this rank holds now, in the engine's order).
    const MdSystem& now = engine.system();
    double df = 0.0, fmax = 0.0;
    int worst = 0;
    for (int i = 0; i < now.size(); ++i) {
      const Vec3 d = now.forces[i] - ck_forces[i];
      const double a = std::sqrt(dot(d, d));
      if (a > df) df = a, worst = now.id.empty() ? i : now.id[i];
      fmax = std::max(fmax, std::sqrt(dot(ck_forces[i], ck_forces[i])));
    }
    if (domain) {  // the largest difference over the ranks, and its atom
      double neg = -df;
      const int holder = domain->comm().min_location(neg);
      df = -neg;
      domain->comm().broadcast(&worst, sizeof(worst), holder);
      domain->comm().max(&fmax, 1);
    }
    if (df > 1e-3 * std::max(fmax, 1e-3)) {
      fail(
          "{}: the potential gives other forces at the checkpointed positions than the run that "
          "wrote the checkpoint (max |ΔF| = {:.3g} eV/Å at atom {}, largest |F| {:.3g} eV/Å): "
          "was [potential] changed? Use the potential of the original run",
          o.restart_file, df, worst, fmax);
    }
    for (std::size_t si = 0; si < static_cast<std::size_t>(ck->stage); ++si)
      first_done += c.stages[si].steps;
    first_done += ck->step_in_stage;
    if (!o.quiet) {
      std::fprintf(o.out,
                   "  restart: %s (written %s by %d rank(s)): stage %d/%zu \"%s\", step %ld of "
                   "%ld, campaign step %ld of %ld; forces at the checkpoint %s\n",
                   o.restart_file.c_str(), ck->created.c_str(), ck->writer_ranks, ck->stage + 1,
                   c.stages.size(), c.stages[ck->stage].name.c_str(), ck->step_in_stage,
                   c.stages[ck->stage].steps, first_done, c.total_steps(),
                   df == 0.0
                       ? "reproduced bit for bit"
                       : fmt::format("differ by up to {:.3g} eV/Å (not bit for bit)", df).c_str());
      for (const auto& note : restart_notes) std::fprintf(o.out, "  note: %s\n", note.c_str());
    }
  }
  // The species of every atom are gathered on rank 0 only for an H5MD trajectory rank 0 writes
  // alone (one rank, or serial HDF5); in parallel every rank writes its own atoms.
  Output out(c, o, dir, n, engine.system(), whole, ck ? &*ck : nullptr, root, world);
  if (!o.quiet && !out.notes().empty()) std::fprintf(o.out, "%s", out.notes().c_str());
  // ----
  // ---- training-set frames ([output] dataset_every, vitrum/md/dataset_output.hpp)
  auto dataset = root ? open_dataset(c, dir, ck ? ck->system.step : -1) : nullptr;
  bool sampling = dataset != nullptr;  // on every rank: whole() is collective
  world.broadcast(&sampling, sizeof(sampling), 0);
  // ----
  const long total_steps = c.total_steps();
  double conserved_offset = ck ? ck->conserved_offset : 0.0;
  const std::size_t first_stage = ck ? static_cast<std::size_t>(ck->stage) : 0;
  std::string stage_name = c.stages[first_stage].name;
  std::unique_ptr<Integrator> integ;

  // ---- checkpoints and batch-job stops
  const std::string checkpoint_path = out.path(c.checkpoint.file);
  BatchLimits limits;
  limits.max_walltime_s = o.max_walltime_s;
  limits.max_steps = o.max_steps;
  limits.checkpoint_every_steps = c.checkpoint.every_steps;
  limits.checkpoint_every_s = 60.0 * c.checkpoint.every_minutes;
  limits.checkpoint_bytes = 150.0 * n;
  const auto job_start = o.start == Clock::time_point{} ? t_start : o.start;
  BatchControl batch(limits, job_start);
  std::string last_checkpoint;
  auto write_checkpoint_now = [&](std::size_t si, long k) {
    const auto t0 = Clock::now();
    Checkpoint x = capture_checkpoint(c, engine, *integ, static_cast<int>(si), k, conserved_offset);
    out.sizes(x);
#ifdef VITRUM_HAVE_MPI
    if (domain) {  // every rank writes the rows of its atoms; rank 0 knows the file sizes
      x.ids.assign(engine.system().id.begin(), engine.system().id.end());
      x.n_atoms_total = engine.system().global_size();
      long sizes[3] = {x.thermo_csv_bytes, x.trajectory_bytes, x.h5md_frames};
      world.broadcast(sizes, sizeof(sizes), 0);
      x.thermo_csv_bytes = sizes[0], x.trajectory_bytes = sizes[1], x.h5md_frames = sizes[2];
      write_checkpoint(checkpoint_path, x, world.mpi());
    } else {
      write_checkpoint(checkpoint_path, x);
    }
#else
    write_checkpoint(checkpoint_path, x);
#endif
    last_checkpoint = checkpoint_path;
    const double dt = seconds_since(t0);
    batch.checkpoint_written(dt);
    engine.timers().output += dt;
  };
  StopReason stopped = StopReason::None;
  long steps_run = 0;
  // ----

  auto thermo_now = [&]() {
    return compute_thermo(engine.system(), (integ ? integ->extended_energy(engine.system()) : 0.0) +
                                               conserved_offset);
  };

  // The run's statistics, on every way out.
  auto tally = [&](RunSummary& r) {
    r.steps = steps_run;
    r.rebuilds = engine.rebuilds();
    r.timers = engine.timers();
    r.wall_seconds = seconds_since(t_start);
  };

  try {
    engine.check_overlaps();
    {
      const auto t0 = Clock::now();
      out.header();
      if (!ck) {
        out.thermo(thermo_now(), stage_name);
        if (out.has_h5md()) out.h5md_frame(out.h5md_collective() ? engine.system() : whole());
      }
      engine.timers().output += seconds_since(t0);
    }
    long done = first_done;
    for (std::size_t si = first_stage; si < c.stages.size(); ++si) {
      const StageConfig& st = c.stages[si];
      const bool resumed = ck && si == first_stage;  // the checkpoint is inside this stage
      stage_name = st.name;
      // Keep the conserved quantity continuous: the new integrator's extended energy starts at 0.
      if (integ) {
        conserved_offset += integ->extended_energy(engine.system());
      }
      integ = make_integrator(st.integrator, engine.system());
      const long thermo_every = st.thermo_every >= 0 ? st.thermo_every : c.output.thermo_every;
      const long traj_every =
          st.trajectory_every >= 0 ? st.trajectory_every : c.output.trajectory_every;
      const long h5md_every = st.h5md_every >= 0 ? st.h5md_every : c.output.h5md.every;
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
        std::fprintf(
            o.out, "stage %zu/%zu \"%s\": %ld steps (%.4g ps)%s; %s%s\n", si + 1, c.stages.size(),
            st.name.c_str(), st.steps, st.steps * st.integrator.dt * 1e-3, targets.c_str(),
            integ->describe().c_str(),
            resumed ? fmt::format("; resumed after step {}", ck->step_in_stage).c_str() : "");
        std::fflush(o.out);
      }
      StepContext ctx;
      ctx.pressure = st.pressure;
      ctx.temperature = st.temperature_at(0);
      long k_first = 1;
      if (resumed) {
        try {
          integ->load_state(ck->integrator);
        } catch (const Error& e) {
          fail("{}: {}", o.restart_file, e.what());
        }
        k_first = ck->step_in_stage + 1;
      } else {
        integ->begin(engine.system(), ctx);
      }
      for (long k = k_first; k <= st.steps; ++k) {
        ctx.temperature = st.temperature_at(k);
        engine.step(*integ, ctx);
        ++done;
        const long step = engine.system().step;
        if (c.remove_drift_every > 0 && step % c.remove_drift_every == 0) {
          remove_drift(engine.system());
        }
        // A minimizer that met its tolerance ends its stage here (the same on every rank).
        const bool converged = integ->converged();
        const bool stage_end = k == st.steps || converged;
        const bool thermo = (thermo_every > 0 && step % thermo_every == 0) || stage_end;
        const bool snap = traj_every > 0 && step % traj_every == 0;
        const bool h5frame = h5md_every > 0 && step % h5md_every == 0;
        if (thermo || snap || h5frame) {
          const auto t0 = Clock::now();
          const Thermo t = thermo_now();
          if (thermo) {
            engine.check_overlaps();
            engine.check_atoms();  // domain decomposition: no atom lost or duplicated
            out.thermo(t, st.name);
          }
          if (snap) out.snapshot(whole(), t, st.name);
          if (h5frame && out.has_h5md())
            out.h5md_frame(out.h5md_collective() ? engine.system() : whole());
          engine.timers().output += seconds_since(t0);
        }
        // ---- training-set frames
        if (sampling && dataset_every(c, st) > 0 && step % dataset_every(c, st) == 0) {
          const MdSystem& w = whole();
          if (dataset) dataset->write(w, st.name);
        }
        // ----
        out.progress(done, total_steps, static_cast<int>(si), static_cast<int>(c.stages.size()),
                     st.name, ctx.temperature);
        // ---- checkpoints and batch-job stops (the last step ends the campaign normally)
        ++steps_run;
        const bool last = si + 1 == c.stages.size() && stage_end;
        const BatchControl::Decision d = batch.after_step(step);
        if (!last && (d.checkpoint || d.stop != StopReason::None)) write_checkpoint_now(si, k);
        if (!last && d.stop != StopReason::None) {
          stopped = d.stop;
          break;
        }
        // ----
        if (converged) {
          done += st.steps - k;  // the progress counts the stage as complete
          if (!o.quiet) {
            out.clear_progress();
            std::fprintf(o.out, "stage %zu/%zu \"%s\": converged after %ld of %ld steps (%s)\n",
                         si + 1, c.stages.size(), st.name.c_str(), k, st.steps,
                         integ->describe().c_str());
          }
          break;
        }
      }
      if (stopped != StopReason::None) break;
    }
  } catch (const Error& e) {
    out.clear_progress();
    const std::string crash = out.path(c.output.crash_structure);
    std::string note;
    // Under domain decomposition only an error raised on every rank (the engine's) may run a
    // collective call here (gather, H5MD close): one raised on one rank only (a rank-0 output
    // failed, say) leaves the others waiting elsewhere, and main's MPI_Abort ends them. So the
    // files of such a run are not closed on the way out (H5mdWriter::~H5mdWriter).
    const bool every_rank = !domain || dynamic_cast<const UnstableDynamics*>(&e) != nullptr;
    if (!every_rank) {
      note = fmt::format(" (no crash snapshot: the error may have been raised on rank {} alone)",
                         world.rank());
    } else {
      try {
        const MdSystem& w = whole();
        if (root) io::write_structures(crash, {to_structure(w, false, true)});
        note =
            fmt::format(" (last snapshot at step {} written to {})", engine.system().step, crash);
      } catch (const Error& e2) {
        note = fmt::format(" (could not write the last snapshot: {})", e2.what());
      }
      try {  // every rank is here: close the H5MD trajectory (collectively) now
        out.close();
      } catch (const Error&) {
      }
    }
    if (dynamic_cast<const UnstableDynamics*>(&e) != nullptr) {
      throw UnstableDynamics(std::string(e.what()) + note);
    }
    throw Error(std::string(e.what()) + note);
  }
  out.clear_progress();

  // ---- early stop: the checkpoint is written; close the files and report
  if (stopped != StopReason::None) {
    out.close();
    RunSummary r;
    r.completed = false;
    r.stop_reason = batch.describe(stopped);
    r.checkpoint = last_checkpoint;
    r.final_thermo = thermo_now();
    tally(r);
    if (!o.quiet) {
      std::fprintf(o.out, "%s", format_timers(r.timers, r.steps, n).c_str());
      std::fprintf(o.out,
                   "stopped by %s after campaign step %ld of %ld (stage \"%s\"); checkpoint "
                   "written to %s\ncontinue with: vitrum run %s --restart %s\n",
                   r.stop_reason.c_str(), engine.system().step, total_steps, stage_name.c_str(),
                   r.checkpoint.c_str(), c.file.c_str(), r.checkpoint.c_str());
      std::fflush(o.out);
    }
    return r;
  }
  // ----

  RunSummary r;
  r.final_thermo = thermo_now();
  r.final_structure = out.path(c.output.final_structure);
  {
    const auto t0 = Clock::now();
    const MdSystem& w = whole();
    if (root) io::write_structures(r.final_structure, {to_structure(w, false, false)});
    engine.timers().output += seconds_since(t0);
  }
  if (c.checkpoint.at_end) {
    write_checkpoint_now(c.stages.size() - 1, c.stages.back().steps);
    r.checkpoint = last_checkpoint;
  }
  out.close();
  tally(r);
  if (!o.quiet) {
    std::fprintf(o.out, "%s", format_timers(r.timers, r.steps, n).c_str());
    std::fprintf(o.out,
                 "neighbor list: %ld builds (every %.1f steps on average); wall time %.3f s\n"
                 "wrote %s, %s%s%s\n",
                 r.rebuilds,
                 r.rebuilds > 0 ? static_cast<double>(engine.system().step) / r.rebuilds : 0.0,
                 r.wall_seconds, out.path(c.output.thermo_csv).c_str(), r.final_structure.c_str(),
                 r.checkpoint.empty() ? "" : ", ", r.checkpoint.c_str());
    std::fflush(o.out);
  }
  return r;
}

}  // namespace vitrum::md
