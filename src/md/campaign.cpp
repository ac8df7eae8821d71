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

#include "campaign_run.hpp"
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
  Campaign campaign(c, options);
  return campaign.run();
}

namespace campaign_detail {

Campaign::Campaign(const RunConfig& c, const RunOptions& options)
    : c_(c), world_(parallel::Comm::world()), root_(world_.rank() == 0), o_(options) {
  t_start_ = Clock::now();
  if (!root_) o_.quiet = true;  // MPI: rank 0 alone prints and writes files
}

RunSummary Campaign::run() {
  load();
  start_engine();
  start_outputs();
  try {
    first_outputs();
    for (std::size_t si = ck_ ? static_cast<std::size_t>(ck_->stage) : 0; si < c_.stages.size();
         ++si) {
      begin_stage(si);
      if (!run_stage(si)) break;
    }
  } catch (const Error& e) {
    crash(e);
  }
  out_->clear_progress();
  return stopped_ != StopReason::None ? stop_summary() : finish();
}

/// Starting structure (or checkpoint), force field, velocities; prints the run header.
void Campaign::load() {
  if (o_.threads > 0) {
    omp_set_num_threads(o_.threads);
  } else if (c_.threads > 0) {
    omp_set_num_threads(c_.threads);
  }
  dir_ = o_.output_directory.empty() ? c_.output.directory : o_.output_directory;
  guard_campaign_outputs(c_, dir_, o_);  // an earlier run's outputs stay unless told
  std::error_code ec;
  std::filesystem::create_directories(dir_, ec);
  if (ec) fail("cannot create the output directory {}: {}", dir_, ec.message());
  // Fail on an unsupported final-structure format before any work.
  io::structure_format_from_path(c_.output.final_structure);
  if (!o_.restart_file.empty()) {
    // Under MPI each rank reads only its block of ids (collective; the engine's restore takes
    // the atoms to their owners), so no rank holds the whole checkpoint.
    ck_ = world_.size() > 1 ? read_checkpoint(o_.restart_file, world_)
                            : read_checkpoint(o_.restart_file);
    restart_notes_ = check_restart_config(*ck_, c_, o_.restart_file);
    ck_share_ = !ck_->ids.empty();  // ck_->system: this rank's block of the atoms
    if (ck_share_) ck_->system.id.assign(ck_->ids.begin(), ck_->ids.end());
  }
  Structure s0 = ck_ ? Structure{} : load_initial_structure(c_);
  // One rank per GPU: the ranks of a node spread over its devices (before any CUDA allocation).
  if (c_.potential.backend == Backend::Cuda) {
    parallel::bind_cuda_device();
  } else if (c_.engine == MdEngineKind::Device) {
    try {
      parallel::bind_cuda_device();
    } catch (const Error& e) {
      fail("{}: [md] engine = \"device\": {}", c_.file, e.what());
    }
  }
  ff_ = make_force_field(c_.potential);
  sys0_ = ck_ ? ck_->system : make_system(s0, assign_masses(s0.species, c_.masses));
  std::string vel_source = "zero";
  if (ck_) {
    vel_source = fmt::format("from checkpoint {}", o_.restart_file);
  } else if (c_.velocities.has_temperature) {
    maxwell_boltzmann(sys0_, c_.velocities.temperature, c_.velocities.seed, c_.velocities.rescale);
    vel_source = fmt::format("Maxwell–Boltzmann at {} K (seed {})", c_.velocities.temperature,
                             c_.velocities.seed);
  } else if (s0.velocities.size() == s0.size()) {
    vel_source = "from the structure (Å/fs)";
  }
  n_ = ck_ ? static_cast<int>(ck_->n_atoms_total) : sys0_.size();  // atoms on all ranks
  // A checkpoint's blocks: sums over the ranks.
  const std::string atoms = composition(sys0_.species, ck_share_ ? world_ : parallel::Comm());
  const double mass = ck_share_ ? world_.sum(sys0_.total_mass()) : sys0_.total_mass();
  if (o_.quiet) return;
  std::fprintf(o_.out, "vitrum run %s\n", c_.file.c_str());
  std::fprintf(o_.out, "  structure: %d atoms (%s), volume %.4f Å³, density %.5f g/cm³\n", n_,
               atoms.c_str(), sys0_.box.volume(), density_g_cm3(mass, sys0_.box.volume()));
  std::fprintf(o_.out, "  potential: %s\n", ff_->describe().c_str());
  if (c_.potential.backend == Backend::Cuda || c_.engine == MdEngineKind::Device)
    std::fprintf(o_.out, "  gpu: %s\n", parallel::bind_cuda_device().describe().c_str());
  std::fprintf(o_.out,
               "  md: dt %g fs, skin %g Å, seed %llu, %d thread(s); velocities %s; output %s\n",
               c_.timestep_fs, c_.skin, static_cast<unsigned long long>(c_.seed),
               omp_get_max_threads(), vel_source.c_str(), dir_.c_str());
}

/// The domain (MPI), the engine, and the restart's replayed rebuild.
void Campaign::start_engine() {
  // MPI domain decomposition (vitrum/parallel): with several ranks each keeps the atoms of its
  // subdomain; outputs gather the whole system on rank 0 (whole(), collective).
  if (world_.size() > 1) {
    // A restart on the writer's rank count keeps its grid (the grid chosen for the current cell
    // may differ after a barostat changed the cell's shape, and bit for bit needs the same one).
    std::array<int, 3> grid{0, 0, 0};  // chosen for the cell
    if (ck_ && ck_->domain_grid[0] * ck_->domain_grid[1] * ck_->domain_grid[2] == world_.size())
      grid = ck_->domain_grid;
    domain_ = std::make_unique<parallel::Domain>(world_, sys0_.box, grid);
    if (!o_.quiet)
      std::fprintf(o_.out, "  domain decomposition: %s\n", domain_->describe(sys0_.box).c_str());
    // A checkpoint's blocks are a partition of the atoms already: the engine takes them.
    if (!ck_share_) sys0_ = distribute_system(std::move(sys0_), *domain_);
  }
  const MdEngineKind kind = resolve_engine(c_, world_.size());
  engine_ = make_run_engine(kind, c_, std::move(sys0_), *ff_, domain_.get());
  sys0_ = MdSystem{};
  if (!o_.quiet) std::fprintf(o_.out, "%s", engine_->describe().c_str());
  transfers_.device = engine_->ledger() != nullptr;
  if (ck_) restore();
}

/// Restart: replays the checkpoint's last neighbor-list rebuild and compares the forces.
void Campaign::restore() {
  // Under domain decomposition restore() is collective: every rank passes its block of the
  // checkpoint (or, on one rank, the whole) and keeps the atoms the replayed rebuild gives it.
  // ck_forces: the checkpoint's forces of the atoms this rank holds now, in the engine's order.
  const std::vector<Vec3> ck_forces = engine_->restore(*ck_, ck_share_);
  const MdSystem& now = engine_->local(kHostForces);
  double df = 0.0, fmax = 0.0;
  int worst = 0;
  for (int i = 0; i < now.size(); ++i) {
    const Vec3 d = now.forces[i] - ck_forces[i];
    const double a = std::sqrt(dot(d, d));
    if (a > df) df = a, worst = now.id.empty() ? i : now.id[i];
    fmax = std::max(fmax, std::sqrt(dot(ck_forces[i], ck_forces[i])));
  }
  if (domain_) {  // the largest difference over the ranks, and its atom
    double neg = -df;
    const int holder = domain_->comm().min_location(neg);
    df = -neg;
    domain_->comm().broadcast(&worst, sizeof(worst), holder);
    domain_->comm().max(&fmax, 1);
  }
  if (df > 1e-3 * std::max(fmax, 1e-3)) {
    fail(
        "{}: the potential gives other forces at the checkpointed positions than the run that "
        "wrote the checkpoint (max |ΔF| = {:.3g} eV/Å at atom {}, largest |F| {:.3g} eV/Å): "
        "was [potential] changed? Use the potential of the original run",
        o_.restart_file, df, worst, fmax);
  }
  for (std::size_t si = 0; si < static_cast<std::size_t>(ck_->stage); ++si)
    first_done_ += c_.stages[si].steps;
  first_done_ += ck_->step_in_stage;
  if (o_.quiet) return;
  std::fprintf(o_.out,
               "  restart: %s (written %s by %d rank(s)): stage %d/%zu \"%s\", step %ld of "
               "%ld, campaign step %ld of %ld; forces at the checkpoint %s\n",
               o_.restart_file.c_str(), ck_->created.c_str(), ck_->writer_ranks, ck_->stage + 1,
               c_.stages.size(), c_.stages[ck_->stage].name.c_str(), ck_->step_in_stage,
               c_.stages[ck_->stage].steps, first_done_, c_.total_steps(),
               df == 0.0
                   ? "reproduced bit for bit"
                   : fmt::format("differ by up to {:.3g} eV/Å (not bit for bit)", df).c_str());
  for (const auto& note : restart_notes_) std::fprintf(o_.out, "  note: %s\n", note.c_str());
}

/// A stage's integrator (the conserved quantity kept continuous) and its header line.
void Campaign::begin_stage(std::size_t si) {
  const StageConfig& st = c_.stages[si];
  const bool resumed = ck_ && si == static_cast<std::size_t>(ck_->stage);
  stage_name_ = st.name;
  // Keep the conserved quantity continuous: the new integrator's extended energy starts at 0.
  if (integ_) conserved_offset_ += integ_->extended_energy(engine_->scalars());
  integ_ = make_integrator(st.integrator, engine_->scalars());
  if (!o_.quiet) {
    out_->clear_progress();
    std::string targets;
    if (st.thermostatted()) {
      targets =
          st.temperature_from == st.temperature_to
              ? fmt::format(", T {} K", st.temperature_from)
              : fmt::format(", T {} -> {} K ({:.4g} K/ps)", st.temperature_from, st.temperature_to,
                            (st.temperature_to - st.temperature_from) /
                                (st.steps * st.integrator.dt * 1e-3));
    }
    if (st.integrator.ensemble == Ensemble::NptMtk)
      targets += fmt::format(", P {} bar", st.pressure);
    std::fprintf(o_.out, "stage %zu/%zu \"%s\": %ld steps (%.4g ps)%s; %s%s\n", si + 1,
                 c_.stages.size(), st.name.c_str(), st.steps, st.steps * st.integrator.dt * 1e-3,
                 targets.c_str(), integ_->describe().c_str(),
                 resumed ? fmt::format("; resumed after step {}", ck_->step_in_stage).c_str() : "");
    std::fflush(o_.out);
  }
  ctx_ = StepContext{};
  ctx_.pressure = st.pressure;
  ctx_.temperature = st.temperature_at(0);
  if (!resumed) {
    engine_->begin(*integ_, ctx_);
    return;
  }
  try {
    integ_->load_state(ck_->integrator);
  } catch (const Error& e) {
    fail("{}: {}", o_.restart_file, e.what());
  }
}

/// The steps of stage `si`, each followed by its due operations. False: the run stops here.
bool Campaign::run_stage(std::size_t si) {
  const StageConfig& st = c_.stages[si];
  OperationList ops = stage_operations(si);
  const bool resumed = ck_ && si == static_cast<std::size_t>(ck_->stage);
  for (long k = resumed ? ck_->step_in_stage + 1 : 1; k <= st.steps; ++k) {
    const std::size_t bytes = engine_->ledger() ? engine_->ledger()->total_bytes() : 0;
    if (o_.record_transfers && engine_->ledger() != nullptr) note_ledger();
    const long rebuilds = engine_->rebuilds();
    ctx_.temperature = st.temperature_at(k);
    engine_->step(*integ_, ctx_);
    ++done_;
    const long step = engine_->scalars().step;
    if (c_.remove_drift_every > 0 && step % c_.remove_drift_every == 0) engine_->remove_drift();
    // A minimizer that met its tolerance ends its stage here (the same on every rank).
    const bool converged = integ_->converged();
    const bool stage_end = k == st.steps || converged;
    const StepInfo at{step, k, si, stage_end, si + 1 == c_.stages.size() && stage_end};
    const unsigned arrays = ops.run(*engine_, at, [this] { return thermo_now(); });
    ++steps_run_;
    step_done(at, arrays, bytes, rebuilds);
    if (stopped_ != StopReason::None) return false;
    if (converged) {
      done_ += st.steps - k;  // the progress counts the stage as complete
      if (!o_.quiet) {
        out_->clear_progress();
        std::fprintf(o_.out, "stage %zu/%zu \"%s\": converged after %ld of %ld steps (%s)\n",
                     si + 1, c_.stages.size(), st.name.c_str(), k, st.steps,
                     integ_->describe().c_str());
      }
      break;
    }
  }
  return true;
}

/// Counts the step's host<->device traffic (device engine).
void Campaign::step_done(const StepInfo& at, unsigned arrays, std::size_t bytes_before,
                         long rebuilds) {
  const exec::TransferLedger* ledger = engine_->ledger();
  if (ledger == nullptr) return;
  const std::size_t bytes = ledger->total_bytes() - bytes_before;
  const bool rebuild = engine_->rebuilds() != rebuilds;
  ++transfers_.steps;
  transfers_.total_bytes += bytes;
  if (arrays == 0 && !rebuild) {
    ++transfers_.scalar_steps;
    transfers_.scalar_bytes += bytes;
    transfers_.scalar_max_bytes = std::max(transfers_.scalar_max_bytes, bytes);
  }
  if (!o_.record_transfers) return;
  TransferStats::Step s{at.step, arrays, rebuild, {}};
  for (const auto& [name, e] : ledger->entries()) {
    const std::size_t total = e.to_device.bytes + e.to_host.bytes;
    const auto it = ledger_seen_.find(name);
    const std::size_t moved = total - (it != ledger_seen_.end() ? it->second : 0);
    if (moved > 0) s.bytes[name] = moved;
  }
  transfers_.log.push_back(std::move(s));
}

/// The ledger's bytes per entry now (the start of a step, for the per-step log).
void Campaign::note_ledger() {
  ledger_seen_.clear();
  for (const auto& [name, e] : engine_->ledger()->entries())
    ledger_seen_[name] = e.to_device.bytes + e.to_host.bytes;
}

/// An error on the way: the last snapshot (when every rank is here), then the error again.
void Campaign::crash(const Error& e) {
  out_->clear_progress();
  const std::string crash = out_->path(c_.output.crash_structure);
  std::string note;
  // Under domain decomposition only an error raised on every rank (the engine's) may run a
  // collective call here (gather, H5MD close): one raised on one rank only (a rank-0 output
  // failed, say) leaves the others waiting elsewhere, and main's MPI_Abort ends them. So the
  // files of such a run are not closed on the way out (H5mdWriter::~H5mdWriter).
  const bool every_rank = !domain_ || dynamic_cast<const UnstableDynamics*>(&e) != nullptr;
  if (!every_rank) {
    note = fmt::format(" (no crash snapshot: the error may have been raised on rank {} alone)",
                       world_.rank());
  } else {
    try {
      const MdSystem& w = engine_->whole(kHostAll);
      if (root_) io::write_structures(crash, {to_structure(w, false, true)});
      note =
          fmt::format(" (last snapshot at step {} written to {})", engine_->scalars().step, crash);
    } catch (const Error& e2) {
      note = fmt::format(" (could not write the last snapshot: {})", e2.what());
    }
    try {  // every rank is here: close the H5MD trajectory (collectively) now
      out_->close();
    } catch (const Error&) {
    }
  }
  if (dynamic_cast<const UnstableDynamics*>(&e) != nullptr)
    throw UnstableDynamics(std::string(e.what()) + note);
  throw Error(std::string(e.what()) + note);
}

/// The run's statistics, on every way out.
void Campaign::tally(RunSummary& r) const {
  r.steps = steps_run_;
  r.rebuilds = engine_->rebuilds();
  r.timers = engine_->timers();
  r.wall_seconds = seconds_since(t_start_);
  r.transfers = transfers_;
}

/// The summary lines of the host<->device traffic and the device memory per atom (device
/// engine), each with a newline; "" otherwise.
std::string Campaign::transfer_line() const {
  const TransferStats& t = transfers_;
  const std::string memory = engine_->memory_line();
  if (!t.device || t.steps == 0) return memory;
  const std::string traffic = fmt::format(
      "host<->device transfers: {:.4g} B per step on average over {} steps ({} B in all); "
      "{} steps with no atom array asked for: at most {} B per step\n",
      static_cast<double>(t.total_bytes) / t.steps, t.steps, t.total_bytes, t.scalar_steps,
      t.scalar_max_bytes);
  return traffic + memory;
}

/// Early stop: the checkpoint is written; close the files and report.
RunSummary Campaign::stop_summary() {
  out_->close();
  RunSummary r;
  r.completed = false;
  r.stop_reason = batch_->describe(stopped_);
  r.checkpoint = last_checkpoint_;
  r.final_thermo = thermo_now();
  tally(r);
  if (!o_.quiet) {
    std::fprintf(o_.out, "%s%s", format_timers(r.timers, r.steps, n_).c_str(),
                 transfer_line().c_str());
    std::fprintf(o_.out,
                 "stopped by %s after campaign step %ld of %ld (stage \"%s\"); checkpoint "
                 "written to %s\ncontinue with: vitrum run %s --restart %s\n",
                 r.stop_reason.c_str(), engine_->scalars().step, c_.total_steps(),
                 stage_name_.c_str(), r.checkpoint.c_str(), c_.file.c_str(), r.checkpoint.c_str());
    std::fflush(o_.out);
  }
  return r;
}

/// The end of the campaign: final structure, last checkpoint, summary.
RunSummary Campaign::finish() {
  RunSummary r;
  r.final_thermo = thermo_now();
  r.final_structure = out_->path(c_.output.final_structure);
  {
    const auto t0 = Clock::now();
    const MdSystem& w = engine_->whole(kHostPositions | kHostVelocities);
    if (root_) io::write_structures(r.final_structure, {to_structure(w, false, false)});
    engine_->add_output_time(seconds_since(t0));
  }
  if (c_.checkpoint.at_end) {
    write_checkpoint_now(c_.stages.size() - 1, c_.stages.back().steps);
    r.checkpoint = last_checkpoint_;
  }
  out_->close();
  tally(r);
  if (!o_.quiet) {
    std::fprintf(o_.out, "%s%s", format_timers(r.timers, r.steps, n_).c_str(),
                 transfer_line().c_str());
    const long step = engine_->scalars().step;
    std::fprintf(o_.out,
                 "neighbor list: %ld builds (every %.1f steps on average); wall time %.3f s\n"
                 "wrote %s, %s%s%s\n",
                 r.rebuilds, r.rebuilds > 0 ? static_cast<double>(step) / r.rebuilds : 0.0,
                 r.wall_seconds, out_->path(c_.output.thermo_csv).c_str(),
                 r.final_structure.c_str(), r.checkpoint.empty() ? "" : ", ", r.checkpoint.c_str());
    std::fflush(o_.out);
  }
  return r;
}

}  // namespace campaign_detail
}  // namespace vitrum::md
