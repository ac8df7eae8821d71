#include "vitrum/core/stated_units.hpp"

#include <fstream>
#include <regex>

#include "vitrum/core/error.hpp"
#include "vitrum/core/units.hpp"

namespace vitrum::units {

StatedUnits read_stated_units(const std::string& directory) {
  StatedUnits u;
  const std::string path = directory + "/input.nn";
  std::ifstream in(path);
  const std::regex re(R"(units of the training data:\s*energy\s+([^,\s]+),\s*length\s+(\S+))");
  std::string line;
  for (int k = 0; k < 20 && std::getline(in, line); ++k) {
    std::smatch m;
    if (line.empty() || line[0] != '#' || !std::regex_search(line, m, re)) continue;
    u.energy_name = m[1];
    u.length_name = m[2];
    try {
      u.ev = energy_in_ev(u.energy_name);
      u.angstrom = length_in_angstrom(u.length_name);
    } catch (const Error& e) {
      fail("{}:{}: the stated units: {}", path, k + 1, e.what());
    }
    break;
  }
  return u;
}

}  // namespace vitrum::units
