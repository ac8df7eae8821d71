// HDNNP cost against n2p2, on every potential of ../shared/reference/n2p2, the shipped water
// box and the shipped SiO2-BKS potential on a 648-atom amorphous cell (built here).
//
// Table 1 (one core): energy + forces with a prebuilt ghost shell and neighbor list, in double and
// mixed precision, median over repeats of the process CPU time per evaluation, in µs per atom,
// with the ratio to n2p2's time for the same structure where ../shared/reference/n2p2/README.md
// lists one (n2p2 2.3, one core, -O3 -march=native: water 255 µs/atom at 1080 atoms, 290 at 8640,
// Ethylbenzene_SCAN ~4950). Synthetic potentials are timed over every structure of their
// input.data; the README has no n2p2 time for them.
// Table 1b (one core, double): the fused angular runs (sf_fused.hpp, the default) against the
// term-by-term path (EvalOptions::fused_runs = false) in the same run, for every case whose
// potential has fused runs, with the fused run's split over the stages.
// Table 2 (threads): wall time per stage (symmetry functions, networks, forces) at 1 and 2 threads
// and the parallel efficiency t1 / (2 t2); the results of both runs are compared bit for bit.
// Table 3 (whole processes): `vitrum predict --threads 1` on the structures of the README's
// process table, CPU seconds (user + sys) and peak resident memory, median of repeats, against
// n2p2's nnp-predict CPU seconds.
// On a GPU, the CUDA rows (team and legacy kernels, water up to ~1M atoms) follow.
//
// Usage: nnp_bench [--repeats N] [--filter TEXT] [--no-threads] [--no-process] [--no-cuda]
// The machine is shared and noisy: every number is a median; rerun on a quiet machine to quote.
#include <fmt/format.h>
#include <omp.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "vitrum/core/backend.hpp"
#include "vitrum/io/builders.hpp"
#include "vitrum/io/structure_io.hpp"
#include "vitrum/nnp/evaluator.hpp"

using namespace vitrum;
namespace fs = std::filesystem;

namespace {

struct Options {
  int repeats = 5;
  std::string filter;
  bool threads = true, process = true, cuda = true;
};

/// One benchmark case: a potential and the structures it is evaluated on.
struct Case {
  std::string name;
  std::string potential;  // directory
  std::vector<Structure> structures;
  double n2p2_us = 0;  // n2p2 µs/atom (energy + forces, prebuilt list), 0 = not listed
};

/// Ghost shells and lists of a case's structures, built once.
struct Prepared {
  std::vector<neighbor::GhostShell> shells;
  std::vector<neighbor::NeighborList> lists;
  long atoms = 0;
};

const std::string kShared = VITRUM_SHARED_DIR "/reference/n2p2";

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n == 0 ? 0.0 : (n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]));
}

double cpu_seconds() {
  timespec t{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) + 1e-9 * static_cast<double>(t.tv_nsec);
}

Structure replicate(const Structure& s, int nx, int ny, int nz) {
  Structure big;
  big.box = s.box;
  const int n[3] = {nx, ny, nz};
  for (int d = 0; d < 3; ++d) big.box.h[d] = double(n[d]) * s.box.h[d];
  for (int x = 0; x < nx; ++x)
    for (int y = 0; y < ny; ++y)
      for (int z = 0; z < nz; ++z)
        for (size_t i = 0; i < s.size(); ++i) {
          big.positions.push_back(s.positions[i] + double(x) * s.box.h[0] + double(y) * s.box.h[1] +
                                  double(z) * s.box.h[2]);
          big.species.push_back(s.species[i]);
        }
  return big;
}

/// The 648-atom amorphous SiO2 cell of configs/sio2_quench_hdnnp.toml (random placement at
/// 2.2 g/cm³ with its minimum distances): the neighbor counts of the glass the shipped SiO2-BKS
/// potential is run on.
Structure sio2_cell() {
  io::AmorphousCellSpec spec;
  spec.composition = {{"Si", 1}, {"O", 2}};
  spec.n_atoms = 648;
  spec.density = 2.2;
  spec.min_distances = {{"Si", "O", 1.55}, {"O", "O", 2.3}, {"Si", "Si", 2.9}};
  spec.seed = 2026;
  return io::build_amorphous_cell(spec);
}

