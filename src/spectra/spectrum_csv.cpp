// Two-column (or multi-column) text spectra, and the CSV of one fitted spectrum's curves.
#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "vitrum/core/atomic_file.hpp"
#include "vitrum/core/error.hpp"
#include "vitrum/spectra/spectrum_io.hpp"

namespace vitrum::spectra {
namespace {

std::string trim(const std::string& s) {
  const auto b = s.find_first_not_of(" \t\r\n");
  if (b == std::string::npos) return {};
  const auto e = s.find_last_not_of(" \t\r\n");
  return s.substr(b, e - b + 1);
}

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

enum class Sep { Comma, Semicolon, Tab, Space };

std::vector<std::string> split(const std::string& line, Sep sep) {
  std::vector<std::string> out;
  if (sep == Sep::Space) {
    std::istringstream ss(line);
    std::string f;
    while (ss >> f) out.push_back(f);
    return out;
  }
  const char c = sep == Sep::Comma ? ',' : sep == Sep::Semicolon ? ';' : '\t';
  size_t pos = 0;
  while (true) {
    const size_t e = line.find(c, pos);
    out.push_back(trim(line.substr(pos, e == std::string::npos ? std::string::npos : e - pos)));
    if (e == std::string::npos) break;
    pos = e + 1;
  }
  while (!out.empty() && out.back().empty()) out.pop_back();  // trailing separator
  return out;
}

bool parse_number(std::string s, bool decimal_comma, double* v) {
  if (decimal_comma) std::replace(s.begin(), s.end(), ',', '.');
  if (s.empty()) return false;
  char* end = nullptr;
  errno = 0;
  *v = std::strtod(s.c_str(), &end);
  return end == s.c_str() + s.size() && errno != ERANGE;
}

/// Energy kind named by a header's first column, if any.
int header_kind(const std::string& header_field) {
  const std::string h = lower(trim(header_field));
  if (h.find("binding") != std::string::npos) return 1;
  if (h.find("kinetic") != std::string::npos) return 2;
  auto word = [&](const char* w) {
    const size_t n = std::char_traits<char>::length(w);
    return h.compare(0, n, w) == 0 &&
           (h.size() == n || !std::isalpha(static_cast<unsigned char>(h[n])));
  };
  if (word("be") || word("e_b") || word("eb")) return 1;
  if (word("ke") || word("e_k") || word("ek")) return 2;
  return 0;
}

}  // namespace

std::vector<SpectrumImage> read_spectrum_csv(const std::string& path, const ReadOptions& options) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError(path, 0, "cannot open the file for reading");
  std::string line;
  long lineno = 0;
  std::vector<std::string> header;
  std::string header_line;  // last non-numeric line before the data, split once `sep` is known
  long data_line0 = 0;
  int ncol = 0;
  Sep sep = Sep::Space;
  bool decimal_comma = false;
  std::vector<double> energy;
  std::vector<long> energy_line;
  std::vector<std::vector<float>> cols;
  while (std::getline(in, line)) {
    ++lineno;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (lineno == 1 && line.size() >= 3 && static_cast<unsigned char>(line[0]) == 0xEF)
      line = line.substr(3);  // UTF-8 BOM
    const std::string t = trim(line);
    if (t.empty() || t[0] == '#' || t[0] == '%') continue;
    if (line.find('\0') != std::string::npos)
      throw InputError(path, lineno, "binary content (NUL byte): not a text spectrum");
    if (ncol == 0) {
      // Choose the separator on each candidate line until the first all-numeric row.
      Sep s = t.find(';') != std::string::npos    ? Sep::Semicolon
              : t.find(',') != std::string::npos  ? Sep::Comma
              : t.find('\t') != std::string::npos ? Sep::Tab
                                                  : Sep::Space;
      const bool dc = s == Sep::Semicolon;
      auto f = split(t, s);
      bool numeric = f.size() >= 1;
      std::vector<double> vals(f.size());
      for (size_t i = 0; i < f.size() && numeric; ++i) numeric = parse_number(f[i], dc, &vals[i]);
      if (!numeric) {
        header_line = t;
        continue;
      }
      if (f.size() < 2)
        throw InputError(path, lineno,
                         fmt::format("found {} column(s); expected at least two (energy in eV, "
                                     "intensity)",
                                     f.size()));
      ncol = static_cast<int>(f.size());
      sep = s;
      if (!header_line.empty()) header = split(header_line, sep);
      decimal_comma = dc;
      data_line0 = lineno;
      cols.assign(ncol - 1, {});
    }
    auto f = split(t, sep);
    if (static_cast<int>(f.size()) != ncol)
      throw InputError(
          path, lineno,
          fmt::format("found {} column(s), expected {} as on line {}", f.size(), ncol, data_line0));
    for (int i = 0; i < ncol; ++i) {
      double v = 0;
      if (!parse_number(f[i], decimal_comma, &v) || !std::isfinite(v))
        throw InputError(path, lineno,
                         fmt::format("column {}: expected a number, found '{}'", i + 1, f[i]));
      if (i == 0) {
        energy.push_back(v);
        energy_line.push_back(lineno);
      } else {
        cols[i - 1].push_back(static_cast<float>(v));
      }
    }
  }
  if (ncol == 0)
    throw InputError(path, 0,
                     "no numeric rows: expected lines of 'energy, intensity' (two or more "
                     "columns separated by commas, semicolons, tabs or spaces)");
  if (energy.size() < 2)
    throw InputError(path, data_line0, "only one data row; a spectrum needs at least 2 channels");
  // Strict monotonicity, reported with the offending line.
  const bool descending = energy[1] < energy[0];
  for (size_t i = 1; i < energy.size(); ++i) {
    const bool ok = descending ? energy[i] < energy[i - 1] : energy[i] > energy[i - 1];
    if (!ok)
      throw InputError(path, energy_line[i],
                       fmt::format("energy axis is not strictly monotonic: {} eV follows {} eV "
                                   "(line {}), but the axis is {}",
                                   energy[i], energy[i - 1], energy_line[i - 1],
                                   descending ? "descending" : "ascending"));
  }
  SpectrumImage img;
  img.source = path;
  {
    const auto slash = path.find_last_of('/');
    std::string base = slash == std::string::npos ? path : path.substr(slash + 1);
    const auto dot = base.find_last_of('.');
    img.name = dot == std::string::npos || dot == 0 ? base : base.substr(0, dot);
  }
  const int kind = header.empty() ? 0 : header_kind(header[0]);
  img.energy_kind = kind == 2 ? EnergyKind::Kinetic : EnergyKind::Binding;
  img.metadata["format"] = "text";
  if (kind == 0) img.metadata["energy_kind_assumed"] = "binding (no header names the axis)";
  if (!header.empty()) {
    std::string h;
    for (size_t i = 0; i < header.size(); ++i) h += (i ? "," : "") + header[i];
    img.metadata["header"] = h;
  }
  const int ns = ncol - 1;
  const size_t nch = energy.size();
  img.ny = 1;
  img.nx = ns;
  if (ns > 1) {
    NavAxis a;
    a.name = "column";
    a.long_name = "Data column";
    a.offset = 2;  // column 2 holds the first spectrum
    img.navigation = {a};
    for (int k = 0; k < ns; ++k)
      img.metadata[fmt::format("column.{}", k + 2)] =
          static_cast<int>(header.size()) == ncol ? header[k + 1] : std::string();
  }
  if (descending) {
    std::reverse(energy.begin(), energy.end());
    for (auto& c : cols) std::reverse(c.begin(), c.end());
    img.metadata["energy_flipped"] = "true (stored descending)";
  }
  img.energy = std::move(energy);
  img.counts.resize(static_cast<size_t>(ns) * nch);
  for (int k = 0; k < ns; ++k)
    std::copy(cols[k].begin(), cols[k].end(), img.counts.begin() + k * nch);
  if (options.photon_energy > 0) img.photon_energy = options.photon_energy;
  if (options.energy != EnergyAxis::AsRecorded) {
    const EnergyKind want =
        options.energy == EnergyAxis::Binding ? EnergyKind::Binding : EnergyKind::Kinetic;
    if (want != img.energy_kind && img.photon_energy <= 0)
      throw InputError(path, 0,
                       fmt::format("cannot convert {} to {} energy: a text file carries no "
                                   "excitation energy; give it explicitly",
                                   energy_kind_name(img.energy_kind), energy_kind_name(want)));
    convert_energy(img, want);
  }
  std::vector<SpectrumImage> out;
  out.push_back(std::move(img));
  return out;
}

