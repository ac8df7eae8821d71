// VAMAS (ISO 14976) reader. The format is one value per line with meaning given only by position,
// so the parser is a cursor over lines that follows the standard's order exactly (see
// ../shared/formats/vamas.md). Blank lines are values and are never skipped after the format line.
#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "vitrum/core/error.hpp"
#include "vitrum/core/resource_guard.hpp"
#include "vitrum/spectra/spectrum_io.hpp"

namespace vitrum::spectra {
namespace {

constexpr const char* kFormatLine = "VAMAS Surface Chemical Analysis Standard Data Transfer Format";
/// Values at or above this magnitude mean "not specified" (the files write 1E+37 / 1e+037).
constexpr double kUnspecified = 1e36;

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

/// Removes NUL bytes (PHI writes one inside transition labels) and surrounding white space.
std::string clean(const std::string& s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s)
    if (c != '\0') out.push_back(c);
  const auto b = out.find_first_not_of(" \t\r\n");
  if (b == std::string::npos) return {};
  const auto e = out.find_last_not_of(" \t\r\n");
  return out.substr(b, e - b + 1);
}

bool has_any(const std::string& v, std::initializer_list<const char*> set) {
  for (const char* s : set)
    if (v == s) return true;
  return false;
}

/// Line cursor with 1-based line numbers for messages.
class Cursor {
 public:
  Cursor(const std::vector<std::string>& lines, size_t start, const std::string& file)
      : lines_(lines), pos_(start), file_(file) {}

  const std::string& next(const std::string& what) {
    if (pos_ >= lines_.size())
      throw InputError(file_, static_cast<long>(lines_.size()),
                       fmt::format("unexpected end of file while reading {}: the VAMAS file is "
                                   "truncated (expected more lines)",
                                   what));
    return lines_[pos_++];
  }
  /// The line after the one most recently returned (null at the end), without consuming it.
  const std::string* peek() const { return pos_ < lines_.size() ? &lines_[pos_] : nullptr; }
  /// Line number (1-based) of the line most recently returned by next().
  long line() const { return static_cast<long>(pos_); }
  bool at_end() const { return pos_ >= lines_.size(); }
  const std::string& file() const { return file_; }

  [[noreturn]] void error(const std::string& msg) const { throw InputError(file_, line(), msg); }

  double to_double(const std::string& raw, const std::string& what) const {
    const std::string s = clean(raw);
    if (s.empty()) error(fmt::format("expected a number for {}, found an empty line", what));
    char* end = nullptr;
    errno = 0;
    const double v = std::strtod(s.c_str(), &end);
    if (end != s.c_str() + s.size() || errno == ERANGE || !std::isfinite(v))
      error(fmt::format("expected a number for {}, found '{}'", what, s));
    return v;
  }
  long to_long(const std::string& raw, const std::string& what) const {
    const double v = to_double(raw, what);
    if (v != std::floor(v) || std::fabs(v) > 1e12)
      error(fmt::format("expected an integer for {}, found '{}'", what, clean(raw)));
    return static_cast<long>(v);
  }
  double next_double(const std::string& what) { return to_double(next(what), what); }
  long next_count(const std::string& what, long max = 100000000) {
    const long v = to_long(next(what), what);
    if (v < 0 || v > max)
      error(fmt::format("expected a count between 0 and {} for {}, found {}", max, what, v));
    return v;
  }

 private:
  const std::vector<std::string>& lines_;
  size_t pos_;
  const std::string& file_;
};

/// Reads the 40 block parameters, honouring the header's inclusion list: block 1 is always
/// complete and its lines are recorded per parameter; in later blocks an omitted parameter is
/// replayed from block 1's lines instead of being read from the file.
class ParamReader {
 public:
  ParamReader(Cursor& cur, const std::vector<bool>& included,
              std::vector<std::vector<std::string>>& first_block, bool is_first)
      : cur_(cur),
        included_(included),
        first_(first_block),
        is_first_(is_first),
        replay_pos_(41, 0) {}

