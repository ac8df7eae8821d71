/// \file report.cpp
/// CSV text of the analysis results and atomic file writes.

#include "vitrum/analysis/report.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>

#include "vitrum/core/elements.hpp"
#include "vitrum/core/error.hpp"
#include "vitrum/core/output_guard.hpp"

namespace vitrum::analysis {
namespace {

std::string num(double v) {
  if (std::isnan(v)) return "nan";
  return fmt::format("{:.10g}", v);
}

std::string csv_field(const std::string& s) {
  if (s.find_first_of(",\"\n") == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

}  // namespace

std::string rdf_csv(const RdfResult& rdf) {
  const int nt = rdf.n_types();
  std::string out = fmt::format(
      "# vitrum analyze: radial distribution functions, {} frame(s), r_max {} A, {} bins of {} A\n"
      "# g: pair-density normalized (ideal gas = 1); N_A-B: running coordination number of B "
      "around A at the upper bin edge r + dr/2\n",
      rdf.n_frames, num(rdf.r_max), rdf.n_bins, num(rdf.dr()));
  out += "r_A,g_total";
  for (std::size_t p = 0; p < rdf.partial.size(); ++p) {
    int a, b;
    rdf.pair_types(static_cast<int>(p), a, b);
    out += fmt::format(",g_{}-{}", element_symbol(rdf.types[a]), element_symbol(rdf.types[b]));
  }
  for (int a = 0; a < nt; ++a) {
    for (int b = 0; b < nt; ++b) {
      out += fmt::format(",N_{}-{}", element_symbol(rdf.types[a]), element_symbol(rdf.types[b]));
    }
  }
  out += '\n';
  for (int k = 0; k < rdf.n_bins; ++k) {
    out += num(rdf.r[k]) + "," + num(rdf.total[k]);
    for (const auto& g : rdf.partial) out += "," + num(g[k]);
    for (const auto& n : rdf.running) out += "," + num(n[k]);
    out += '\n';
  }
  return out;
}

std::string coordination_csv(const BondAnalysis& bonds) {
  std::string out = fmt::format(
      "# vitrum analyze: coordination numbers, {} frame(s); fraction = share of center atoms "
      "with that many neighbors within cutoff_A\n"
      "bond,cutoff_A,coordination,count,fraction\n",
      bonds.n_frames);
  for (const CoordinationResult& c : bonds.coordination) {
    for (std::size_t n = 0; n < c.histogram.size(); ++n) {
      out += fmt::format("{},{},{},{},{}\n", bond_name(c.bond), num(c.bond.cutoff), n,
                         c.histogram[n], num(c.fraction(static_cast<int>(n))));
    }
  }
  return out;
}

std::string angles_csv(const BondAnalysis& bonds) {
  std::string out = fmt::format(
      "# vitrum analyze: bond-angle distributions, {} frame(s); P in 1/degree (sum P dθ = 1), "
      "not divided by sin θ\n",
      bonds.n_frames);
  for (const AngleResult& a : bonds.angles) {
    out += fmt::format("# {}: cutoff {} A, {} angles, mean {} deg, std {} deg\n", a.name(),
                       num(a.cutoff), a.count, num(a.mean()), num(a.stddev()));
  }
  out += "angle_deg";
  for (const AngleResult& a : bonds.angles) out += ",P_" + a.name();
  out += '\n';
  if (bonds.angles.empty()) return out;
  const int nb = bonds.angles.front().n_bins();
  const std::vector<double> theta = bonds.angles.front().angles();
  std::vector<std::vector<double>> p;
  for (const AngleResult& a : bonds.angles) p.push_back(a.density());
  for (int k = 0; k < nb; ++k) {
    out += num(theta[k]);
    for (const auto& d : p) out += "," + num(d[k]);
    out += '\n';
  }
  return out;
}

std::string msd_csv(const MsdResult& msd) {
  std::string out = fmt::format(
      "# vitrum analyze: mean-squared displacement (A^2) from unwrapped positions, time origins "
      "averaged; frame spacing {} fs; largest step between frames {} of a cell height\n"
      "time_fs,n_origins",
      num(msd.dt), num(msd.max_step_fraction));
  for (int z : msd.types) out += ",msd_" + element_symbol(z);
  out += ",msd_all\n";
  for (std::size_t m = 0; m < msd.time.size(); ++m) {
    out += num(msd.time[m]) + "," + std::to_string(msd.n_origins[m]);
    for (const auto& s : msd.msd) out += "," + num(s[m]);
    out += "," + num(msd.msd_all[m]) + "\n";
  }
  return out;
}

std::string diffusion_csv(const std::vector<DiffusionFit>& fits) {
  std::string out =
      "# vitrum analyze: self-diffusion, MSD = 6 D t + intercept fitted over [t_start, t_end]; "
      "D_err from atom blocks; alpha = log-log slope of the MSD over the window\n"
      "species,t_start_fs,t_end_fs,n_points,D_A2_per_fs,D_err_A2_per_fs,D_cm2_per_s,"
      "D_err_cm2_per_s,intercept_A2,alpha\n";
  for (const DiffusionFit& f : fits) {
    out += fmt::format("{},{},{},{},{},{},{},{},{},{}\n", element_symbol(f.type), num(f.t_start),
                       num(f.t_end), f.n_points, num(f.d), num(f.d_err), num(f.d_cm2_s()),
                       num(f.d_err_cm2_s()), num(f.intercept), num(f.alpha));
  }
  return out;
}

std::string density_csv(const Trajectory& trajectory, const DensityResult& density) {
  std::string out =
      "# vitrum analyze: cell volume and densities per frame (standard atomic masses)\n"
      "frame,step,time_fs,volume_A3,number_density_per_A3,mass_density_g_per_cm3\n";
  for (std::size_t f = 0; f < density.frames.size(); ++f) {
    const Frame& fr = trajectory.frames[f];
    const DensitySample& s = density.frames[f];
    out += fmt::format("{},{},{},{},{},{}\n", f, fr.step, num(fr.time), num(s.volume),
                       num(s.number_density), num(s.mass_density));
  }
  return out;
}

std::string summary_csv(const std::vector<SummaryRow>& rows) {
  std::string out = "quantity,subject,value,uncertainty,unit,note\n";
  for (const SummaryRow& r : rows) {
    out += fmt::format("{},{},{},{},{},{}\n", csv_field(r.quantity), csv_field(r.subject),
                       num(r.value), num(r.uncertainty), csv_field(r.unit), csv_field(r.note));
  }
  return out;
}

std::string summary_table(const std::vector<SummaryRow>& rows) {
  // Display width in code points: the units hold Å, ², ³ and the subjects hold –.
  auto width = [](const std::string& s) {
    std::size_t w = 0;
    for (unsigned char c : s) w += (c & 0xC0) != 0x80;
    return w;
  };
  auto pad = [&](const std::string& s, std::size_t w) {
    return s + std::string(w > width(s) ? w - width(s) : 0, ' ');
  };
  std::vector<std::string> values;
  std::size_t wq = 8, ws = 7, wv = 5, wu = 4;
  for (const SummaryRow& r : rows) {
    std::string v = fmt::format("{:.6g}", r.value);
    if (!std::isnan(r.uncertainty)) v += fmt::format(" ± {:.2g}", r.uncertainty);
    values.push_back(v);
    wq = std::max(wq, width(r.quantity));
    ws = std::max(ws, width(r.subject));
    wv = std::max(wv, width(v));
    wu = std::max(wu, width(r.unit));
  }
  std::string out = pad("quantity", wq) + "  " + pad("subject", ws) + "  " + pad("value", wv) +
                    "  " + pad("unit", wu) + "  note\n";
  for (std::size_t k = 0; k < rows.size(); ++k) {
    const SummaryRow& r = rows[k];
    std::string line = pad(r.quantity, wq) + "  " + pad(r.subject, ws) + "  " + pad(values[k], wv) +
                       "  " + pad(r.unit, wu) + "  " + r.note;
    while (!line.empty() && line.back() == ' ') line.pop_back();
    out += line + '\n';
  }
  return out;
}

}  // namespace vitrum::analysis
