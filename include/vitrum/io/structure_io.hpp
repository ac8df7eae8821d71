#pragma once
/// \file structure_io.hpp
/// Readers and writers for structure files.
///
/// - n2p2 input.data: begin/comment/lattice×3/atom x y z Sym q n fx fy fz/energy/charge/end, any
///   line order within a block; many structures per file; 0 or 3 lattice lines.
/// - extended XYZ (ASE dialect): Lattice="...", Properties=species:S:1:pos:R:3[:forces:R:3...],
///   energy=..., pbc="T T T"; many frames per file.
/// The format is chosen by extension: *.data (n2p2), *.xyz / *.extxyz (extxyz); a trailing .gz
/// is decompressed on read. Positions are kept as written (not wrapped into the cell).
/// Every reader error names the file, the line and what was expected.

#include <iosfwd>
#include <string>
#include <string_view>
#include <vector>

#include "vitrum/core/structure.hpp"

namespace vitrum::io {

enum class StructureFormat { N2p2, ExtXyz, LammpsData };

/// Format from a file name's extension; throws vitrum::Error for an unknown extension.
StructureFormat structure_format_from_path(const std::string& path);

/// Reads every structure of a file (format chosen by extension).
std::vector<Structure> read_structures(const std::string& path);
/// Writes structures atomically (temporary name, then rename), format chosen by extension.
void write_structures(const std::string& path, const std::vector<Structure>& structures);

/// Reads an n2p2 input.data file (gzip-compressed when the name ends in .gz).
std::vector<Structure> read_n2p2_data(const std::string& path);
/// Parses n2p2 input.data text; `file` names the source in error messages.
std::vector<Structure> parse_n2p2_data(std::string_view text, const std::string& file);
/// Writes n2p2 input.data blocks with %24.16E numbers (exact round trip). Per-atom charges and
/// forces default to 0 when absent; `energy` is written only when has_energy.
void write_n2p2_data(std::ostream& os, const std::vector<Structure>& structures);
/// Reads an extended XYZ file (gzip-compressed when the name ends in .gz).
std::vector<Structure> read_extxyz(const std::string& path);
/// Parses extended XYZ text; `file` names the source in error messages.
std::vector<Structure> parse_extxyz(std::string_view text, const std::string& file);
/// Writes extended XYZ frames (ASE dialect) with shortest exact number formatting.
void write_extxyz(std::ostream& os, const std::vector<Structure>& structures);

}  // namespace vitrum::io
