// libFuzzer target: LAMMPS data files (header counts, Masses, Atoms in every style)
// (fuzz/README.md).
#include "../fuzz_util.hpp"
#include "vitrum/io/lammps_data.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  vitrum::fuzz::expect_clean([&] { vitrum::io::parse_lammps_data(bytes, "fuzz.lmp"); });
  return 0;
}
