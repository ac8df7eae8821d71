#pragma once
/// \file elements.hpp
/// The periodic table as far as vitrum needs it: symbols, atomic numbers, standard masses (amu).

#include <string>

namespace vitrum {

/// Atomic number of an element symbol ("Si" -> 14); 0 when unknown.
int atomic_number(const std::string& symbol);
/// Element symbol of an atomic number (1..118); throws vitrum::Error when out of range.
const std::string& element_symbol(int z);
/// Standard atomic mass in amu (IUPAC conventional values) for Z = 1..118.
double standard_mass(int z);

}  // namespace vitrum
