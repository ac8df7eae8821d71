/// \file structure_io.cpp
/// Format dispatch by extension, atomic writes and structure validation.

#include "vitrum/io/structure_io.hpp"

#include <cmath>
#include <sstream>

#include "vitrum/core/atomic_file.hpp"
#include "vitrum/core/elements.hpp"
#include "vitrum/core/error.hpp"
#include "vitrum/core/output_guard.hpp"
#include "vitrum/io/lammps_data.hpp"

namespace vitrum::io {
namespace {

std::string lower_extension(const std::string& path, std::string* stem) {
  const std::size_t slash = path.find_last_of('/');
  const std::size_t dot = path.find_last_of('.');
  if (dot == std::string::npos || (slash != std::string::npos && dot < slash)) {
    if (stem != nullptr) *stem = path;
    return "";
  }
  if (stem != nullptr) *stem = path.substr(0, dot);
  std::string ext = path.substr(dot);
  for (char& c : ext) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return ext;
}

}  // namespace

StructureFormat structure_format_from_path(const std::string& path) {
  std::string stem;
  std::string ext = lower_extension(path, &stem);
  if (ext == ".gz") ext = lower_extension(stem, nullptr);  // input.data.gz -> .data
  if (ext == ".data") return StructureFormat::N2p2;
  if (ext == ".xyz" || ext == ".extxyz") return StructureFormat::ExtXyz;
  if (ext == ".lmp" || ext == ".lammps") return StructureFormat::LammpsData;
  fail(
      "{}: cannot tell the structure format from the extension '{}': expected .data (n2p2), "
      ".xyz / .extxyz (extended XYZ) or .lmp / .lammps (LAMMPS data), optionally followed by .gz",
      path, ext);
}

std::vector<Structure> read_structures(const std::string& path) {
  switch (structure_format_from_path(path)) {
    case StructureFormat::N2p2:
      return read_n2p2_data(path);
    case StructureFormat::ExtXyz:
      return read_extxyz(path);
    case StructureFormat::LammpsData:
      break;
  }
  return {read_lammps_data(path)};
}

void write_structures(const std::string& path, const std::vector<Structure>& structures) {
  checked_output_target(path);  // refuse a special file before formatting the text
  const StructureFormat format = structure_format_from_path(path);
  if (format == StructureFormat::LammpsData && structures.size() != 1)
    fail("{}: a LAMMPS data file holds exactly one structure; got {}", path, structures.size());
  if (lower_extension(path, nullptr) == ".gz") {
    fail("{}: writing compressed files is not supported; drop the .gz", path);
  }
  std::ostringstream ss;
  if (format == StructureFormat::N2p2) {
    write_n2p2_data(ss, structures);
  } else if (format == StructureFormat::LammpsData) {
    try {
      write_lammps_data(ss, structures.front());
    } catch (const Error& e) {
      fail("{}: {}", path, e.what());
    }
  } else {
    write_extxyz(ss, structures);
  }
  const std::string text = std::move(ss).str();

  write_file_atomic(path, text);
}

}  // namespace vitrum::io
