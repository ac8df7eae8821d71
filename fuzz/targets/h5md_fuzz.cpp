// libFuzzer target: H5MD trajectories (HDF5) from files built from the bytes (fuzz/README.md).
#include "../fuzz_util.hpp"
#include "vitrum/io/h5md.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  const std::string path = vitrum::fuzz::write_scratch("traj.h5", bytes);
  vitrum::fuzz::expect_clean([&] { vitrum::io::read_h5md(path); });
  return 0;
}
