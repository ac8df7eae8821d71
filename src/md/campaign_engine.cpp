/// \file campaign_engine.cpp
/// The campaign's engines (campaign_engine.hpp): the host engine and the device-resident engine
/// behind RunEngine, and the choice between them ([md] engine).

#include "campaign_engine.hpp"

#include <array>
#include <chrono>
#include <cmath>

#include "vitrum/core/error.hpp"
#include "vitrum/md/device_memory.hpp"
#include "vitrum/md/force_field_registry.hpp"
#include "vitrum/parallel/device_binding.hpp"

namespace vitrum::md::campaign_detail {
namespace {

std::string potential_kind(const RunConfig& c) {
  return c.potential.kind.empty() ? force_field_kind_of_path(c.potential.path) : c.potential.kind;
}

EngineOptions engine_options(const RunConfig& c) {
  return EngineOptions{c.skin, c.max_temperature, c.min_distance, c.gpu_mpi};
}

/// md::Engine (host memory; serial or domain-decomposed).
class HostRunEngine final : public RunEngine {
 public:
  HostRunEngine(const RunConfig& c, MdSystem sys, ForceField& ff, parallel::Domain* domain)
      : engine_(std::move(sys), ff, engine_options(c), domain) {}
  std::string describe() const override {
    std::string s = "  engine: host (state in host memory)\n";
    if (engine_.device_halo() != nullptr)
      s += "  halo: packed and unpacked on the GPU; " + engine_.device_halo()->describe() + "\n";
    return s;
  }
  MdEngineKind kind() const override { return MdEngineKind::Host; }
  void begin(Integrator& integ, const StepContext& ctx) override {
    integ.begin(engine_.system(), ctx);
  }
  void step(Integrator& integ, const StepContext& ctx) override { engine_.step(integ, ctx); }
  void remove_drift() override { md::remove_drift(engine_.system()); }
  const MdSystem& scalars() override { return engine_.system(); }
  Thermo thermo(double extended) override { return compute_thermo(engine_.system(), extended); }
  const MdSystem& local(unsigned) override { return engine_.system(); }
  const MdSystem& whole(unsigned) override { return engine_.gather_system(); }
  void check_overlaps() override { engine_.check_overlaps(); }
  void check_atoms() override { engine_.check_atoms(); }
  Checkpoint capture(const RunConfig& c, const Integrator& integ, int stage, long k,
                     double offset) override {
    return capture_checkpoint(c, engine_, integ, stage, k, offset);
  }
  std::vector<Vec3> restore(const Checkpoint& ck, bool share) override {
    return engine_.restore(ck.system, ck.rebuild,
                           share ? RestoreInput::Share : RestoreInput::Whole);
  }
  StepTimers timers() const override { return engine_.timers(); }
  void add_output_time(double s) override { engine_.timers().output += s; }
  long rebuilds() const override { return engine_.rebuilds(); }

 private:
  Engine engine_;
};

/// md::DeviceEngine (device memory of one space; serial or domain-decomposed).
class DeviceRunEngine final : public RunEngine {
 public:
  DeviceRunEngine(MdEngineKind kind, const RunConfig& c, MdSystem sys, ForceField& ff,
                  parallel::Domain* domain)
      : kind_(kind),
        space_(make_space(kind, c)),
        ff_(device_force_field_for(c, ff, *space_)),
        halo_(halo_transport(*space_, c, domain)),
        engine_(std::move(sys), *ff_, *space_, engine_options(c), device_options(halo_), domain) {}
  std::string describe() const override {
    std::string s = "  engine: device-resident on the " + std::string(to_string(space_->kind())) +
                    " device (" + ff_->describe() + ")\n";
    if (engine_.domain() != nullptr)
      s += "  halo: packed and unpacked on the device, " + halo_.describe + "\n";
    return s;
  }
  MdEngineKind kind() const override { return kind_; }
  void begin(Integrator& integ, const StepContext& ctx) override {
    // Integrators other than FIRE (refused by resolve_engine) begin without touching the atoms.
    MdSystem scalars = engine_.scalars();
    integ.begin(scalars, ctx);
  }
  void step(Integrator& integ, const StepContext& ctx) override { engine_.step(integ, ctx); }
  void remove_drift() override { engine_.remove_drift(); }
  const MdSystem& scalars() override { return engine_.scalars(); }
  Thermo thermo(double extended) override { return engine_.thermo(extended); }
  const MdSystem& local(unsigned arrays) override { return engine_.system(arrays); }
  const MdSystem& whole(unsigned arrays) override { return engine_.gather_system(arrays); }
  // The device engine checks the closest pair at every rebuild (from the list's positions).
  void check_overlaps() override {}
  // The ids' host copy is made at every rebuild (the halo plan): no copy here.
  void check_atoms() override { engine_.check_atoms(); }
  Checkpoint capture(const RunConfig& c, const Integrator& integ, int stage, long k,
                     double offset) override {
    const std::array<int, 3> grid =
        engine_.domain() != nullptr ? engine_.domain()->grid() : std::array<int, 3>{1, 1, 1};
    return capture_checkpoint(c, engine_.system(kHostAll), engine_.last_rebuild(), grid, integ,
                              stage, k, offset);
  }
  std::vector<Vec3> restore(const Checkpoint& ck, bool share) override {
    return engine_.restore(ck.system, ck.rebuild,
                           share ? RestoreInput::Share : RestoreInput::Whole);
  }
  StepTimers timers() const override {
    StepTimers t = engine_.timers();
    t.output = output_;
    return t;
  }
  void add_output_time(double s) override { output_ += s; }
  long rebuilds() const override { return engine_.rebuilds(); }
  const exec::TransferLedger* ledger() const override { return &space_->ledger(); }
  std::string memory_line() override {
    return format_device_memory(device_memory(engine_, *ff_)) + "\n";
  }

