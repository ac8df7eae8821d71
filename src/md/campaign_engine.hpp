#pragma once
/// \file campaign_engine.hpp
/// The engine a campaign drives (src/md/campaign.cpp), behind one interface: the host engine
/// (md::Engine: state in host memory, any rank count, every ensemble) or the device-resident
/// engine (md::DeviceEngine: state in device memory, one or more ranks, on the CUDA device or the
/// emulated one). The campaign's operations ask for host data through local() and whole() with
/// the arrays they read (HostArray bits), so the device engine copies only those. Internal to
/// the md area.

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "vitrum/core/exec_space.hpp"
#include "vitrum/md/checkpoint.hpp"
#include "vitrum/md/device_engine.hpp"
#include "vitrum/md/engine.hpp"
#include "vitrum/md/run_config.hpp"
#include "vitrum/parallel/domain.hpp"

namespace vitrum::md::campaign_detail {

class RunEngine {
 public:
  virtual ~RunEngine() = default;
  /// What runs the steps, for the run header (one or more lines, each starting "  ").
  virtual std::string describe() const = 0;
  /// The engine kind in effect (Host, Device or DeviceEmulated).
  virtual MdEngineKind kind() const = 0;
  /// Integrator::begin at a stage start.
  virtual void begin(Integrator& integ, const StepContext& ctx) = 0;
  virtual void step(Integrator& integ, const StepContext& ctx) = 0;
  /// Removes the centre-of-mass drift (md::remove_drift).
  virtual void remove_drift() = 0;
  /// Cell, step, time, energy and virial, masses, species, ids: no per-atom copy.
  virtual const MdSystem& scalars() = 0;
  /// Thermodynamic observables (`extended`: the integrator's energy plus the offset, eV).
  virtual Thermo thermo(double extended) = 0;
  /// This rank's atoms with at least the HostArray bits `arrays` current on the host.
  virtual const MdSystem& local(unsigned arrays) = 0;
  /// The whole system on rank 0 (collective), atoms in id order, with at least `arrays` current.
  virtual const MdSystem& whole(unsigned arrays) = 0;
  /// The closest-pair check (collective).
  virtual void check_overlaps() = 0;
  /// No atom lost or duplicated (collective; domain decomposition).
  virtual void check_atoms() = 0;
  /// The checkpoint of the current state (this rank's atoms).
  virtual Checkpoint capture(const RunConfig& c, const Integrator& integ, int stage, long k,
                             double conserved_offset) = 0;
  /// Continues from `ck` (collective; `share`: ck holds this rank's block). Returns the
  /// checkpoint's forces of the atoms this rank holds now, in local() order.
  virtual std::vector<Vec3> restore(const Checkpoint& ck, bool share) = 0;
  virtual StepTimers timers() const = 0;
  virtual void add_output_time(double seconds) = 0;
  virtual long rebuilds() const = 0;
  /// The host<->device transfer ledger (null: no device memory space).
  virtual const exec::TransferLedger* ledger() const { return nullptr; }
  /// The device memory line of the run summary (md/device_memory.hpp), with a newline; "" for
  /// an engine without device state.
  virtual std::string memory_line() { return ""; }
};

/// The engine kind `c` asks for on `ranks` MPI ranks ([md] engine; Auto resolved). Throws
/// vitrum::Error naming `file: [md] engine` for a combination the device engine does not run
/// (several ranks with a force field whose ghost forces are folded on the host, a FIRE stage, a
/// potential without a device-resident force field for "device").
MdEngineKind resolve_engine(const RunConfig& c, int ranks);

/// The engine of `kind` for `system` (this rank's share with a domain) and the host force field
/// `ff` (which must outlive it; the device engine uses it on the emulated device for kinds
/// without their own device force field).
std::unique_ptr<RunEngine> make_run_engine(MdEngineKind kind, const RunConfig& c, MdSystem system,
                                           ForceField& ff, parallel::Domain* domain);

}  // namespace vitrum::md::campaign_detail
