// Reading H5MD 1.1 trajectories (ours, h5py's, MDAnalysis's); the writer is h5md.cpp.
#include <algorithm>
#include <string>
#include <vector>

#include "h5md_units.hpp"
#include "vitrum/core/error.hpp"
#include "vitrum/core/hdf5.hpp"
#include "vitrum/io/h5md.hpp"

namespace vitrum::io {

using h5::Handle;
using h5md_detail::kForceUnit;
using h5md_detail::kKjMolPerEv;

namespace {

std::vector<hsize_t> dims_of(hid_t dset) {
  Handle sp(H5Dget_space(dset), H5Sclose);
  const int r = H5Sget_simple_extent_ndims(sp.get());
  std::vector<hsize_t> d(std::max(r, 0));
  if (r > 0) H5Sget_simple_extent_dims(sp.get(), d.data(), nullptr);
  return d;
}

Handle open_dataset(hid_t file, const std::string& path, const std::string& name, bool required) {
  if (H5Lexists(file, name.c_str(), H5P_DEFAULT) <= 0) {
    if (required) fail("{}: not a readable H5MD trajectory: {} is missing", path, name);
    return Handle();
  }
  Handle d(H5Dopen2(file, name.c_str(), H5P_DEFAULT), H5Dclose);
  if (!d.valid()) fail("{}: cannot open {} (truncated or corrupt file?)", path, name);
  return d;
}

/// The "unit" attribute of a dataset ("" when there is none or it is not a string).
std::string unit_of(hid_t dset) {
  return h5::read_string_attr(dset, "unit").value_or("");
}

template <typename T>
std::vector<T> read_all(hid_t dset, hid_t type, const std::string& path, const std::string& name) {
  size_t n = 1;
  for (hsize_t d : dims_of(dset)) n *= d;
  std::vector<T> v(n);
  if (n && H5Dread(dset, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, v.data()) < 0)
    fail("{}: reading {} failed (truncated or corrupt file?)", path, name);
  return v;
}

}  // namespace

std::vector<H5mdFrame> read_h5md(const std::string& path, std::vector<int>* species) {
  h5::QuietErrors quiet;
  if (H5Fis_hdf5(path.c_str()) <= 0) fail("{}: not an HDF5 file (or missing/truncated)", path);
  Handle file(H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT), H5Fclose);
  if (!file.valid()) fail("{}: cannot open (truncated or corrupt HDF5 file?)", path);
  const std::string base = "/particles/all";
  if (H5Lexists(file.get(), "/particles", H5P_DEFAULT) <= 0 ||
      H5Lexists(file.get(), base.c_str(), H5P_DEFAULT) <= 0)
    fail("{}: not an H5MD trajectory: /particles/all is missing", path);
  Handle pos = open_dataset(file.get(), path, base + "/position/value", true);
  const auto pd = dims_of(pos.get());
  if (pd.size() != 3 || pd[2] != 3)
    fail("{}: {}/position/value has the wrong shape (expected frames x atoms x 3)", path, base);
  const size_t T = pd[0], N = pd[1];
  auto p = read_all<double>(pos.get(), H5T_NATIVE_DOUBLE, path, "position/value");
  Handle st = open_dataset(file.get(), path, base + "/position/step", true);
  Handle tm = open_dataset(file.get(), path, base + "/position/time", true);
  auto steps = read_all<long>(st.get(), H5T_NATIVE_LONG, path, "position/step");
  auto times = read_all<double>(tm.get(), H5T_NATIVE_DOUBLE, path, "position/time");
  if (steps.size() < T || times.size() < T)
    fail("{}: position/step or position/time holds fewer entries than frames", path);
  Handle vel = open_dataset(file.get(), path, base + "/velocity/value", false);
  std::vector<double> v;
  if (vel.valid()) v = read_all<double>(vel.get(), H5T_NATIVE_DOUBLE, path, "velocity/value");
  Handle frc = open_dataset(file.get(), path, base + "/force/value", false);
  std::vector<double> f;
  if (frc.valid()) {
    f = read_all<double>(frc.get(), H5T_NATIVE_DOUBLE, path, "force/value");
    if (unit_of(frc.get()) == kForceUnit)  // else eV/Å, as older files store them
      for (double& x : f) x /= kKjMolPerEv;
  }
  Handle edg = open_dataset(file.get(), path, base + "/box/edges/value", false);
  std::vector<double> e;
  if (edg.valid()) e = read_all<double>(edg.get(), H5T_NATIVE_DOUBLE, path, "box/edges/value");
  if (edg.valid() && e.size() < T * 9)
    fail("{}: box/edges/value holds fewer frames than position", path);
  if (species) {
    Handle sp = open_dataset(file.get(), path, base + "/species", true);
    *species = read_all<int>(sp.get(), H5T_NATIVE_INT, path, "species");
    if (species->size() != N)
      fail("{}: species has {} entries for {} atoms", path, species->size(), N);
  }
  std::vector<H5mdFrame> frames(T);
  for (size_t t = 0; t < T; ++t) {
    auto& fr = frames[t];
    fr.step = steps[t];
    fr.time = times[t];
    if (edg.valid()) {
      fr.box.periodic = true;
      for (int a = 0; a < 3; ++a)
        for (int b = 0; b < 3; ++b) fr.box.h[a][b] = e[t * 9 + 3 * a + b];
    }
    auto take = [&](const std::vector<double>& src, std::vector<Vec3>& dst) {
      if (src.size() < (t + 1) * N * 3) return;
      dst.resize(N);
      for (size_t i = 0; i < N; ++i)
        dst[i] = Vec3{src[(t * N + i) * 3], src[(t * N + i) * 3 + 1], src[(t * N + i) * 3 + 2]};
    };
    take(p, fr.positions);
    take(v, fr.velocities);
    take(f, fr.forces);
  }
  return frames;
}

}  // namespace vitrum::io
