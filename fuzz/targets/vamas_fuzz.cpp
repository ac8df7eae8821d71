// libFuzzer target: VAMAS (ISO 14976) spectra (fuzz/README.md).
#include "../fuzz_util.hpp"
#include "vitrum/spectra/spectrum_io.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  const std::string path = vitrum::fuzz::write_scratch("fuzz.vms", bytes);
  vitrum::fuzz::expect_clean([&] { vitrum::spectra::read_vamas(path); });
  return 0;
}