  std::string get(int k, const std::string& what) {
    if (is_first_) {
      std::string v = cur_.next(what);
      first_[k].push_back(v);
      return v;
    }
    if (included_[k]) return cur_.next(what);
    auto& rec = first_[k];
    if (replay_pos_[k] >= rec.size())
      cur_.error(
          fmt::format("parameter {} ({}) is excluded by the inclusion list but block 1 does "
                      "not provide enough values to copy",
                      k, what));
    return rec[replay_pos_[k]++];
  }
  double get_double(int k, const std::string& what) { return cur_.to_double(get(k, what), what); }
  long get_long(int k, const std::string& what) { return cur_.to_long(get(k, what), what); }
  long get_count(int k, const std::string& what) {
    const long v = cur_.to_long(get(k, what), what);
    if (v < 0 || v > 1000000) cur_.error(fmt::format("expected a count for {}, found {}", what, v));
    return v;
  }

 private:
  Cursor& cur_;
  const std::vector<bool>& included_;
  std::vector<std::vector<std::string>>& first_;
  bool is_first_;
  std::vector<size_t> replay_pos_;
};

struct Header {
  std::string institution, instrument, operator_id, experiment_id;
  std::string mode, scan;
  long n_positions = 0, n_x = 0, n_y = 0;
  std::vector<std::pair<std::string, std::string>> exp_vars;  // label, unit
  std::vector<bool> included = std::vector<bool>(41, true);
  long future_block_entries = 0;
  long n_blocks = 0;
  std::string comments;
};

struct Block {
  std::string id, sample, technique, species, transition;
  std::string date;
  std::string comments;
  double x = 0, y = 0;
  bool has_xy = false;
  std::string abscissa_label, abscissa_units;
  double start = 0, increment = 0;
  std::vector<std::pair<std::string, std::string>> vars;  // label, unit
  double photon_energy = 0;
  double collection_time = 0;
  double n_scans = 0;
  std::map<std::string, std::string> meta;
  std::vector<double> energy;
  std::vector<float> counts;
  long first_line = 0;
};

bool map_mode(const std::string& m) {
  return m == "MAP" || m == "MAPDP";
}

Header read_header(Cursor& c) {
  Header h;
  h.institution = clean(c.next("institution identifier"));
  h.instrument = clean(c.next("instrument model identifier"));
  h.operator_id = clean(c.next("operator identifier"));
  h.experiment_id = clean(c.next("experiment identifier"));
  const long nc = c.next_count("number of lines in comment");
  const long nc_line = c.line();
  const std::initializer_list<const char*> modes = {"MAP", "MAPDP", "MAPSV", "MAPSVDP", "NORM",
                                                    "SDP", "SDPSV", "SEM",   "NOEXP"};
  for (long i = 0; i < nc; ++i) {
    if (i) h.comments += '\n';
    const std::string line = clean(c.next("header comment line"));
    // A comment count that is too large swallows the experiment and scan modes: report the
    // count's line, not the line where the header stops making sense.
    const std::string* after = c.peek();
    if (has_any(line, modes) && after != nullptr &&
        has_any(clean(*after), {"REGULAR", "IRREGULAR", "MAPPING"}))
      throw InputError(c.file(), nc_line,
                       fmt::format("number of lines in comment is {}, but line {} and the next "
                                   "hold the experiment mode '{}' and scan mode '{}': the comment "
                                   "has {} line(s)",
                                   nc, c.line(), line, clean(*after), i));
    h.comments += line;
  }
  h.mode = clean(c.next("experiment mode"));
  if (!has_any(h.mode, modes))
    c.error(fmt::format(
        "unknown experiment mode '{}': expected MAP, MAPDP, MAPSV, MAPSVDP, NORM, SDP, SDPSV, SEM "
        "or NOEXP (is the number of lines in comment on line {} = {} too small, or a header line "
        "missing or extra?)",
        printable(h.mode, 60), nc_line, nc));
  h.scan = clean(c.next("scan mode"));
  if (!has_any(h.scan, {"REGULAR", "IRREGULAR", "MAPPING"}))
    c.error(fmt::format("unknown scan mode '{}': expected REGULAR, IRREGULAR or MAPPING", h.scan));
  if (h.scan == "MAPPING")
    c.error(
        "scan mode MAPPING (an image per block) is not supported: only REGULAR and "
        "IRREGULAR spectra");
  if (has_any(h.mode, {"MAP", "MAPDP", "NORM", "SDP"}))
    c.next_count("number of spectral regions");  // unreliable in practice: not used
  if (map_mode(h.mode)) {
    h.n_positions = c.next_count("number of analysis positions");
    h.n_x = c.next_count("number of discrete x coordinates available in full map");
    h.n_y = c.next_count("number of discrete y coordinates available in full map");
  }
  const long m = c.next_count("number of experimental variables", 10000);
  for (long i = 0; i < m; ++i) {
    std::string label = clean(c.next("experimental variable label"));
    std::string unit = clean(c.next("experimental variable units"));
    h.exp_vars.emplace_back(label, unit);
  }
  const long p = c.to_long(c.next("number of entries in parameter inclusion list"),
                           "number of entries in parameter inclusion list");
  if (std::labs(p) > 40) c.error(fmt::format("inclusion list of {} entries: at most 40", p));
  if (p != 0) {
    std::fill(h.included.begin(), h.included.end(), p < 0);
    for (long i = 0; i < std::labs(p); ++i) {
      const long k =
          c.to_long(c.next("parameter inclusion or exclusion entry"), "parameter number");
      if (k < 1 || k > 40) c.error(fmt::format("parameter number {} out of range 1–40", k));
      h.included[k] = p > 0;
    }
  }
  const long q = c.next_count("number of manually entered items in block");
  for (long i = 0; i < q; ++i) c.next("manually entered item");
  const long r = c.next_count("number of future upgrade experiment entries");
  h.future_block_entries = c.next_count("number of future upgrade block entries");
  for (long i = 0; i < r; ++i) c.next("future upgrade experiment entry");
  h.n_blocks = c.next_count("number of blocks");
  return h;
}

Block read_block(Cursor& c, const Header& h, std::vector<std::vector<std::string>>& first,
                 bool is_first, long index) {
  Block b;
  b.first_line = c.line() + 1;
  ParamReader p(c, h.included, first, is_first);
  const std::string bn = fmt::format("block {}", index + 1);
  b.id = clean(c.next(bn + " identifier"));
  b.sample = clean(c.next(bn + " sample identifier"));
  // [1]–[7] date and time
  long dt[7];
  const char* dt_names[7] = {
      "year", "month", "day", "hours", "minutes", "seconds", "hours in advance of GMT"};
  for (int i = 0; i < 7; ++i) dt[i] = p.get_long(i + 1, bn + " " + dt_names[i]);
  if (dt[0] > 0 && dt[1] > 0 && dt[2] > 0) {
    b.date = fmt::format("{:04d}-{:02d}-{:02d}", dt[0], dt[1], dt[2]);
    if (dt[3] >= 0 && dt[4] >= 0 && dt[5] >= 0)
      b.meta["time"] = fmt::format("{:02d}:{:02d}:{:02d}", dt[3], dt[4], dt[5]);
  }
  // [8] comments
  const long nc = p.get_count(8, bn + " number of lines in block comment");
  for (long i = 0; i < nc; ++i) {
    if (i) b.comments += '\n';
    b.comments += clean(p.get(8, bn + " block comment line"));
  }
  // [9] technique
  b.technique = clean(p.get(9, bn + " technique"));
  const std::string tech = b.technique;
  // [10] MAP, MAPDP: analysis position
  if (map_mode(h.mode)) {
    b.x = p.get_double(10, bn + " x coordinate");
    b.y = p.get_double(10, bn + " y coordinate");
    b.has_xy = true;
  }
  // [11] experimental variable values
  for (size_t i = 0; i < h.exp_vars.size(); ++i) {
    const std::string v = clean(p.get(11, bn + " experimental variable value"));
    const auto& [label, unit] = h.exp_vars[i];
    b.meta["experimental_variable." + (label.empty() ? std::to_string(i + 1) : label) +
           (unit.empty() ? "" : " [" + unit + "]")] = v;
  }
  b.meta["source_label"] = clean(p.get(12, bn + " analysis source label"));
  const bool sputter_mode = has_any(h.mode, {"MAPDP", "MAPSVDP", "SDP", "SDPSV"});
  if (sputter_mode || has_any(tech, {"ISS", "SIMS", "SNMS", "FABMS"})) {
    p.get(13, bn + " sputtering ion or atom atomic number");
    p.get(13, bn + " number of atoms in sputtering ion or atom particle");
    p.get(13, bn + " sputtering ion or atom charge sign and number");
  }
  const double hv = p.get_double(14, bn + " analysis source characteristic energy");
  b.photon_energy = (hv > 0 && hv < kUnspecified) ? hv : 0.0;
  b.meta["source_energy_eV"] = fmt::format("{}", hv);
  b.meta["source_strength"] = clean(p.get(15, bn + " analysis source strength"));
  p.get(16, bn + " analysis source beam width x");
  p.get(16, bn + " analysis source beam width y");
  if (has_any(h.mode, {"MAP", "MAPDP", "MAPSV", "MAPSVDP", "SEM"})) {
    b.meta["field_of_view_x"] = clean(p.get(17, bn + " field of view x"));
    b.meta["field_of_view_y"] = clean(p.get(17, bn + " field of view y"));
  }
  if (has_any(h.mode, {"MAPSV", "MAPSVDP", "SEM"}))
    for (int i = 0; i < 6; ++i) p.get(18, bn + " linescan coordinate");
  b.meta["source_polar_angle"] = clean(p.get(19, bn + " analysis source polar angle of incidence"));
  b.meta["source_azimuth"] = clean(p.get(20, bn + " analysis source azimuth"));
  b.meta["analyser_mode"] = clean(p.get(21, bn + " analyser mode"));
  b.meta["pass_energy_or_retard_ratio"] =
      clean(p.get(22, bn + " analyser pass energy or retard ratio"));
  if (tech == "AES diff") p.get(23, bn + " differential width");
  b.meta["magnification"] = clean(p.get(24, bn + " magnification of analyser transfer lens"));
  b.meta["work_function_eV"] = clean(p.get(25, bn + " analyser work function"));
  b.meta["target_bias_V"] = clean(p.get(26, bn + " target bias"));
  p.get(27, bn + " analysis width x");
  p.get(27, bn + " analysis width y");
  b.meta["take_off_polar_angle"] = clean(p.get(28, bn + " analyser axis take-off polar angle"));
  b.meta["take_off_azimuth"] = clean(p.get(28, bn + " analyser axis take-off azimuth"));
  b.species = clean(p.get(29, bn + " species label"));
  b.transition = clean(p.get(30, bn + " transition or charge state label"));
  b.meta["particle_charge"] = clean(p.get(30, bn + " charge of detected particle"));
  if (h.scan == "REGULAR") {
    b.abscissa_label = clean(p.get(31, bn + " abscissa label"));
    b.abscissa_units = clean(p.get(31, bn + " abscissa units"));
    b.start = p.get_double(31, bn + " abscissa start");
    b.increment = p.get_double(31, bn + " abscissa increment");
    if (b.increment == 0) c.error(fmt::format("{}: abscissa increment is 0", bn));
  }
  const long v = p.get_count(32, bn + " number of corresponding variables");
  if (v < 1) c.error(fmt::format("{}: number of corresponding variables is 0", bn));
  for (long i = 0; i < v; ++i) {
    std::string label = clean(p.get(32, bn + " corresponding variable label"));
    std::string unit = clean(p.get(32, bn + " corresponding variable units"));
    b.vars.emplace_back(label, unit);
  }
  b.meta["signal_mode"] = clean(p.get(33, bn + " signal mode"));
  const double ct = p.get_double(34, bn + " signal collection time");
  b.collection_time = (ct > 0 && ct < kUnspecified) ? ct : 0.0;
  b.meta["collection_time_s"] = fmt::format("{}", ct);
  const double ns = p.get_double(35, bn + " number of scans to compile this block");
  b.n_scans = (ns > 0 && ns < kUnspecified) ? ns : 0.0;
  b.meta["number_of_scans"] = fmt::format("{}", ns);
  p.get(36, bn + " signal time correction");
  if (sputter_mode && has_any(tech, {"XPS", "UPS", "AES", "EDX", "ELS", "XRF"}))
    for (int i = 0; i < 7; ++i) p.get(37, bn + " sputtering source parameter");
  b.meta["sample_tilt"] = clean(p.get(38, bn + " sample normal polar angle of tilt"));
  b.meta["sample_tilt_azimuth"] = clean(p.get(38, bn + " sample normal tilt azimuth"));
  b.meta["sample_rotation"] = clean(p.get(39, bn + " sample rotation angle"));
  const long a = p.get_count(40, bn + " number of additional numerical parameters");
  for (long i = 0; i < a; ++i) {
    const std::string label = clean(p.get(40, bn + " additional parameter label"));
    const std::string unit = clean(p.get(40, bn + " additional parameter units"));
    const std::string value = clean(p.get(40, bn + " additional parameter value"));
    b.meta["additional." + label + (unit.empty() ? "" : " [" + unit + "]")] = value;
  }
  for (long i = 0; i < h.future_block_entries; ++i) c.next(bn + " future upgrade block entry");

  // Ordinates.
  const long total = c.next_count(bn + " number of ordinate values");
  const long total_line = c.line();
  for (long i = 0; i < v; ++i) {
    c.next(bn + " minimum ordinate value");
    c.next(bn + " maximum ordinate value");
  }
  if (total % v != 0)
    throw InputError(c.file(), total_line,
                     fmt::format("{}: {} ordinate values is not a multiple of the {} corresponding "
                                 "variables",
                                 bn, total, v));
  const long n = total / v;
  const bool irregular = h.scan == "IRREGULAR";
  if (irregular && v < 2)
    throw InputError(c.file(), total_line,
                     fmt::format("{}: an IRREGULAR block needs at least 2 corresponding variables "
                                 "(abscissa, intensity), found {}",
                                 bn, v));
  if (n < 2)
    throw InputError(c.file(), total_line,
                     fmt::format("{}: {} channels; a spectrum needs at least 2", bn, n));
  const int y_var = irregular ? 1 : 0;
  b.energy.resize(n);
  b.counts.resize(n);
  for (long i = 0; i < n; ++i) {
    for (long k = 0; k < v; ++k) {
      const std::string& s =
          c.next(fmt::format("{} ordinate value {} of {}", bn, i * v + k + 1, total));
      if (irregular && k == 0)
        b.energy[i] = c.to_double(s, bn + " abscissa value");
      else if (k == y_var)
        b.counts[i] = static_cast<float>(c.to_double(s, bn + " ordinate value"));
      else
        c.to_double(s, bn + " ordinate value");  // transmission etc.: validated, not kept
    }
  }
  if (irregular) {
    b.abscissa_label = b.vars[0].first;
    b.abscissa_units = b.vars[0].second;
  } else {
    for (long i = 0; i < n; ++i) b.energy[i] = b.start + static_cast<double>(i) * b.increment;
  }
  b.meta["intensity_label"] = b.vars[y_var].first;
  b.meta["intensity_units"] = b.vars[y_var].second;
  return b;
}

/// Block id, unless it is empty or generic ("Block No.1", "Counts per Second": PHI and CasaXPS
/// exports), in which case species + transition ("C 1s"); else "block N".
std::string block_name(const Block& b, long index) {
  const std::string id = lower(b.id);
  const bool generic = id.empty() || id.rfind("block", 0) == 0 || id.rfind("counts", 0) == 0;
  const std::string st = clean(b.species + " " + b.transition);
  if (!generic) return b.id;
  if (!st.empty()) return st;
  if (!b.id.empty()) return b.id;
  return fmt::format("block {}", index + 1);
}

EnergyKind abscissa_kind(const Block& b, bool* assumed) {
  const std::string l = lower(b.abscissa_label);
  *assumed = false;
  if (l.find("binding") != std::string::npos) return EnergyKind::Binding;
  if (l.find("kinetic") != std::string::npos) return EnergyKind::Kinetic;
  *assumed = true;  // the standard's abscissa for XPS/AES is kinetic energy
  return EnergyKind::Kinetic;
}

/// Text of a VAMAS file split into lines (LF or CRLF), NULs kept for clean() to drop.
std::vector<std::string> read_lines(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError(path, 0, "cannot open the file for reading");
  std::stringstream ss;
  ss << in.rdbuf();
  const std::string text = ss.str();
  std::vector<std::string> lines;
  size_t pos = 0;
  while (pos <= text.size()) {
    size_t e = text.find('\n', pos);
    if (e == std::string::npos) {
      if (pos < text.size()) lines.push_back(text.substr(pos));
      break;
    }
    size_t len = e - pos;
    if (len > 0 && text[e - 1] == '\r') --len;
    lines.push_back(text.substr(pos, len));
    pos = e + 1;
  }
  // A lone trailing CR on the last line.
  if (!lines.empty() && !lines.back().empty() && lines.back().back() == '\r')
    lines.back().pop_back();
  return lines;
}

}  // namespace

