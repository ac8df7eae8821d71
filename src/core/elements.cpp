/// \file elements.cpp
/// Element symbols and standard atomic masses for Z = 1..118.
///
/// Masses (amu) are the IUPAC 2013 standard atomic weights (Meija et al., Pure Appl. Chem. 88,
/// 265 (2016), Table 1); where IUPAC gives an interval (H, Li, B, C, N, O, Mg, Si, S, Cl, Br, Tl)
/// the conventional value of Table 3 is used, and for elements without a stable isotope (Tc, Pm,
/// Po..Ac, Np and beyond) the mass of the most stable isotope (Table 4). This is the same table
/// as ASE's `atomic_masses_iupac2016`, so masses agree with structures prepared in ASE.

#include "vitrum/core/elements.hpp"

#include <array>
#include <string>
#include <unordered_map>

#include "vitrum/core/error.hpp"

namespace vitrum {
namespace {

constexpr int kMaxZ = 118;

// Index 0 is a placeholder so that the arrays are indexed by Z directly.
const std::array<const char*, kMaxZ + 1> kSymbols = {
    "X",  "H",  "He", "Li", "Be", "B",  "C",  "N",  "O",  "F",  "Ne", "Na", "Mg", "Al", "Si",
    "P",  "S",  "Cl", "Ar", "K",  "Ca", "Sc", "Ti", "V",  "Cr", "Mn", "Fe", "Co", "Ni", "Cu",
    "Zn", "Ga", "Ge", "As", "Se", "Br", "Kr", "Rb", "Sr", "Y",  "Zr", "Nb", "Mo", "Tc", "Ru",
    "Rh", "Pd", "Ag", "Cd", "In", "Sn", "Sb", "Te", "I",  "Xe", "Cs", "Ba", "La", "Ce", "Pr",
    "Nd", "Pm", "Sm", "Eu", "Gd", "Tb", "Dy", "Ho", "Er", "Tm", "Yb", "Lu", "Hf", "Ta", "W",
    "Re", "Os", "Ir", "Pt", "Au", "Hg", "Tl", "Pb", "Bi", "Po", "At", "Rn", "Fr", "Ra", "Ac",
    "Th", "Pa", "U",  "Np", "Pu", "Am", "Cm", "Bk", "Cf", "Es", "Fm", "Md", "No", "Lr", "Rf",
    "Db", "Sg", "Bh", "Hs", "Mt", "Ds", "Rg", "Cn", "Nh", "Fl", "Mc", "Lv", "Ts", "Og"};

const std::array<double, kMaxZ + 1> kMasses = {
    0.0,           // placeholder
    1.008,         // H  (conventional; interval [1.00784, 1.00811])
    4.002602,      // He
    6.94,          // Li (conventional)
    9.0121831,     // Be
    10.81,         // B  (conventional)
    12.011,        // C  (conventional)
    14.007,        // N  (conventional)
    15.999,        // O  (conventional)
    18.998403163,  // F
    20.1797,       // Ne
    22.98976928,   // Na
    24.305,        // Mg (conventional)
    26.9815385,    // Al
    28.085,        // Si (conventional)
    30.973761998,  // P
    32.06,         // S  (conventional)
    35.45,         // Cl (conventional)
    39.948,        // Ar
    39.0983,       // K
    40.078,        // Ca
    44.955908,     // Sc
    47.867,        // Ti
    50.9415,       // V
    51.9961,       // Cr
    54.938044,     // Mn
    55.845,        // Fe
    58.933194,     // Co
    58.6934,       // Ni
    63.546,        // Cu
    65.38,         // Zn
    69.723,        // Ga
    72.630,        // Ge
    74.921595,     // As
    78.971,        // Se
    79.904,        // Br (conventional)
    83.798,        // Kr
    85.4678,       // Rb
    87.62,         // Sr
    88.90584,      // Y
    91.224,        // Zr
    92.90637,      // Nb
    95.95,         // Mo
    97.90721,      // Tc (98Tc)
    101.07,        // Ru
    102.90550,     // Rh
    106.42,        // Pd
    107.8682,      // Ag
    112.414,       // Cd
    114.818,       // In
    118.710,       // Sn
    121.760,       // Sb
    127.60,        // Te
    126.90447,     // I
    131.293,       // Xe
    132.90545196,  // Cs
    137.327,       // Ba
    138.90547,     // La
    140.116,       // Ce
    140.90766,     // Pr
    144.242,       // Nd
    144.91276,     // Pm (145Pm)
    150.36,        // Sm
    151.964,       // Eu
    157.25,        // Gd
    158.92535,     // Tb
    162.500,       // Dy
    164.93033,     // Ho
    167.259,       // Er
    168.93422,     // Tm
    173.054,       // Yb
    174.9668,      // Lu
    178.49,        // Hf
    180.94788,     // Ta
    183.84,        // W
    186.207,       // Re
    190.23,        // Os
    192.217,       // Ir
    195.084,       // Pt
    196.966569,    // Au
    200.592,       // Hg
    204.38,        // Tl (conventional)
    207.2,         // Pb
    208.98040,     // Bi
    208.98243,     // Po (209Po)
    209.98715,     // At (210At)
    222.01758,     // Rn (222Rn)
    223.01974,     // Fr (223Fr)
    226.02541,     // Ra (226Ra)
    227.02775,     // Ac (227Ac)
    232.0377,      // Th
    231.03588,     // Pa
    238.02891,     // U
    237.04817,     // Np (237Np)
    244.06421,     // Pu (244Pu)
    243.06138,     // Am (243Am)
    247.07035,     // Cm (247Cm)
    247.07031,     // Bk (247Bk)
    251.07959,     // Cf (251Cf)
    252.0830,      // Es (252Es)
    257.09511,     // Fm (257Fm)
    258.09843,     // Md (258Md)
    259.1010,      // No (259No)
    262.110,       // Lr (262Lr)
    267.122,       // Rf (267Rf)
    268.126,       // Db (268Db)
    271.134,       // Sg (271Sg)
    270.133,       // Bh (270Bh)
    269.1338,      // Hs (269Hs)
    278.156,       // Mt (278Mt)
    281.165,       // Ds (281Ds)
    281.166,       // Rg (281Rg)
    285.177,       // Cn (285Cn)
    286.182,       // Nh (286Nh)
    289.190,       // Fl (289Fl)
    289.194,       // Mc (289Mc)
    293.204,       // Lv (293Lv)
    293.208,       // Ts (293Ts)
    294.214,       // Og (294Og)
};

const std::unordered_map<std::string, int>& symbol_table() {
  static const std::unordered_map<std::string, int> table = [] {
    std::unordered_map<std::string, int> t;
    for (int z = 1; z <= kMaxZ; ++z) t.emplace(kSymbols[z], z);
    return t;
  }();
  return table;
}

const std::array<std::string, kMaxZ + 1>& symbol_strings() {
  static const std::array<std::string, kMaxZ + 1> strings = [] {
    std::array<std::string, kMaxZ + 1> s;
    for (int z = 0; z <= kMaxZ; ++z) s[z] = kSymbols[z];
    return s;
  }();
  return strings;
}

}  // namespace

int atomic_number(const std::string& symbol) {
  const auto& table = symbol_table();
  auto it = table.find(symbol);
  return it == table.end() ? 0 : it->second;
}

const std::string& element_symbol(int z) {
  if (z < 1 || z > kMaxZ) fail("atomic number {} is out of range: expected 1..{}", z, kMaxZ);
  return symbol_strings()[z];
}

double standard_mass(int z) {
  if (z < 1 || z > kMaxZ) fail("atomic number {} is out of range: expected 1..{}", z, kMaxZ);
  return kMasses[z];
}

}  // namespace vitrum
