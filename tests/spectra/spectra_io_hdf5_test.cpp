// HDF5 spectrum images and result maps: the real depth-profile file, round trips, the dual
// HyperSpy/NeXus layout checked with h5py, malformed files, atomic writes and handle hygiene.
#include <gtest/gtest.h>
#include <hdf5.h>
#include <unistd.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "../test_paths.hpp"
#include "temporary_files.hpp"
#include "vitrum/core/error.hpp"
#include "vitrum/spectra/spectrum_io.hpp"

namespace vs = vitrum::spectra;
namespace fs = std::filesystem;

namespace {

const std::string kPython = "/usr/bin/python3";

std::string real_h5() {
  return vitrum::test::shared_dir() + "/spectra/hdf5/phi_SnO2_Si_depthprofile_21cycles.h5";
}

fs::path scratch() {
  const fs::path p = fs::temp_directory_path() / ("vitrum_spio_h5_" + std::to_string(getpid()));
  fs::create_directories(p);
  return p;
}

/// Runs a Python script with Debian's python3 (h5py, numpy); returns its exit status. A missing
/// h5py makes the script fail (exit 3), so the test fails instead of skipping.
int run_python(const std::string& name, const std::string& body) {
  const std::string script = (scratch() / (name + ".py")).string();
  std::ofstream(script) << "import sys\ntry:\n    import h5py, numpy as np\nexcept ImportError as "
                           "e:\n    print('h5py/numpy missing:', e)\n    sys.exit(3)\n"
                        << body;
  return std::system((kPython + " " + script).c_str());
}

/// Number of HDF5 ids open in the library (files, groups, datasets, types, attributes).
ssize_t open_hdf5_objects() {
  return H5Fget_obj_count(H5F_OBJ_ALL, H5F_OBJ_ALL);
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

TEST(spectra_io_hdf5, RealDepthProfileReads) {
  // Expected values read with h5py: Experiments/{C1s,Si2p,Sn3d5,Su1s}/data (21, nE) float32,
  // energy ascending binding energy; d[0,0], d[0,-1], d[20,50]; original_metadata/photon_energy_eV.
  struct E {
    const char* name;
    int n;
    double e0, e1;
    float d00, d0last, d20_50;
  };
  const E expect[] = {{"C1s", 101, 278.0, 298.0, 3123.7502f, 3325.0002f, 2166.2502f},
                      {"Si2p", 101, 94.0, 114.0, 3967.5002f, 3633.7502f, 2233.7502f},
                      {"Sn3d5", 101, 480.0, 500.0, 3300.0f, 13212.5f, 4175.0f},
                      {"Su1s", 1751, 0.0, 1400.0, 158.33334f, 54300.0f, 7450.0f}};
  const auto imgs = vs::read_spectra(real_h5());
  ASSERT_EQ(imgs.size(), 4u);
  for (size_t k = 0; k < 4; ++k) {
    SCOPED_TRACE(expect[k].name);
    const auto& img = imgs[k];
    EXPECT_EQ(img.name, expect[k].name);
    EXPECT_EQ(img.ny, 1);
    EXPECT_EQ(img.nx, 21);
    ASSERT_EQ(img.channels(), expect[k].n);
    EXPECT_NEAR(img.energy.front(), expect[k].e0, 1e-9);
    EXPECT_NEAR(img.energy.back(), expect[k].e1, 1e-9);
    EXPECT_EQ(img.energy_kind, vs::EnergyKind::Binding);
    EXPECT_DOUBLE_EQ(img.photon_energy, 1486.6);
    ASSERT_EQ(img.navigation.size(), 1u);
    EXPECT_EQ(img.navigation[0].name, "cycle");
    EXPECT_EQ(img.navigation[0].long_name, "Depth-profile cycle");
    EXPECT_FLOAT_EQ(img.spectrum(0)[0], expect[k].d00);
    EXPECT_FLOAT_EQ(img.spectrum(0)[expect[k].n - 1], expect[k].d0last);
    EXPECT_FLOAT_EQ(img.spectrum(20)[50], expect[k].d20_50);
    EXPECT_EQ(img.metadata.at("original_filename"), "SnO2_10nm_1.pro");
  }
  EXPECT_EQ(open_hdf5_objects(), 0);
  // As kinetic energy: 1486.6 − 298 … 1486.6 − 278, channel order reversed.
  vs::ReadOptions ke;
  ke.energy = vs::EnergyAxis::Kinetic;
  const auto k = vs::read_spectra(real_h5(), ke);
  EXPECT_NEAR(k[0].energy.front(), 1486.6 - 298.0, 1e-9);
  EXPECT_FLOAT_EQ(k[0].spectrum(0)[0], 3325.0002f);
}

TEST(spectra_io_hdf5, RoundTripKeepsEverythingAndH5pySeesTheDualLayout) {
  const auto imgs = vs::read_spectra(real_h5());
  const std::string out = (scratch() / "roundtrip.h5").string();
  vs::write_spectra_hdf5(out, imgs);
  EXPECT_EQ(open_hdf5_objects(), 0);
  EXPECT_FALSE(vitrum::test::temporary_left_beside(out));
  const auto back = vs::read_spectra(out);
  ASSERT_EQ(back.size(), imgs.size());
  for (size_t k = 0; k < imgs.size(); ++k) {
    EXPECT_EQ(back[k].name, imgs[k].name);
    EXPECT_EQ(back[k].ny, imgs[k].ny);
    EXPECT_EQ(back[k].nx, imgs[k].nx);
    EXPECT_EQ(back[k].energy, imgs[k].energy);
    EXPECT_EQ(back[k].counts, imgs[k].counts);
    EXPECT_EQ(back[k].energy_kind, imgs[k].energy_kind);
    EXPECT_DOUBLE_EQ(back[k].photon_energy, imgs[k].photon_energy);
    ASSERT_EQ(back[k].navigation.size(), 1u);
    EXPECT_EQ(back[k].navigation[0].name, "cycle");
  }
  // The same checks the shared file passes, from h5py.
  const int rc = run_python("check_roundtrip", R"PY(
f = h5py.File(sys.argv[0].replace('check_roundtrip.py', 'roundtrip.h5'), 'r')
def fixed(obj, name, value):
    a = obj.attrs[name]; t = obj.attrs.get_id(name).get_type()
    assert isinstance(a, bytes) and a == value, (name, a)
    assert not t.is_variable_str(), name
assert f.attrs['file_format'] == 'HyperSpy' and f.attrs['file_format_version'] == '3.1'
fixed(f, 'NX_class', b'NXroot'); assert f.attrs['default'] == 'Experiments'
ex = f['Experiments']; fixed(ex, 'NX_class', b'NXentry'); assert ex.attrs['default'] == 'C1s'
assert list(ex) == ['C1s', 'Si2p', 'Sn3d5', 'Su1s'], list(ex)
g = ex['Sn3d5']
fixed(g, 'NX_class', b'NXdata'); fixed(g, 'signal', b'data')
assert list(g.attrs['axes']) == ['cycle', 'energy'], g.attrs['axes']
assert g.attrs['cycle_indices'] == 0 and g.attrs['energy_indices'] == 1
d = g['data']; assert d.dtype == np.float32 and d.shape == (21, 101), (d.dtype, d.shape)
assert d.chunks[-1] == 101 and d.compression == 'gzip' and d.shuffle, (d.chunks, d.compression)
assert abs(float(d[20, 50]) - 4175.0) < 1e-3
for i, (name, nav, size) in enumerate([('Depth-profile cycle', True, 21), ('Binding energy', False, 101)]):
    a = g['axis-%d' % i]
    assert a.attrs['name'] == name and a.attrs['size'] == size, dict(a.attrs)
    assert a.attrs.get_id('navigate').dtype == np.dtype('bool'), a.attrs.get_id('navigate').dtype
    assert a.attrs.get_id('is_binned').dtype == np.dtype('bool')
    assert bool(a.attrs['navigate']) == nav and not bool(a.attrs['is_binned'])
    assert a.attrs['scale'].dtype == np.float64 and a.attrs['size'].dtype == np.int64
assert abs(g['axis-1'].attrs['offset'] - 480.0) < 1e-9 and abs(g['axis-1'].attrs['scale'] - 0.2) < 1e-9
e = g['energy']; assert e.attrs['type'] == 'binding' and e.attrs['units'] == 'eV'
assert abs(e[0] - 480.0) < 1e-9 and abs(e[-1] - 500.0) < 1e-9
assert 'General' in g['metadata'] and 'Signal' in g['metadata'] and 'original_metadata' in g
assert g['metadata/General'].attrs['title'] == 'Sn3d5'
assert abs(g['original_metadata'].attrs['photon_energy_eV'] - 1486.6) < 1e-9
print('ok')
)PY");
  EXPECT_EQ(rc, 0) << "h5py check of the written file failed (see output above)";
}

TEST(spectra_io_hdf5, ImageRoundTripAndDescendingInput) {
  vs::SpectrumImage img;
  img.name = "C 1s/map";  // sanitised to C_1s_map in the file
  img.source = "test";
  img.ny = 3;
  img.nx = 4;
  for (int i = 0; i < 50; ++i) img.energy.push_back(280 + 0.1 * i);
  img.counts.resize(3 * 4 * 50);
  for (size_t i = 0; i < img.counts.size(); ++i) img.counts[i] = static_cast<float>(i % 977);
  img.photon_energy = 1486.6;
  const std::string out = (scratch() / "image.h5").string();
  vs::write_spectrum_image_hdf5(out, img);
  auto back = vs::read_spectra(out);
  ASSERT_EQ(back.size(), 1u);
  EXPECT_EQ(back[0].name, "C_1s_map");
  EXPECT_EQ(back[0].metadata.at("title"), "C 1s/map");
  EXPECT_EQ(back[0].ny, 3);
  EXPECT_EQ(back[0].nx, 4);
  EXPECT_EQ(back[0].counts, img.counts);
  EXPECT_EQ(back[0].energy, img.energy);
  EXPECT_EQ(open_hdf5_objects(), 0);

  // A file with a descending kinetic-energy coordinate is flipped with its data.
  const std::string desc = (scratch() / "desc.h5").string();
  ASSERT_EQ(run_python("make_desc", "f = h5py.File('" + desc + R"PY(', 'w')
g = f.create_group('Experiments/s')
g.attrs['signal'] = 'data'; g.attrs['axes'] = ['y', 'x', 'energy']
g['data'] = np.arange(2 * 2 * 5, dtype=np.float32).reshape(2, 2, 5)
g['energy'] = np.array([1200., 1199., 1198., 1197., 1196.])
g['energy'].attrs['type'] = 'kinetic'
)PY"),
            0);
  auto d = vs::read_spectra(desc);
  ASSERT_EQ(d.size(), 1u);
  EXPECT_EQ(d[0].energy_kind, vs::EnergyKind::Kinetic);
  EXPECT_DOUBLE_EQ(d[0].energy.front(), 1196.0);
  EXPECT_FLOAT_EQ(d[0].spectrum(0)[0], 4.0f);
  EXPECT_FLOAT_EQ(d[0].spectrum(3)[4], 15.0f);
}

TEST(spectra_io_hdf5, MalformedFilesGiveErrorsNamingFileAndProblem) {
  const fs::path dir = scratch();
  const std::string rank4 = (dir / "rank4.h5").string(), noaxis = (dir / "noaxis.h5").string(),
                    nonmono = (dir / "nonmono.h5").string(), empty = (dir / "empty.h5").string(),
                    badlen = (dir / "badlen.h5").string(), text = (dir / "text.h5").string();
  ASSERT_EQ(run_python("make_bad", "d = '" + dir.string() + R"PY('
with h5py.File(d + '/rank4.h5', 'w') as f:
    g = f.create_group('Experiments/cube'); g['data'] = np.zeros((2, 2, 2, 5), np.float32)
    g['energy'] = np.arange(5.0); g.attrs['axes'] = ['a', 'b', 'c', 'energy']
with h5py.File(d + '/noaxis.h5', 'w') as f:
    f.create_group('Experiments/s')['data'] = np.zeros((3, 5), np.float32)
with h5py.File(d + '/nonmono.h5', 'w') as f:
    g = f.create_group('Experiments/s'); g['data'] = np.zeros((3, 5), np.float32)
    g.attrs['axes'] = ['i', 'energy']; g['energy'] = np.array([1., 2., 3., 2.5, 4.])
with h5py.File(d + '/badlen.h5', 'w') as f:
    g = f.create_group('Experiments/s'); g['data'] = np.zeros((3, 5), np.float32)
    g.attrs['axes'] = ['i', 'energy']; g['energy'] = np.arange(4.0)
with h5py.File(d + '/empty.h5', 'w') as f:
    f.create_group('nothing')
open(d + '/text.h5', 'w').write('energy,counts\n1,2\n')
)PY"),
            0);
  expect_error([&] { vs::read_spectra(rank4); }, {rank4, "/Experiments/cube/data", "rank 4"});
  expect_error([&] { vs::read_spectra(noaxis); }, {noaxis, "no energy axis"});
  expect_error([&] { vs::read_spectra(nonmono); }, {nonmono, "not strictly monotonic"});
  expect_error([&] { vs::read_spectra(badlen); }, {badlen, "coordinate has 4 values"});
  expect_error([&] { vs::read_spectra(empty); }, {empty, "no spectrum image found"});
  expect_error([&] { vs::read_spectra(text); }, {text, "no HDF5 signature"});
  // Truncated HDF5: the first half of the real file.
  const std::string half = (dir / "half.h5").string();
  {
    std::ifstream in(real_h5(), std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    const std::string s = ss.str();
    std::ofstream(half, std::ios::binary) << s.substr(0, s.size() / 2);
  }
  expect_error([&] { vs::read_spectra(half); }, {half});
  // No handle leaks on any of these error paths.
  EXPECT_EQ(open_hdf5_objects(), 0);
}

TEST(spectra_io_hdf5, MapsWriteTheDualLayout) {
  vs::MapSet set;
  set.name = "C 1s";
  set.title = "C 1s fit";
  set.source = "input.h5";
  set.ny = 2;
  set.nx = 3;
  vs::Map bic{"bic", "", "BIC", std::vector<float>{1, 2, 3, 4, 5, 6}};
  vs::Map status{"status", "", "Fit status", std::vector<float>{0, 0, 1, 0, 2, 0}, true};
  set.maps = {bic, status};
  vs::PeakStack pos;
  pos.name = "position";
  pos.units = "eV";
  pos.long_name = "Peak position";
  pos.n_peaks = 2;
  for (int i = 0; i < 12; ++i) pos.values.push_back(284.0f + 0.1f * i);
  pos.peak_labels = {"C-C", "C-O"};
  set.peak_stacks = {pos};
  set.metadata["em.max_iterations"] = "500";
  const std::string out = (scratch() / "maps.h5").string();
  vs::write_maps_hdf5(out, {set});
  EXPECT_EQ(open_hdf5_objects(), 0);
  const int rc = run_python("check_maps", "f = h5py.File('" + out + R"PY(', 'r')
ex = f['Experiments']
assert sorted(ex) == ['C_1s_bic', 'C_1s_position', 'C_1s_status'], list(ex)
assert ex.attrs['NX_class'] == b'NXentry' and ex.attrs['default'] == 'C_1s_bic'
b = ex['C_1s_bic']
assert b.attrs['NX_class'] == b'NXdata' and b.attrs['signal'] == b'data'
assert list(b.attrs['axes']) == ['y', 'x'] and b.attrs['y_indices'] == 0 and b.attrs['x_indices'] == 1
assert b['data'].shape == (2, 3) and b['data'].dtype == np.float32
assert b['data'][1, 2] == 6 and b['data'].attrs['interpretation'] == b'image'
assert not bool(b['axis-0'].attrs['navigate']) and not bool(b['axis-1'].attrs['navigate'])
assert b['metadata/General'].attrs['title'] == 'C 1s fit: BIC'
assert b['original_metadata'].attrs['em.max_iterations'] == '500'
s = ex['C_1s_status']['data']; assert s.dtype == np.int32 and s[1, 1] == 2
p = ex['C_1s_position']
assert p['data'].shape == (2, 2, 3) and list(p.attrs['axes']) == ['peak', 'y', 'x']
assert bool(p['axis-0'].attrs['navigate']) and not bool(p['axis-1'].attrs['navigate'])
assert abs(p['data'][1, 0, 0] - 284.6) < 1e-4 and p['axis-0'].attrs.get_id('navigate').dtype == np.dtype('bool')
assert p['original_metadata'].attrs['peak_1'] == 'C-O' and p['original_metadata'].attrs['map_units'] == 'eV'
assert p['peak'][1] == 1.0
print('ok')
)PY");
  EXPECT_EQ(rc, 0);
  // The map file reads back as spectra too (each map is a signal).
  const auto as_spectra = vs::read_spectra(out);
  ASSERT_EQ(as_spectra.size(), 3u);
  EXPECT_EQ(as_spectra[1].name, "C_1s_status");  // creation order is kept
  EXPECT_EQ(open_hdf5_objects(), 0);

  // Maps over one navigation axis (a depth profile): 1-D maps, (peak, cycle) stacks; metadata
  // keys that collide after sanitising stay distinct.
  vs::MapSet prof;
  prof.name = "Sn3d5";
  prof.ny = 1;
  prof.nx = 4;
  prof.navigation = {vs::NavAxis{"cycle", "", 0.0, 1.0, "Depth-profile cycle"}};
  prof.maps = {vs::Map{"log_likelihood", "", "Log-likelihood", {1, 2, 3, 4}}};
  vs::PeakStack area;
  area.name = "area";
  area.n_peaks = 2;
  area.values = {1, 2, 3, 4, 5, 6, 7, 8};
  prof.peak_stacks = {area};
  prof.metadata = {{"a b", "1"}, {"a_b", "2"}};
  const std::string pout = (scratch() / "profile_maps.h5").string();
  vs::write_maps_hdf5(pout, {prof});
  EXPECT_EQ(run_python("check_profile", "f = h5py.File('" + pout + R"PY(', 'r')['Experiments']
ll = f['Sn3d5_log_likelihood']
assert ll['data'].shape == (4,) and list(ll.attrs['axes']) == ['cycle'], ll['data'].shape
assert ll['axis-0'].attrs['name'] == 'Depth-profile cycle'
a = f['Sn3d5_area']; assert a['data'].shape == (2, 4) and list(a.attrs['axes']) == ['peak', 'cycle']
om = ll['original_metadata'].attrs; assert sorted([om['a_b'], om['a_b_2']]) == ['1', '2'], dict(om)
print('ok')
)PY"),
            0);
  EXPECT_EQ(open_hdf5_objects(), 0);
}

TEST(spectra_io_hdf5, WritesAreAtomicAndValidated) {
  const fs::path dir = scratch();
  // Size mismatch: error naming the map; an existing file stays untouched.
  const std::string out = (dir / "keep.h5").string();
  std::ofstream(out) << "previous";
  vs::MapSet set;
  set.name = "x";
  set.ny = 2;
  set.nx = 2;
  set.maps = {vs::Map{"area", "counts", "Area", std::vector<float>(3)}};
  expect_error([&] { vs::write_maps_hdf5(out, {set}); }, {"area", "3 values"});
  {
    std::ifstream in(out);
    std::string s;
    in >> s;
    EXPECT_EQ(s, "previous");
  }
  // Unwritable target: error naming it, no temporary left behind, no open handles.
  const std::string bad = (dir / "no_such_dir" / "out.h5").string();
  vs::SpectrumImage img;
  img.name = "s";
  img.energy = {1, 2, 3};
  img.counts = {1, 2, 3};
  expect_error([&] { vs::write_spectrum_image_hdf5(bad, img); }, {bad, "does not exist"});
  EXPECT_FALSE(fs::exists(dir / "no_such_dir"));  // refused before any temporary file
  EXPECT_EQ(open_hdf5_objects(), 0);
  // Counts not matching the shape.
  img.counts = {1, 2};
  expect_error([&] { vs::write_spectrum_image_hdf5((dir / "x.h5").string(), img); },
               {"image 's'", "2 intensities"});
  // Overwriting an existing file replaces it whole.
  img.counts = {1, 2, 3};
  vs::write_spectrum_image_hdf5(out, img);
  EXPECT_EQ(vs::read_spectra(out).at(0).counts, img.counts);
  for (const auto& e : fs::directory_iterator(dir))
    EXPECT_EQ(e.path().string().find(".tmp."), std::string::npos) << e.path();
}
