// HDF5 spectrum images and result maps in the layout HyperSpy (.hspy 3.1), NeXus (NXdata) and h5py
// all read (../shared/formats/spectrum-hdf5.md). Every HDF5 id is owned by an RAII Handle, so each
// one is closed on every exit path, exceptions included; writers go through a temporary file that
// is renamed only after a successful close.
#include <hdf5.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <deque>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "spectrum_hdf5_handles.hpp"
#include "vitrum/core/atomic_file.hpp"
#include "vitrum/core/error.hpp"
#include "vitrum/core/hdf5.hpp"
#include "vitrum/spectra/spectrum_io.hpp"
namespace vitrum::spectra {

using h5::Handle;
using h5::QuietErrors;
using namespace hdf5_detail;  // NOLINT: the handle factories of this file's pair

// -------------------------------------------------------------------------------------- writing
namespace {

/// Writer with the attribute and dataset helpers of the dual HyperSpy/NeXus layout.
class Writer {
 public:
  explicit Writer(const std::string& target) : target_(target) {}

  [[noreturn]] void error(const std::string& what) const {
    throw Error(fmt::format("writing {}: {}: {}", target_, what, h5::error_message()));
  }
  Handle check(Handle h, const std::string& what) const {
    if (!h.valid()) error(what);
    return h;
  }

  Handle create_group(hid_t loc, const std::string& name) const {
    return check(group_handle(H5Gcreate2(loc, name.c_str(), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT)),
                 "create group " + name);
  }

  /// A fixed-length ASCII string (what HyperSpy writes for some metadata).
  void attr_fixed(hid_t obj, const char* name, const std::string& value) const {
    if (!h5::write_string_attr(obj, name, value, /*variable=*/false, H5T_CSET_ASCII))
      error(std::string("write attribute ") + name);
  }

  /// A variable-length UTF-8 string (h5py str).
  void attr_str(hid_t obj, const char* name, const std::string& value) const {
    if (!h5::write_string_attr(obj, name, value, /*variable=*/true))
      error(std::string("write attribute ") + name);
  }

  void attr_str_array(hid_t obj, const char* name, const std::vector<std::string>& values) const {
    if (!h5::write_string_array_attr(obj, name, values))
      error(std::string("write attribute ") + name);
  }

  template <typename T>
  void attr_num(hid_t obj, const char* name, T value, hid_t type) const {
    if (!h5::write_attr(obj, name, type, type, &value))
      error(std::string("write attribute ") + name);
  }

  /// HDF5 boolean enum as h5py writes Python bools (int8 base, FALSE = 0, TRUE = 1).
  void attr_bool(hid_t obj, const char* name, bool value) const {
    Handle t = type_handle(H5Tenum_create(H5T_NATIVE_INT8));
    int8_t f = 0, tr = 1;
    H5Tenum_insert(t.get(), "FALSE", &f);
    H5Tenum_insert(t.get(), "TRUE", &tr);
    const int8_t v = value ? 1 : 0;
    if (!h5::write_attr(obj, name, t.get(), t.get(), &v))
      error(std::string("write attribute ") + name);
  }

  /// Chunked, gzip+shuffle dataset of `rank` dims; `chunk` whole rows along the last dimension.
  void dataset(hid_t loc, const std::string& name, int rank, const hsize_t* dims,
               const hsize_t* chunk, hid_t file_type, hid_t mem_type, const void* data,
               bool compress) const {
    Handle s = space_handle(H5Screate_simple(rank, dims, nullptr));
    Handle dcpl = plist_handle(H5Pcreate(H5P_DATASET_CREATE));
    if (compress && chunk) {
      H5Pset_chunk(dcpl.get(), rank, chunk);
      if (H5Zfilter_avail(H5Z_FILTER_SHUFFLE) > 0) H5Pset_shuffle(dcpl.get());
      if (H5Zfilter_avail(H5Z_FILTER_DEFLATE) > 0) H5Pset_deflate(dcpl.get(), 4);
    }
    Handle d = check(dataset_handle(H5Dcreate2(loc, name.c_str(), file_type, s.get(), H5P_DEFAULT,
                                               dcpl.get(), H5P_DEFAULT)),
                     "create dataset " + name);
    if (H5Dwrite(d.get(), mem_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, data) < 0)
      error("write dataset " + name);
  }

