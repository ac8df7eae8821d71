// libFuzzer target: netCDF-4 spectral images as xarray writes them (dimension scales, object
// references in DIMENSION_LIST) from files built from the bytes (fuzz/README.md).
#include "../fuzz_util.hpp"
#include "vitrum/spectra/spectrum_io.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  const std::string path = vitrum::fuzz::write_scratch("fuzz.nc", bytes);
  vitrum::spectra::ReadOptions options;
  options.energy_kind = vitrum::spectra::EnergyDeclared::FromFile;
  vitrum::fuzz::expect_clean([&] { vitrum::spectra::read_spectrum_netcdf(path, options); });
  return 0;
}
