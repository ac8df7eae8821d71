/// \file campaign_ops.cpp
/// The campaign's operations (campaign_ops.hpp): the list that runs the due ones of a step, and
/// the operations of a stage (thermo, snapshot, H5MD frame, training-set sample, progress,
/// checkpoint and batch-job stop), with the outputs they write to.

#include <omp.h>

#include "campaign_run.hpp"

namespace vitrum::md::campaign_detail {

bool Trigger::due(const StepInfo& at) const {
  const bool asked = ask && ask(at);  // asked at every step, first
  return asked || each_step || (stage_end && at.stage_end) || (every > 0 && at.step % every == 0);
}

unsigned OperationList::run(RunEngine& engine, const StepInfo& at,
                            const std::function<Thermo()>& thermo) {
  due_.assign(ops_.size(), 0);
  unsigned local = 0, gathered = 0;
  bool any = false, whole = false, with_thermo = false;
  for (std::size_t i = 0; i < ops_.size(); ++i) {
    if (!ops_[i].when.due(at)) continue;
    const Operation& op = ops_[i];
    due_[i] = 1;
    any = true;
    (op.whole ? gathered : local) |= op.arrays;
    whole = whole || op.whole;
    with_thermo = with_thermo || op.thermo;
  }
  if (!any) return 0;
  auto t0 = Clock::now();
  Thermo t;
  if (with_thermo) t = thermo();
  // One request per kind for all due operations (the gather is collective under MPI).
  const MdSystem* w = whole ? &engine.whole(gathered) : nullptr;
  const MdSystem& l = engine.local(local);
  const OpInput in{at, with_thermo ? &t : nullptr, &l, w};
  double output = seconds_since(t0);
  for (std::size_t i = 0; i < ops_.size(); ++i) {
    if (due_[i] == 0) continue;
    t0 = Clock::now();
    ops_[i].run(in);
    if (ops_[i].output_time) output += seconds_since(t0);
  }
  engine.add_output_time(output);
  return local | gathered;
}

Thermo Campaign::thermo_now() {
  const double extended = integ_ ? integ_->extended_energy(engine_->scalars()) : 0.0;
  return engine_->thermo(extended + conserved_offset_);
}

/// The output files (continued after a restart), the training set, the batch-job control.
void Campaign::start_outputs() {
  // The species of every atom are gathered on rank 0 only for an H5MD trajectory rank 0 writes
  // alone (one rank, or serial HDF5); in parallel every rank writes its own atoms.
  auto whole = [this]() -> const MdSystem& { return engine_->whole(0); };
  out_ = std::make_unique<Output>(c_, o_, dir_, n_, engine_->local(0), whole, ck_ ? &*ck_ : nullptr,
                                  root_, world_);
  if (!o_.quiet && !out_->notes().empty()) std::fprintf(o_.out, "%s", out_->notes().c_str());
  // Training-set frames ([output] dataset_every, vitrum/md/dataset_output.hpp).
  if (root_) dataset_ = open_dataset(c_, dir_, ck_ ? ck_->system.step : -1);
  sampling_ = dataset_ != nullptr;  // on every rank: the gather is collective
  world_.broadcast(&sampling_, sizeof(sampling_), 0);
  BatchLimits limits;
  limits.max_walltime_s = o_.max_walltime_s;
  limits.max_steps = o_.max_steps;
  limits.checkpoint_every_steps = c_.checkpoint.every_steps;
  limits.checkpoint_every_s = 60.0 * c_.checkpoint.every_minutes;
  limits.checkpoint_bytes = 150.0 * n_;
  batch_ =
      std::make_unique<BatchControl>(limits, o_.start == Clock::time_point{} ? t_start_ : o_.start);
  conserved_offset_ = ck_ ? ck_->conserved_offset : 0.0;
  done_ = first_done_;
  stage_name_ = c_.stages[ck_ ? static_cast<std::size_t>(ck_->stage) : 0].name;
}

/// Before the first step: the closest pair, the table header, step 0's line and H5MD frame.
void Campaign::first_outputs() {
  engine_->check_overlaps();
  const auto t0 = Clock::now();
  out_->header();
  if (!ck_) {
    out_->thermo(thermo_now(), stage_name_);
    if (out_->has_h5md()) {
      const unsigned arrays = kHostPositions | kHostVelocities | kHostForces | kHostImages;
      out_->h5md_frame(out_->h5md_collective() ? engine_->local(arrays) : engine_->whole(arrays));
    }
  }
  engine_->add_output_time(seconds_since(t0));
}

void Campaign::write_checkpoint_now(std::size_t si, long k) {
  const auto t0 = Clock::now();
  Checkpoint x = engine_->capture(c_, *integ_, static_cast<int>(si), k, conserved_offset_);
  out_->sizes(x);
  const std::string path = out_->path(c_.checkpoint.file);
#ifdef VITRUM_HAVE_MPI
  if (domain_) {  // every rank writes the rows of its atoms; rank 0 knows the file sizes
    const MdSystem& local = engine_->local(0);
    x.ids.assign(local.id.begin(), local.id.end());
    x.n_atoms_total = local.global_size();
    long sizes[3] = {x.thermo_csv_bytes, x.trajectory_bytes, x.h5md_frames};
    world_.broadcast(sizes, sizeof(sizes), 0);
    x.thermo_csv_bytes = sizes[0], x.trajectory_bytes = sizes[1], x.h5md_frames = sizes[2];
    write_checkpoint(path, x, world_.mpi());
  } else {
    write_checkpoint(path, x);
  }
#else
  write_checkpoint(path, x);
#endif
  last_checkpoint_ = path;
  const double dt = seconds_since(t0);
  batch_->checkpoint_written(dt);
  engine_->add_output_time(dt);
}

/// The operations of stage `si`, in the order they run within a step.
OperationList Campaign::stage_operations(std::size_t si) {
  const StageConfig& st = c_.stages[si];
  const OutputConfig& oc = c_.output;
  OperationList ops;
  const long thermo_every = st.thermo_every >= 0 ? st.thermo_every : oc.thermo_every;
  ops.add({"thermo", Trigger{thermo_every, true, false, {}}, 0, false, true, true,
           [this, &st](const OpInput& in) {
             engine_->check_overlaps();
             engine_->check_atoms();  // domain decomposition: no atom lost or duplicated
             out_->thermo(*in.thermo, st.name);
           }});
  const long traj_every = st.trajectory_every >= 0 ? st.trajectory_every : oc.trajectory_every;
  if (traj_every > 0) {
    const unsigned arrays = kHostPositions | kHostVelocities |
                            (oc.trajectory_unwrapped ? kHostImages : 0u) |
                            (oc.trajectory_forces ? kHostForces : 0u);
    ops.add({"trajectory", Trigger{traj_every, false, false, {}}, arrays, true, true, true,
             [this, &st](const OpInput& in) { out_->snapshot(*in.whole, *in.thermo, st.name); }});
  }
  const long h5md_every = st.h5md_every >= 0 ? st.h5md_every : oc.h5md.every;
  if (h5md_every > 0 && out_->has_h5md()) {
    const unsigned arrays = kHostPositions | (oc.h5md.unwrapped ? kHostImages : 0u) |
                            (oc.h5md.velocities ? kHostVelocities : 0u) |
                            (oc.h5md.forces ? kHostForces : 0u);
    const bool collective = out_->h5md_collective();
    ops.add({"h5md", Trigger{h5md_every, false, false, {}}, arrays, !collective, false, true,
             [this, collective](const OpInput& in) {
               out_->h5md_frame(collective ? *in.local : *in.whole);
             }});
  }
  if (sampling_ && dataset_every(c_, st) > 0) {
    ops.add({"dataset", Trigger{dataset_every(c_, st), false, false, {}},
             kHostPositions | kHostVelocities | kHostForces, true, false, false,
             [this, &st](const OpInput& in) {
               if (dataset_) dataset_->write(*in.whole, st.name);
             }});
  }
  ops.add({"progress", Trigger{0, false, true, {}}, 0, false, false, true,
           [this, si, &st](const OpInput&) {
             out_->progress(done_, c_.total_steps(), static_cast<int>(si),
                            static_cast<int>(c_.stages.size()), st.name, ctx_.temperature);
           }});
  // Checkpoints and batch-job stops (wall time, step budget, signals): the last step ends the
  // campaign normally.
  auto ask = [this](const StepInfo& at) {
    const BatchControl::Decision d = batch_->after_step(at.step);
    pending_stop_ = at.last ? StopReason::None : d.stop;
    return !at.last && (d.checkpoint || d.stop != StopReason::None);
  };
  ops.add({"checkpoint", Trigger{0, false, false, ask}, kHostAll, false, false, false,
           [this](const OpInput& in) {
             write_checkpoint_now(in.at.stage, in.at.k);
             stopped_ = pending_stop_;
           }});
  return ops;
}

}  // namespace vitrum::md::campaign_detail
