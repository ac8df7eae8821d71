#pragma once
// Shared helpers of the NNP tests: the n2p2 reference cases and comparison tolerances.
#include <zlib.h>

#include <cstdio>
#include <filesystem>
#include <ostream>
#include <string>
#include <vector>

#include "../test_paths.hpp"

namespace vitrum::test {

/// A potential directory and a file of structures with n2p2's predictions for them.
struct ReferenceCase {
  std::string name, potential, reference;
  bool has_forces = true;  ///< nnp-dataset's reference.output.data carries energies only
};
/// Prints the case name (test listings, ctest names) instead of the object's bytes.
inline void PrintTo(const ReferenceCase& c, std::ostream* os) {
  *os << c.name;
}

/// Every shipped n2p2 reference: outputs/<name> (nnp-predict, first structure), their
/// dataset/ (nnp-dataset over several structures) and synthetic/<name> (feature coverage).
inline std::vector<ReferenceCase> reference_cases() {
  namespace fs = std::filesystem;
  std::vector<ReferenceCase> cases;
  const std::string root = n2p2_dir();
  for (const auto& d : fs::directory_iterator(root + "/outputs")) {
    const std::string name = d.path().filename();
    const std::string pot = root + "/potentials/" + name;
    cases.push_back({name, pot, d.path().string() + "/output.data"});
    if (fs::exists(d.path() / "dataset/output.data"))
      cases.push_back({name + "_dataset", pot, (d.path() / "dataset/output.data").string()});
  }
  for (const auto& d : fs::directory_iterator(root + "/synthetic")) {
    const std::string name = d.path().filename();
    cases.push_back({name + "_dataset", d.path().string(),
                     d.path().string() + "/reference.output.data", false});
    cases.push_back(
        {name + "_predict1", d.path().string(), d.path().string() + "/predict1/output.data"});
  }
  std::sort(cases.begin(), cases.end(),
            [](const ReferenceCase& a, const ReferenceCase& b) { return a.name < b.name; });
  return cases;
}

/// Decompresses a .gz file into a temporary file with the given suffix; returns its path.
inline std::string gunzip_to_temp(const std::string& path, const std::string& suffix) {
  const std::string out = (std::filesystem::temp_directory_path() /
                           ("vitrum_test_" + std::to_string(::getpid()) + suffix))
                              .string();
  gzFile in = gzopen(path.c_str(), "rb");
  if (!in) return "";
  FILE* f = std::fopen(out.c_str(), "wb");
  char buf[1 << 16];
  int n;
  while ((n = gzread(in, buf, sizeof buf)) > 0) std::fwrite(buf, 1, n, f);
  gzclose(in);
  std::fclose(f);
  return out;
}

}  // namespace vitrum::test
