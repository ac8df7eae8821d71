// The device-resident engine's rows of md_bench (included by md_bench.cpp): for each backend the
// same system runs on the previous engine (Engine: state in host vectors; with the CUDA backend
// its force field uploads positions and downloads forces every step) and on the device-resident
// engine (DeviceEngine: state in the space's memory), in the same process, with a thermo line
// every 10 steps and a host snapshot (system()) every 100, as md_bench's loop does. Printed:
// atom-steps/s of both, their ratio, and the host<->device bytes per step from the transfer
// ledger: over the whole timed run (rebuilds and snapshots included) and the largest on a step
// without rebuild or output. The emulated device runs everywhere (its "device" is host memory:
// its rate measures the engine's overhead, not a GPU); CUDA rows need a device.
#pragma once

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "vitrum/core/exec_space.hpp"
#include "vitrum/core/units.hpp"
#include "vitrum/md/device_engine.hpp"
#include "vitrum/md/engine.hpp"
#include "vitrum/teacher/device_teacher.hpp"

namespace md_bench {

using namespace vitrum;
using namespace vitrum::md;

struct DeviceRow {
  std::string name;
  int atoms = 0;
  double previous = 0;          ///< atom-steps/s, previous engine
  double resident = 0;          ///< atom-steps/s, device-resident engine
  double bytes_per_step = 0;    ///< ledger bytes / steps over the timed run
  std::size_t quiet_bytes = 0;  ///< largest ledger bytes of a step without rebuild or output
  std::string note;             ///< why the row did not run
};

/// Steps `engine` `steps` times with md_bench's output pattern; returns atom-steps/s.
template <class E, class Fetch>
double timed_loop(E& engine, Integrator& integ, const StepContext& ctx, int atoms, int steps,
                  Fetch&& fetch) {
  const auto t0 = std::chrono::steady_clock::now();
  for (int s = 1; s <= steps; ++s) {
    engine.step(integ, ctx);
    if (s % 10 == 0) fetch(s % 100 == 0);
  }
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return wall > 0 ? static_cast<double>(atoms) * steps / wall : 0.0;
}

/// One row: `system` ("bks" or "water") of `start` on `kind`.
inline DeviceRow device_row(const std::string& system, const Structure& start,
                            const IntegratorParams& params, const StepContext& ctx,
                            exec::SpaceKind kind, int steps, const std::string& source) {
  DeviceRow row;
  row.atoms = static_cast<int>(start.size());
  row.name = fmt::format("{}/{}/{}atoms", to_string(kind), system, row.atoms);
  const bool water = system == "water";
  const bool cuda = kind == exec::SpaceKind::Cuda;
  if (cuda && cuda_device_count() == 0) {
    row.note = "skipped: no CUDA device";
    return row;
  }
  if (cuda && water) {
    row.note = "not run: no device-resident HDNNP force field yet (issue 12, item 4)";
    return row;
  }
  const Backend backend = cuda ? Backend::Cuda : Backend::Cpu;
  auto load = [&] {
    return water ? load_force_field(source + "/configs/potentials/H2O_RPBE-D3", backend,
                                    Precision::Double, units::kBohr, units::kHartree)
                 : load_force_field(source + "/configs/potentials/SiO2-BKS.toml", backend,
                                    Precision::Double, 1.0, 1.0);
  };
  MdSystem sys = make_system(start, assign_masses(start.species, {}));
  if (water) maxwell_boltzmann(sys, 300.0, 1, true);
  const EngineOptions opt{1.0, 1e6, 0.3};
  {
    auto ff = load();
    Engine e(sys, *ff, opt);
    auto integ = make_integrator(params, sys);
    row.previous = timed_loop(e, *integ, ctx, row.atoms, steps, [&](bool snapshot) {
      const Thermo t = compute_thermo(e.system(), integ->extended_energy(e.system()));
      (void)t;
      if (snapshot) (void)to_structure(e.system(), true, false);
    });
  }
  auto space = exec::make_space(kind);
  auto host_ff = water ? load() : nullptr;
  auto dev_ff =
      water ? emulate_force_field(*host_ff, *space)
            : teacher::load_device_teacher(source + "/configs/potentials/SiO2-BKS.toml", *space);
  DeviceEngine e(sys, *dev_ff, *space, opt);
  auto integ = make_integrator(params, sys);
  e.step(*integ, ctx);  // the starting upload, outside the timing
  const std::size_t bytes0 = e.ledger().total_bytes();
  row.resident = timed_loop(e, *integ, ctx, row.atoms, steps, [&](bool snapshot) {
    const Thermo t = e.thermo(integ->extended_energy(e.scalars()));
    (void)t;
    if (snapshot) (void)to_structure(e.system(), true, false);
  });
  row.bytes_per_step = static_cast<double>(e.ledger().total_bytes() - bytes0) / steps;
  // A few more steps, one at a time, for the quiet-step traffic.
  for (int s = 0; s < 9; ++s) {
    const std::size_t before = e.ledger().total_bytes();
    const long rebuilds = e.rebuilds();
    e.step(*integ, ctx);
    if (e.rebuilds() == rebuilds)
      row.quiet_bytes = std::max(row.quiet_bytes, e.ledger().total_bytes() - before);
  }
  return row;
}

inline void print_device_rows(const std::vector<DeviceRow>& rows) {
  std::printf(
      "\nDevice-resident engine vs the previous engine, same process (atom-steps per wall "
      "second)\n%-30s %7s %10s %10s %7s %14s %16s\n",
      "case", "atoms", "previous", "resident", "ratio", "B/step (all)", "B/step (quiet)");
  for (const DeviceRow& r : rows) {
    if (!r.note.empty()) {
      std::printf("%-30s %7d  %s\n", r.name.c_str(), r.atoms, r.note.c_str());
      continue;
    }
    std::printf("%-30s %7d %10.3g %10.3g %7.2f %14.0f %16zu\n", r.name.c_str(), r.atoms, r.previous,
                r.resident, r.resident / r.previous, r.bytes_per_step, r.quiet_bytes);
  }
  std::printf(
      "(ratio = resident / previous; B/step (all): host<->device bytes per step over the timed "
      "run, rebuilds (host-built list) and snapshots included; B/step (quiet): a step without "
      "rebuild or output. The emulated device's memory is host memory: its rows measure the "
      "engine, not a GPU)\n");
}

}  // namespace md_bench
