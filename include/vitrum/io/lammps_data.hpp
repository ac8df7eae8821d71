#pragma once
/// \file lammps_data.hpp
/// LAMMPS data files (the `read_data` / `write_data` format) for `units metal`, atom styles
/// `atomic` (id type x y z) and `charge` (id type q x y z), each optionally followed by image
/// flags ix iy iz. One configuration per file.
///
/// Read: the title line (kept as Structure::comment); the header (`N atoms`, `N atom types`,
/// `xlo xhi`, `ylo yhi`, `zlo zhi`, optional `xy xz yz`; topology counts must be 0); sections
/// Masses, Atoms, Velocities (Pair Coeffs / PairIJ Coeffs are skipped). The cell is
/// a = (xhi−xlo, 0, 0), b = (xy, yhi−ylo, 0), c = (xz, yz, zhi−zlo), periodic in x, y and z;
/// positions are kept as written (xlo ylo zlo is remembered in Structure::info["lammps_origin"]
/// and written back), image flags are applied (r + ix a + iy b + iz c). Atoms are ordered by id.
/// The element of atom type t is, in order of precedence: options.type_elements[t−1]; the first
/// word of the Masses line's comment (`1 28.0855 # Si`); the element whose standard mass is
/// within 0.01 amu of the type's mass. Velocities in a metal data file are Å/ps and are converted
/// to vitrum's Å/fs (and back on writing) unless options.metal_velocities is false.
///
/// Write: a periodic cell in LAMMPS's orientation (a along x, b in the xy plane, right-handed);
/// a cell in any other orientation is rotated into it (positions and velocities with it). Types
/// are numbered by options.type_elements, or else by first appearance in the structure. Numbers
/// are written in the shortest form that reads back to the same double.
/// Every reader error names the file, the line and what was expected.

#include <iosfwd>
#include <string>
#include <string_view>
#include <vector>

#include "vitrum/core/structure.hpp"

namespace vitrum::io {

/// Options of the LAMMPS data reader and writer.
struct LammpsDataOptions {
  /// Element symbol of atom type 1, 2, ... (overrides Masses comments on reading, fixes the type
  /// numbering on writing). Empty: from the file (reading) or first appearance (writing).
  std::vector<std::string> type_elements;
  /// Atom style to write: "auto" (charge when the structure has a nonzero per-atom charge,
  /// else atomic), "atomic" or "charge".
  std::string atom_style = "auto";
  /// Velocities in the file are LAMMPS metal units (Å/ps) while vitrum's are Å/fs: convert.
  bool metal_velocities = true;
};

/// Reads a LAMMPS data file (gzip-compressed when the name ends in .gz).
Structure read_lammps_data(const std::string& path, const LammpsDataOptions& options = {});
/// Parses LAMMPS data text; `file` names the source in error messages.
Structure parse_lammps_data(std::string_view text, const std::string& file,
                            const LammpsDataOptions& options = {});
/// Writes one structure as a LAMMPS data file. Throws for a non-periodic or left-handed cell.
void write_lammps_data(std::ostream& os, const Structure& s, const LammpsDataOptions& options = {});

/// The LAMMPS orientation of a cell: h rows a = (lx, 0, 0), b = (xy, ly, 0), c = (xz, yz, lz)
/// with lx, ly, lz > 0, and the rotation R (rows) with r_lammps = R r. Throws for a left-handed
/// or degenerate cell.
struct LammpsCell {
  double lx, ly, lz, xy, xz, yz;  ///< Å
  Vec3 rot[3];
  bool rotated;  ///< false when the input already was in LAMMPS orientation (R = identity)
};
/// Computes the LAMMPS orientation of a periodic cell (see LammpsCell).
LammpsCell lammps_cell(const Box& box);

}  // namespace vitrum::io
