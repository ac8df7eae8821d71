/// \file extxyz.cpp
/// Extended XYZ in the ASE dialect.
///
/// Frame: a line with the atom count, a header line of key=value pairs, one line per atom.
/// Header keys handled here: Lattice="ax ay az bx by bz cx cy cz" (rows = cell vectors),
/// Properties=name:type:count:... (types S, R, I, L), pbc="T T T" | "F F F", energy=<E>,
/// virial="9 numbers" (row-major W_ab), charge=<total charge>, comment=<text>, set=train|test.
/// Every other pair is kept verbatim in Structure::info and written back. Values may be "double
/// quoted" (with backslash escapes for quote and backslash), {braced} or [bracketed]; a key
/// without '=' means T, as in ASE. A header without any '=' is a plain XYZ comment (Properties
/// default to species:S:1:pos:R:3).
/// Per-atom columns understood: species (S:1) or Z (I:1), pos (R:3), forces / force (R:3),
/// vel / velocities (R:3), charges / initial_charges / charge (R:1). Other columns are read past
/// and dropped. Numbers are written in the shortest form that reads back to the same double.

#include <algorithm>
#include <cctype>
#include <cmath>
#include <ostream>
#include <utility>

#include "text_parse.hpp"
#include "vitrum/core/elements.hpp"
#include "vitrum/core/error.hpp"
#include "vitrum/io/structure_io.hpp"

