/// X-ray form factors and neutron lengths against an independent implementation: the
/// periodictable package (Debian python3-periodictable): its Cromer–Mann fits (International
/// Tables Vol. C) and its NIST/Sears coherent scattering lengths, evaluated by Python here.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "vitrum/analysis/structure_factor.hpp"
#include "vitrum/core/elements.hpp"

namespace {

using namespace vitrum;
using namespace vitrum::analysis;

// Runs Python with periodictable; returns stdout (the test fails when Python fails).
std::string python(const std::string& code) {
  const std::string cmd = "/usr/bin/python3 -c '" + code + "' 2>&1";
  std::unique_ptr<FILE, int (*)(FILE*)> p(popen(cmd.c_str(), "r"), pclose);
  std::string out;
  char buf[4096];
  while (p && fgets(buf, sizeof buf, p.get())) out += buf;
  const int rc = p ? pclose(p.release()) : -1;
  EXPECT_EQ(rc, 0) << out;
  return out;
}

const std::vector<std::string> kElements = {"H",  "Li", "B",  "C",  "N",  "O",  "Na",
                                            "Mg", "Al", "Si", "P",  "K",  "Ca", "Ti",
                                            "Fe", "Ge", "Zr", "Ba", "Pb", "U"};

TEST(FormFactor, MatchesCromerMannOfPeriodictableForManyElements) {
  std::string list;
  for (const auto& e : kElements) list += "\"" + e + "\",";
  const std::string out = python(
      "from periodictable import cromermann\n"
      "qs = [0.25 * k for k in range(101)]\n"
      "for e in [" +
      list +
      "]:\n"
      "    print(e, *cromermann.fxrayatq(e, qs))\n");
  std::istringstream in(out);
  std::string sym;
  int n_elements = 0;
  while (in >> sym) {
    const int z = atomic_number(sym);
    double worst = 0.0;
    for (int k = 0; k <= 100; ++k) {
      double f_cm = 0.0;
      ASSERT_TRUE(in >> f_cm) << sym;
      const double q = 0.25 * k;
      const double f = xray_form_factor(z, q);
      worst = std::max(worst, std::fabs(f - f_cm));
      // Two parametrisations of the same Hartree–Fock densities: 1.5% of Z at most (a q in
      // the wrong units, q/2π for q/4π say, is off by tens of percent).
      EXPECT_LE(std::fabs(f - f_cm), 0.015 * z) << sym << " q = " << q;
    }
    EXPECT_NEAR(xray_form_factor(z, 0.0), z, 2e-3 * z) << sym << ": f(0) = Z (neutral atom)";
    EXPECT_LT(xray_form_factor(z, 25.0), xray_form_factor(z, 2.0)) << sym;
    std::printf("  %-2s Z = %2d  max |f_xraylib - f_CromerMann| = %.4f e\n", sym.c_str(), z, worst);
    ++n_elements;
  }
  EXPECT_EQ(n_elements, static_cast<int>(kElements.size()));
}

TEST(FormFactor, NeutronLengthsMatchPeriodictable) {
  // Every element of vitrum's table (the error message lists them).
  const std::vector<std::string> table = {"H",  "Li", "B",  "C", "N", "O",  "Na",
                                          "Mg", "Al", "Si", "P", "K", "Ca", "Ge"};
  std::string list;
  for (const auto& e : table) list += "\"" + e + "\",";
  const std::string out = python(
      "import periodictable as pt\n"
      "for e in [" +
      list +
      "]:\n"
      "    print(e, getattr(pt, e).neutron.b_c)\n");
  std::istringstream in(out);
  std::string sym;
  int n = 0;
  while (in >> sym) {
    double b = 0.0;
    ASSERT_TRUE(in >> b) << sym;
    // periodictable carries later evaluations for H, C, O, Si (differences <= 0.0024 fm).
    EXPECT_NEAR(neutron_scattering_length(atomic_number(sym)), b, 0.003) << sym;
    ++n;
  }
  EXPECT_EQ(n, static_cast<int>(table.size()));
}

}  // namespace
