// Halo exchange under domain decomposition: what keeping the halo on the GPU saves. For an
// amorphous SiO2 cell (the 3000-atom BKS random cell replicated to 24000 and 192000 atoms) on one
// rank with a domain (every swap a periodic self-exchange, width = BKS cutoff + 1 Å skin):
//   halo/host     HaloPlan::forward + reverse on host arrays (what a CPU force field uses),
//                 plus, for a CUDA force field on the host halo, the whole shell's positions
//                 going up and its forces coming down (n_local + n_ghost each way);
//   halo/device   DeviceHalo::forward + reverse: the locals' positions up, kernels pack and
//                 unpack the ghosts, the locals' forces down;
//   md/host, md/device
//                 a whole MD step (NVE, 1 fs) with the CUDA BKS teacher, halo on the host
//                 (EngineOptions::device_halo = false) or on the device.
// The table at the end gives µs per step and device/host ratios measured in the same run. CUDA
// rows are skipped (with a note) without a device. Run: build/halo_bench.
#include <benchmark/benchmark.h>
#include <fmt/format.h>

#include <chrono>
#include <cstdio>
#include <map>
#include <memory>
#include <string>

#include "../tests/md/md_test_util.hpp"
#include "vitrum/core/backend.hpp"
#include "vitrum/io/builders.hpp"
#include "vitrum/md/distribute.hpp"
#include "vitrum/md/engine.hpp"
#include "vitrum/parallel/comm_plan.hpp"
#include "vitrum/parallel/device_halo.hpp"
#include "vitrum/parallel/domain.hpp"
#ifdef VITRUM_HAVE_CUDA
#include <cuda_runtime.h>
#endif

using namespace vitrum;

namespace {

const std::string kSource = VITRUM_SOURCE_DIR;
constexpr double kWidth = 10.0 + 1.0;  // BKS cutoff + skin (Å)

const Structure& cell(int replicas) {
  static std::map<int, Structure> cache;
  auto it = cache.find(replicas);
  if (it != cache.end()) return it->second;
  const Structure s = test::sio2_random_cell(3000, 5);
  return cache.emplace(replicas, io::replicate(s, replicas, replicas, replicas)).first->second;
}

/// A wrapped cell's ghost shell and plan on a one-rank domain.
struct Halo {
  parallel::Domain domain;
  neighbor::GhostShell shell;
  parallel::HaloPlan plan;
  explicit Halo(const Structure& s) : domain(parallel::Comm(), s.box) {
    for (const Vec3& r : s.positions) shell.positions.push_back(s.box.wrap(r));
    shell.species = s.species;
    std::vector<int> ids(s.size());
    for (std::size_t i = 0; i < s.size(); ++i) ids[i] = static_cast<int>(i);
    std::vector<std::array<int, 3>> images(s.size(), {0, 0, 0});
    plan.build(domain, s.box, kWidth, shell, ids, images);
  }
};

std::map<std::string, double>& us_per_step() {
  static std::map<std::string, double> m;
  return m;
}

bool have_device() {
  return cuda_device_count() > 0;
}

void record(benchmark::State& st, const std::string& name, double seconds, long steps, int atoms) {
  if (steps > 0) us_per_step()[name] = 1e6 * seconds / static_cast<double>(steps);
  st.counters["atoms"] = atoms;
}

using Clock = std::chrono::steady_clock;

void halo_host(benchmark::State& st, int replicas, bool with_transfers) {
  const Structure& s = cell(replicas);
  Halo h(s);
  std::vector<Vec3> pos = h.shell.positions, forces(pos.size(), Vec3{1e-3, 0, 0});
  const std::string name = fmt::format("halo/host{}/{}", with_transfers ? "+pcie" : "", s.size());
#ifdef VITRUM_HAVE_CUDA
  Vec3* d = nullptr;
  if (with_transfers) cudaMalloc(&d, pos.size() * sizeof(Vec3));
#endif
  long steps = 0;
  const auto t0 = Clock::now();
  for (auto _ : st) {
    h.plan.forward(s.box, pos);
#ifdef VITRUM_HAVE_CUDA
    if (with_transfers) {  // the whole shell up, its forces down (the force field's copies)
      cudaMemcpy(d, pos.data(), pos.size() * sizeof(Vec3), cudaMemcpyHostToDevice);
      cudaMemcpy(forces.data(), d, forces.size() * sizeof(Vec3), cudaMemcpyDeviceToHost);
    }
#endif
    h.plan.reverse(forces);
    ++steps;
  }
  record(st, name, std::chrono::duration<double>(Clock::now() - t0).count(), steps,
         static_cast<int>(s.size()));
#ifdef VITRUM_HAVE_CUDA
  if (d) cudaFree(d);
#endif
}

void halo_device(benchmark::State& st, int replicas) {
  const Structure& s = cell(replicas);
  Halo h(s);
  parallel::DeviceHalo dh(h.domain.comm(), parallel::GpuMpiMode::Off);
  dh.attach(h.plan);
  std::vector<Vec3> locals(h.shell.positions.begin(), h.shell.positions.begin() + h.plan.n_local());
  std::vector<Vec3> forces;
  long steps = 0;
  const auto t0 = Clock::now();
  for (auto _ : st) {
    dh.forward(s.box, locals);
    dh.reverse(forces);  // downloads: synchronises with the kernels
    ++steps;
  }
  record(st, fmt::format("halo/device/{}", s.size()),
         std::chrono::duration<double>(Clock::now() - t0).count(), steps,
         static_cast<int>(s.size()));
}

void md_step(benchmark::State& st, int replicas, bool device_halo) {
  const Structure& s = cell(replicas);
  auto ff = md::load_force_field(kSource + "/configs/potentials/SiO2-BKS.toml", Backend::Cuda,
                                 Precision::Double, 1.0, 1.0);
  md::MdSystem sys = md::make_system(s, md::assign_masses(s.species, {}));
  md::maxwell_boltzmann(sys, 300.0, 1, true);
  parallel::Domain domain(parallel::Comm(), sys.box);
  sys = md::distribute_system(std::move(sys), domain);
  md::EngineOptions opt{1.0, 1e5, 0.5};
  opt.device_halo = device_halo;
  md::Engine e(std::move(sys), *ff, opt, &domain);
  md::IntegratorParams p;
  p.dt = 1.0;
  auto integ = md::make_integrator(p, e.system());
  md::StepContext ctx;
  long steps = 0;
  const auto t0 = Clock::now();
  for (auto _ : st) {
    e.step(*integ, ctx);
    ++steps;
  }
  record(st, fmt::format("md/{}/{}", device_halo ? "device" : "host", s.size()),
         std::chrono::duration<double>(Clock::now() - t0).count(), steps,
         static_cast<int>(s.size()));
}

}  // namespace

