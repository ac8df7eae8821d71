/// \file n2p2_data.cpp
/// n2p2 input.data reader and writer.
///
/// Grammar (one block per structure, any line order inside a block, leading whitespace allowed):
///   begin [set=train|set=test]
///   comment <free text>
///   lattice ax ay az          (exactly 0 or 3 lattice lines: isolated or fully periodic)
///   atom x y z Sym q n fx fy fz
///   energy E
///   charge Q
///   end
/// Positions are kept as written (not wrapped); the ghost builder wraps. The writer uses n2p2's
/// own output.data layout (%24.16E, 17 significant digits), so values round-trip exactly.

#include <cmath>
#include <ostream>

#include "text_parse.hpp"
#include "vitrum/core/elements.hpp"
#include "vitrum/core/error.hpp"
#include "vitrum/io/structure_io.hpp"

namespace vitrum::io {
namespace {

using detail::parse_double;
using detail::split_lines;
using detail::split_tokens;
using detail::trim;

constexpr const char* kAtomSyntax = "x y z element charge n fx fy fz";

struct BlockState {
  Structure s;
  long begin_line = 0;
  int n_lattice = 0;
  bool has_charge = false;
};

void finish_block(BlockState& b, const std::string& file, long end_line,
                  std::vector<Structure>& out) {
  if (b.n_lattice != 0 && b.n_lattice != 3) {
    throw InputError(file, end_line,
                     fmt::format("structure beginning at line {} has {} lattice line(s); expected "
                                 "exactly 0 (isolated) or 3 (periodic)",
                                 b.begin_line, b.n_lattice));
  }
  if (b.s.positions.empty()) {
    throw InputError(
        file, end_line,
        fmt::format("structure beginning at line {} has no `atom` lines", b.begin_line));
  }
  b.s.box.periodic = b.n_lattice == 3;
  out.push_back(std::move(b.s));
}

}  // namespace

std::vector<Structure> parse_n2p2_data(std::string_view text, const std::string& file) {
  std::vector<Structure> out;
  const auto lines = split_lines(text);
  bool in_block = false;
  BlockState b;
  for (std::size_t k = 0; k < lines.size(); ++k) {
    const long ln = static_cast<long>(k) + 1;
    const auto tok = split_tokens(lines[k]);
    if (tok.empty()) continue;
    const std::string_view key = tok[0];
    if (!in_block) {
      if (key != "begin") {
        throw InputError(file, ln,
                         fmt::format("expected `begin` to start a structure, got `{}`", key));
      }
    }
    if (key == "begin") {
      if (in_block) {
        throw InputError(file, ln,
                         fmt::format("`begin` inside the structure that begins at line {}: "
                                     "missing `end` before it",
                                     b.begin_line));
      }
      b = BlockState{};
      b.begin_line = ln;
      b.s.line = ln;
      in_block = true;
      for (std::size_t t = 1; t < tok.size(); ++t) {
        if (tok[t] == "set=train") {
          b.s.set = "train";
        } else if (tok[t] == "set=test") {
          b.s.set = "test";
        } else {
          throw InputError(file, ln,
                           fmt::format("unexpected `{}` after `begin`: expected nothing, "
                                       "`set=train` or `set=test`",
                                       tok[t]));
        }
      }
    } else if (key == "comment") {
      // As n2p2: everything after "comment" and one separator, spacing kept verbatim.
      std::string_view rest = lines[k];
      rest.remove_prefix(static_cast<std::size_t>(key.data() + key.size() - lines[k].data()));
      if (!rest.empty()) rest.remove_prefix(1);
      b.s.comment = std::string(rest);
    } else if (key == "lattice") {
      if (tok.size() != 4) {
        throw InputError(
            file, ln,
            fmt::format("lattice line needs 4 tokens: lattice x y z, got {}", tok.size()));
      }
      if (b.n_lattice == 3) {
        throw InputError(file, ln,
                         fmt::format("fourth lattice line in the structure that begins at line {}: "
                                     "expected exactly 0 or 3",
                                     b.begin_line));
      }
      Vec3& v = b.s.box.h[b.n_lattice++];
      v.x = parse_double(tok[1], file, ln, "lattice x");
      v.y = parse_double(tok[2], file, ln, "lattice y");
      v.z = parse_double(tok[3], file, ln, "lattice z");
    } else if (key == "atom") {
      if (tok.size() != 10) {
        throw InputError(
            file, ln,
            fmt::format("atom line needs 10 tokens: {}, got {}", kAtomSyntax, tok.size()));
      }
      const std::string sym(tok[4]);
      const int z = atomic_number(sym);
      if (z == 0) {
        throw InputError(
            file, ln,
            fmt::format("unknown element symbol '{}' (token 5 of `atom {}`)", sym, kAtomSyntax));
      }
      Vec3 r{parse_double(tok[1], file, ln, "atom x"), parse_double(tok[2], file, ln, "atom y"),
             parse_double(tok[3], file, ln, "atom z")};
      const double q = parse_double(tok[5], file, ln, "atom charge");
      parse_double(tok[6], file, ln, "atom n (unused column 6)");
      Vec3 f{parse_double(tok[7], file, ln, "atom fx"), parse_double(tok[8], file, ln, "atom fy"),
             parse_double(tok[9], file, ln, "atom fz")};
      b.s.species.push_back(z);
      b.s.positions.push_back(r);
      b.s.charges.push_back(q);
      b.s.forces.push_back(f);
    } else if (key == "energy" || key == "charge") {
      if (tok.size() != 2) {
        throw InputError(
            file, ln,
            fmt::format("{} line needs 2 tokens: {} <value>, got {}", key, key, tok.size()));
      }
      const bool is_energy = key == "energy";
      if (is_energy ? b.s.has_energy : b.has_charge) {
        throw InputError(file, ln,
                         fmt::format("second `{}` line in the structure that begins at line {}",
                                     key, b.begin_line));
      }
      const double v = parse_double(tok[1], file, ln, is_energy ? "energy" : "total charge");
      if (is_energy) {
        b.s.energy = v;
        b.s.has_energy = true;
      } else {
        b.s.charge = v;
        b.has_charge = true;
      }
    } else if (key == "end") {
      if (tok.size() != 1) {
        throw InputError(file, ln, fmt::format("unexpected `{}` after `end`", tok[1]));
      }
      finish_block(b, file, ln, out);
      in_block = false;
    } else {
      throw InputError(file, ln,
                       fmt::format("unknown keyword `{}`: expected begin, comment, lattice, atom, "
                                   "energy, charge or end",
                                   key));
    }
  }
  if (in_block) {
    throw InputError(file, b.begin_line,
                     "missing `end` for the structure that begins here (reached end of file)");
  }
  return out;
}

std::vector<Structure> read_n2p2_data(const std::string& path) {
  return parse_n2p2_data(detail::read_text_file(path), path);
}

void write_n2p2_data(std::ostream& os, const std::vector<Structure>& structures) {
  std::string buf;
  for (std::size_t k = 0; k < structures.size(); ++k) {
    const Structure& s = structures[k];
    const std::size_t n = s.size();
    if (s.species.size() != n || (!s.forces.empty() && s.forces.size() != n) ||
        (!s.charges.empty() && s.charges.size() != n)) {
      fail("structure {}: species/forces/charges sizes ({}/{}/{}) do not match {} positions", k,
           s.species.size(), s.forces.size(), s.charges.size(), n);
    }
    buf.clear();
    auto out = std::back_inserter(buf);
    fmt::format_to(out, "begin{}\n", s.set.empty() ? "" : " set=" + s.set);
    if (!s.comment.empty()) {
      std::string c = s.comment;
      for (char& ch : c) {
        if (ch == '\n' || ch == '\r') ch = ' ';
      }
      fmt::format_to(out, "comment {}\n", c);
    }
    if (s.box.periodic) {
      for (const Vec3& v : s.box.h) {
        fmt::format_to(out, "lattice {:24.16E} {:24.16E} {:24.16E}\n", v.x, v.y, v.z);
      }
    }
    for (std::size_t i = 0; i < n; ++i) {
      const Vec3& r = s.positions[i];
      const Vec3 f = s.forces.empty() ? Vec3{0, 0, 0} : s.forces[i];
      const double q = s.charges.empty() ? 0.0 : s.charges[i];
      fmt::format_to(out,
                     "atom {:24.16E} {:24.16E} {:24.16E} {:>2s} {:24.16E} {:24.16E} {:24.16E} "
                     "{:24.16E} {:24.16E}\n",
                     r.x, r.y, r.z, element_symbol(s.species[i]), q, 0.0, f.x, f.y, f.z);
    }
    if (s.has_energy) fmt::format_to(out, "energy {:24.16E}\n", s.energy);
    fmt::format_to(out, "charge {:24.16E}\nend\n", s.charge);
    os.write(buf.data(), static_cast<std::streamsize>(buf.size()));
  }
}

}  // namespace vitrum::io
