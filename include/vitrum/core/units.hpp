#pragma once
/// \file units.hpp
/// vitrum's units: Å, eV, fs, amu, K, bar (GPa in summaries). Conversions of the units that
/// potential files come in, by name, and the constants MD needs (CODATA 2018).

#include <string>

namespace vitrum::units {

constexpr double kBohr = 0.529177210903;       ///< Å per bohr
constexpr double kHartree = 27.211386245988;   ///< eV per Hartree
constexpr double kRydberg = 13.605693122994;   ///< eV per Rydberg
constexpr double kKcalPerMol = 0.0433641043;   ///< eV per kcal/mol
constexpr double kKjPerMol = 0.0103642688;     ///< eV per kJ/mol
constexpr double kBoltzmann = 8.617333262e-5;  ///< eV / K
/// amu Å^2 / fs^2 in eV: E[eV] = kMvv2e * m[amu] * v[Å/fs]^2
constexpr double kMvv2e = 103.6426965268;
/// eV/Å^3 in bar
constexpr double kEvPerA3ToBar = 1602176.634;

/// Å per unit of a length name: "angstrom"/"A"/"Å", "bohr", "nm". Throws vitrum::Error naming
/// the accepted names otherwise.
double length_in_angstrom(const std::string& name);
/// eV per unit of an energy name: "eV", "Hartree"/"Ha", "Ry", "kcal/mol", "kJ/mol".
double energy_in_ev(const std::string& name);

}  // namespace vitrum::units
