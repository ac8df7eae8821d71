// libFuzzer target: the vitrum train TOML (fuzz/README.md).
#include "../fuzz_util.hpp"
#include "vitrum/train/train_config.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  vitrum::fuzz::expect_clean([&] {
    vitrum::train::parse_train_config(std::string(bytes), "train.toml",
                                      vitrum::fuzz::scratch_dir());
  });
  return 0;
}
