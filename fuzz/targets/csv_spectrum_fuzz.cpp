// libFuzzer target: CSV/text spectra (fuzz/README.md).
#include "../fuzz_util.hpp"
#include "vitrum/spectra/spectrum_io.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  const std::string path = vitrum::fuzz::write_scratch("fuzz.csv", bytes);
  vitrum::fuzz::expect_clean([&] { vitrum::spectra::read_spectrum_csv(path); });
  return 0;
}
