// The device-resident engine's rows of md_bench (included by md_bench.cpp): for each backend the
// same system runs on the previous engine (Engine: state in host vectors; with the CUDA backend
// its force field uploads positions and downloads forces every step) and on the device-resident
// engine (DeviceEngine: state in the space's memory), in the same process, with a thermo line
// every 10 steps and a host snapshot (system()) every 100, as md_bench's loop does. Printed:
// atom-steps/s of both, their ratio, and the host<->device bytes per step from the transfer
// ledger: over the whole timed run (rebuilds and snapshots included) and the largest on a step
// without rebuild or output. The emulated device runs everywhere (its "device" is host memory:
// its rate measures the engine's overhead, not a GPU; its HDNNP rows run the device HDNNP's team
// kernels lane by lane, far slower than the CPU evaluator); CUDA rows need a device.
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
#include "vitrum/md/device_memory.hpp"
#include "vitrum/md/engine.hpp"
#include "vitrum/md/run_config.hpp"
#include "vitrum/neighbor/device_neighbor.hpp"
#include "vitrum/neighbor/ghosts.hpp"
#include "vitrum/neighbor/neighbor_list.hpp"
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
  DeviceMemory memory;          ///< device memory of the resident engine and force field
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

/// One row: `system` ("bks": the BKS teacher, "sio2-hdnnp": the shipped SiO2 HDNNP, or
/// "water": the water HDNNP) of `start` on `kind`.
inline DeviceRow device_row(const std::string& system, const Structure& start,
                            const IntegratorParams& params, const StepContext& ctx,
                            exec::SpaceKind kind, int steps, const std::string& source) {
  DeviceRow row;
  row.atoms = static_cast<int>(start.size());
  row.name = fmt::format("{}/{}/{}atoms", to_string(kind), system, row.atoms);
  const bool water = system == "water";
  const bool nnp = water || system == "sio2-hdnnp";
  const std::string nnp_dir =
      source + (water ? "/configs/potentials/H2O_RPBE-D3" : "/configs/potentials/SiO2-BKS");
  const bool cuda = kind == exec::SpaceKind::Cuda;
  if (cuda && cuda_device_count() == 0) {
    row.note = "skipped: no CUDA device";
    return row;
  }
  const Backend backend = cuda ? Backend::Cuda : Backend::Cpu;
  auto load = [&] {
    return nnp ? load_force_field(nnp_dir, backend, Precision::Double, water ? units::kBohr : 1.0,
                                  water ? units::kHartree : 1.0)
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
  PotentialConfig hdnnp;  // the HDNNP's device force field (team kernels, device list)
  hdnnp.kind = "n2p2";
  hdnnp.path = nnp_dir;
  hdnnp.length_unit = water ? units::kBohr : 1.0;
  hdnnp.energy_unit = water ? units::kHartree : 1.0;
  auto dev_ff =
      nnp ? make_device_hdnnp(hdnnp, *space)
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
  row.memory = device_memory(e, *dev_ff);
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
      "second)\n%-30s %7s %10s %10s %7s %14s %16s %12s\n",
      "case", "atoms", "previous", "resident", "ratio", "B/step (all)", "B/step (quiet)",
      "dev B/atom");
  for (const DeviceRow& r : rows) {
    if (!r.note.empty()) {
      std::printf("%-30s %7d  %s\n", r.name.c_str(), r.atoms, r.note.c_str());
      continue;
    }
    std::printf("%-30s %7d %10.3g %10.3g %7.2f %14.0f %16zu %12.0f\n", r.name.c_str(), r.atoms,
                r.previous, r.resident, r.resident / r.previous, r.bytes_per_step, r.quiet_bytes,
                r.memory.per_atom(r.memory.total()));
  }
  std::printf("Device memory per atom by part (issue 13's target: 2048 B per atom):\n");
  for (const DeviceRow& r : rows)
    if (r.note.empty())
      std::printf("  %-28s %s\n", r.name.c_str(), format_device_memory(r.memory).c_str());
  std::printf(
      "(ratio = resident / previous; B/step (all): host<->device bytes per step over the timed "
      "run, rebuilds (device-built list) and snapshots included; B/step (quiet): a step without "
      "rebuild or output; dev B/atom: device memory of the resident engine and its force field per "
      "atom, the same accounting on the emulated device as on a GPU. The emulated device's "
      "memory is host memory: its rates measure the engine, not a GPU)\n");
}

/// One row of the neighbor-list build table.
struct NeighborRow {
  std::string name;
  int atoms = 0;
  double host_us = 0;          ///< host build (build_ghost_shell + build_neighbor_list), µs
  double device_us = 0;        ///< device build (wrap, Morton reorder, shell, cells, list), µs
  double bytes_per_build = 0;  ///< ledger bytes per device build
  long pairs = 0;
  std::string note;
};

