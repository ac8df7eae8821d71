/// \file lammps_data.cpp
/// LAMMPS data files, atomic and charge styles (see lammps_data.hpp for the exact dialect).

#include "vitrum/io/lammps_data.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <map>
#include <ostream>
#include <set>

#include "text_parse.hpp"
#include "vitrum/core/elements.hpp"
#include "vitrum/core/error.hpp"
#include "vitrum/core/resource_guard.hpp"

namespace vitrum::io {
namespace {

using detail::parse_double;
using detail::parse_long;
using detail::split_lines;
using detail::split_tokens;
using detail::trim;

/// Metal units: velocities in Å/ps in the file, Å/fs in vitrum.
constexpr double kFsPerPs = 1000.0;

/// Sections a data file may hold. Those vitrum reads or skips, then the rest (all errors).
const std::set<std::string>& read_sections() {
  static const std::set<std::string> s = {"Masses", "Atoms", "Velocities", "Pair Coeffs",
                                          "PairIJ Coeffs"};
  return s;
}
const std::set<std::string>& other_sections() {
  static const std::set<std::string> s = {"Bonds",
                                          "Angles",
                                          "Dihedrals",
                                          "Impropers",
                                          "Bond Coeffs",
                                          "Angle Coeffs",
                                          "Dihedral Coeffs",
                                          "Improper Coeffs",
                                          "BondBond Coeffs",
                                          "BondAngle Coeffs",
                                          "MiddleBondTorsion Coeffs",
                                          "EndBondTorsion Coeffs",
                                          "AngleTorsion Coeffs",
                                          "AngleAngleTorsion Coeffs",
                                          "BondBond13 Coeffs",
                                          "AngleAngle Coeffs",
                                          "Ellipsoids",
                                          "Lines",
                                          "Triangles",
                                          "Bodies"};
  return s;
}

/// Header keywords (after the count) that must have count 0 for an atomic/charge file.
bool is_topology_header(const std::vector<std::string_view>& t) {
  static const std::set<std::string> words = {"bonds",      "angles", "dihedrals", "impropers",
                                              "ellipsoids", "lines",  "triangles", "bodies"};
  static const std::set<std::string> typed = {"bond", "angle", "dihedral", "improper"};
  if (t.size() == 2 && words.count(std::string(t[1]))) return true;
  if (t.size() == 3 && typed.count(std::string(t[1])) && t[2] == "types") return true;
  // "N extra bond per atom", "N extra angle per atom", ..., "N extra special per atom"
  if (t.size() >= 3 && t[1] == "extra") return true;
  return false;
}

struct DataLine {
  long line;
  std::string_view text;     ///< without comment, trimmed
  std::string_view comment;  ///< text after '#', trimmed ("" when none)
};

DataLine split_comment(std::string_view raw, long line) {
  const std::size_t hash = raw.find('#');
  if (hash == std::string_view::npos) return {line, trim(raw), {}};
  return {line, trim(raw.substr(0, hash)), trim(raw.substr(hash + 1))};
}

std::string first_word(std::string_view s) {
  const auto t = split_tokens(s);
  return t.empty() ? std::string() : std::string(t[0]);
}

/// Element whose standard mass is within 0.01 amu of m (the closest); 0 when none.
int element_from_mass(double m) {
  int best = 0;
  double best_d = 0.01;
  for (int z = 1; z <= 118; ++z) {
    const double d = std::abs(standard_mass(z) - m);
    if (d < best_d) {
      best_d = d;
      best = z;
    }
  }
  return best;
}

}  // namespace

LammpsCell lammps_cell(const Box& box) {
  const Vec3 a = box.h[0], b = box.h[1], c = box.h[2];
  const double la = std::sqrt(dot(a, a));
  const Vec3 axb = cross(a, b);
  const double nab = std::sqrt(dot(axb, axb));
  const double det = dot(axb, c);
  if (!(la > 0) || !(nab > 0) || !(det > 1e-12 * la * nab * std::sqrt(dot(c, c))))
    fail(
        "the cell (a = [{} {} {}], b = [{} {} {}], c = [{} {} {}]) is degenerate or left-handed; "
        "LAMMPS needs a right-handed cell (a·(b×c) > 0)",
        a.x, a.y, a.z, b.x, b.y, b.z, c.x, c.y, c.z);
  LammpsCell L{};
  L.rotated = !(a.y == 0 && a.z == 0 && b.z == 0 && a.x > 0 && b.y > 0 && c.z > 0);
  if (!L.rotated) {
    L.lx = a.x;
    L.xy = b.x;
    L.ly = b.y;
    L.xz = c.x;
    L.yz = c.y;
    L.lz = c.z;
    L.rot[0] = {1, 0, 0};
    L.rot[1] = {0, 1, 0};
    L.rot[2] = {0, 0, 1};
    return L;
  }
  // Orthonormal frame: x along a, z along a×b, y = z × x.
  const Vec3 ex = (1.0 / la) * a;
  const Vec3 ez = (1.0 / nab) * axb;
  const Vec3 ey = cross(ez, ex);
  L.rot[0] = ex;
  L.rot[1] = ey;
  L.rot[2] = ez;
  L.lx = la;
  L.xy = dot(b, ex);
  L.ly = dot(b, ey);
  L.xz = dot(c, ex);
  L.yz = dot(c, ey);
  L.lz = dot(c, ez);
  return L;
}

Structure parse_lammps_data(std::string_view text, const std::string& file,
                            const LammpsDataOptions& options) {
  const auto lines = split_lines(text);
  if (lines.empty()) throw InputError(file, 0, "empty file; expected a LAMMPS data file");
  Structure s;
  s.comment = std::string(trim(lines[0]));

  long n_atoms = -1, n_types = -1;
  double lo[3] = {0, 0, 0}, hi[3] = {0, 0, 0};
  bool have_bounds[3] = {false, false, false};
  double xy = 0, xz = 0, yz = 0;

  // ---- header: everything up to the first section name (a line starting with a letter)
  std::size_t k = 1;
  for (; k < lines.size(); ++k) {
    const long ln = static_cast<long>(k) + 1;
    const DataLine d = split_comment(lines[k], ln);
    if (d.text.empty()) continue;
    if (std::isalpha(static_cast<unsigned char>(d.text[0]))) break;
    const auto t = split_tokens(d.text);
    if (t.size() == 2 && t[1] == "atoms") {
      n_atoms = parse_long(t[0], file, ln, "the atom count");
      if (n_atoms < 0) throw InputError(file, ln, "negative atom count");
    } else if (t.size() == 3 && t[1] == "atom" && t[2] == "types") {
      n_types = parse_long(t[0], file, ln, "the number of atom types");
      if (n_types < 1) throw InputError(file, ln, "the number of atom types must be >= 1");
      // One mass, element and line per type are kept: refuse a count no machine can hold.
      check_memory(static_cast<double>(n_types) * (sizeof(double) + sizeof(std::string) + 8.0),
                   fmt::format("{}:{}: {} atom types", file, ln, n_types));
    } else if (t.size() == 4 && t[2].size() == 3 && t[3].size() == 3 && t[2][1] == 'l' &&
               t[2][2] == 'o' && t[3][1] == 'h' && t[3][2] == 'i' && t[2][0] == t[3][0] &&
               (t[2][0] == 'x' || t[2][0] == 'y' || t[2][0] == 'z')) {
      const int axis = t[2][0] - 'x';
      lo[axis] = parse_double(t[0], file, ln, std::string(t[2]));
      hi[axis] = parse_double(t[1], file, ln, std::string(t[3]));
      if (!(hi[axis] > lo[axis]))
        throw InputError(
            file, ln,
            fmt::format("{} {} must be larger than {} {}", t[3], hi[axis], t[2], lo[axis]));
      have_bounds[axis] = true;
    } else if (t.size() == 6 && t[3] == "xy" && t[4] == "xz" && t[5] == "yz") {
      xy = parse_double(t[0], file, ln, "xy");
      xz = parse_double(t[1], file, ln, "xz");
      yz = parse_double(t[2], file, ln, "yz");
    } else if (is_topology_header(t)) {
      if (parse_long(t[0], file, ln, "a count") != 0)
        throw InputError(file, ln,
                         fmt::format("'{}': vitrum reads atomic and charge styles only (no "
                                     "molecular topology)",
                                     d.text));
    } else {
      throw InputError(file, ln,
                       fmt::format("unknown header line '{}'; expected 'N atoms', 'N atom types', "
                                   "'lo hi xlo xhi' (and y, z) or 'xy xz yz xy xz yz'",
                                   d.text));
    }
  }
  if (n_atoms < 0) throw InputError(file, 0, "the header has no 'N atoms' line");
  if (n_types < 0) throw InputError(file, 0, "the header has no 'N atom types' line");
  for (int a = 0; a < 3; ++a)
    if (!have_bounds[a])
      throw InputError(file, 0,
                       fmt::format("the header has no '{0}lo {0}hi' line (the box)", "xyz"[a]));

  // ---- sections
  std::map<std::string, std::pair<DataLine, std::vector<DataLine>>> sections;
  std::string current;
  for (; k < lines.size(); ++k) {
    const long ln = static_cast<long>(k) + 1;
    const DataLine d = split_comment(lines[k], ln);
    if (d.text.empty()) continue;
    if (std::isalpha(static_cast<unsigned char>(d.text[0]))) {
      const std::string name(d.text);
      if (other_sections().count(name))
        throw InputError(file, ln,
                         fmt::format("section '{}' is not supported: vitrum reads atomic and "
                                     "charge styles (Masses, Atoms, Velocities)",
                                     name));
      if (!read_sections().count(name))
        throw InputError(
            file, ln,
            fmt::format("unknown section '{}'; expected Masses, Atoms or Velocities", name));
      if (sections.count(name))
        throw InputError(file, ln, fmt::format("section '{}' appears twice", name));
      sections[name].first = d;
      current = name;
      continue;
    }
    sections[current].second.push_back(d);
  }
  if (!sections.count("Atoms")) throw InputError(file, 0, "no Atoms section");

  // ---- masses and elements
  std::vector<double> mass(n_types, 0.0);
  std::vector<std::string> comment_element(n_types);
  std::vector<long> mass_line(n_types, 0);
  if (sections.count("Masses")) {
    for (const DataLine& d : sections["Masses"].second) {
      const auto t = split_tokens(d.text);
      if (t.size() != 2)
        throw InputError(file, d.line,
                         fmt::format("Masses line '{}': expected 'type mass [# element]'", d.text));
      const long type = parse_long(t[0], file, d.line, "the atom type");
      if (type < 1 || type > n_types)
        throw InputError(file, d.line, fmt::format("atom type {} is outside 1..{}", type, n_types));
      mass[type - 1] = parse_double(t[1], file, d.line, "the mass");
      mass_line[type - 1] = d.line;
      comment_element[type - 1] = first_word(d.comment);
    }
  }
  if (!options.type_elements.empty() && static_cast<long>(options.type_elements.size()) < n_types)
    throw InputError(file, 0,
                     fmt::format("{} atom types but only {} type elements were given", n_types,
                                 options.type_elements.size()));
  std::vector<int> type_z(n_types, 0);
  for (long t = 0; t < n_types; ++t) {
    if (!options.type_elements.empty()) {
      type_z[t] = atomic_number(options.type_elements[t]);
      if (type_z[t] == 0)
        fail("{}: type element '{}' (type {}) is not an element symbol", file,
             options.type_elements[t], t + 1);
      continue;
    }
    if (!comment_element[t].empty()) type_z[t] = atomic_number(comment_element[t]);
    if (type_z[t] == 0 && mass[t] > 0) type_z[t] = element_from_mass(mass[t]);
    if (type_z[t] == 0)
      throw InputError(
          file, mass_line[t],
          fmt::format("cannot tell the element of atom type {} (mass {}): put the symbol in a "
                      "comment on its Masses line ('{} {} # Si') or give the type elements "
                      "explicitly",
                      t + 1, mass[t], t + 1, mass[t] > 0 ? mass[t] : 28.0855));
  }

  // ---- atoms
  const auto& atoms = sections["Atoms"];
  std::string style = first_word(atoms.first.comment);
  if (!style.empty() && style != "atomic" && style != "charge")
    throw InputError(file, atoms.first.line,
                     fmt::format("atom style '{}': vitrum reads atomic and charge styles", style));
  if (static_cast<long>(atoms.second.size()) != n_atoms)
    throw InputError(file, atoms.first.line,
                     fmt::format("the Atoms section has {} lines but the header says {} atoms",
                                 atoms.second.size(), n_atoms));
  const Vec3 a{hi[0] - lo[0], 0, 0}, b{xy, hi[1] - lo[1], 0}, c{xz, yz, hi[2] - lo[2]};
  s.box.periodic = true;
  s.box.h[0] = a;
  s.box.h[1] = b;
  s.box.h[2] = c;
  if (lo[0] != 0 || lo[1] != 0 || lo[2] != 0)
    s.info["lammps_origin"] = fmt::format("{} {} {}", lo[0], lo[1], lo[2]);

  struct Row {
    long id;
    int z;
    double q;
    Vec3 r;
  };
  std::vector<Row> rows;
  rows.reserve(n_atoms);
  bool any_charge = false;
  for (const DataLine& d : atoms.second) {
    const auto t = split_tokens(d.text);
    std::string st = style;
    if (st.empty()) {
      if (t.size() == 5 || t.size() == 8) st = "atomic";
      if (t.size() == 6 || t.size() == 9) st = "charge";
    }
    const std::size_t base = st == "charge" ? 6 : 5;
    if (st.empty() || (t.size() != base && t.size() != base + 3))
      throw InputError(file, d.line,
                       fmt::format("Atoms line '{}' has {} columns; expected 'id type x y z "
                                   "[ix iy iz]' (atomic) or 'id type q x y z [ix iy iz]' (charge)",
                                   d.text, t.size()));
    Row row;
    row.id = parse_long(t[0], file, d.line, "the atom id");
    const long type = parse_long(t[1], file, d.line, "the atom type");
    if (type < 1 || type > n_types)
      throw InputError(file, d.line, fmt::format("atom type {} is outside 1..{}", type, n_types));
    row.z = type_z[type - 1];
    const std::size_t p = st == "charge" ? 3 : 2;
    row.q = st == "charge" ? parse_double(t[2], file, d.line, "the charge") : 0.0;
    any_charge = any_charge || st == "charge";
    row.r = {parse_double(t[p], file, d.line, "x"), parse_double(t[p + 1], file, d.line, "y"),
             parse_double(t[p + 2], file, d.line, "z")};
    if (t.size() == base + 3) {
      const long ix = parse_long(t[p + 3], file, d.line, "the image flag ix");
      const long iy = parse_long(t[p + 4], file, d.line, "the image flag iy");
      const long iz = parse_long(t[p + 5], file, d.line, "the image flag iz");
      if (ix != 0 || iy != 0 || iz != 0)
        row.r = row.r + static_cast<double>(ix) * a + static_cast<double>(iy) * b +
                static_cast<double>(iz) * c;
    }
    rows.push_back(row);
  }
  std::vector<std::size_t> order(rows.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(),
                   [&](std::size_t x, std::size_t y) { return rows[x].id < rows[y].id; });
  std::map<long, std::size_t> index_of_id;
  for (std::size_t i = 0; i < order.size(); ++i) {
    const Row& row = rows[order[i]];
    if (i > 0 && rows[order[i - 1]].id == row.id)
      throw InputError(file, atoms.second[order[i]].line,
                       fmt::format("atom id {} appears twice in the Atoms section", row.id));
    index_of_id[row.id] = i;
    s.species.push_back(row.z);
    s.positions.push_back(row.r);
    if (any_charge) s.charges.push_back(row.q);
  }

  // ---- velocities
  if (sections.count("Velocities")) {
    const auto& vel = sections["Velocities"];
    if (static_cast<long>(vel.second.size()) != n_atoms)
      throw InputError(file, vel.first.line,
                       fmt::format("the Velocities section has {} lines for {} atoms",
                                   vel.second.size(), n_atoms));
    s.velocities.assign(n_atoms, Vec3{0, 0, 0});
    std::vector<bool> seen(n_atoms, false);
    for (const DataLine& d : vel.second) {
      const auto t = split_tokens(d.text);
      if (t.size() != 4)
        throw InputError(file, d.line,
                         fmt::format("Velocities line '{}': expected 'id vx vy vz'", d.text));
      const long id = parse_long(t[0], file, d.line, "the atom id");
      const auto it = index_of_id.find(id);
      if (it == index_of_id.end())
        throw InputError(file, d.line,
                         fmt::format("velocity of atom id {}, which has no Atoms "
                                     "line",
                                     id));
      if (seen[it->second])
        throw InputError(file, d.line, fmt::format("atom id {} has two velocities", id));
      seen[it->second] = true;
      const Vec3 v{parse_double(t[1], file, d.line, "vx"), parse_double(t[2], file, d.line, "vy"),
                   parse_double(t[3], file, d.line, "vz")};
      s.velocities[it->second] =
          options.metal_velocities ? Vec3{v.x / kFsPerPs, v.y / kFsPerPs, v.z / kFsPerPs} : v;
    }
  }
  return s;
}

Structure read_lammps_data(const std::string& path, const LammpsDataOptions& options) {
  return parse_lammps_data(detail::read_text_file(path), path, options);
}

void write_lammps_data(std::ostream& os, const Structure& s, const LammpsDataOptions& options) {
  const std::size_t n = s.size();
  if (!s.box.periodic) fail("a LAMMPS data file needs a periodic cell; this structure has none");
  if (s.species.size() != n) fail("{} species for {} positions", s.species.size(), n);
  const LammpsCell L = lammps_cell(s.box);

  // Type numbering.
  std::vector<int> type_z;
  for (const std::string& sym : options.type_elements) {
    const int z = atomic_number(sym);
    if (z == 0) fail("type element '{}' is not an element symbol", sym);
    type_z.push_back(z);
  }
  if (type_z.empty())
    for (int z : s.species)
      if (std::find(type_z.begin(), type_z.end(), z) == type_z.end()) type_z.push_back(z);
  std::vector<int> type_of(n);
  for (std::size_t i = 0; i < n; ++i) {
    const auto it = std::find(type_z.begin(), type_z.end(), s.species[i]);
    if (it == type_z.end())
      fail("atom {} is {}, which is not among the given type elements", i + 1,
           element_symbol(s.species[i]));
    type_of[i] = static_cast<int>(it - type_z.begin()) + 1;
  }

  bool charge = false;
  if (options.atom_style == "charge") {
    charge = true;
  } else if (options.atom_style == "auto") {
    for (double q : s.charges) charge = charge || q != 0.0;
  } else if (options.atom_style != "atomic") {
    fail("atom style '{}': expected auto, atomic or charge", options.atom_style);
  }
  if (!s.charges.empty() && s.charges.size() != n)
    fail("{} charges for {} atoms", s.charges.size(), n);

  double lo[3] = {0, 0, 0};
  if (auto it = s.info.find("lammps_origin"); it != s.info.end() && !L.rotated) {
    const auto t = split_tokens(it->second);
    if (t.size() == 3)
      for (int d = 0; d < 3; ++d)
        lo[d] = parse_double(t[d], "lammps_origin", 0, "an origin coordinate");
  }
  auto rotate = [&](const Vec3& r) {
    return L.rotated ? Vec3{dot(L.rot[0], r), dot(L.rot[1], r), dot(L.rot[2], r)} : r;
  };

  std::string title = s.comment.empty() ? "LAMMPS data file written by vitrum" : s.comment;
  std::replace(title.begin(), title.end(), '\n', ' ');
  std::string out;
  out += title + "\n\n";
  out += fmt::format("{} atoms\n{} atom types\n\n", n, type_z.size());
  out += fmt::format("{} {} xlo xhi\n", lo[0], lo[0] + L.lx);
  out += fmt::format("{} {} ylo yhi\n", lo[1], lo[1] + L.ly);
  out += fmt::format("{} {} zlo zhi\n", lo[2], lo[2] + L.lz);
  if (L.xy != 0 || L.xz != 0 || L.yz != 0)
    out += fmt::format("{} {} {} xy xz yz\n", L.xy, L.xz, L.yz);
  out += "\nMasses\n\n";
  for (std::size_t t = 0; t < type_z.size(); ++t)
    out += fmt::format("{} {} # {}\n", t + 1, standard_mass(type_z[t]), element_symbol(type_z[t]));
  out += charge ? "\nAtoms # charge\n\n" : "\nAtoms # atomic\n\n";
  for (std::size_t i = 0; i < n; ++i) {
    const Vec3 r = rotate(s.positions[i]);
    if (charge)
      out += fmt::format("{} {} {} {} {} {}\n", i + 1, type_of[i],
                         s.charges.empty() ? 0.0 : s.charges[i], r.x, r.y, r.z);
    else
      out += fmt::format("{} {} {} {} {}\n", i + 1, type_of[i], r.x, r.y, r.z);
  }
  if (!s.velocities.empty()) {
    if (s.velocities.size() != n) fail("{} velocities for {} atoms", s.velocities.size(), n);
    out += "\nVelocities\n\n";
    for (std::size_t i = 0; i < n; ++i) {
      Vec3 v = rotate(s.velocities[i]);
      if (options.metal_velocities) v = kFsPerPs * v;
      out += fmt::format("{} {} {} {}\n", i + 1, v.x, v.y, v.z);
    }
  }
  os << out;
}

}  // namespace vitrum::io
