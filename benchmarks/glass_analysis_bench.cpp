// Glass analyses at scale: ring statistics (King + primitive, up to 10 Si), S(q) (g(r) to 10 Å
// and its transform to 25 Å⁻¹) and the VACF DOS (8 frames, 4 lags) on the shipped 648-atom
// HDNNP glass replicated k×k×k times (k = 1, 4 and, by default, 12: 1,119,744 atoms).
// Reports wall time, time per atom relative to the 648-atom baseline measured in the same run
// (1.0 = linear scaling) and the growth of the peak resident memory during each analysis.
//   build/glass_analysis_bench [max_k]     (max_k = 12 by default; threads: OMP_NUM_THREADS)
#include <fmt/format.h>
#include <omp.h>
#include <sys/resource.h>

#include <chrono>
#include <cstdlib>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include "vitrum/analysis/density.hpp"
#include "vitrum/analysis/rdf.hpp"
#include "vitrum/analysis/rings.hpp"
#include "vitrum/analysis/structure_factor.hpp"
#include "vitrum/analysis/vibrations.hpp"
#include "vitrum/io/builders.hpp"
#include "vitrum/io/structure_io.hpp"

using namespace vitrum;

namespace {

double peak_rss_mb() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return u.ru_maxrss / 1024.0;
}

struct Timing {
  double seconds = 0.0, rss_growth_mb = 0.0;
};

Timing measure(const std::function<void()>& f) {
  const double before = peak_rss_mb();
  const auto t0 = std::chrono::steady_clock::now();
  f();
  const auto t1 = std::chrono::steady_clock::now();
  return {std::chrono::duration<double>(t1 - t0).count(), peak_rss_mb() - before};
}

analysis::Trajectory frames_with_velocities(const Structure& s, int n_frames) {
  analysis::Trajectory t;
  t.source = "replicated glass";
  t.species = s.species;
  std::mt19937_64 rng(1);
  std::normal_distribution<double> g(0.0, 0.005);
  std::vector<Vec3> v(s.size());
  for (Vec3& x : v) x = Vec3{g(rng), g(rng), g(rng)};
  for (int f = 0; f < n_frames; ++f) {
    analysis::Frame fr;
    fr.time = 10.0 * f;
    fr.box = s.box;
    fr.velocities = v;
    for (Vec3& x : v) x = 0.9 * x + Vec3{g(rng), g(rng), g(rng)};
    t.frames.push_back(std::move(fr));
  }
  return t;
}

}  // namespace

int main(int argc, char** argv) {
  const int max_k = argc > 1 ? std::atoi(argv[1]) : 12;
  const Structure glass = io::read_structures(std::string(VITRUM_SOURCE_DIR) +
                                              "/tests/analysis/data/sio2_glass_648.xyz")
                              .front();
  fmt::print("glass analyses, {} OpenMP thread(s); per-atom time relative to 648 atoms\n",
             omp_get_max_threads());
  fmt::print("{:>9} {:<8} {:>10} {:>14} {:>12} {:>14}\n", "atoms", "analysis", "time_s",
             "us_per_atom", "vs_648", "peak_rss+_MB");
  double base[3] = {0, 0, 0};
  std::vector<int> ks = {1};
  if (max_k > 4) ks.push_back(4);
  if (max_k > 1) ks.push_back(max_k);
  for (int k : ks) {
    const Structure s = io::replicate(glass, k, k, k);
    const double n = static_cast<double>(s.size());
    Timing t[3];
    std::size_t rings = 0;
    t[0] = measure([&] {
      analysis::RingParams p;
      p.max_size = 10;
      p.count_species = 14;
      const auto g = analysis::build_bond_graph(s.box, s.positions, s.species, {{14, 8, 2.0}});
      const auto set = analysis::find_rings(g, p);
      rings = set.primitive.size() + set.king.size();
    });
    t[1] = measure([&] {
      const analysis::Trajectory one =
          analysis::trajectory_from_structures({s}, {}, "replicated glass");
      analysis::RdfParams rp;
      rp.r_max = 10.0;
      rp.n_bins = 1000;
      const auto rdf = analysis::compute_rdf(one, rp);
      analysis::SqParams sp;
      analysis::structure_factor_from_rdf(rdf, analysis::compute_density(one).mean.number_density,
                                          sp);
    });
    const analysis::Trajectory traj = frames_with_velocities(s, 8);
    t[2] = measure([&] {
      analysis::VdosParams vp;
      vp.max_lag = 4;
      analysis::compute_vdos(traj, vp);
    });
    const char* names[3] = {"rings", "S(q)", "VACF"};
    for (int a = 0; a < 3; ++a) {
      const double per_atom = t[a].seconds / n * 1e6;
      if (k == 1) base[a] = per_atom;
      fmt::print("{:>9} {:<8} {:>10.3f} {:>14.3f} {:>12.2f} {:>14.0f}\n", s.size(), names[a],
                 t[a].seconds, per_atom, per_atom / base[a], t[a].rss_growth_mb);
    }
    fmt::print("{:>9} ({} distinct rings found)\n", "", rings);
  }
  return 0;
}