std::vector<Case> make_cases() {
  std::vector<Case> cases;
  const std::string water_pot = std::string(VITRUM_SOURCE_DIR) + "/configs/potentials/H2O_RPBE-D3";
  const Structure water =
      io::read_structures(std::string(VITRUM_SOURCE_DIR) + "/configs/structures/water_1080.data")
          .front();
  cases.push_back({"water (shipped) 1080", water_pot, {water}, 255.0});
  cases.push_back({"water (shipped) 8640", water_pot, {replicate(water, 2, 2, 2)}, 290.0});
  cases.push_back({"SiO2-BKS (shipped) 648 amorphous",
                   std::string(VITRUM_SOURCE_DIR) + "/configs/potentials/SiO2-BKS",
                   {sio2_cell()},
                   0.0});
  if (!fs::is_directory(kShared)) {
    std::printf("%s not found: only the shipped water rows\n", kShared.c_str());
    return cases;
  }
  std::vector<fs::path> dirs;
  for (const auto& d : fs::directory_iterator(kShared + "/potentials")) dirs.push_back(d.path());
  std::sort(dirs.begin(), dirs.end());
  for (const auto& d : dirs) {
    const std::string name = d.filename().string();
    const double n2p2 = name == "H2O_RPBE-D3" ? 255.0 : name == "Ethylbenzene_SCAN" ? 4950.0 : 0.0;
    cases.push_back({name,
                     d.string(),
                     {io::read_structures(kShared + "/outputs/" + name + "/input.data").front()},
                     n2p2});
  }
  dirs.clear();
  for (const auto& d : fs::directory_iterator(kShared + "/synthetic")) dirs.push_back(d.path());
  std::sort(dirs.begin(), dirs.end());
  for (const auto& d : dirs)
    cases.push_back(
        {d.filename().string(), d.string(), io::read_structures((d / "input.data").string()), 0.0});
  return cases;
}

Prepared prepare(const nnp::Potential& pot, const Case& c) {
  Prepared p;
  const double rc = pot.cutoff();
  for (const auto& s : c.structures) {
    p.shells.push_back(neighbor::build_ghost_shell(s.box, s.positions, s.species, rc));
    p.lists.push_back(neighbor::build_neighbor_list(p.shells.back(), rc, 0.0));
    p.atoms += static_cast<long>(s.size());
  }
  return p;
}

/// Evaluates every structure once; returns the summed stage seconds in `stages`.
void evaluate_all(nnp::Evaluator& ev, const Prepared& p, std::vector<nnp::EvalResult>& out,
                  double stages[3]) {
  out.resize(p.shells.size());
  stages[0] = stages[1] = stages[2] = 0;
  for (size_t q = 0; q < p.shells.size(); ++q) {
    ev.compute(p.shells[q], p.lists[q], out[q]);
    stages[0] += out[q].stage_seconds.symmetry;
    stages[1] += out[q].stage_seconds.network;
    stages[2] += out[q].stage_seconds.forces;
  }
}

/// Median seconds per pass over the case's structures (`clock` = CPU or wall seconds); each
/// repeat runs enough passes for ~0.2 s. Per-stage medians (wall) go to `stages`.
double time_case(nnp::Evaluator& ev, const Prepared& p, int repeats, double (*clock)(),
                 double stages[3], std::vector<nnp::EvalResult>& res) {
  double st[3];
  evaluate_all(ev, p, res, st);  // warm-up: buffers allocated once
  const double t0 = clock();
  evaluate_all(ev, p, res, st);
  const double once = std::max(clock() - t0, 1e-6);
  const int passes = std::max(1, static_cast<int>(0.2 / once));
  std::vector<double> total, s0, s1, s2;
  for (int r = 0; r < repeats; ++r) {
    double acc[3] = {0, 0, 0};
    const double a = clock();
    for (int k = 0; k < passes; ++k) {
      evaluate_all(ev, p, res, st);
      for (int x = 0; x < 3; ++x) acc[x] += st[x];
    }
    total.push_back((clock() - a) / passes);
    s0.push_back(acc[0] / passes);
    s1.push_back(acc[1] / passes);
    s2.push_back(acc[2] / passes);
  }
  stages[0] = median(s0);
  stages[1] = median(s1);
  stages[2] = median(s2);
  return median(total);
}

double wall_seconds() {
  return omp_get_wtime();
}

