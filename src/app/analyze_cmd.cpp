// `vitrum analyze`: structure and dynamics of a trajectory — g(r), coordination numbers, bond
// angles, MSD and diffusion coefficients, density — written as CSV files plus a summary table.
#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "commands.hpp"
#include "glass_analyses.hpp"
#include "vitrum/analysis/bonds.hpp"
#include "vitrum/analysis/density.hpp"
#include "vitrum/analysis/msd.hpp"
#include "vitrum/analysis/peaks.hpp"
#include "vitrum/analysis/rdf.hpp"
#include "vitrum/analysis/report.hpp"
#include "vitrum/analysis/trajectory.hpp"
#include "vitrum/core/atomic_file.hpp"
#include "vitrum/core/elements.hpp"
#include "vitrum/core/error.hpp"
#include "vitrum/core/output_guard.hpp"

namespace vitrum::app {

namespace {

namespace an = vitrum::analysis;
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

struct AnalyzeArgs {
  std::string trajectory;
  std::string output_dir;
  bool rdf = false, msd = false, angles = false, remove_drift = false;
  std::vector<std::string> coordination;
  double r_max = 10.0;
  int bins = 200;
  int angle_bins = 180;
  int skip = 0, stride = 1;
  double timestep = 0.0, frame_dt = 0.0;
  double fit_start = -1.0, fit_end = -1.0;
  int origin_stride = 1, max_lag = 0;
  bool overwrite = false;
};

std::string species_list(const an::Trajectory& t) {
  const auto types = t.species_types();
  const auto counts = t.species_counts();
  std::string s;
  for (std::size_t k = 0; k < types.size(); ++k) {
    s += fmt::format("{}{} {}", k ? ", " : "", element_symbol(types[k]), counts[k]);
  }
  return s;
}

std::string coordination_note(const an::CoordinationResult& c) {
  std::string note;
  for (std::size_t n = 0; n < c.histogram.size(); ++n) {
    const double f = c.fraction(static_cast<int>(n));
    if (f < 0.0005) continue;
    note += fmt::format("{}{}: {:.1f}%", note.empty() ? "" : ", ", n, 100.0 * f);
  }
  return note;
}

void run_analyze(const AnalyzeArgs& a, const GlassOptions& glass) {
  const bool any =
      a.rdf || a.msd || a.angles || !a.coordination.empty() || any_glass_analysis(glass);
  std::vector<an::BondSpec> bonds;
  for (const std::string& s : a.coordination) bonds.push_back(an::parse_bond_spec(s));
  if (a.angles && bonds.empty()) {
    fail(
        "--angles needs bonds: give --coordination A-B:CUTOFF (e.g. --coordination Si-O:2.0 for "
        "O-Si-O and Si-O-Si angles)");
  }
  if (a.fit_start >= 0.0 && a.fit_end >= 0.0 && !(a.fit_end > a.fit_start)) {
    fail("--fit-end ({} fs) must be larger than --fit-start ({} fs)", a.fit_end, a.fit_start);
  }

  an::TrajectoryOptions topt;
  topt.skip = a.skip;
  topt.stride = a.stride;
  topt.timestep = a.timestep;
  topt.frame_interval = a.frame_dt;
  const an::Trajectory traj = an::read_trajectory(a.trajectory, topt);
  // Output safety (vitrum/core/output_guard.hpp): after the inputs are read
  // and checked, before any analysis.
  check_output_directory(a.output_dir);
  std::vector<std::string> outputs;
  for (const char* name : {"density.csv", "rdf.csv", "coordination.csv", "angles.csv", "msd.csv",
                           "diffusion.csv", "summary.csv"})
    outputs.push_back((std::filesystem::path(a.output_dir) / name).string());
  guard_existing_outputs(outputs, a.overwrite,
                         "give --overwrite to replace them, or another --output-dir");

  const bool periodic = traj.frames.front().box.periodic;
  const bool do_rdf = a.rdf || !any;
  // Without explicit analyses the MSD runs when it can (three frames with times at least).
  const bool do_msd = a.msd || (!any && traj.n_frames() >= 3 && traj.has_times());
  if (do_rdf && !periodic) {
    fail("{}: g(r) needs a periodic cell (Lattice=... pbc=\"T T T\"); the frames are not periodic",
         a.trajectory);
  }
  std::error_code ec;
  std::filesystem::create_directories(a.output_dir, ec);
  if (ec) fail("cannot create the output directory {}: {}", a.output_dir, ec.message());
  const std::filesystem::path dir(a.output_dir);
  // Every file is staged and the set is renamed into place at the end: an error part-way (e.g.
  // an analysis refusing the frames after g(r) was written) leaves the directory as it was.
  StagedOutputs staged;
  auto write = [&](const std::string& name, const std::string& text) {
    staged.write((dir / name).string(), text);
  };

  std::vector<an::SummaryRow> rows;
  std::string time_span = "no times";
  if (traj.has_times()) {
    time_span =
        fmt::format("t = {:g} to {:g} fs", traj.frames.front().time, traj.frames.back().time);
  }
  fmt::print("vitrum analyze: {}: {} frame(s) used (skip {}, stride {}), {} atoms ({}), {}\n",
             a.trajectory, traj.n_frames(), a.skip, a.stride, traj.n_atoms(), species_list(traj),
             time_span);

  if (periodic) {
    const an::DensityResult d = an::compute_density(traj);
    const bool many = traj.n_frames() > 1;
    rows.push_back({"density", "all", d.mean.mass_density, many ? d.stddev.mass_density : kNaN,
                    "g/cm³", many ? "mean ± std over frames" : ""});
    rows.push_back({"number density", "all", d.mean.number_density,
                    many ? d.stddev.number_density : kNaN, "atoms/Å³", ""});
    rows.push_back({"volume", "cell", d.mean.volume, many ? d.stddev.volume : kNaN, "Å³", ""});
    write("density.csv", an::density_csv(traj, d));
  }

  if (do_rdf) {
    an::RdfParams p;
    p.r_max = a.r_max;
    p.n_bins = a.bins;
    const an::RdfResult rdf = an::compute_rdf(traj, p);
    auto peak_row = [&](const std::string& subject, const std::vector<double>& g) {
      const an::Peak pk = an::first_peak(rdf.r, g);
      if (!pk.found) {
        rows.push_back({"g(r) first peak", subject, kNaN, kNaN, "Å", "no peak above g = 1"});
      } else {
        rows.push_back({"g(r) first peak", subject, pk.position, kNaN, "Å",
                        fmt::format("g = {:.3g}", pk.height)});
      }
    };
    peak_row("total", rdf.total);
    for (std::size_t q = 0; q < rdf.partial.size(); ++q) {
      int ta, tb;
      rdf.pair_types(static_cast<int>(q), ta, tb);
      peak_row(element_symbol(rdf.types[ta]) + "-" + element_symbol(rdf.types[tb]), rdf.partial[q]);
    }
    write("rdf.csv", an::rdf_csv(rdf));
  }

  if (!bonds.empty()) {
    const an::BondAnalysis b = an::analyze_bonds(traj, bonds, a.angles ? a.angle_bins : 0);
    for (const an::CoordinationResult& c : b.coordination) {
      rows.push_back({fmt::format("coordination r<{:g} Å", c.bond.cutoff), an::bond_name(c.bond),
                      c.mean(), kNaN, "", coordination_note(c)});
    }
    for (const an::AngleResult& ang : b.angles) {
      const an::Peak pk = an::main_peak(ang.angles(), ang.density());
      rows.push_back(
          {"bond angle", ang.name(), ang.mean(), kNaN, "deg",
           fmt::format("std {:.3g} deg, peak {} deg, {} angles", ang.stddev(),
                       pk.found ? fmt::format("{:.4g}", pk.position) : "none", ang.count)});
    }
    write("coordination.csv", an::coordination_csv(b));
    if (a.angles) write("angles.csv", an::angles_csv(b));
  }

  if (do_msd) {
    an::MsdParams mp;
    mp.origin_stride = a.origin_stride;
    mp.max_lag = a.max_lag;
    mp.remove_drift = a.remove_drift;
    if (traj.n_frames() < 3) {
      fail("{}: the MSD fit needs at least three frames (two lags); {} left after skip/stride",
           a.trajectory, traj.n_frames());
    }
    const an::MsdResult msd = an::compute_msd(traj, mp);
    if (msd.max_step_fraction > 0.3) {
      std::fprintf(stderr,
                   "vitrum analyze: warning: an atom moved %.2f of a cell height between two "
                   "frames; unwrapping may be wrong (store frames more often)\n",
                   msd.max_step_fraction);
    }
    const double t_max = msd.time.back();
    double t0 = a.fit_start >= 0.0 ? a.fit_start : 0.1 * t_max;
    double t1 = a.fit_end >= 0.0 ? a.fit_end : 0.5 * t_max;
    if (a.fit_start < 0.0 && a.fit_end < 0.0) {
      // Too few lags in the default window (short runs): fit every lag instead.
      int inside = 0;
      for (double t : msd.time) inside += t > 0.0 && t >= t0 && t <= t1;
      if (inside < 3) {
        t0 = 0.0;
        t1 = t_max;
      }
    }
    std::vector<an::DiffusionFit> fits;
    for (std::size_t s = 0; s < msd.types.size(); ++s) {
      const an::DiffusionFit f = an::fit_diffusion(msd, static_cast<int>(s), t0, t1);
      fits.push_back(f);
      const std::string sym = element_symbol(f.type);
      std::string note =
          fmt::format("fit {:g}–{:g} fs, {} lags, alpha {:.3f}", t0, t1, f.n_points, f.alpha);
      if (!(std::fabs(f.alpha - 1.0) < 0.15)) note += " (not diffusive in the window)";
      rows.push_back({"D", sym, f.d, f.d_err, "Å²/fs", note});
      rows.push_back({"D", sym, f.d_cm2_s(), f.d_err_cm2_s(), "cm²/s", ""});
    }
    write("msd.csv", an::msd_csv(msd));
    write("diffusion.csv", an::diffusion_csv(fits));
  } else if (!any) {
    fmt::print("(no MSD: it needs at least three frames with times; see --timestep/--frame-dt)\n");
  }

  run_glass_analyses({traj, bonds, glass, write, rows});

  write("summary.csv", an::summary_csv(rows));
  const std::vector<std::string> written = staged.commit();
  fmt::print("\n{}\n", an::summary_table(rows));
  fmt::print("wrote:");
  for (const std::string& w : written) fmt::print(" {}", w);
  fmt::print("\n");
  std::fflush(stdout);
}

}  // namespace

void register_analyze(CLI::App& app) {
  auto a = std::make_shared<AnalyzeArgs>();
  auto glass = std::make_shared<GlassOptions>();
  auto* cmd = app.add_subcommand(
      "analyze",
      "Structure and dynamics of a trajectory (extended XYZ, every frame; n2p2 .data): partial "
      "and total g(r), first-peak positions, coordination numbers and bond angles for bonds "
      "A-B:CUTOFF, mean-squared displacement and self-diffusion coefficients, density. Units: "
      "Å, fs, Å²/fs (and cm²/s), g/cm³, degrees. Frame times come from time= (fs) in the extxyz "
      "header, else step= × --timestep, else frame index × --frame-dt. Writes CSV files to "
      "--output-dir (rdf.csv, coordination.csv, angles.csv, msd.csv, diffusion.csv, "
      "density.csv, summary.csv; plot them with scripts/plot_analysis.py DIR) and prints a "
      "summary table. Named glass analyses: --rings (ring statistics), --qn (Q^n, non-bridging "
      "O), --sq (S(q), D(r), T(r)); each writes its own CSV. Without "
      "--rdf/--coordination/--angles/--msd: g(r), plus the MSD when "
      "there are at least three frames with times.");
  cmd->add_option("trajectory", a->trajectory, "trajectory file (.xyz/.extxyz[.gz], .data)")
      ->required()
      ->check(CLI::ExistingFile);
  cmd->add_option("--output-dir,-o", a->output_dir, "directory for the CSV files (created)")
      ->required();
  cmd->add_flag("--overwrite", a->overwrite, overwrite_help());
  cmd->add_flag("--rdf", a->rdf, "partial and total g(r) with first-peak positions");
  cmd->add_option("--coordination,-c", a->coordination,
                  "bond A-B:CUTOFF (element symbols, cutoff in Å), e.g. Si-O:2.0; repeat or "
                  "separate with commas; coordination number of B around A (mean and "
                  "distribution)")
      ->delimiter(',')
      ->expected(1)
      ->allow_extra_args(false)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  cmd->add_flag("--angles", a->angles,
                "bond-angle distributions B-A-B and A-B-A for each --coordination bond A-B "
                "(Si-O:2.0 gives O-Si-O and Si-O-Si)");
  cmd->add_flag("--msd", a->msd,
                "mean-squared displacement per species and diffusion coefficients (needs frame "
                "times)");
  cmd->add_option("--rmax", a->r_max, "g(r) range (Å); may exceed half the cell")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  cmd->add_option("--bins", a->bins, "g(r) bins over [0, rmax)")
      ->capture_default_str()
      ->check(CLI::Range(1, 1000000));
  cmd->add_option("--angle-bins", a->angle_bins, "bond-angle bins over [0, 180] degrees")
      ->capture_default_str()
      ->check(CLI::Range(1, 180000));
  cmd->add_option("--skip", a->skip, "frames dropped at the start (equilibration)")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--stride", a->stride, "use every N-th frame after the skipped ones")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  cmd->add_option("--timestep", a->timestep,
                  "MD time step (fs): time = step × timestep for frames with step= but no time=");
  cmd->add_option("--frame-dt", a->frame_dt,
                  "time between stored frames (fs) for frames with neither time= nor step=");
  cmd->add_option("--fit-start", a->fit_start,
                  "start of the MSD fit window (fs) (default: 10% of the longest lag)");
  cmd->add_option("--fit-end", a->fit_end,
                  "end of the MSD fit window (fs) (default: 50% of the longest lag)");
  cmd->add_option("--origin-stride", a->origin_stride, "MSD time origins every N frames")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  cmd->add_option("--max-lag", a->max_lag, "largest MSD lag in frames (0 = all)")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  cmd->add_flag("--remove-drift", a->remove_drift,
                "subtract the center-of-mass displacement before the MSD");
  add_glass_options(*cmd, glass);
  cmd->callback([a, glass] { run_analyze(*a, *glass); });
}

}  // namespace vitrum::app