namespace vitrum::io {
namespace {

using detail::parse_double;
using detail::parse_long;
using detail::split_lines;
using detail::split_tokens;
using detail::trim;

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

/// Reads one key or value at `i`: a "quoted" string with escapes, a {..} or [..] group kept
/// verbatim, or a bare run up to whitespace or (for keys) '='.
std::string read_item(std::string_view line, std::size_t& i, bool is_key, const std::string& file,
                      long ln) {
  std::string out;
  const std::size_t n = line.size();
  if (i < n && line[i] == '"') {
    const std::size_t start = i;
    ++i;
    while (i < n && line[i] != '"') {
      if (line[i] == '\\' && i + 1 < n) {
        ++i;
        out.push_back(line[i] == 'n' ? '\n' : line[i]);
      } else {
        out.push_back(line[i]);
      }
      ++i;
    }
    if (i >= n) {
      throw InputError(file, ln,
                       fmt::format("unterminated quoted string starting at column {} of the "
                                   "extended XYZ header: expected a closing '\"'",
                                   start + 1));
    }
    ++i;  // closing quote
    return out;
  }
  if (!is_key && i < n && (line[i] == '{' || line[i] == '[')) {
    const char open = line[i];
    const char close = open == '{' ? '}' : ']';
    const std::size_t start = i;
    int depth = 0;
    for (; i < n; ++i) {
      if (line[i] == open) ++depth;
      if (line[i] == close && --depth == 0) break;
    }
    if (i >= n) {
      throw InputError(file, ln,
                       fmt::format("unterminated '{}' starting at column {} of the extended XYZ "
                                   "header: expected '{}'",
                                   open, start + 1, close));
    }
    ++i;
    return std::string(line.substr(start, i - start));
  }
  while (i < n && line[i] != ' ' && line[i] != '\t' && !(is_key && line[i] == '=')) {
    out.push_back(line[i]);
    ++i;
  }
  return out;
}

/// key=value pairs of an extended XYZ header line, in order.
std::vector<std::pair<std::string, std::string>> parse_header(std::string_view line,
                                                              const std::string& file, long ln) {
  std::vector<std::pair<std::string, std::string>> kv;
  std::size_t i = 0;
  const std::size_t n = line.size();
  auto skip_space = [&] {
    while (i < n && (line[i] == ' ' || line[i] == '\t')) ++i;
  };
  while (true) {
    skip_space();
    if (i >= n) break;
    std::string key = read_item(line, i, true, file, ln);
    if (key.empty()) {
      throw InputError(file, ln,
                       fmt::format("empty key at column {} of the extended XYZ header: expected "
                                   "key=value",
                                   i + 1));
    }
    skip_space();
    std::string value = "T";
    if (i < n && line[i] == '=') {
      ++i;
      skip_space();
      value = read_item(line, i, false, file, ln);
    }
    kv.emplace_back(std::move(key), std::move(value));
  }
  return kv;
}

/// Numbers of a value such as "1 0 0 0 1 0 0 0 1" or [[1,0,0],[0,1,0],[0,0,1]].
std::vector<double> parse_number_list(const std::string& value, const std::string& file, long ln,
                                      std::string_view what) {
  std::string v = value;
  for (char& c : v) {
    if (c == '[' || c == ']' || c == '{' || c == '}' || c == ',') c = ' ';
  }
  std::vector<double> out;
  for (auto t : split_tokens(v)) out.push_back(parse_double(t, file, ln, what));
  return out;
}

bool parse_bool(std::string_view t, bool& out) {
  const std::string l = lower(t);
  if (l == "t" || l == "true" || l == "1") {
    out = true;
    return true;
  }
  if (l == "f" || l == "false" || l == "0") {
    out = false;
    return true;
  }
  return false;
}

enum class Column { Species, Z, Pos, Forces, Vel, Charges, Skip };

struct Property {
  std::string name;
  char type;
  int count;
  Column role;
};

std::vector<Property> parse_properties(const std::string& value, const std::string& file, long ln) {
  std::vector<std::string> parts;
  std::size_t start = 0;
  while (true) {
    const std::size_t c = value.find(':', start);
    parts.push_back(value.substr(start, c == std::string::npos ? std::string::npos : c - start));
    if (c == std::string::npos) break;
    start = c + 1;
  }
  if (parts.size() % 3 != 0) {
    throw InputError(
        file, ln, fmt::format("Properties='{}' is not a list of name:type:count triples", value));
  }
  std::vector<Property> props;
  bool has_charges = false;
  for (std::size_t k = 0; k < parts.size(); k += 3) {
    Property p;
    p.name = parts[k];
    if (parts[k + 1].size() != 1 ||
        std::string("SRIL").find(parts[k + 1][0]) == std::string::npos) {
      throw InputError(
          file, ln,
          fmt::format("Properties: type '{}' of '{}' must be S, R, I or L", parts[k + 1], p.name));
    }
    p.type = parts[k + 1][0];
    const long cnt = parse_long(parts[k + 2], file, ln, "a Properties column count");
    if (cnt < 1) {
      throw InputError(file, ln, fmt::format("Properties: count of '{}' must be >= 1", p.name));
    }
    p.count = static_cast<int>(cnt);
    const std::string name = p.name;
    auto expect = [&](char type, int count) {
      if (p.type != type || p.count != count) {
        throw InputError(file, ln,
                         fmt::format("Properties: '{}' must be {}:{}:{}, got {}:{}:{}", name, name,
                                     type, count, name, p.type, p.count));
      }
    };
    if (name == "species") {
      expect('S', 1);
      p.role = Column::Species;
    } else if (name == "Z") {
      expect('I', 1);
      p.role = Column::Z;
    } else if (name == "pos") {
      expect('R', 3);
      p.role = Column::Pos;
    } else if (name == "forces" || name == "force") {
      expect('R', 3);
      p.role = Column::Forces;
    } else if (name == "vel" || name == "velocities") {
      expect('R', 3);
      p.role = Column::Vel;
    } else if (name == "charges" || name == "initial_charges" || name == "charge") {
      expect('R', 1);
      // "charges" (calculator result) wins over initial_charges when both are present.
      p.role = Column::Charges;
      if (has_charges) {
        if (name == "charges") {
          for (auto& q : props) {
            if (q.role == Column::Charges) q.role = Column::Skip;
          }
        } else {
          p.role = Column::Skip;
        }
      }
      has_charges = true;
    } else {
      p.role = Column::Skip;
    }
    props.push_back(std::move(p));
  }
  const bool has_species = std::any_of(props.begin(), props.end(), [](const Property& p) {
    return p.role == Column::Species || p.role == Column::Z;
  });
  const bool has_pos = std::any_of(props.begin(), props.end(),
                                   [](const Property& p) { return p.role == Column::Pos; });
  if (!has_species || !has_pos) {
    throw InputError(
        file, ln, fmt::format("Properties='{}' needs species:S:1 (or Z:I:1) and pos:R:3", value));
  }
  return props;
}

/// Value for the writer: quoted when it contains whitespace, quotes, '=' or is empty.
std::string quote_if_needed(const std::string& v) {
  const bool needs = v.empty() || v.find_first_of(" \t\"=\\\n") != std::string::npos;
  if (!needs) return v;
  std::string out = "\"";
  for (char c : v) {
    if (c == '"' || c == '\\') out.push_back('\\');
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out.push_back(c);
  }
  out.push_back('"');
  return out;
}

}  // namespace

std::vector<Structure> parse_extxyz(std::string_view text, const std::string& file) {
  std::vector<Structure> out;
  const auto lines = split_lines(text);
  std::size_t k = 0;
  while (k < lines.size()) {
    const long count_line = static_cast<long>(k) + 1;
    const std::string_view count_text = trim(lines[k]);
    if (count_text.empty()) {  // blank lines between or after frames
      ++k;
      continue;
    }
    const long natoms = parse_long(count_text, file, count_line, "the number of atoms of a frame");
    if (natoms < 1) {
      throw InputError(file, count_line,
                       fmt::format("frame has {} atoms: expected a positive count", natoms));
    }
    if (k + 1 >= lines.size()) {
      throw InputError(file, count_line + 1,
                       "missing header line (Lattice=..., Properties=...) after the atom count");
    }
    const long header_line = count_line + 1;
    const std::string_view header = lines[k + 1];
    Structure s;
    s.line = count_line;
    std::vector<Property> props = parse_properties("species:S:1:pos:R:3", file, header_line);
    bool has_lattice = false;
    bool has_pbc = false;
    bool pbc = false;
    if (header.find('=') == std::string_view::npos) {
      s.comment = std::string(trim(header));
    } else {
      for (auto& [key, value] : parse_header(header, file, header_line)) {
        const std::string lk = lower(key);
        if (lk == "lattice") {
          const auto v = parse_number_list(value, file, header_line, "a Lattice entry");
          if (v.size() != 9) {
            throw InputError(file, header_line,
                             fmt::format("Lattice needs 9 numbers (ax ay az bx by bz cx cy cz), "
                                         "got {}",
                                         v.size()));
          }
          for (int d = 0; d < 3; ++d) s.box.h[d] = {v[3 * d], v[3 * d + 1], v[3 * d + 2]};
          has_lattice = true;
        } else if (lk == "properties") {
          props = parse_properties(value, file, header_line);
        } else if (lk == "pbc") {
          const auto t = split_tokens(value);
          bool b[3] = {false, false, false};
          if (t.size() != 3 || !parse_bool(t[0], b[0]) || !parse_bool(t[1], b[1]) ||
              !parse_bool(t[2], b[2])) {
            throw InputError(file, header_line,
                             fmt::format("pbc=\"{}\": expected three of T/F", value));
          }
          if (b[0] != b[1] || b[1] != b[2]) {
            throw InputError(file, header_line,
                             fmt::format("pbc=\"{}\": partial periodicity is not supported; "
                                         "expected pbc=\"T T T\" or pbc=\"F F F\"",
                                         value));
          }
          has_pbc = true;
          pbc = b[0];
        } else if (key == "energy") {
          s.energy = parse_double(trim(value), file, header_line, "energy");
          s.has_energy = true;
        } else if (key == "virial") {
          const auto v = parse_number_list(value, file, header_line, "a virial entry");
          if (v.size() != 9) {
            throw InputError(
                file, header_line,
                fmt::format("virial needs 9 numbers (row-major 3x3), got {}", v.size()));
          }
          for (int a = 0; a < 3; ++a) {
            for (int c = 0; c < 3; ++c) s.virial[a][c] = v[3 * a + c];
          }
          s.has_virial = true;
        } else if (key == "charge") {
          s.charge = parse_double(trim(value), file, header_line, "the total charge");
        } else if (key == "comment") {
          s.comment = value;
        } else if (key == "set") {
          s.set = value;
        } else {
          s.info[key] = value;
        }
      }
    }
    if (has_pbc && pbc && !has_lattice) {
      throw InputError(file, header_line, "pbc=\"T T T\" without a Lattice=\"...\" entry");
    }
    s.box.periodic = has_pbc ? pbc : has_lattice;

    int ncol = 0;
    bool want_forces = false, want_vel = false, want_q = false;
    for (const auto& p : props) {
      ncol += p.count;
      want_forces |= p.role == Column::Forces;
      want_vel |= p.role == Column::Vel;
      want_q |= p.role == Column::Charges;
    }
    const auto n = static_cast<std::size_t>(natoms);
    if (k + 2 + n > lines.size()) {
      throw InputError(file, static_cast<long>(lines.size()) + 1,
                       fmt::format("frame starting at line {} declares {} atoms but the file ends "
                                   "after {}",
                                   count_line, natoms, lines.size() - (k + 2)));
    }
    s.species.resize(n);
    s.positions.resize(n);
    if (want_forces) s.forces.resize(n);
    if (want_vel) s.velocities.resize(n);
    if (want_q) s.charges.resize(n);
    for (std::size_t i = 0; i < n; ++i) {
      const long ln = static_cast<long>(k + 2 + i) + 1;
      const auto tok = split_tokens(lines[k + 2 + i]);
      if (tok.size() != static_cast<std::size_t>(ncol)) {
        throw InputError(file, ln,
                         fmt::format("atom line needs {} columns (Properties as declared in the "
                                     "header), got {}",
                                     ncol, tok.size()));
      }
      std::size_t c = 0;
      for (const auto& p : props) {
        auto vec = [&](const char* what) {
          return Vec3{parse_double(tok[c], file, ln, what),
                      parse_double(tok[c + 1], file, ln, what),
                      parse_double(tok[c + 2], file, ln, what)};
        };
        switch (p.role) {
          case Column::Species: {
            const int z = atomic_number(std::string(tok[c]));
            if (z == 0) {
              throw InputError(file, ln, fmt::format("unknown element symbol '{}'", tok[c]));
            }
            s.species[i] = z;
            break;
          }
          case Column::Z: {
            const long z = parse_long(tok[c], file, ln, "atomic number Z");
            if (z < 1 || z > 118) {
              throw InputError(file, ln, fmt::format("atomic number {} is not in 1..118", z));
            }
            s.species[i] = static_cast<int>(z);
            break;
          }
          case Column::Pos:
            s.positions[i] = vec("a position");
            break;
          case Column::Forces:
            s.forces[i] = vec("a force");
            break;
          case Column::Vel:
            s.velocities[i] = vec("a velocity");
            break;
          case Column::Charges:
            s.charges[i] = parse_double(tok[c], file, ln, "a charge");
            break;
          case Column::Skip:
            break;
        }
        c += static_cast<std::size_t>(p.count);
      }
    }
    out.push_back(std::move(s));
    k += 2 + n;
  }
  return out;
}

std::vector<Structure> read_extxyz(const std::string& path) {
  return parse_extxyz(detail::read_text_file(path), path);
}

void write_extxyz(std::ostream& os, const std::vector<Structure>& structures) {
  std::string buf;
  for (std::size_t k = 0; k < structures.size(); ++k) {
    const Structure& s = structures[k];
    const std::size_t n = s.size();
    if (s.species.size() != n || (!s.forces.empty() && s.forces.size() != n) ||
        (!s.charges.empty() && s.charges.size() != n) ||
        (!s.velocities.empty() && s.velocities.size() != n)) {
      fail(
          "structure {}: species/forces/charges/velocities sizes ({}/{}/{}/{}) do not match {} "
          "positions",
          k, s.species.size(), s.forces.size(), s.charges.size(), s.velocities.size(), n);
    }
    buf.clear();
    auto out = std::back_inserter(buf);
    fmt::format_to(out, "{}\n", n);
    bool has_cell = s.box.periodic;
    for (const Vec3& v : s.box.h) has_cell |= v.x != 0.0 || v.y != 0.0 || v.z != 0.0;
    if (has_cell) {
      const auto& h = s.box.h;
      fmt::format_to(out, "Lattice=\"{} {} {} {} {} {} {} {} {}\" ", h[0].x, h[0].y, h[0].z, h[1].x,
                     h[1].y, h[1].z, h[2].x, h[2].y, h[2].z);
    }
    fmt::format_to(out, "Properties=species:S:1:pos:R:3{}{}{}",
                   s.forces.empty() ? "" : ":forces:R:3", s.velocities.empty() ? "" : ":vel:R:3",
                   s.charges.empty() ? "" : ":charges:R:1");
    if (s.has_energy) fmt::format_to(out, " energy={}", s.energy);
    if (s.has_virial) {
      const auto& w = s.virial;
      fmt::format_to(out, " virial=\"{} {} {} {} {} {} {} {} {}\"", w[0][0], w[0][1], w[0][2],
                     w[1][0], w[1][1], w[1][2], w[2][0], w[2][1], w[2][2]);
    }
    if (s.charge != 0.0) fmt::format_to(out, " charge={}", s.charge);
    if (!s.set.empty()) fmt::format_to(out, " set={}", quote_if_needed(s.set));
    if (!s.comment.empty()) fmt::format_to(out, " comment={}", quote_if_needed(s.comment));
    for (const auto& [key, value] : s.info) {
      fmt::format_to(out, " {}={}", quote_if_needed(key), quote_if_needed(value));
    }
    fmt::format_to(out, " pbc=\"{}\"\n", s.box.periodic ? "T T T" : "F F F");
    for (std::size_t i = 0; i < n; ++i) {
      const Vec3& r = s.positions[i];
      fmt::format_to(out, "{:<2s} {} {} {}", element_symbol(s.species[i]), r.x, r.y, r.z);
      if (!s.forces.empty())
        fmt::format_to(out, " {} {} {}", s.forces[i].x, s.forces[i].y, s.forces[i].z);
      if (!s.velocities.empty()) {
        fmt::format_to(out, " {} {} {}", s.velocities[i].x, s.velocities[i].y, s.velocities[i].z);
      }
      if (!s.charges.empty()) fmt::format_to(out, " {}", s.charges[i]);
      buf.push_back('\n');
    }
    os.write(buf.data(), static_cast<std::streamsize>(buf.size()));
  }
}

}  // namespace vitrum::io