/// The neighbor-list rebuild of `start` (cutoff + skin as the BKS rows) on the host and on the
/// device of `kind`, `repeats` times each, from positions already in place (host vectors /
/// device memory): what a rebuild step of each engine costs.
inline NeighborRow neighbor_row(const Structure& start, exec::SpaceKind kind, int repeats) {
  NeighborRow row;
  row.atoms = static_cast<int>(start.size());
  row.name = fmt::format("{}/nlist/{}atoms", to_string(kind), row.atoms);
  if (kind == exec::SpaceKind::Cuda && cuda_device_count() == 0) {
    row.note = "skipped: no CUDA device";
    return row;
  }
  const double cutoff = 10.0, skin = 0.3;  // the shipped BKS cutoff, md_bench's skin
  using Clock = std::chrono::steady_clock;
  auto t0 = Clock::now();
  for (int r = 0; r < repeats; ++r) {
    const auto shell =
        neighbor::build_ghost_shell(start.box, start.positions, start.species, cutoff + skin);
    const auto list = neighbor::build_neighbor_list(shell, cutoff, skin);
    row.pairs = static_cast<long>(list.neighbors.size());
  }
  row.host_us = 1e6 * std::chrono::duration<double>(Clock::now() - t0).count() / repeats;
  auto space = exec::make_space(kind);
  auto nl = neighbor::make_device_neighbor(*space);
  const long n = row.atoms;
  exec::DeviceBuffer<Vec3> pos(*space);
  exec::DeviceBuffer<int> species(*space), origin(*space);
  exec::DeviceBuffer<std::array<int, 3>> image(*space);
  std::vector<int> iota(start.size());
  for (std::size_t i = 0; i < iota.size(); ++i) iota[i] = static_cast<int>(i);
  const std::vector<std::array<int, 3>> zero(start.size(), {0, 0, 0});
  species.upload(start.species.data(), start.size(), "setup");
  origin.upload(iota.data(), iota.size(), "setup");
  image.upload(zero.data(), zero.size(), "setup");
  neighbor::DeviceRebuildInput in{start.box, cutoff, skin, true};
  std::size_t bytes = 0;
  double wall = 0;
  for (int r = 0; r <= repeats; ++r) {  // the first build (allocation, regrow) is not timed
    pos.upload(start.positions.data(), start.size(), "setup");
    space->synchronize();
    const std::size_t b0 = space->ledger().total_bytes();
    t0 = Clock::now();
    nl->wrap(start.box, cutoff + skin, n, pos.data(), image.data());
    nl->sort_order(start.box, cutoff + skin, n, pos.data(), origin.data());
    nl->permute(pos.data());
    nl->permute(species.data());
    nl->build(in, n, pos.data(), species.data());
    space->synchronize();
    if (r > 0) {
      wall += std::chrono::duration<double>(Clock::now() - t0).count();
      bytes += space->ledger().total_bytes() - b0;
    }
    // back to the input order for the next repeat
    species.upload(start.species.data(), start.size(), "setup");
  }
  row.device_us = 1e6 * wall / repeats;
  row.bytes_per_build = static_cast<double>(bytes) / repeats;
  if (nl->list().entries != row.pairs)
    row.note = fmt::format("MISMATCH: device list has {} pairs, host list {}", nl->list().entries,
                           row.pairs);
  return row;
}

inline void print_neighbor_rows(const std::vector<NeighborRow>& rows) {
  std::printf(
      "\nNeighbor-list rebuild, host build vs device build (BKS cutoff 10 Å + skin 0.3 Å, "
      "microseconds per build)\n%-30s %7s %9s %12s %12s %7s %12s\n",
      "case", "atoms", "pairs", "host us", "device us", "ratio", "B/build");
  for (const NeighborRow& r : rows) {
    if (!r.note.empty() && r.device_us == 0) {
      std::printf("%-30s %7d  %s\n", r.name.c_str(), r.atoms, r.note.c_str());
      continue;
    }
    std::printf("%-30s %7d %9ld %12.1f %12.1f %7.2f %12.0f %s\n", r.name.c_str(), r.atoms, r.pairs,
                r.host_us, r.device_us, r.host_us / r.device_us, r.bytes_per_build, r.note.c_str());
  }
  std::printf(
      "(ratio = host / device, > 1: the device build is faster; B/build: host<->device bytes of "
      "one device build (scalars and the image list). EMULATED rows run the device kernels as "
      "host loops in host memory: an emulation timing, not a GPU's; CUDA rows need a device)\n");
}

}  // namespace md_bench
