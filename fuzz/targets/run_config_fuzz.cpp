// libFuzzer target: the vitrum run campaign TOML (fuzz/README.md).
#include "../fuzz_util.hpp"
#include "vitrum/md/run_config.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  vitrum::fuzz::expect_clean(
      [&] { vitrum::md::parse_run_config_text(bytes, "run.toml", vitrum::fuzz::scratch_dir()); });
  return 0;
}