std::vector<SpectrumImage> read_vamas(const std::string& path, const ReadOptions& options) {
  const std::vector<std::string> lines = read_lines(path);
  size_t first = 0;
  while (first < lines.size() && clean(lines[first]).empty()) ++first;
  if (first == lines.size()) throw InputError(path, 0, "empty file: expected a VAMAS format line");
  if (clean(lines[first]).rfind(kFormatLine, 0) != 0)
    throw InputError(path, static_cast<long>(first + 1),
                     fmt::format("not a VAMAS file: expected the format line '{} 1988 May 4', "
                                 "found '{}'",
                                 kFormatLine, clean(lines[first]).substr(0, 80)));
  Cursor c(lines, first + 1, path);
  const Header h = read_header(c);
  if (h.n_blocks == 0) c.error("the file declares 0 blocks: no spectra to read");

  std::vector<std::vector<std::string>> first_params(41);
  std::vector<Block> blocks;
  // A block takes lines of the file: never reserve more blocks than the file has lines (found by
  // fuzzing: 99,999,999 declared blocks reserved 4 GB before the first was read).
  blocks.reserve(
      static_cast<std::size_t>(std::min<long>(h.n_blocks, static_cast<long>(lines.size()))));
  for (long i = 0; i < h.n_blocks; ++i) blocks.push_back(read_block(c, h, first_params, i == 0, i));
  if (c.at_end())
    throw InputError(path, c.line(),
                     fmt::format("the file ends after block {} without 'end of experiment': "
                                 "truncated?",
                                 h.n_blocks));
  const std::string tail = clean(c.next("end of experiment"));
  if (lower(tail) != "end of experiment")
    c.error(
        fmt::format("expected 'end of experiment' after {} blocks, found '{}': the header's "
                    "block count or a block's value count does not match the file",
                    h.n_blocks, tail.substr(0, 80)));

  // One SpectrumImage per block.
  std::vector<SpectrumImage> out;
  std::map<std::string, int> name_uses;
  for (size_t i = 0; i < blocks.size(); ++i) {
    Block& b = blocks[i];
    SpectrumImage img;
    std::string name = block_name(b, static_cast<long>(i));
    const int uses = ++name_uses[name];
    if (uses > 1) name += fmt::format(" ({})", uses);
    img.name = name;
    img.source = path;
    bool assumed = false;
    img.energy_kind = abscissa_kind(b, &assumed);
    img.energy_units = b.abscissa_units.empty() ? "eV" : b.abscissa_units;
    img.photon_energy = b.photon_energy;
    img.metadata = b.meta;
    auto& md = img.metadata;
    md["format"] = "VAMAS";
    md["institution"] = h.institution;
    md["instrument"] = h.instrument;
    md["operator"] = h.operator_id;
    md["experiment_id"] = h.experiment_id;
    md["experiment_mode"] = h.mode;
    md["scan_mode"] = h.scan;
    if (!h.comments.empty()) md["experiment_comment"] = h.comments;
    md["block_index"] = std::to_string(i + 1);
    md["block_line"] = std::to_string(b.first_line);
    md["block_id"] = b.id;
    md["sample_id"] = b.sample;
    md["technique"] = b.technique;
    md["species"] = b.species;
    md["transition"] = b.transition;
    md["abscissa_label"] = b.abscissa_label;
    if (assumed) md["abscissa_kind_assumed"] = "kinetic (label names neither binding nor kinetic)";
    if (!b.date.empty()) md["date"] = b.date;
    if (!b.comments.empty()) md["block_comment"] = b.comments;
    if (b.has_xy) {
      md["x"] = fmt::format("{}", b.x);
      md["y"] = fmt::format("{}", b.y);
    }
    const std::string what = fmt::format("block {} ('{}', line {})", i + 1, name, b.first_line);
    const bool descending = check_monotonic(b.energy, path, what + " energy axis");
    if (descending) {
      std::reverse(b.energy.begin(), b.energy.end());
      std::reverse(b.counts.begin(), b.counts.end());
      md["energy_flipped"] = "true (stored descending)";
    }
    if (options.rate_to_counts) {
      const std::string u = lower(b.vars[h.scan == "IRREGULAR" ? 1 : 0].second);
      if (u == "c/s" || u == "cps" || u.find("per second") != std::string::npos) {
        if (b.collection_time <= 0 || b.n_scans <= 0)
          throw InputError(path, b.first_line,
                           fmt::format("{}: intensities are a rate ({}) but the collection time "
                                       "or number of scans is not given: cannot convert to counts",
                                       what, u));
        const double f = b.collection_time * b.n_scans;
        for (auto& y : b.counts) y = static_cast<float>(y * f);
        md["rate_to_counts_factor"] = fmt::format("{}", f);
        md["intensity_units"] = "counts";
      }
    }
    img.energy = std::move(b.energy);
    img.counts = std::move(b.counts);
    if (options.photon_energy > 0 && img.photon_energy <= 0)
      img.photon_energy = options.photon_energy;
    if (options.energy != EnergyAxis::AsRecorded) {
      const EnergyKind want =
          options.energy == EnergyAxis::Binding ? EnergyKind::Binding : EnergyKind::Kinetic;
      if (want != img.energy_kind && img.photon_energy <= 0)
        throw InputError(
            path, b.first_line,
            fmt::format("{}: cannot convert {} to {} energy: the excitation energy "
                        "(block parameter 14) is not specified; pass it explicitly",
                        what, energy_kind_name(img.energy_kind), energy_kind_name(want)));
      convert_energy(img, want);
    }
    out.push_back(std::move(img));
  }

  // MAP mode: assemble each region's blocks into an ny × nx image when the header says the map
  // has several positions and the blocks fill the grid.
  if (options.assemble_maps && map_mode(h.mode) && h.n_x * h.n_y > 1) {
    struct Group {
      std::vector<size_t> members;
    };
    std::vector<std::string> order;
    std::map<std::string, Group> groups;
    for (size_t i = 0; i < blocks.size(); ++i) {
      const SpectrumImage& img = out[i];
      const std::string key =
          fmt::format("{}|{}|{}|{}|{:.9g}|{:.9g}|{}", blocks[i].technique, blocks[i].species,
                      blocks[i].transition, img.channels(), img.energy.front(), img.energy.back(),
                      energy_kind_name(img.energy_kind));
      if (!groups.count(key)) order.push_back(key);
      groups[key].members.push_back(i);
    }
    std::vector<SpectrumImage> assembled;
    for (const auto& key : order) {
      const auto& mem = groups[key].members;
      std::set<double> xs, ys;
      std::set<std::pair<double, double>> xy;
      for (size_t i : mem) {
        xs.insert(blocks[i].x);
        ys.insert(blocks[i].y);
        xy.insert({blocks[i].y, blocks[i].x});
      }
      const bool fills = static_cast<long>(mem.size()) == h.n_x * h.n_y &&
                         static_cast<long>(xs.size()) == h.n_x &&
                         static_cast<long>(ys.size()) == h.n_y && xy.size() == mem.size();
      if (!fills) {
        for (size_t i : mem) {
          SpectrumImage img = std::move(out[i]);
          img.metadata["map_assembly"] = fmt::format(
              "not assembled: the region has {} blocks at {} x and {} y positions, "
              "the header declares {} × {}",
              mem.size(), xs.size(), ys.size(), h.n_x, h.n_y);
          assembled.push_back(std::move(img));
        }
        continue;
      }
      const std::vector<double> xv(xs.begin(), xs.end()), yv(ys.begin(), ys.end());
      SpectrumImage img = out[mem.front()];
      img.name = clean(blocks[mem.front()].species + " " + blocks[mem.front()].transition);
      if (img.name.empty()) img.name = out[mem.front()].name;
      img.ny = static_cast<int>(h.n_y);
      img.nx = static_cast<int>(h.n_x);
      const int nch = img.channels();
      img.counts.assign(static_cast<size_t>(img.pixels()) * nch, 0.0f);
      for (size_t i : mem) {
        const long iy = std::lower_bound(yv.begin(), yv.end(), blocks[i].y) - yv.begin();
        const long ix = std::lower_bound(xv.begin(), xv.end(), blocks[i].x) - xv.begin();
        std::copy(out[i].counts.begin(), out[i].counts.end(),
                  img.counts.begin() + (iy * img.nx + ix) * nch);
      }
      auto axis = [](const std::vector<double>& v, const char* name) {
        NavAxis a;
        a.name = name;
        a.long_name = std::string(name) + " position";
        a.offset = v.front();
        a.scale = v.size() > 1 ? (v.back() - v.front()) / static_cast<double>(v.size() - 1) : 1.0;
        return a;
      };
      img.navigation = {axis(yv, "y"), axis(xv, "x")};
      img.metadata.erase("x");
      img.metadata.erase("y");
      img.metadata.erase("block_id");
      img.metadata["map_assembly"] =
          fmt::format("{} blocks assembled into {} × {} (first block {})", mem.size(), h.n_y, h.n_x,
                      mem.front() + 1);
      assembled.push_back(std::move(img));
    }
    out = std::move(assembled);
  }
  // Names stay unique after assembly (two regions of one transition with different windows).
  std::map<std::string, int> final_uses;
  for (auto& img : out)
    if (++final_uses[img.name] > 1) img.name += fmt::format(" ({})", final_uses[img.name]);
  return out;
}

}  // namespace vitrum::spectra
