// libFuzzer target: the vitrum spectra synth TOML (read from a file) (fuzz/README.md).
#include "../fuzz_util.hpp"
#include "vitrum/spectra/synth.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  const std::string path = vitrum::fuzz::write_scratch("synth.toml", bytes);
  vitrum::fuzz::expect_clean([&] { vitrum::spectra::load_synth_config(path); });
  return 0;
}
