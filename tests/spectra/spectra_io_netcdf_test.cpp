// netCDF-4 spectral images written by real xarray (Debian's python3-xarray with the netcdf4 and
// h5netcdf engines): every dimension order, the three energy-axis kinds, conversions, and bad
// files with clear errors.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "vitrum/core/error.hpp"
#include "vitrum/spectra/spectrum_io.hpp"

namespace vs = vitrum::spectra;
namespace fs = std::filesystem;

namespace {

fs::path scratch() {
  const fs::path p = fs::temp_directory_path() / ("vitrum_spio_nc_" + std::to_string(getpid()));
  fs::create_directories(p);
  return p;
}

/// Removes the scratch directory when the test program ends.
struct RemoveScratch {
  ~RemoveScratch() {
    std::error_code ec;
    fs::remove_all(scratch(), ec);
  }
} remove_scratch;

/// Runs a script with Debian's python3 and xarray (scripts/setup.sh installs python3-xarray,
/// -netcdf4, -h5netcdf); a missing module fails the test (exit 3) instead of skipping it.
int run_xarray(const std::string& name, const std::string& body) {
  const std::string script = (scratch() / (name + ".py")).string();
  std::ofstream(script) << "import sys\ntry:\n    import numpy as np, xarray as xr, netCDF4, "
                           "h5netcdf\nexcept ImportError as e:\n    print('missing:', e)\n    "
                           "sys.exit(3)\nd = '"
                        << scratch().string() << "'\n"
                        << body;
  return std::system(("/usr/bin/python3 " + script).c_str());
}

/// The cube all files hold: value(y, x, c) = 1000 y + 100 x + c on an energy axis e_c.
const char* kMakeCube = R"PY(
ny, nx, ne = 3, 4, 6
e = 280.0 + 0.5 * np.arange(ne)
v = (1000.0 * np.arange(ny)[:, None, None] + 100.0 * np.arange(nx)[None, :, None]
     + np.arange(ne)[None, None, :]).astype('f4')
def cube(ename='energy', eattrs=None, attrs=None, name='W4f'):
    return xr.DataArray(v, dims=('y', 'x', ename),
                        coords={ename: (ename, e, eattrs or {'units': 'eV'}),
                                'y': ('y', 2.0 * np.arange(ny), {'units': 'um'}),
                                'x': ('x', 0.5 + np.arange(nx), {'units': 'um'})},
                        name=name, attrs=attrs or {})
)PY";

void expect_cube(const vs::SpectrumImage& im, bool energy_reversed) {
  ASSERT_EQ(im.ny, 3);
  ASSERT_EQ(im.nx, 4);
  ASSERT_EQ(im.channels(), 6);
  for (int i = 1; i < 6; ++i) EXPECT_GT(im.energy[i], im.energy[i - 1]);
  for (int y = 0; y < 3; ++y)
    for (int x = 0; x < 4; ++x)
      for (int c = 0; c < 6; ++c) {
        const int stored = energy_reversed ? 5 - c : c;
        EXPECT_EQ(im.spectrum(y * 4 + x)[c], 1000.0f * y + 100.0f * x + stored)
            << "y " << y << " x " << x << " c " << c;
      }
  ASSERT_EQ(im.navigation.size(), 2u);
  EXPECT_EQ(im.navigation[0].name, "y");
  EXPECT_DOUBLE_EQ(im.navigation[0].scale, 2.0);
  EXPECT_EQ(im.navigation[1].name, "x");
  EXPECT_DOUBLE_EQ(im.navigation[1].offset, 0.5);
  EXPECT_EQ(im.navigation[1].units, "um");
}

template <typename F>
void expect_error(F&& f, std::initializer_list<std::string> parts) {
  try {
    f();
    ADD_FAILURE() << "no exception thrown";
  } catch (const vitrum::Error& e) {
    const std::string msg = e.what();
    for (const auto& p : parts)
      EXPECT_NE(msg.find(p), std::string::npos) << "'" << p << "' not in: " << msg;
  }
}

}  // namespace

TEST(SpectraNetcdf, EveryDimensionOrderAndBothEngines) {
  ASSERT_EQ(run_xarray("orders", std::string(kMakeCube) + R"PY(
import itertools
for i, order in enumerate(itertools.permutations(('y', 'x', 'energy'))):
    da = cube(attrs={'energy_axis': 'binding'}).transpose(*order)
    da.to_netcdf(f'{d}/order{i}_nc4.nc', engine='netcdf4')
    da.to_netcdf(f'{d}/order{i}_h5.nc', engine='h5netcdf')
)PY"),
            0);
  for (int i = 0; i < 6; ++i)
    for (const char* engine : {"nc4", "h5"}) {
      SCOPED_TRACE(std::to_string(i) + engine);
      const auto path = (scratch() / ("order" + std::to_string(i) + "_" + engine + ".nc")).string();
      EXPECT_EQ(vs::detect_spectrum_format(path), vs::SpectrumFormat::NetCdf);
      const auto images = vs::read_spectra(path);
      ASSERT_EQ(images.size(), 1u);
      EXPECT_EQ(images[0].name, "W4f");
      EXPECT_EQ(images[0].energy_kind, vs::EnergyKind::Binding);
      EXPECT_DOUBLE_EQ(images[0].energy.front(), 280.0);
      expect_cube(images[0], false);
    }
}

