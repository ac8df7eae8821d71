#include "vitrum/core/units.hpp"

#include "vitrum/core/error.hpp"

namespace vitrum::units {

double length_in_angstrom(const std::string& n) {
  if (n == "angstrom" || n == "Angstrom" || n == "A" || n == "Å") return 1.0;
  if (n == "bohr" || n == "Bohr" || n == "a0") return kBohr;
  if (n == "nm") return 10.0;
  fail("unknown length unit '{}': expected angstrom, bohr or nm", n);
}

double energy_in_ev(const std::string& n) {
  if (n == "eV" || n == "ev") return 1.0;
  if (n == "Hartree" || n == "hartree" || n == "Ha") return kHartree;
  if (n == "Ry" || n == "Rydberg") return kRydberg;
  if (n == "kcal/mol") return kKcalPerMol;
  if (n == "kJ/mol") return kKjPerMol;
  fail("unknown energy unit '{}': expected eV, Hartree, Ry, kcal/mol or kJ/mol", n);
}

}  // namespace vitrum::units
