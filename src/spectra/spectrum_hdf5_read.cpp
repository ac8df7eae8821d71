// HDF5 spectrum images and result maps in the layout HyperSpy (.hspy 3.1), NeXus (NXdata) and h5py
// all read (../shared/formats/spectrum-hdf5.md). Every HDF5 id is owned by an RAII Handle, so each
// one is closed on every exit path, exceptions included; the writer is
// spectrum_hdf5_write.cpp.
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
namespace {

using h5::Handle;
using h5::QuietErrors;
using namespace hdf5_detail;  // NOLINT: the handle factories of this file's pair

// ------------------------------------------------------------------------------ read helpers

/// Context for reader messages: "file: object: problem".
struct ReadCtx {
  const std::string& file;
  [[noreturn]] void error(const std::string& object, const std::string& msg) const {
    throw InputError(file, 0, object.empty() ? msg : fmt::format("{}: {}", object, msg));
  }
};

using h5::read_number_attr;
using h5::read_string_attr;

/// All attributes of `obj` that are strings or numeric scalars, as text.
void read_attrs_as_text(hid_t obj, const std::string& prefix,
                        std::map<std::string, std::string>& out) {
  std::vector<std::string> names;
  hsize_t idx = 0;
  H5Aiterate2(
      obj, H5_INDEX_NAME, H5_ITER_INC, &idx,
      [](hid_t, const char* name, const H5A_info_t*, void* op) -> herr_t {
        static_cast<std::vector<std::string>*>(op)->emplace_back(name);
        return 0;
      },
      &names);
  for (const auto& name : names) {
    if (auto s = h5::read_string_attrs(obj, name.c_str())) {
      std::string joined;
      for (size_t k = 0; k < s->size(); ++k) joined += (k ? "," : "") + (*s)[k];
      out[prefix + name] = joined;
    } else if (auto d = read_number_attr(obj, name.c_str())) {
      out[prefix + name] = fmt::format("{}", *d);
    }
  }
}

/// Reads a whole 1-D numeric dataset as double.
std::vector<double> read_vector(hid_t loc, const std::string& name, const ReadCtx& ctx,
                                const std::string& where) {
  Handle d = dataset_handle(H5Dopen2(loc, name.c_str(), H5P_DEFAULT));
  if (!d.valid()) ctx.error(where, fmt::format("cannot open dataset '{}'", name));
  Handle type = type_handle(H5Dget_type(d.get()));
  const H5T_class_t cls = H5Tget_class(type.get());
  if (cls != H5T_INTEGER && cls != H5T_FLOAT)
    ctx.error(where, fmt::format("dataset '{}' is not numeric", name));
  Handle space = space_handle(H5Dget_space(d.get()));
  if (H5Sget_simple_extent_ndims(space.get()) != 1)
    ctx.error(where, fmt::format("coordinate dataset '{}' is not 1-D", name));
  const hssize_t n = H5Sget_simple_extent_npoints(space.get());
  std::vector<double> v(static_cast<size_t>(std::max<hssize_t>(n, 0)));
  if (n > 0 && H5Dread(d.get(), H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, v.data()) < 0)
    ctx.error(where, fmt::format("cannot read dataset '{}': {}", name, h5::error_message()));
  return v;
}

int kind_from_text(const std::string& text) {
  std::string t = text;
  for (auto& c : t) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (t.find("binding") != std::string::npos) return 1;
  if (t.find("kinetic") != std::string::npos) return 2;
  return 0;
}

/// Reads one NXdata / HyperSpy signal group `gname` (its signal dataset `signal`).
SpectrumImage read_signal_group(hid_t parent, const std::string& gname,
                                const std::string& path_in_file, const ReadCtx& ctx,
                                const ReadOptions& options) {
  Handle g = group_handle(H5Gopen2(parent, gname.c_str(), H5P_DEFAULT));
  if (!g.valid()) ctx.error(path_in_file, "cannot open group");
  const std::string signal = read_string_attr(g.get(), "signal").value_or("data");
  const std::string dpath = path_in_file + "/" + signal;
  if (!link_exists(g.get(), signal)) ctx.error(dpath, "signal dataset missing");
  Handle d = dataset_handle(H5Dopen2(g.get(), signal.c_str(), H5P_DEFAULT));
  if (!d.valid()) ctx.error(dpath, "cannot open the signal dataset");
  Handle type = type_handle(H5Dget_type(d.get()));
  const H5T_class_t cls = H5Tget_class(type.get());
  if (cls != H5T_INTEGER && cls != H5T_FLOAT)
    ctx.error(dpath, "the spectrum dataset is not numeric (expected float or integer counts)");
  Handle space = space_handle(H5Dget_space(d.get()));
  const int rank = H5Sget_simple_extent_ndims(space.get());
  if (rank < 1 || rank > 3)
    ctx.error(dpath, fmt::format("dataset has rank {}; expected 1 (channels), 2 (n × channels) or "
                                 "3 (ny × nx × channels), energy last",
                                 rank));
  hsize_t dims[3] = {0, 0, 0};
  H5Sget_simple_extent_dims(space.get(), dims, nullptr);
  const hsize_t nch = dims[rank - 1];
  if (nch < 2) ctx.error(dpath, fmt::format("{} energy channel(s); expected at least 2", nch));
  for (int i = 0; i < rank; ++i)
    if (dims[i] == 0) ctx.error(dpath, fmt::format("dimension {} has size 0", i));

  SpectrumImage img;
  img.source = ctx.file;
  img.name = gname;
  if (rank == 3) {
    img.ny = static_cast<int>(dims[0]);
    img.nx = static_cast<int>(dims[1]);
  } else if (rank == 2) {
    img.ny = 1;
    img.nx = static_cast<int>(dims[0]);
  }

  // Axis names from NXdata @axes; HyperSpy axis-i groups give offset/scale/units.
  std::vector<std::string> axes =
      h5::read_string_attrs(g.get(), "axes").value_or(std::vector<std::string>{});
  if (!axes.empty() && static_cast<int>(axes.size()) != rank)
    ctx.error(path_in_file, fmt::format("@axes names {} axes but the signal dataset has rank {}",
                                        axes.size(), rank));
  auto axis_info = [&](int i, NavAxis& a, hsize_t n, std::vector<double>* coords) {
    const std::string ag = fmt::format("axis-{}", i);
    if (link_exists(g.get(), ag)) {
      Handle ah = group_handle(H5Gopen2(g.get(), ag.c_str(), H5P_DEFAULT));
      if (ah.valid()) {
        a.long_name = read_string_attr(ah.get(), "name").value_or("");
        a.units = read_string_attr(ah.get(), "units").value_or("");
        if (a.units == "_None_") a.units.clear();
        if (a.long_name == "_None_") a.long_name.clear();
        a.offset = read_number_attr(ah.get(), "offset").value_or(0.0);
        a.scale = read_number_attr(ah.get(), "scale").value_or(1.0);
        const auto size = read_number_attr(ah.get(), "size");
        if (size && static_cast<hsize_t>(*size) != n)
          ctx.error(path_in_file + "/" + ag,
                    fmt::format("@size is {} but dimension {} of the data has {}", *size, i, n));
      }
    }
    const std::string cname = i < static_cast<int>(axes.size()) ? axes[i] : std::string();
    a.name = cname.empty() || cname == "." ? fmt::format("axis{}", i) : cname;
    if (!cname.empty() && cname != "." && link_exists(g.get(), cname)) {
      const std::vector<double> v = read_vector(g.get(), cname, ctx, path_in_file + "/" + cname);
      if (v.size() != n)
        ctx.error(path_in_file + "/" + cname,
                  fmt::format("coordinate has {} values but dimension {} of the data has {}",
                              v.size(), i, n));
      if (coords) *coords = v;
      if (v.size() >= 2) {
        a.offset = v[0];
        a.scale = v[1] - v[0];
      } else if (v.size() == 1) {
        a.offset = v[0];
      }
      Handle ch = dataset_handle(H5Dopen2(g.get(), cname.c_str(), H5P_DEFAULT));
      if (ch.valid()) {
        if (auto u = read_string_attr(ch.get(), "units")) a.units = *u;
        if (auto ln = read_string_attr(ch.get(), "long_name")) a.long_name = *ln;
        if (auto t = read_string_attr(ch.get(), "type")) a.long_name += " @type=" + *t;
      }
    } else if (coords) {
      coords->resize(n);
      for (hsize_t k = 0; k < n; ++k) (*coords)[k] = a.offset + a.scale * static_cast<double>(k);
    }
  };
  for (int i = 0; i + 1 < rank; ++i) {
    NavAxis a;
    axis_info(i, a, dims[i], nullptr);
    img.navigation.push_back(a);
  }
  NavAxis ea;
  std::vector<double> energy;
  const bool have_axis_group = link_exists(g.get(), fmt::format("axis-{}", rank - 1));
  const bool have_coord = rank - 1 < static_cast<int>(axes.size()) && axes[rank - 1] != "." &&
                          link_exists(g.get(), axes[rank - 1]);
  if (!have_axis_group && !have_coord)
    ctx.error(path_in_file, fmt::format("no energy axis: expected a coordinate dataset named by "
                                        "@axes or a HyperSpy 'axis-{}' group",
                                        rank - 1));
  axis_info(rank - 1, ea, nch, &energy);
  // Energy kind: the coordinate's @type (NXmpes), else the axis names.
  int kind = 0;
  const auto at = ea.long_name.find(" @type=");
  if (at != std::string::npos) {
    kind = kind_from_text(ea.long_name.substr(at));
    ea.long_name.resize(at);
  }
  if (!kind) kind = kind_from_text(ea.long_name + " " + ea.name);
  img.energy_kind = kind == 2 ? EnergyKind::Kinetic : EnergyKind::Binding;
  if (!kind) img.metadata["energy_kind_assumed"] = "binding (the file does not say)";
  img.energy_units = ea.units.empty() ? "eV" : ea.units;
  img.metadata["energy_axis"] = ea.long_name.empty() ? ea.name : ea.long_name;

  // Intensities.
  img.counts.resize(static_cast<size_t>(img.pixels()) * nch);
  if (H5Dread(d.get(), H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, img.counts.data()) < 0)
    ctx.error(dpath, fmt::format("cannot read the data: {}", h5::error_message()));
  const bool descending = check_monotonic(energy, ctx.file, dpath + " energy axis");
  img.energy = std::move(energy);
  if (descending) {
    std::reverse(img.energy.begin(), img.energy.end());
    for (long p = 0; p < img.pixels(); ++p) std::reverse(img.spectrum(p), img.spectrum(p) + nch);
    img.metadata["energy_flipped"] = "true (stored descending)";
  }

  // Metadata: HyperSpy's metadata/General and original_metadata.
  img.metadata["format"] = "HDF5";
  img.metadata["hdf5_path"] = path_in_file;
  if (link_exists(g.get(), "metadata") && link_exists(g.get(), "metadata/General")) {
    Handle mg = group_handle(H5Gopen2(g.get(), "metadata/General", H5P_DEFAULT));
    if (mg.valid()) read_attrs_as_text(mg.get(), "", img.metadata);
  }
  if (link_exists(g.get(), "metadata") && link_exists(g.get(), "metadata/Signal")) {
    Handle ms = group_handle(H5Gopen2(g.get(), "metadata/Signal", H5P_DEFAULT));
    if (ms.valid()) read_attrs_as_text(ms.get(), "signal.", img.metadata);
  }
  if (link_exists(g.get(), "original_metadata")) {
    Handle om = group_handle(H5Gopen2(g.get(), "original_metadata", H5P_DEFAULT));
    if (om.valid()) {
      read_attrs_as_text(om.get(), "", img.metadata);
      for (const char* key : {"photon_energy_eV", "photon_energy", "excitation_energy",
                              "excitation_energy_eV", "source_energy_eV"}) {
        if (auto v = read_number_attr(om.get(), key); v && *v > 0) {
          img.photon_energy = *v;
          break;
        }
      }
    }
  }
  if (options.photon_energy > 0 && img.photon_energy <= 0)
    img.photon_energy = options.photon_energy;
  if (options.energy != EnergyAxis::AsRecorded) {
    const EnergyKind want =
        options.energy == EnergyAxis::Binding ? EnergyKind::Binding : EnergyKind::Kinetic;
    if (want != img.energy_kind && img.photon_energy <= 0)
      ctx.error(path_in_file,
                fmt::format("cannot convert {} to {} energy: no excitation energy "
                            "in original_metadata (photon_energy_eV); give it "
                            "explicitly",
                            energy_kind_name(img.energy_kind), energy_kind_name(want)));
    convert_energy(img, want);
  }
  return img;
}

/// Names of the links in group `loc`, in creation (else name) order.
std::vector<std::string> child_names(hid_t loc) {
  std::vector<std::string> names;
  auto cb = [](hid_t, const char* name, const H5L_info_t*, void* op) -> herr_t {
    static_cast<std::vector<std::string>*>(op)->emplace_back(name);
    return 0;
  };
  hsize_t idx = 0;
  if (H5Literate(loc, H5_INDEX_CRT_ORDER, H5_ITER_INC, &idx, cb, &names) < 0) {
    names.clear();
    idx = 0;
    H5Literate(loc, H5_INDEX_NAME, H5_ITER_INC, &idx, cb, &names);
  }
  return names;
}

bool is_group(hid_t loc, const std::string& name) {
  if (!link_exists(loc, name)) return false;
  Handle o = object_handle(H5Oopen(loc, name.c_str(), H5P_DEFAULT));
  return o.valid() && H5Iget_type(o.get()) == H5I_GROUP;
}

/// Depth-first search for NXdata-like groups (with @signal) outside /Experiments.
void find_signal_groups(hid_t loc, const std::string& path, int depth,
                        std::vector<std::pair<std::string, std::string>>& found) {
  if (depth > 8) return;
  for (const auto& name : child_names(loc)) {
    if (!is_group(loc, name)) continue;
    Handle g = group_handle(H5Gopen2(loc, name.c_str(), H5P_DEFAULT));
    if (!g.valid()) continue;
    const std::string p = path + "/" + name;
    if (H5Aexists(g.get(), "signal") > 0)
      found.emplace_back(path, name);
    else
      find_signal_groups(g.get(), p, depth + 1, found);
  }
}

}  // namespace

