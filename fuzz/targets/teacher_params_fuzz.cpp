// libFuzzer target: the teacher (BKS/TTAM) parameter TOML (fuzz/README.md).
#include "../fuzz_util.hpp"
#include "vitrum/teacher/teacher.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  vitrum::fuzz::expect_clean([&] { vitrum::teacher::parse_teacher_params(bytes, "teacher.toml"); });
  return 0;
}
