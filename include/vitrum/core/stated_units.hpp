#pragma once
/// \file stated_units.hpp
/// The units a potential directory states: `vitrum train` writes "# units of the training data:
/// energy eV, length angstrom" among input.nn's first comment lines; n2p2's own files state none.
/// The LAMMPS plugin and the Python package check the units they are asked to use against them.

#include <string>

namespace vitrum::units {

struct StatedUnits {
  std::string energy_name, length_name;  ///< as written in input.nn
  double ev = 0.0, angstrom = 0.0;       ///< eV / Å per potential unit; 0 when none is stated
  bool stated() const { return ev > 0.0; }
};

/// The units stated in DIRECTORY/input.nn (none when the file states none or cannot be read:
/// loading the potential reports a missing file). A stated unit name that is not known is an
/// error naming the file and line.
StatedUnits read_stated_units(const std::string& directory);

}  // namespace vitrum::units
