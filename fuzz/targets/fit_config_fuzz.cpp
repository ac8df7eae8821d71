// libFuzzer target: the vitrum spectra fit TOML (fuzz/README.md).
#include "../fuzz_util.hpp"
#include "vitrum/spectra/fit.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  vitrum::fuzz::expect_clean(
      [&] { vitrum::spectra::parse_fit_config(std::string(bytes), "fit.toml"); });
  return 0;
}