std::vector<SpectrumImage> read_spectrum_hdf5(const std::string& path, const ReadOptions& options) {
  QuietErrors quiet;
  const ReadCtx ctx{path};
  if (H5Fis_hdf5(path.c_str()) <= 0)
    throw InputError(path, 0, "not an HDF5 file (no HDF5 signature), or it cannot be read");
  Handle file(H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT), H5Fclose);
  if (!file.valid())
    throw InputError(path, 0, fmt::format("cannot open as HDF5: {}", h5::error_message()));
  std::vector<SpectrumImage> out;
  if (is_group(file.get(), "Experiments")) {
    Handle ex = group_handle(H5Gopen2(file.get(), "Experiments", H5P_DEFAULT));
    for (const auto& name : child_names(ex.get())) {
      if (!is_group(ex.get(), name)) continue;
      Handle g = group_handle(H5Gopen2(ex.get(), name.c_str(), H5P_DEFAULT));
      const std::string signal = read_string_attr(g.get(), "signal").value_or("data");
      g.close();
      if (!link_exists(ex.get(), name + "/" + signal)) continue;
      out.push_back(read_signal_group(ex.get(), name, "/Experiments/" + name, ctx, options));
    }
  }
  if (out.empty()) {
    std::vector<std::pair<std::string, std::string>> found;
    find_signal_groups(file.get(), "", 0, found);
    for (const auto& [parent, name] : found) {
      Handle pg =
          group_handle(H5Gopen2(file.get(), parent.empty() ? "/" : parent.c_str(), H5P_DEFAULT));
      out.push_back(read_signal_group(pg.get(), name, parent + "/" + name, ctx, options));
    }
  }
  if (out.empty())
    throw InputError(path, 0,
                     "no spectrum image found: expected /Experiments/<name>/data (HyperSpy) or an "
                     "NXdata group with @signal, holding (ny × nx × channels), (n × channels) or "
                     "(channels) with an energy axis");
  if (file.close() < 0) throw InputError(path, 0, "error closing the HDF5 file");
  return out;
}

}  // namespace vitrum::spectra