void one_core_table(const std::vector<Case>& cases, const Options& o) {
  std::printf("\n== one core: energy + forces, prebuilt neighbor list, median of %d (CPU time)\n",
              o.repeats);
  std::printf("%-40s %6s %12s %12s %9s %9s\n", "potential / structure", "atoms", "double us/at",
              "mixed us/at", "dbl/n2p2", "mix/n2p2");
  omp_set_num_threads(1);
  for (const auto& c : cases) {
    const nnp::Potential pot = nnp::Potential::load_n2p2(c.potential);
    const Prepared p = prepare(pot, c);
    double us[2], st[3];
    std::vector<nnp::EvalResult> res;
    for (int k = 0; k < 2; ++k) {
      nnp::Evaluator ev(pot, {Backend::Cpu, k == 0 ? Precision::Double : Precision::Mixed, true});
      us[k] = 1e6 * time_case(ev, p, o.repeats, cpu_seconds, st, res) / double(p.atoms);
    }
    const std::string r0 = c.n2p2_us > 0 ? fmt::format("{:.2f}x", c.n2p2_us / us[0]) : "-";
    const std::string r1 = c.n2p2_us > 0 ? fmt::format("{:.2f}x", c.n2p2_us / us[1]) : "-";
    std::printf("%-40s %6ld %12.2f %12.2f %9s %9s\n", c.name.c_str(), p.atoms, us[0], us[1],
                r0.c_str(), r1.c_str());
    std::fflush(stdout);
  }
  std::printf(
      "(ratios: n2p2 time / vitrum time, >1 is faster; '-': the README lists no n2p2 time "
      "for this structure)\n");
}

/// Fused angular runs (sf_fused.hpp) against the term-by-term path, one core, double, for the
/// cases whose potential has fused runs: the gain of the fast path measured in the same run.
void fused_table(const std::vector<Case>& cases, const Options& o) {
  std::printf(
      "\n== fused angular runs vs term by term: one core, double, CPU us/atom, median of %d\n",
      o.repeats);
  std::printf("%-40s %6s %12s %12s %9s %14s\n", "potential / structure", "atoms", "term by term",
              "fused", "speed-up", "SF/net/forces");
  omp_set_num_threads(1);
  for (const auto& c : cases) {
    const nnp::Potential pot = nnp::Potential::load_n2p2(c.potential);
    int fused_terms = 0;
    for (const auto& a : pot.plan().angular) fused_terms += a.run >= 2 ? a.run : 0;
    if (fused_terms == 0) continue;
    const Prepared p = prepare(pot, c);
    double us[2], st[2][3];
    std::vector<nnp::EvalResult> res;
    for (int k = 0; k < 2; ++k) {
      nnp::EvalOptions opt{Backend::Cpu, Precision::Double, true};
      opt.fused_runs = k == 1;
      nnp::Evaluator ev(pot, opt);
      us[k] = 1e6 * time_case(ev, p, o.repeats, cpu_seconds, st[k], res) / double(p.atoms);
    }
    const double tot = st[1][0] + st[1][1] + st[1][2];
    const std::string split = tot > 0 ? fmt::format("{:.0f}/{:.0f}/{:.0f}%", 100 * st[1][0] / tot,
                                                    100 * st[1][1] / tot, 100 * st[1][2] / tot)
                                      : "-";
    std::printf("%-40s %6ld %12.2f %12.2f %8.2fx %14s\n", c.name.c_str(), p.atoms, us[0], us[1],
                us[0] / us[1], split.c_str());
    std::fflush(stdout);
  }
  std::printf("(SF/net/forces: the fused run's wall-time split over the three stages)\n");
}

bool same_bits(const std::vector<nnp::EvalResult>& a, const std::vector<nnp::EvalResult>& b) {
  for (size_t q = 0; q < a.size(); ++q) {
    if (a[q].energy != b[q].energy || a[q].forces.size() != b[q].forces.size()) return false;
    for (size_t i = 0; i < a[q].forces.size(); ++i)
      for (int d = 0; d < 3; ++d)
        if (a[q].forces[i][d] != b[q].forces[i][d]) return false;
  }
  return true;
}