 private:
  static std::unique_ptr<exec::Space> make_space(MdEngineKind kind, const RunConfig& c) {
    if (kind == MdEngineKind::DeviceEmulated) return exec::make_emulated_space();
    try {
      return exec::make_cuda_space();
    } catch (const Error& e) {
      fail("{}: {} = \"device\": {}", c.file, c.engine_source, e.what());
    }
  }
  static std::unique_ptr<DeviceForceField> device_force_field_for(const RunConfig& c,
                                                                  ForceField& ff,
                                                                  exec::Space& space) {
    if (has_device_force_field(potential_kind(c)))
      return md::make_device_force_field(potential_kind(c), c.potential, space);
    return emulate_force_field(ff, space);  // the emulated device only (resolve_engine)
  }

  /// How the device halo reaches MPI: on the emulated device direct unless [parallel]
  /// gpu_aware_mpi (or VITRUM_GPU_AWARE_MPI) says off; on a GPU as for the host engine's device
  /// halo (auto: direct exactly when the MPI library reports CUDA support).
  static parallel::GpuMpiChoice halo_transport(exec::Space& space, const RunConfig& c,
                                               const parallel::Domain* domain) {
    if (domain == nullptr) return {};
    const parallel::GpuMpiMode mode = parallel::gpu_mpi_mode_from_env(c.gpu_mpi);
    if (space.kind() == exec::SpaceKind::Emulated) {
      const bool direct = mode != parallel::GpuMpiMode::Off;
      return {direct, direct ? "device buffers to MPI (emulated device memory is host memory)"
                             : "staged through host buffers (gpu_aware_mpi = off)"};
    }
    return parallel::choose_gpu_mpi(mode, parallel::detect_gpu_mpi());
  }
  static DeviceEngineOptions device_options(const parallel::GpuMpiChoice& halo) {
    DeviceEngineOptions d;
    d.halo_direct = halo.direct;
    return d;
  }

  MdEngineKind kind_;
  std::unique_ptr<exec::Space> space_;
  std::unique_ptr<DeviceForceField> ff_;
  parallel::GpuMpiChoice halo_;
  DeviceEngine engine_;
  double output_ = 0.0;
};

}  // namespace

MdEngineKind resolve_engine(const RunConfig& c, int ranks) {
  const bool device_ff = has_device_force_field(potential_kind(c));
  const StageConfig* fire = nullptr;
  for (const auto& st : c.stages)
    if (st.integrator.ensemble == Ensemble::MinimizeFire && fire == nullptr) fire = &st;
  // "auto" stays on the host engine (whose CUDA backend has run on an H100) until the
  // device-resident engine's CUDA path has run on one too (docs/device-resident.md, "Not done
  // yet"); a run asks for it with engine = "device".
  if (c.engine == MdEngineKind::Auto || c.engine == MdEngineKind::Host) return MdEngineKind::Host;
  const std::string key =
      fmt::format("{}: {} = \"{}\"", c.file, c.engine_source, to_string(c.engine));
  if (ranks > 1 && !device_ff)
    fail(
        "{}: on {} MPI ranks the device-resident engine needs a force field with its own device "
        "kernel (the teacher); the force-field kind \"{}\" runs as the emulated device's host "
        "evaluator, which folds ghost forces onto local atoms and so runs one rank (use engine = "
        "\"host\" for a domain-decomposed run)",
        key, ranks, potential_kind(c));
  if (fire != nullptr)
    fail(
        "{}: stage \"{}\" uses the integrator {}, which the device-resident engine lacks (use "
        "engine = \"host\")",
        key, fire->name, to_string(Ensemble::MinimizeFire));
  if (c.engine == MdEngineKind::Device && !device_ff)
    fail(
        "{}: the force-field kind \"{}\" has no device-resident force field on the GPU yet "
        "(the teacher has; use engine = \"host\")",
        key, potential_kind(c));
  return c.engine;
}

std::unique_ptr<RunEngine> make_run_engine(MdEngineKind kind, const RunConfig& c, MdSystem system,
                                           ForceField& ff, parallel::Domain* domain) {
  if (kind == MdEngineKind::Host)
    return std::make_unique<HostRunEngine>(c, std::move(system), ff, domain);
  return std::make_unique<DeviceRunEngine>(kind, c, std::move(system), ff, domain);
}

}  // namespace vitrum::md::campaign_detail
