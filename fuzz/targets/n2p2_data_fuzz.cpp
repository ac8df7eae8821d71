// libFuzzer target: n2p2 input.data (begin/comment/lattice/atom/energy/charge/end)
// (fuzz/README.md).
#include "../fuzz_util.hpp"
#include "vitrum/io/structure_io.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  vitrum::fuzz::expect_clean([&] { vitrum::io::parse_n2p2_data(bytes, "input.data"); });
  return 0;
}
