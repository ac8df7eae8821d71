// libFuzzer target: HDF5 spectrum images (NeXus/HyperSpy/vitrum layouts) from files built from the
// bytes (fuzz/README.md).
#include "../fuzz_util.hpp"
#include "vitrum/spectra/spectrum_io.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  const std::string path = vitrum::fuzz::write_scratch("fuzz.h5", bytes);
  vitrum::fuzz::expect_clean([&] { vitrum::spectra::read_spectrum_hdf5(path); });
  return 0;
}
