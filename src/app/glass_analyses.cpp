// The named glass analyses of `vitrum analyze`: rings, Qn, S(q). Each entry of kAnalyses is one
// analysis: its flag, its help text and the function that runs it and writes its CSV files.
#include "glass_analyses.hpp"

#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cmath>
#include <limits>

#include "vitrum/analysis/density.hpp"
#include "vitrum/analysis/math/pair_geometry.hpp"
#include "vitrum/analysis/network.hpp"
#include "vitrum/analysis/rdf.hpp"
#include "vitrum/analysis/rings.hpp"
#include "vitrum/analysis/structure_factor.hpp"
#include "vitrum/analysis/vibrations.hpp"
#include "vitrum/core/elements.hpp"
#include "vitrum/core/error.hpp"
#include "vitrum/md/force_field.hpp"

namespace vitrum::app {
namespace {

namespace an = vitrum::analysis;
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

std::string num(double v) {
  return std::isnan(v) ? "nan" : fmt::format("{:.10g}", v);
}

void need_bonds(const GlassContext& c, const char* what) {
  if (c.bonds.empty()) {
    fail("--{} needs bonds: give --coordination A-B:CUTOFF (e.g. -c Si-O:2.0)", what);
  }
}

int counted_species(const GlassContext& c) {
  const std::string& s = c.options.ring_count;
  if (s == "auto") return c.bonds.front().center;
  if (s == "all") return 0;
  const int z = atomic_number(s);
  if (z == 0) fail("--ring-count: \"{}\" is not an element symbol, \"all\" or \"auto\"", s);
  return z;
}

std::string rings_csv(const an::RingResult& r) {
  const std::string unit =
      r.params.count_species ? element_symbol(r.params.count_species) : "atoms";
  std::string out = fmt::format(
      "# vitrum analyze: ring statistics, {} frame(s); size in {} (alternation rule: {}); "
      "count = distinct rings per frame, fraction = share of all rings up to size {}, "
      "per_node = rings of that size through a counted atom (mean), node_fraction = share of "
      "counted atoms in at least one such ring\n"
      "# King: shortest rings at each pair of bonds of every node; primitive: rings without a "
      "shortcut (Franzblau's shortest-path rings); King pairs without a ring up to the maximum: "
      "{} of {}\n"
      "size,king_count,king_fraction,king_per_node,king_node_fraction,primitive_count,"
      "primitive_fraction,primitive_per_node,primitive_node_fraction\n",
      r.n_frames, unit, r.params.count_species ? "on" : "off", r.params.max_size,
      r.king_pairs_no_ring, r.king_pairs);
  const double nf = std::max(1, r.n_frames);
  for (int n = 1; n <= r.params.max_size; ++n) {
    out += fmt::format("{},{},{},{},{},{},{},{},{}\n", n, num(r.mean_count(r.king, n)),
                       num(r.size_fraction(r.king, n)), num(r.king.per_node[n] / nf),
                       num(r.king.node_fraction[n] / nf), num(r.mean_count(r.primitive, n)),
                       num(r.size_fraction(r.primitive, n)), num(r.primitive.per_node[n] / nf),
                       num(r.primitive.node_fraction[n] / nf));
  }
  return out;
}

void run_rings(const GlassContext& c) {
  need_bonds(c, "rings");
  an::RingParams p;
  p.max_size = c.options.ring_max;
  p.count_species = counted_species(c);
  an::RingAccumulator acc(c.trajectory.species, c.bonds, p);
  for (const an::Frame& f : c.trajectory.frames) acc.add_frame(f.box, f.positions);
  const an::RingResult& r = acc.result();
  c.write("rings.csv", rings_csv(r));
  for (const auto& [name, counts] :
       {std::make_pair("primitive", &r.primitive), std::make_pair("King", &r.king)}) {
    double mean = 0.0, total = 0.0;
    for (int n = 1; n <= p.max_size; ++n) {
      mean += n * r.mean_count(*counts, n);
      total += r.mean_count(*counts, n);
    }
    std::string note;
    for (int n = 1; n <= p.max_size; ++n) {
      const double f = r.size_fraction(*counts, n);
      if (f >= 0.0005) note += fmt::format("{}{}: {:.1f}%", note.empty() ? "" : ", ", n, 100 * f);
    }
    c.rows.push_back({fmt::format("{} ring size", name),
                      p.count_species ? element_symbol(p.count_species) : "atoms",
                      total > 0 ? mean / total : kNaN, kNaN, "", note});
  }
}

void run_qn(const GlassContext& c) {
  need_bonds(c, "qn");
  an::QnResult q;
  q.former = c.bonds.front().center;
  q.bridge = c.bonds.front().neighbor;
  for (const an::Frame& f : c.trajectory.frames) {
    accumulate_qn(an::build_bond_graph(f.box, f.positions, c.trajectory.species, c.bonds), q);
  }
  const std::string fs = element_symbol(q.former), xs = element_symbol(q.bridge);
  std::string out = fmt::format(
      "# vitrum analyze: Q^n speciation of {} (n = bridging {} neighbors; a bridging {} is bonded "
      "to >= 2 {}), {} frame(s)\nquantity,n,count,fraction\n",
      fs, xs, xs, fs, q.n_frames);
  std::string note;
  for (std::size_t n = 0; n < q.qn.size(); ++n) {
    out += fmt::format("Q,{},{},{}\n", n, q.qn[n], num(q.qn_fraction(static_cast<int>(n))));
    const double f = q.qn_fraction(static_cast<int>(n));
    if (f >= 0.0005) note += fmt::format("{}Q{}: {:.1f}%", note.empty() ? "" : ", ", n, 100 * f);
  }
  for (std::size_t k = 0; k < q.x_by_formers.size(); ++k) {
    out += fmt::format("{}_bonded_to_{},{},{},{}\n", xs, fs, k, q.x_by_formers[k],
                       num(static_cast<double>(q.x_by_formers[k]) / q.n_bridge_atoms()));
  }
  c.write("qn.csv", out);
  double mean_n = 0.0;
  for (std::size_t n = 0; n < q.qn.size(); ++n) mean_n += n * q.qn_fraction(static_cast<int>(n));
  c.rows.push_back({"Qn mean n", fs, mean_n, kNaN, "", note});
  c.rows.push_back(
      {"non-bridging fraction", xs, q.nbo_fraction(), kNaN, "",
       fmt::format("free {:.3g}, bridging {:.3g}", q.free_fraction(), q.bridging_fraction())});
}

std::string sq_csv(const an::SqResult& s, const std::string& how) {
  std::string out = fmt::format(
      "# vitrum analyze: structure factors ({}); Faber-Ziman partials S_A-B, neutron F_N (barn "
      "per atom, coherent lengths of Sears 1992) and S_N = 1 + F_N/<b>^2, X-ray S_X (xraylib "
      "form factors, Z = 1..98){}; density {} atoms/A^3\nq_per_A",
      how, s.n_types() == 2 ? ", Bhatia-Thornton S_NN, S_NC, S_CC" : "", num(s.density));
  for (int a = 0; a < s.n_types(); ++a) {
    for (int b = a; b < s.n_types(); ++b) {
      out += fmt::format(",S_{}-{}", element_symbol(s.types[a]), element_symbol(s.types[b]));
    }
  }
  out += ",F_N_barn,S_N,S_X";
  if (!s.s_nn.empty()) out += ",S_NN,S_NC,S_CC";
  if (!s.n_vectors.empty()) out += ",n_vectors";
  out += '\n';
  for (std::size_t k = 0; k < s.q.size(); ++k) {
    out += num(s.q[k]);
    for (const auto& p : s.partial) out += "," + num(p[k]);
    out += "," + num(s.neutron_f[k]) + "," + num(s.neutron[k]) + "," + num(s.xray[k]);
    if (!s.s_nn.empty()) out += "," + num(s.s_nn[k]) + "," + num(s.s_nc[k]) + "," + num(s.s_cc[k]);
    if (!s.n_vectors.empty()) out += "," + std::to_string(s.n_vectors[k]);
    out += '\n';
  }
  return out;
}

void run_sq(const GlassContext& c) {
  const an::Trajectory& t = c.trajectory;
  if (!t.frames.front().box.periodic) fail("{}: S(q) needs a periodic cell", t.source);
  const GlassOptions& o = c.options;
  // Default g(r) range: half the smallest cell height (no periodic self-correlation).
  double r_max = o.sq_rmax;
  if (r_max <= 0.0) {
    const Vec3 h = t.frames.front().box.heights();
    r_max = 0.5 * std::min({h.x, h.y, h.z});
  }
  an::RdfParams rp;
  rp.r_max = r_max;
  rp.n_bins = std::max(1, static_cast<int>(std::lround(r_max / 0.01)));
  const an::RdfResult rdf = an::compute_rdf(t, rp);
  const double rho = an::compute_density(t).mean.number_density;
  an::SqParams sp;
  sp.q_max = o.sq_qmax;
  sp.dq = o.sq_dq;
  sp.lorch = !o.sq_no_lorch;
  const an::SqResult s = an::structure_factor_from_rdf(rdf, rho, sp);
  c.write("sq.csv", sq_csv(s, fmt::format("sine transform of g(r) to R = {:.4g} A, {} window",
                                          r_max, sp.lorch ? "Lorch" : "no")));
  const an::RealSpaceResult rs = an::neutron_real_space(rdf, rho);
  std::string real =
      "# vitrum analyze: neutron real-space functions (Keen 2001): G(r) barn, "
      "D(r) = 4 pi rho r G(r), T(r) = D(r) + 4 pi rho r <b>^2 (barn/A^2)\n"
      "r_A,G_N_barn,D_r,T_r\n";
  for (std::size_t k = 0; k < rs.r.size(); ++k) {
    real +=
        fmt::format("{},{},{},{}\n", num(rs.r[k]), num(rs.g_n[k]), num(rs.d_r[k]), num(rs.t_r[k]));
  }
  c.write("real_space.csv", real);
  // The direct sum costs N × (number of q vectors) ≈ N × V q³ / (12π²) per frame: skipped, with
  // a note, beyond about 1e11 operations (minutes) unless the user lowers --sq-direct-qmax.
  const double volume = t.frames.front().box.volume();
  const double cost = static_cast<double>(t.n_atoms()) * t.n_frames() * volume *
                      std::pow(o.sq_direct_qmax, 3) / (12.0 * an::kPi * an::kPi);
  if (o.sq_direct_qmax > 0.0 && cost > 1e11) {
    fmt::print(stderr,
               "vitrum analyze: note: the direct-sum S(q) to {} 1/Å would take about {:.2g} "
               "operations for {} atoms; skipped (lower --sq-direct-qmax to get it)\n",
               o.sq_direct_qmax, cost, t.n_atoms());
  } else if (o.sq_direct_qmax > 0.0) {
    an::SqParams dp = sp;
    dp.q_max = o.sq_direct_qmax;
    dp.dq = std::max(sp.dq, 0.05);
    c.write("sq_direct.csv",
            sq_csv(an::structure_factor_direct(t, dp), "direct sum over the reciprocal lattice"));
  }
  // First sharp diffraction peak: the maximum of S_N below 2.5 Å⁻¹.
  double best = -1e300, q_best = kNaN;
  for (std::size_t k = 0; k < s.q.size() && s.q[k] < 2.5; ++k) {
    if (s.q[k] > 0.8 && s.neutron[k] > best) best = s.neutron[k], q_best = s.q[k];
  }
  c.rows.push_back({"S_N(q) first peak", "neutron", q_best, kNaN, "1/Å",
                    fmt::format("S_N = {:.3g} (g(r) to {:.3g} Å)", best, r_max)});
}

void run_vdos(const GlassContext& c) {
  an::VdosParams p;
  p.max_lag = c.options.vdos_max_lag;
  p.origin_stride = c.options.vdos_origin_stride;
  p.nu_max = c.options.vdos_numax;
  p.dnu = c.options.vdos_dnu;
  const an::VdosResult r = an::compute_vdos(c.trajectory, p);
  std::string out =
      "# vitrum analyze: vibrational DOS from the mass-weighted velocity autocorrelation (Hann "
      "window), g in 1/THz, integral of g_total = 1; partials by element\nfrequency_THz,"
      "frequency_cm1,g_total";
  for (int z : r.types) out += ",g_" + element_symbol(z);
  out += '\n';
  double mean = 0.0, norm = 0.0;
  for (std::size_t k = 0; k < r.frequency.size(); ++k) {
    out += fmt::format("{},{},{}", num(r.frequency[k]), num(r.frequency[k] * an::kThzToCm1),
                       num(r.total[k]));
    for (const auto& g : r.dos) out += "," + num(g[k]);
    out += '\n';
    mean += r.frequency[k] * r.total[k];
    norm += r.total[k];
  }
  c.write("vdos.csv", out);
  std::string vacf = "# vitrum analyze: mass-weighted VACF per element (amu A^2/fs^2)\ntime_fs";
  for (int z : r.types) vacf += ",C_" + element_symbol(z);
  vacf += '\n';
  for (std::size_t m = 0; m < r.time.size(); ++m) {
    vacf += num(r.time[m]);
    for (const auto& v : r.vacf) vacf += "," + num(v[m]);
    vacf += '\n';
  }
  c.write("vacf.csv", vacf);
  c.rows.push_back({"VDOS mean frequency", "all", mean / norm, kNaN, "THz",
                    fmt::format("integral {:.3f}", norm * p.dnu)});
}

void run_phonons(const GlassContext& c) {
  if (c.options.potential.empty()) {
    fail("--phonons needs a force field: --potential PATH (n2p2 directory or teacher .toml)");
  }
  const an::Frame& f = c.trajectory.frames.front();
  auto ff = md::load_force_field(c.options.potential, Backend::Cpu, Precision::Double, 1.0, 1.0);
  const an::ForceConstants fc = an::finite_difference_force_constants(
      *ff, f.box, f.positions, c.trajectory.species, c.options.phonon_delta);
  const an::HarmonicModes m = an::harmonic_modes(fc, c.trajectory.species);
  std::string modes = fmt::format(
      "# vitrum analyze: harmonic modes at Gamma of the first frame ({}; displacement {} A; max "
      "force-constant asymmetry {} eV/A^2), negative frequency = imaginary\nmode,frequency_THz,"
      "frequency_cm1,participation",
      ff->describe(), num(c.options.phonon_delta), num(fc.max_asymmetry));
  for (int z : m.types) modes += ",weight_" + element_symbol(z);
  modes += '\n';
  int zero = 0, imaginary = 0;
  for (std::size_t k = 0; k < m.frequency.size(); ++k) {
    modes += fmt::format("{},{},{},{}", k, num(m.frequency[k]), num(m.frequency[k] * an::kThzToCm1),
                         num(m.participation[k]));
    for (double w : m.element_weight[k]) modes += "," + num(w);
    modes += '\n';
    zero += std::fabs(m.frequency[k]) < 0.05;
    imaginary += m.frequency[k] <= -0.05;
  }
  c.write("modes.csv", modes);
  std::vector<double> nu;
  const double hi = m.frequency.back() + 5 * c.options.phonon_sigma;
  for (double v = std::min(0.0, m.frequency.front()) - 1.0; v <= hi; v += 0.02) nu.push_back(v);
  const auto g = an::harmonic_dos(m, nu, c.options.phonon_sigma);
  std::string dos = fmt::format(
      "# vitrum analyze: harmonic phonon DOS, Gaussian sigma {} THz, normalized to 1 over 3N "
      "modes; partials by eigenvector weight\nfrequency_THz,frequency_cm1,g_total",
      num(c.options.phonon_sigma));
  for (int z : m.types) dos += ",g_" + element_symbol(z);
  dos += '\n';
  for (std::size_t k = 0; k < nu.size(); ++k) {
    dos += fmt::format("{},{}", num(nu[k]), num(nu[k] * an::kThzToCm1));
    for (const auto& col : g) dos += "," + num(col[k]);
    dos += '\n';
  }
  c.write("phonon_dos.csv", dos);
  // Force constants in phonopy's FORCE_CONSTANTS format (eV/Å², full N × N blocks).
  const int n = fc.n_atoms;
  std::string text = fmt::format("{} {}\n", n, n);
  for (int i = 0; i < n; ++i) {
    for (int j = 0; j < n; ++j) {
      text += fmt::format("{} {}\n", i + 1, j + 1);
      for (int a = 0; a < 3; ++a) {
        const double* row = &fc.phi[static_cast<std::size_t>(3 * i + a) * 3 * n + 3 * j];
        text += fmt::format("{:22.15e} {:22.15e} {:22.15e}\n", row[0], row[1], row[2]);
      }
    }
  }
  c.write("FORCE_CONSTANTS", text);
  c.rows.push_back({"harmonic modes", "all", static_cast<double>(m.frequency.size()), kNaN, "",
                    fmt::format("{} zero (|nu| < 0.05 THz), {} imaginary, highest {:.4g} THz", zero,
                                imaginary, m.frequency.back())});
}

struct NamedAnalysis {
  const char* name;
  const char* help;
  void (*run)(const GlassContext&);
};

const NamedAnalysis kAnalyses[] = {
    {"rings",
     "ring statistics of the --coordination bond network: King's shortest-path and primitive "
     "rings per size and per node (rings.csv); sizes in atoms of --ring-count",
     run_rings},
    {"qn",
     "Q^n speciation of the first --coordination bond's center (Si) by bridging neighbors (O), "
     "non-bridging fraction (qn.csv)",
     run_qn},
    {"sq",
     "structure factors: Faber-Ziman partial, neutron and X-ray weighted, Bhatia-Thornton S(q) "
     "from g(r) (sq.csv), the direct reciprocal-lattice sum (sq_direct.csv), neutron G(r), D(r), "
     "T(r) (real_space.csv)",
     run_sq},
    {"vdos",
     "vibrational DOS from the velocity autocorrelation, total and per element (vdos.csv, "
     "vacf.csv; needs velocities and frame times)",
     run_vdos},
    {"phonons",
     "harmonic phonons of the first frame with --potential: force constants by finite "
     "displacements (FORCE_CONSTANTS, phonopy format), modes with participation ratios "
     "(modes.csv), DOS (phonon_dos.csv); relax the structure first",
     run_phonons},
};

}  // namespace

void add_glass_options(CLI::App& cmd, const std::shared_ptr<GlassOptions>& o) {
  for (const NamedAnalysis& a : kAnalyses) {
    const std::string name = a.name;
    cmd.add_flag_callback(
        "--" + name, [o, name] { o->enabled.push_back(name); }, a.help);
  }
  cmd.add_option("--ring-max", o->ring_max, "rings: largest ring size searched (counted atoms)")
      ->capture_default_str()
      ->check(CLI::Range(3, 60));
  cmd.add_option("--ring-count", o->ring_count,
                 "rings: species whose atoms give the ring size, with the alternation rule "
                 "(auto = the first bond's center, e.g. Si for Si-O; all = every atom, no rule)")
      ->capture_default_str();
  cmd.add_option("--sq-qmax", o->sq_qmax, "S(q): largest q of the g(r) transform (1/Å)")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  cmd.add_option("--sq-dq", o->sq_dq, "S(q): q spacing (1/Å)")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  cmd.add_option("--sq-rmax", o->sq_rmax,
                 "S(q): g(r) range R of the transform (Å; 0 = half the smallest cell height)")
      ->capture_default_str();
  cmd.add_option("--sq-direct-qmax", o->sq_direct_qmax,
                 "S(q): largest q of the direct reciprocal-lattice sum (1/Å; 0 = skip it)")
      ->capture_default_str();
  cmd.add_flag("--sq-no-lorch", o->sq_no_lorch, "S(q): no Lorch window in the transform");
  cmd.add_option("--vdos-max-lag", o->vdos_max_lag, "VDOS: VACF length in frames (0 = half)")
      ->capture_default_str();
  cmd.add_option("--vdos-origin-stride", o->vdos_origin_stride, "VDOS: time origins every N frames")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  cmd.add_option("--vdos-numax", o->vdos_numax, "VDOS: largest frequency (THz)")
      ->capture_default_str();
  cmd.add_option("--vdos-dnu", o->vdos_dnu, "VDOS: frequency spacing (THz)")->capture_default_str();
  cmd.add_option("--potential", o->potential,
                 "phonons: force field (n2p2 directory in eV/Å, or teacher .toml such as "
                 "configs/potentials/SiO2-BKS.toml)");
  cmd.add_option("--phonon-delta", o->phonon_delta, "phonons: finite displacement (Å)")
      ->capture_default_str();
  cmd.add_option("--phonon-sigma", o->phonon_sigma, "phonons: Gaussian broadening of the DOS (THz)")
      ->capture_default_str();
}

bool any_glass_analysis(const GlassOptions& o) {
  return !o.enabled.empty();
}

void run_glass_analyses(const GlassContext& c) {
  for (const NamedAnalysis& a : kAnalyses) {
    const auto& e = c.options.enabled;
    if (std::find(e.begin(), e.end(), a.name) != e.end()) a.run(c);
  }
}

}  // namespace vitrum::app
