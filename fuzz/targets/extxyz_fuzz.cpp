// libFuzzer target: extended XYZ frames (header key=value pairs, Properties, Lattice)
// (fuzz/README.md).
#include "../fuzz_util.hpp"
#include "vitrum/io/structure_io.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  vitrum::fuzz::expect_clean([&] { vitrum::io::parse_extxyz(bytes, "fuzz.xyz"); });
  return 0;
}