 private:
  std::string target_;
};

/// One axis of a signal as the writer needs it.
struct AxisOut {
  std::string name;       ///< coordinate dataset name (NeXus) — unique within the group
  std::string long_name;  ///< HyperSpy axis name
  std::string units;
  hsize_t size = 0;
  double offset = 0, scale = 1;
  bool navigate = false;
  std::vector<double> coords;  ///< explicit values; empty = offset + i * scale
  std::string energy_type;     ///< "binding"/"kinetic" for the energy axis
};

struct SignalOut {
  std::string group;  ///< name under /Experiments
  std::string title, original_filename, quantity, interpretation, date, time;
  std::vector<AxisOut> axes;
  const float* fdata = nullptr;
  const int32_t* idata = nullptr;
  std::map<std::string, std::string> original_metadata;
  std::map<std::string, double> original_numbers;
};

/// Sanitised HDF5 link name: [A-Za-z0-9_.-], never empty or a reserved name.
std::string safe_name(const std::string& s, const std::string& fallback) {
  std::string out;
  for (char c : s) {
    const unsigned char u = static_cast<unsigned char>(c);
    if (std::isalnum(u) || c == '_' || c == '-' || c == '.')
      out.push_back(c);
    else if (!out.empty() && out.back() != '_')
      out.push_back('_');
  }
  while (!out.empty() && out.back() == '_') out.pop_back();
  if (out.empty() || out == "." || out == "..") out = fallback;
  return out;
}

void write_signal(const Writer& w, hid_t experiments, const SignalOut& s) {
  Handle g = w.create_group(experiments, s.group);
  const int rank = static_cast<int>(s.axes.size());
  w.attr_fixed(g.get(), "NX_class", "NXdata");
  w.attr_fixed(g.get(), "signal", "data");
  std::vector<std::string> names;
  for (const auto& a : s.axes) names.push_back(a.name);
  w.attr_str_array(g.get(), "axes", names);
  for (int i = 0; i < rank; ++i)
    w.attr_num<int32_t>(g.get(), (s.axes[i].name + "_indices").c_str(), i, H5T_STD_I32LE);
  w.attr_fixed(g.get(), "interpretation", s.interpretation);
  w.attr_str(g.get(), "package", "");
  w.attr_str(g.get(), "package_version", "");

  // data
  std::vector<hsize_t> dims(rank), chunk(rank);
  for (int i = 0; i < rank; ++i) dims[i] = s.axes[i].size;
  // Chunks hold whole rows of the last dimension (whole spectra), up to ~256 KiB.
  hsize_t elems = 1;
  for (int i = rank - 1; i >= 0; --i) {
    if (i == rank - 1) {
      chunk[i] = dims[i];
    } else {
      const hsize_t fit = std::max<hsize_t>(1, (65536 / std::max<hsize_t>(elems, 1)));
      chunk[i] = std::min(dims[i], fit);
    }
    elems *= chunk[i];
  }
  if (s.fdata)
    w.dataset(g.get(), "data", rank, dims.data(), chunk.data(), H5T_IEEE_F32LE, H5T_NATIVE_FLOAT,
              s.fdata, true);
  else
    w.dataset(g.get(), "data", rank, dims.data(), chunk.data(), H5T_STD_I32LE, H5T_NATIVE_INT32,
              s.idata, true);
  {
    Handle d = dataset_handle(H5Dopen2(g.get(), "data", H5P_DEFAULT));
    w.attr_fixed(d.get(), "interpretation", s.interpretation);
  }

  // HyperSpy axes and NeXus coordinates.
  for (int i = 0; i < rank; ++i) {
    const AxisOut& a = s.axes[i];
    Handle ag = w.create_group(g.get(), fmt::format("axis-{}", i));
    w.attr_str(ag.get(), "name", a.long_name);
    w.attr_str(ag.get(), "units", a.units);
    w.attr_num<int64_t>(ag.get(), "size", static_cast<int64_t>(a.size), H5T_STD_I64LE);
    w.attr_num<double>(ag.get(), "offset", a.offset, H5T_IEEE_F64LE);
    w.attr_num<double>(ag.get(), "scale", a.scale, H5T_IEEE_F64LE);
    w.attr_bool(ag.get(), "navigate", a.navigate);
    w.attr_bool(ag.get(), "is_binned", false);
    std::vector<double> c = a.coords;
    if (c.empty()) {
      c.resize(a.size);
      for (hsize_t k = 0; k < a.size; ++k) c[k] = a.offset + a.scale * static_cast<double>(k);
    }
    const hsize_t n = c.size();
    w.dataset(g.get(), a.name, 1, &n, nullptr, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, c.data(), false);
    Handle cd = dataset_handle(H5Dopen2(g.get(), a.name.c_str(), H5P_DEFAULT));
    w.attr_str(cd.get(), "units", a.units);
    w.attr_str(cd.get(), "long_name", a.long_name);
    if (!a.energy_type.empty()) w.attr_str(cd.get(), "type", a.energy_type);
  }

  // metadata (required by HyperSpy) and original_metadata.
  Handle md = w.create_group(g.get(), "metadata");
  {
    Handle gen = w.create_group(md.get(), "General");
    w.attr_str(gen.get(), "title", s.title);
    w.attr_str(gen.get(), "original_filename", s.original_filename);
    if (!s.date.empty()) w.attr_str(gen.get(), "date", s.date);
    if (!s.time.empty()) w.attr_str(gen.get(), "time", s.time);
    Handle sig = w.create_group(md.get(), "Signal");
    w.attr_str(sig.get(), "signal_type", "");
    w.attr_str(sig.get(), "quantity", s.quantity);
  }
  Handle om = w.create_group(g.get(), "original_metadata");
  for (const auto& [k, v] : s.original_numbers)
    w.attr_num<double>(om.get(), k.c_str(), v, H5T_IEEE_F64LE);
  for (const auto& [k, v] : s.original_metadata) {
    if (s.original_numbers.count(k) || k.empty()) continue;
    w.attr_str(om.get(), k.c_str(), v);
  }
}

/// Navigation axes (slowest first) for an ny × nx grid described by `nav`.
std::vector<AxisOut> navigation_axes(int ny, int nx, const std::vector<NavAxis>& nav, bool navigate,
                                     const std::string& what) {
  std::vector<AxisOut> out;
  auto from = [&](const NavAxis& a, hsize_t size, const char* fallback) {
    AxisOut o;
    o.name = safe_name(a.name, fallback);
    o.long_name = a.long_name.empty() ? a.name : a.long_name;
    o.units = a.units;
    o.size = size;
    o.offset = a.offset;
    o.scale = a.scale;
    o.navigate = navigate;
    return o;
  };
  if (nav.size() == 1) {
    if (ny != 1)
      fail("{}: one navigation axis ('{}') given but ny = {} (a stack must have ny = 1)", what,
           nav[0].name, ny);
    out.push_back(from(nav[0], nx, "index"));
  } else if (nav.size() == 2) {
    out.push_back(from(nav[0], ny, "y"));
    out.push_back(from(nav[1], nx, "x"));
  } else if (nav.empty()) {
    if (ny == 1 && nx == 1) return out;
    NavAxis y{"y", "", 0.0, 1.0, "y"}, x{"x", "", 0.0, 1.0, "x"};
    out.push_back(from(y, ny, "y"));
    out.push_back(from(x, nx, "x"));
  } else {
    fail("{}: {} navigation axes; at most 2 are supported", what, nav.size());
  }
  // Coordinate names must not collide with each other or with the layout's own names.
  std::set<std::string> used = {"data", "metadata", "original_metadata", "energy", "peak"};
  for (auto& a : out) {
    std::string n = a.name;
    for (int k = 2; used.count(n) || n.rfind("axis-", 0) == 0; ++k)
      n = fmt::format("{}_{}", a.name, k);
    a.name = n;
    used.insert(n);
  }
  return out;
}

/// Creates the file skeleton (root and /Experiments attributes), calls `body(experiments)`, sets
/// @default, closes everything and renames the temporary onto `path`.
template <typename Body>
void write_file(const std::string& path, const std::string& default_signal, Body&& body) {
  QuietErrors quiet;
  const std::string tmp = temp_path_for(path);
  const Writer w(path);
  try {
    Handle fapl = plist_handle(H5Pcreate(H5P_FILE_ACCESS));
    // STRONG: H5Fclose closes any object still open, so nothing can keep the file open.
    H5Pset_fclose_degree(fapl.get(), H5F_CLOSE_STRONG);
    Handle file(H5Fcreate(tmp.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, fapl.get()), H5Fclose);
    if (!file.valid())
      throw Error(
          fmt::format("cannot create {} (temporary for {}): {}", tmp, path, h5::error_message()));
    w.attr_str(file.get(), "file_format", "HyperSpy");
    w.attr_str(file.get(), "file_format_version", "3.1");
    w.attr_fixed(file.get(), "NX_class", "NXroot");
    w.attr_str(file.get(), "default", "Experiments");
    {
      // Track creation order so readers (ours, HyperSpy's) list signals in the order written.
      Handle gcpl = plist_handle(H5Pcreate(H5P_GROUP_CREATE));
      H5Pset_link_creation_order(gcpl.get(), H5P_CRT_ORDER_TRACKED | H5P_CRT_ORDER_INDEXED);
      Handle ex = w.check(
          group_handle(H5Gcreate2(file.get(), "Experiments", H5P_DEFAULT, gcpl.get(), H5P_DEFAULT)),
          "create group Experiments");
      w.attr_fixed(ex.get(), "NX_class", "NXentry");
      w.attr_str(ex.get(), "default", default_signal);
      body(w, ex.get());
    }
    if (H5Fflush(file.get(), H5F_SCOPE_LOCAL) < 0) w.error("flush");
    if (file.close() < 0) w.error("close");
  } catch (...) {
    std::remove(tmp.c_str());
    throw;
  }
  commit_temp(tmp, path);
}

std::string unique(std::set<std::string>& used, const std::string& name) {
  std::string n = name;
  for (int k = 2; used.count(n); ++k) n = fmt::format("{}_{}", name, k);
  used.insert(n);
  return n;
}

/// original_metadata attribute names: sanitised, and distinct after sanitising.
std::map<std::string, std::string> attr_names(const std::map<std::string, std::string>& in,
                                              std::set<std::string> used = {}) {
  std::map<std::string, std::string> out;
  for (const auto& [k, v] : in) out[unique(used, safe_name(k, "key"))] = v;
  return out;
}

SignalOut spectrum_signal(const SpectrumImage& img, const std::string& group) {
  const std::string what = fmt::format("image '{}'", img.name);
  const size_t n = static_cast<size_t>(img.pixels()) * img.channels();
  if (img.channels() < 1) fail("{}: no energy channels", what);
  if (img.ny < 1 || img.nx < 1) fail("{}: navigation shape {} × {} is empty", what, img.ny, img.nx);
  if (img.counts.size() != n)
    fail("{}: {} intensities but ny × nx × channels = {} × {} × {} = {}", what, img.counts.size(),
         img.ny, img.nx, img.channels(), n);
  SignalOut s;
  s.group = group;
  s.title = img.name;
  s.original_filename = img.source;
  s.quantity = "Intensity (counts)";
  s.interpretation = "spectrum";
  s.axes = navigation_axes(img.ny, img.nx, img.navigation, true, what);
  AxisOut e;
  e.name = "energy";
  e.long_name = img.energy_kind == EnergyKind::Binding ? "Binding energy" : "Kinetic energy";
  e.units = img.energy_units;
  e.size = img.channels();
  e.coords = img.energy;
  e.offset = img.energy.front();
  e.scale =
      img.channels() > 1 ? (img.energy.back() - img.energy.front()) / (img.channels() - 1) : 1.0;
  e.navigate = false;
  e.energy_type = energy_kind_name(img.energy_kind);
  s.axes.push_back(e);
  s.fdata = img.counts.data();
  if (auto it = img.metadata.find("date"); it != img.metadata.end()) s.date = it->second;
  if (auto it = img.metadata.find("time"); it != img.metadata.end()) s.time = it->second;
  s.original_metadata = attr_names(img.metadata, {"photon_energy_eV"});
  if (img.photon_energy > 0) s.original_numbers["photon_energy_eV"] = img.photon_energy;
  return s;
}

}  // namespace

void write_spectra_hdf5(const std::string& path, const std::vector<SpectrumImage>& images) {
  if (images.empty()) fail("writing {}: no spectrum images to write", path);
  std::set<std::string> used;
  std::vector<SignalOut> signals;
  for (size_t i = 0; i < images.size(); ++i)
    signals.push_back(spectrum_signal(
        images[i], unique(used, safe_name(images[i].name, fmt::format("spectrum{}", i)))));
  write_file(path, signals.front().group, [&](const Writer& w, hid_t ex) {
    for (const auto& s : signals) write_signal(w, ex, s);
  });
}

void write_spectrum_image_hdf5(const std::string& path, const SpectrumImage& image) {
  write_spectra_hdf5(path, std::vector<SpectrumImage>{image});
}

void write_maps_hdf5(const std::string& path, const std::vector<MapSet>& sets,
                     const std::vector<SpectrumImage>& cubes) {
  if (sets.empty() && cubes.empty()) fail("writing {}: no maps to write", path);
  std::set<std::string> used;
  std::vector<SignalOut> signals;
  std::deque<std::vector<int32_t>> int_buffers;  // int32 copies of integer maps (stable addresses)
  for (const auto& set : sets) {
    const std::string what = fmt::format("map set '{}'", set.name);
    if (set.ny < 1 || set.nx < 1)
      fail("{}: navigation shape {} × {} is empty", what, set.ny, set.nx);
    const size_t npix = static_cast<size_t>(set.ny) * set.nx;
    const std::vector<AxisOut> nav = navigation_axes(set.ny, set.nx, set.navigation, false, what);
    std::vector<AxisOut> image_axes = nav;
    if (image_axes.empty()) {  // a single spectrum: a 1 × 1 image
      NavAxis y{"y", "", 0.0, 1.0, "y"}, x{"x", "", 0.0, 1.0, "x"};
      image_axes = navigation_axes(1, 1, {y, x}, false, what);
    }
    const std::string prefix = safe_name(set.name, "maps");
    const std::map<std::string, std::string> om =
        attr_names(set.metadata, {"map_units", "peak_0", "peak_1", "peak_2", "peak_3"});
    auto base = [&](const std::string& suffix, const std::string& title, const std::string& qty) {
      SignalOut s;
      s.group = unique(used, prefix + "_" + safe_name(suffix, "map"));
      s.title = (set.title.empty() ? set.name : set.title) + ": " + title;
      s.original_filename = set.source;
      s.quantity = qty;
      s.interpretation = image_axes.size() >= 2 ? "image" : "spectrum";
      s.original_metadata = om;
      return s;
    };
    for (const auto& m : set.maps) {
      if (m.values.size() != npix)
        fail("{}: map '{}' has {} values, the grid {} × {} = {}", what, m.name, m.values.size(),
             set.ny, set.nx, npix);
      SignalOut s = base(m.name, m.long_name.empty() ? m.name : m.long_name,
                         fmt::format("{}{}", m.long_name.empty() ? m.name : m.long_name,
                                     m.units.empty() ? "" : " (" + m.units + ")"));
      s.axes = image_axes;
      s.original_metadata["map_units"] = m.units;
      if (m.integer) {
        int_buffers.emplace_back(npix);
        for (size_t i = 0; i < npix; ++i)
          int_buffers.back()[i] = std::isfinite(m.values[i])
                                      ? static_cast<int32_t>(std::lround(m.values[i]))
                                      : INT32_MIN;
        s.idata = int_buffers.back().data();
      } else {
        s.fdata = m.values.data();
      }
      signals.push_back(std::move(s));
    }
    for (const auto& st : set.peak_stacks) {
      if (st.n_peaks < 1) fail("{}: peak stack '{}' has {} peaks", what, st.name, st.n_peaks);
      if (st.values.size() != npix * st.n_peaks)
        fail("{}: peak stack '{}' has {} values, n_peaks × ny × nx = {} × {} × {} = {}", what,
             st.name, st.values.size(), st.n_peaks, set.ny, set.nx, npix * st.n_peaks);
      if (!st.peak_labels.empty() && static_cast<int>(st.peak_labels.size()) != st.n_peaks)
        fail("{}: peak stack '{}' has {} labels for {} peaks", what, st.name, st.peak_labels.size(),
             st.n_peaks);
      SignalOut s = base(st.name, st.long_name.empty() ? st.name : st.long_name,
                         fmt::format("{}{}", st.long_name.empty() ? st.name : st.long_name,
                                     st.units.empty() ? "" : " (" + st.units + ")"));
      AxisOut peak;
      peak.name = "peak";
      peak.long_name = "Peak";
      peak.size = st.n_peaks;
      peak.navigate = true;
      s.axes.push_back(peak);
      for (const auto& a : image_axes) s.axes.push_back(a);
      s.original_metadata["map_units"] = st.units;
      for (int k = 0; k < static_cast<int>(st.peak_labels.size()); ++k)
        s.original_metadata[fmt::format("peak_{}", k)] = st.peak_labels[k];
      s.fdata = st.values.data();
      signals.push_back(std::move(s));
    }
  }
  for (size_t i = 0; i < cubes.size(); ++i)
    signals.push_back(spectrum_signal(
        cubes[i], unique(used, safe_name(cubes[i].name, fmt::format("spectrum{}", i)))));
  if (signals.empty()) fail("writing {}: the map sets hold no maps", path);
  write_file(path, signals.front().group, [&](const Writer& w, hid_t ex) {
    for (const auto& s : signals) write_signal(w, ex, s);
  });
}

}  // namespace vitrum::spectra