TEST(SpectraNetcdf, ThreeAxisKindsAndConversions) {
  ASSERT_EQ(run_xarray("kinds", std::string(kMakeCube) + R"PY(
cube('kinetic_energy', attrs={'hv': 1486.6, 'work_function': 4.5}).to_netcdf(f'{d}/ke.nc')
# ARPES style: E - E_F (negative below the Fermi level), declared on the coordinate
da = cube('eV', eattrs={'units': 'eV', 'energy_axis': 'E-E_F'})
da = da.assign_coords(eV=('eV', -10.0 + 0.5 * np.arange(6), {'units': 'eV', 'energy_axis': 'E-E_F'}))
da.to_netcdf(f'{d}/eef.nc', engine='h5netcdf')
cube('binding_energy', name=None).to_netcdf(f'{d}/be.h5')
cube('energy').to_netcdf(f'{d}/undeclared.nc')
)PY"),
            0);
  // Kinetic as recorded, then converted with hν and φ from the file's attributes.
  auto ke = vs::read_spectra((scratch() / "ke.nc").string());
  ASSERT_EQ(ke.size(), 1u);
  EXPECT_EQ(ke[0].energy_kind, vs::EnergyKind::Kinetic);
  EXPECT_DOUBLE_EQ(ke[0].photon_energy, 1486.6);
  EXPECT_DOUBLE_EQ(ke[0].work_function, 4.5);
  expect_cube(ke[0], false);
  vs::ReadOptions to_be;
  to_be.energy = vs::EnergyAxis::Binding;
  const auto be_conv = vs::read_spectra((scratch() / "ke.nc").string(), to_be);
  EXPECT_EQ(be_conv[0].energy_kind, vs::EnergyKind::Binding);
  EXPECT_NEAR(be_conv[0].energy.front(), 1486.6 - 4.5 - 282.5, 1e-9);
  expect_cube(be_conv[0], true);  // E_B falls as E_K rises: channels reversed
  // E − E_F: binding energy −(E − E_F), ascending, channels reversed.
  const auto eef = vs::read_spectra((scratch() / "eef.nc").string());
  EXPECT_EQ(eef[0].energy_kind, vs::EnergyKind::Binding);
  EXPECT_DOUBLE_EQ(eef[0].energy.front(), 7.5);
  EXPECT_DOUBLE_EQ(eef[0].energy.back(), 10.0);
  expect_cube(eef[0], true);
  // An unnamed DataArray under an HDF5 extension, kind from the coordinate's name.
  const auto be = vs::read_spectra((scratch() / "be.h5").string());
  EXPECT_EQ(be[0].name, "data");
  EXPECT_EQ(be[0].energy_kind, vs::EnergyKind::Binding);
  expect_cube(be[0], false);
  // Undeclared: a clear error, or the kind given as an option.
  const std::string und = (scratch() / "undeclared.nc").string();
  expect_error([&] { vs::read_spectra(und); }, {"undeclared.nc", "energy_axis", "energy_kind"});
  vs::ReadOptions declared;
  declared.energy_kind = vs::EnergyDeclared::Kinetic;
  EXPECT_EQ(vs::read_spectra(und, declared)[0].energy_kind, vs::EnergyKind::Kinetic);
  // Conversion without hν: an error naming the block.
  declared.energy = vs::EnergyAxis::Binding;
  expect_error([&] { vs::read_spectra(und, declared); }, {"excitation energy"});
}

TEST(SpectraNetcdf, StacksAndSingleSpectra) {
  ASSERT_EQ(run_xarray("shapes", std::string(kMakeCube) + R"PY(
c = cube(attrs={'energy_axis': 'binding'})
c.isel(y=0).transpose('energy', 'x').to_netcdf(f'{d}/stack.nc')
c.isel(y=1, x=2).to_netcdf(f'{d}/single.nc')
)PY"),
            0);
  const auto st = vs::read_spectra((scratch() / "stack.nc").string());
  ASSERT_EQ(st[0].ny, 1);
  ASSERT_EQ(st[0].nx, 4);
  for (int x = 0; x < 4; ++x) EXPECT_EQ(st[0].spectrum(x)[3], 100.0f * x + 3);
  const auto one = vs::read_spectra((scratch() / "single.nc").string());
  ASSERT_EQ(one[0].pixels(), 1);
  EXPECT_EQ(one[0].spectrum(0)[5], 1205.0f);
}

TEST(SpectraNetcdf, BadFilesGiveClearErrors) {
  ASSERT_EQ(run_xarray("bad", std::string(kMakeCube) + R"PY(
xr.DataArray(v, dims=('a', 'b', 'c'), name='v').to_netcdf(f'{d}/noenergy.nc')
xr.DataArray(v, dims=('y', 'x', 'energy'), name='v',
             attrs={'energy_axis': 'binding'}).to_netcdf(f'{d}/nocoord.nc')
cube().to_netcdf(f'{d}/classic.nc', format='NETCDF3_CLASSIC')
e2 = e.copy(); e2[3] = e2[2]
cube(attrs={'energy_axis': 'binding'}).assign_coords(energy=e2).to_netcdf(f'{d}/flat.nc')
xr.Dataset({'t': 3.0}).to_netcdf(f'{d}/scalar.nc')
)PY"),
            0);
  const auto p = [](const char* n) { return (scratch() / n).string(); };
  expect_error([&] { vs::read_spectra(p("noenergy.nc")); },
               {"noenergy.nc", "(a, b, c)", "energy_dimension"});
  vs::ReadOptions named;
  named.energy_dimension = "q";
  expect_error([&] { vs::read_spectra(p("noenergy.nc"), named); }, {"no dimension 'q'"});
  expect_error([&] { vs::read_spectra(p("nocoord.nc")); }, {"nocoord.nc", "no coordinate"});
  expect_error([&] { vs::read_spectra(p("classic.nc")); }, {"classic.nc", "netCDF-3"});
  expect_error([&] { vs::read_spectra(p("flat.nc")); }, {"flat.nc", "strictly monotonic"});
  expect_error([&] { vs::read_spectra(p("scalar.nc")); }, {"scalar.nc", "no netCDF data variable"});
}