int main(int argc, char** argv) {
  const bool cuda = have_device();
  for (int r : {2, 4}) {
    const int atoms = 3000 * r * r * r;
    benchmark::RegisterBenchmark(fmt::format("halo/host/{}", atoms).c_str(),
                                 [r](benchmark::State& st) { halo_host(st, r, false); })
        ->Unit(benchmark::kMicrosecond)
        ->UseRealTime();
    if (!cuda) continue;
    benchmark::RegisterBenchmark(fmt::format("halo/host+pcie/{}", atoms).c_str(),
                                 [r](benchmark::State& st) { halo_host(st, r, true); })
        ->Unit(benchmark::kMicrosecond)
        ->UseRealTime();
    benchmark::RegisterBenchmark(fmt::format("halo/device/{}", atoms).c_str(),
                                 [r](benchmark::State& st) { halo_device(st, r); })
        ->Unit(benchmark::kMicrosecond)
        ->UseRealTime();
    for (bool dev : {false, true})
      benchmark::RegisterBenchmark(fmt::format("md/{}/{}", dev ? "device" : "host", atoms).c_str(),
                                   [r, dev](benchmark::State& st) { md_step(st, r, dev); })
          ->Unit(benchmark::kMillisecond)
          ->MinTime(2.0)
          ->UseRealTime();
  }
  if (!cuda)
    std::printf("no CUDA device (%s): device rows skipped\n",
                cuda_compiled() ? "CUDA compiled in" : "built without CUDA");
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();

  std::printf("\nHalo per MD step, one rank (periodic self-exchanges), µs per step\n");
  std::printf("%8s %12s %14s %12s %8s %12s %12s %8s\n", "atoms", "host halo", "host+PCIe",
              "device halo", "ratio", "MD host", "MD device", "ratio");
  for (int r : {2, 4}) {
    const int atoms = 3000 * r * r * r;
    auto get = [&](const std::string& k) {
      auto it = us_per_step().find(fmt::format("{}/{}", k, atoms));
      return it == us_per_step().end() ? -1.0 : it->second;
    };
    auto cell_text = [](double v) { return v < 0 ? std::string("-") : fmt::format("{:.1f}", v); };
    auto ratio = [](double a, double b) {
      return a > 0 && b > 0 ? fmt::format("{:.2f}", a / b) : std::string("-");
    };
    const double host = get("halo/host"), pcie = get("halo/host+pcie"), dev = get("halo/device");
    const double mh = get("md/host"), md = get("md/device");
    std::printf("%8d %12s %14s %12s %8s %12s %12s %8s\n", atoms, cell_text(host).c_str(),
                cell_text(pcie).c_str(), cell_text(dev).c_str(), ratio(pcie, dev).c_str(),
                cell_text(mh).c_str(), cell_text(md).c_str(), ratio(mh, md).c_str());
  }
  std::printf(
      "(ratio = host / device, > 1: the device halo is faster; host+PCIe adds the whole shell's "
      "positions up and forces down that a CUDA force field needs on the host halo)\n");
  return 0;
}