void thread_table(const std::vector<Case>& cases, const Options& o) {
  if (omp_get_num_procs() < 2) {
    std::printf("\none core only: no thread table\n");
    return;
  }
  std::printf(
      "\n== threads: wall ms per pass at 1 and 2 threads and efficiency t1/(2 t2), per "
      "stage, double, median of %d\n",
      o.repeats);
  std::printf("%-40s %-9s %10s %10s %10s %10s %6s\n", "potential / structure", "threads", "SF",
              "network", "forces", "total", "bits");
  for (const auto& c : cases) {
    const nnp::Potential pot = nnp::Potential::load_n2p2(c.potential);
    const Prepared p = prepare(pot, c);
    double tot[2], st[2][3];
    std::vector<nnp::EvalResult> res[2];
    for (int k = 0; k < 2; ++k) {
      omp_set_num_threads(k + 1);
      nnp::Evaluator ev(pot, {Backend::Cpu, Precision::Double, true});
      tot[k] = time_case(ev, p, o.repeats, wall_seconds, st[k], res[k]);
    }
    const char* bits = same_bits(res[0], res[1]) ? "same" : "DIFFER";
    for (int k = 0; k < 2; ++k)
      std::printf("%-40s %-9d %10.3f %10.3f %10.3f %10.3f %6s\n", k ? "" : c.name.c_str(), k + 1,
                  1e3 * st[k][0], 1e3 * st[k][1], 1e3 * st[k][2], 1e3 * tot[k], k ? bits : "");
    auto eff = [&](int x) { return st[1][x] > 0 ? st[0][x] / (2 * st[1][x]) : 0.0; };
    std::printf("%-40s %-9s %9.0f%% %9.0f%% %9.0f%% %9.0f%%\n", "", "eff.", 100 * eff(0),
                100 * eff(1), 100 * eff(2), 100 * tot[0] / (2 * tot[1]));
    std::fflush(stdout);
  }
  omp_set_num_threads(1);
  std::printf(
      "('bits': energies and forces of the 1- and 2-thread runs compared bit for bit; "
      "the machine is shared, so efficiencies are noisy)\n");
}