void write_spectrum_fit_csv(const std::string& path, const FitCurves& c,
                            const std::vector<std::string>& comments) {
  const size_t n = c.energy.size();
  auto check = [&](const std::vector<double>& v, const std::string& what) {
    if (v.size() != n)
      fail("write_spectrum_fit_csv({}): '{}' has {} values, the energy axis {}", path, what,
           v.size(), n);
  };
  check(c.data, "data");
  check(c.fit, "fit");
  if (!c.background.empty()) check(c.background, "background");
  for (const auto& [name, v] : c.components) check(v, name);
  write_file_atomic(path, [&](std::ostream& out) {
    for (const auto& line : comments) {
      std::string l = line;
      std::replace(l.begin(), l.end(), '\n', ' ');
      out << "# " << l << '\n';
    }
    auto clean_name = [](std::string s) {
      std::replace(s.begin(), s.end(), ',', ';');
      std::replace(s.begin(), s.end(), '\n', ' ');
      return s;
    };
    out << (c.energy_kind == EnergyKind::Binding ? "binding_energy_eV" : "kinetic_energy_eV")
        << ",data,fit";
    if (!c.background.empty()) out << ",background";
    for (const auto& comp : c.components) out << ',' << clean_name(comp.first);
    out << '\n';
    for (size_t i = 0; i < n; ++i) {
      out << fmt::format("{:.10g},{:.10g},{:.10g}", c.energy[i], c.data[i], c.fit[i]);
      if (!c.background.empty()) out << fmt::format(",{:.10g}", c.background[i]);
      for (const auto& comp : c.components) out << fmt::format(",{:.10g}", comp.second[i]);
      out << '\n';
    }
  });
}

}  // namespace vitrum::spectra
