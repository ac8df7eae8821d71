#include "vitrum/core/elements.hpp"

#include <gtest/gtest.h>

#include <set>
#include <string>

#include "vitrum/core/error.hpp"

using namespace vitrum;

TEST(Elements, SymbolsAndAtomicNumbersRoundTrip) {
  std::set<std::string> seen;
  for (int z = 1; z <= 118; ++z) {
    const std::string& sym = element_symbol(z);
    EXPECT_EQ(atomic_number(sym), z) << sym;
    EXPECT_TRUE(seen.insert(sym).second) << "duplicate symbol " << sym;
  }
  EXPECT_EQ(atomic_number("H"), 1);
  EXPECT_EQ(atomic_number("O"), 8);
  EXPECT_EQ(atomic_number("Si"), 14);
  EXPECT_EQ(atomic_number("Cu"), 29);
  EXPECT_EQ(atomic_number("Og"), 118);
  EXPECT_EQ(element_symbol(26), "Fe");
  EXPECT_EQ(element_symbol(74), "W");
}

TEST(Elements, UnknownSymbolsAreZeroAndBadNumbersThrow) {
  EXPECT_EQ(atomic_number("Xx"), 0);
  EXPECT_EQ(atomic_number("si"), 0);  // symbols are case sensitive, as in n2p2
  EXPECT_EQ(atomic_number(""), 0);
  EXPECT_EQ(atomic_number("X"), 0);
  EXPECT_THROW(element_symbol(0), Error);
  EXPECT_THROW(element_symbol(119), Error);
  EXPECT_THROW(standard_mass(0), Error);
  EXPECT_THROW(standard_mass(-3), Error);
}

TEST(Elements, StandardMassesAreIupacConventionalValues) {
  EXPECT_DOUBLE_EQ(standard_mass(1), 1.008);
  EXPECT_DOUBLE_EQ(standard_mass(6), 12.011);
  EXPECT_DOUBLE_EQ(standard_mass(8), 15.999);
  EXPECT_DOUBLE_EQ(standard_mass(10), 20.1797);
  EXPECT_DOUBLE_EQ(standard_mass(14), 28.085);
  EXPECT_DOUBLE_EQ(standard_mass(16), 32.06);
  EXPECT_DOUBLE_EQ(standard_mass(29), 63.546);
  EXPECT_DOUBLE_EQ(standard_mass(79), 196.966569);
  EXPECT_DOUBLE_EQ(standard_mass(92), 238.02891);
  for (int z = 1; z <= 118; ++z) {
    // Every nucleus is heavier than its protons alone and no element exceeds 300 amu.
    EXPECT_GT(standard_mass(z), z) << element_symbol(z);
    EXPECT_LT(standard_mass(z), 300.0) << element_symbol(z);
    // Masses grow with Z except for a handful of well-known inversions (Ar/K, Co/Ni, Te/I, ...),
    // none larger than 1.1 amu.
    if (z > 1) EXPECT_GT(standard_mass(z), standard_mass(z - 1) - 1.1) << element_symbol(z);
  }
}