/// Runs `argv` as a child; CPU seconds (user + sys) and peak RSS (KB) from wait4.
bool run_process(const std::vector<std::string>& args, double& cpu, long& rss_kb) {
  std::vector<char*> argv;
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  std::fflush(stdout);  // the child must not inherit (and flush) buffered output
  const pid_t pid = fork();
  if (pid == 0) {
    if (!freopen("/dev/null", "w", stdout)) _exit(126);
    execv(argv[0], argv.data());
    _exit(127);
  }
  int status = 0;
  rusage ru{};
  if (pid < 0 || wait4(pid, &status, 0, &ru) != pid) return false;
  cpu = double(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
        1e-6 * double(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec);
  rss_kb = ru.ru_maxrss;
  return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

void process_table(const Options& o) {
  if (!fs::is_directory(kShared)) return;
  struct Row {
    const char* name;
    std::string input;
    double n2p2_s;
  };
  const fs::path tmp = fs::temp_directory_path() / fmt::format("nnp_bench_{}", getpid());
  fs::create_directories(tmp);
  const std::string liquid = (tmp / "liquid_8640.data").string();
  const std::string unzip = fmt::format(
      "gzip -dc '{}/outputs/H2O_RPBE-D3/liquid_8640/input.data.gz' > '{}'", kShared, liquid);
  const bool have_liquid = std::system(unzip.c_str()) == 0;
  std::vector<Row> rows = {
      {"H2O_RPBE-D3", kShared + "/outputs/H2O_RPBE-D3/input.data", 0.39},
      {"H2O_RPBE-D3", liquid, 8.35},
      {"H2O_RPBE-D3_128mol_RuNNer", kShared + "/outputs/H2O_RPBE-D3_128mol_RuNNer/input.data",
       0.13},
      {"Ethylbenzene_SCAN", kShared + "/outputs/Ethylbenzene_SCAN/input.data", 1.61},
      {"DMABN_SCAN", kShared + "/outputs/DMABN_SCAN/input.data", 0.05}};
  std::printf(
      "\n== whole `vitrum predict --threads 1` processes: CPU s (user + sys) and peak RSS, "
      "median of %d\n",
      o.repeats);
  std::printf("%-40s %6s %10s %10s %9s %10s\n", "potential / structure", "atoms", "vitrum s",
              "n2p2 s", "vs n2p2", "RSS MB");
  for (const auto& r : rows) {
    if (r.input == liquid && !have_liquid) continue;
    const std::string label = r.input == liquid ? std::string(r.name) + ", liquid_8640" : r.name;
    if (!o.filter.empty() && label.find(o.filter) == std::string::npos) continue;
    const long atoms = static_cast<long>(io::read_structures(r.input).front().size());
    std::vector<double> cpu, rss;
    bool ok = true;
    for (int k = 0; k < o.repeats && ok; ++k) {
      double c = 0;
      long kb = 0;
      ok =
          run_process({VITRUM_BINARY, "predict", "-p", kShared + "/potentials/" + r.name, "-i",
                       r.input, "-o", (tmp / "out.data").string(), "--overwrite", "--threads", "1"},
                      c, kb);
      cpu.push_back(c);
      rss.push_back(double(kb));
    }
    if (!ok) {
      std::printf("%-40s vitrum predict failed\n", label.c_str());
      continue;
    }
    std::printf("%-40s %6ld %10.3f %10.2f %8.2fx %10.1f\n", label.c_str(), atoms, median(cpu),
                r.n2p2_s, r.n2p2_s / median(cpu), median(rss) / 1024.0);
    std::fflush(stdout);
  }
  fs::remove_all(tmp);
  std::printf(
      "(n2p2: nnp-predict CPU seconds from ../shared/reference/n2p2/README.md; the same "
      "machine type, not the same run)\n");
}

/// CUDA rows (a device only): water 1080, 8640 and 972,000 atoms, team and legacy kernels,
/// double and mixed; wall µs/atom, the team kernels' speed-up over the legacy ones, memory/atom.
void cuda_table(int repeats) {
  if (cuda_device_count() == 0) {
    std::printf("\nno CUDA device: CUDA rows skipped\n");
    return;
  }
  const nnp::Potential pot =
      nnp::Potential::load_n2p2(std::string(VITRUM_SOURCE_DIR) + "/configs/potentials/H2O_RPBE-D3");
  const Structure water =
      io::read_structures(std::string(VITRUM_SOURCE_DIR) + "/configs/structures/water_1080.data")
          .front();
  std::printf("\n== CUDA: wall us/atom, median of %d\n%-34s %12s %12s %10s\n", repeats, "case",
              "us/atom", "vs legacy", "KB/atom");
  const int reps[3][3] = {{1, 1, 1}, {2, 2, 2}, {10, 10, 9}};
  for (Precision prec : {Precision::Double, Precision::Mixed})
    for (const auto& r : reps) {
      const Case c{"", "", {replicate(water, r[0], r[1], r[2])}, 0};
      const Prepared p = prepare(pot, c);
      double us[2], kb = 0, st[3];
      std::vector<nnp::EvalResult> res;
      for (int k = 0; k < 2; ++k) {
        setenv("VITRUM_NNP_KERNELS", k == 0 ? "team" : "legacy", 1);  // read at construction
        nnp::Evaluator ev(pot, {Backend::Cuda, prec, true});
        unsetenv("VITRUM_NNP_KERNELS");
        us[k] = 1e6 * time_case(ev, p, repeats, wall_seconds, st, res) / double(p.atoms);
        if (k == 0) kb = double(ev.memory_bytes()) / double(p.atoms) / 1024.0;
      }
      std::printf("%-34s %12.3f %11.2fx %10.2f\n",
                  fmt::format("cuda/{}/{}atoms", to_string(prec), p.atoms).c_str(), us[0],
                  us[1] / us[0], kb);
      std::fflush(stdout);
    }
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  for (int a = 1; a < argc; ++a) {
    const std::string s = argv[a];
    if (s == "--repeats" && a + 1 < argc) {
      o.repeats = std::max(1, std::atoi(argv[++a]));
    } else if (s == "--filter" && a + 1 < argc) {
      o.filter = argv[++a];
    } else if (s == "--no-threads") {
      o.threads = false;
    } else if (s == "--no-process") {
      o.process = false;
    } else if (s == "--no-cuda") {
      o.cuda = false;
    } else {
      std::fprintf(stderr,
                   "usage: nnp_bench [--repeats N] [--filter TEXT] [--no-threads] [--no-process] "
                   "[--no-cuda]\n");
      return s == "--help" || s == "-h" ? 0 : 2;
    }
  }
  std::vector<Case> cases;
  for (auto& c : make_cases())
    if (o.filter.empty() || c.name.find(o.filter) != std::string::npos) cases.push_back(c);
  one_core_table(cases, o);
  fused_table(cases, o);
  if (o.threads) thread_table(cases, o);
  if (o.process) process_table(o);
  if (o.cuda) cuda_table(o.repeats);
  return 0;
}
