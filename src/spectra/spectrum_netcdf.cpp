// netCDF-4 spectral images as xarray writes them (DataArray.to_netcdf, engine netcdf4 or
// h5netcdf; PyARPES and many beamlines store data so): read through the project's HDF5 helper,
// with the dimensions resolved from the HDF5 dimension scales (DIMENSION_LIST on the variable,
// CLASS = "DIMENSION_SCALE" on the coordinate datasets).
//
// Why not libnetcdf: Debian's libnetcdf19 links the serial HDF5 (libhdf5_serial.so.103) while
// vitrum links the parallel one (libhdf5_openmpi.so.103). Both export the same H5* symbols, so
// in one process the dynamic linker binds libnetcdf's HDF5 calls to whichever copy was loaded
// first: two HDF5 libraries with different build configurations would share one set of global
// identifiers (H5T_NATIVE_*, the library's open/close state), which is undefined behaviour. A
// netCDF-4 file is an HDF5 file with a documented mapping (dimensions = dimension scales), so
// reading it directly is both safe and small.
#include <hdf5.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <optional>
#include <string>
#include <vector>

#include "spectrum_hdf5_handles.hpp"
#include "vitrum/core/error.hpp"
#include "vitrum/core/hdf5.hpp"
#include "vitrum/spectra/spectrum_io.hpp"

namespace vitrum::spectra {
namespace {

using h5::Handle;
using namespace hdf5_detail;  // NOLINT: the handle factories shared with the HDF5 reader

/// netCDF-4 marks a dimension without a coordinate variable with this NAME prefix.
constexpr const char* kBareDimension = "This is a netCDF dimension but not a netCDF variable";

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

/// One dimension of a variable: its name and, when it has a coordinate variable, its values and
/// string attributes of interest.
struct Dim {
  std::string name;
  hsize_t size = 0;
  std::vector<double> coords;  ///< empty: no coordinate variable (index axis)
  std::string units, long_name, axis_kind;
};

std::string base_name(hid_t obj) {
  char buf[1024] = {};
  const ssize_t n = H5Iget_name(obj, buf, sizeof buf);
  std::string s = n > 0 ? std::string(buf, static_cast<size_t>(std::min<ssize_t>(n, 1023))) : "";
  const auto slash = s.find_last_of('/');
  return slash == std::string::npos ? s : s.substr(slash + 1);
}

/// The energy-axis declaration of an object's attributes ("energy_axis", "energy_kind").
std::string axis_attr(hid_t obj) {
  for (const char* key : {"energy_axis", "energy_kind"})
    if (auto s = h5::read_string_attr(obj, key)) return *s;
  return {};
}

/// Reads a 1-D numeric coordinate dataset as double.
std::vector<double> read_coords(hid_t ds, const std::string& file, const std::string& name) {
  Handle type = type_handle(H5Dget_type(ds));
  const H5T_class_t cls = H5Tget_class(type.get());
  if (cls != H5T_INTEGER && cls != H5T_FLOAT)
    throw InputError(file, 0,
                     fmt::format("coordinate '{}' is not numeric (expected numbers in eV or a "
                                 "position)",
                                 name));
  Handle space = space_handle(H5Dget_space(ds));
  const hssize_t n = H5Sget_simple_extent_npoints(space.get());
  std::vector<double> v(static_cast<size_t>(std::max<hssize_t>(n, 0)));
  if (n > 0 && H5Dread(ds, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, v.data()) < 0)
    throw InputError(file, 0,
                     fmt::format("cannot read coordinate '{}': {}", name, h5::error_message()));
  return v;
}

/// The dimensions of variable `var` from its DIMENSION_LIST attribute (one object reference per
/// dimension, to the dimension-scale dataset).
std::vector<Dim> read_dims(hid_t var, int rank, const hsize_t* sizes, const std::string& file,
                           const std::string& vname) {
  auto bad = [&](const std::string& why) {
    throw InputError(file, 0,
                     fmt::format("variable '{}': {} (a netCDF-4 variable names its dimensions "
                                 "in DIMENSION_LIST)",
                                 vname, why));
  };
  Handle attr = attr_handle(H5Aopen(var, "DIMENSION_LIST", H5P_DEFAULT));
  if (!attr.valid()) bad("no DIMENSION_LIST attribute");
  Handle aspace = space_handle(H5Aget_space(attr.get()));
  if (H5Sget_simple_extent_npoints(aspace.get()) != rank)
    bad(fmt::format("DIMENSION_LIST has {} entries for rank {}",
                    H5Sget_simple_extent_npoints(aspace.get()), rank));
  Handle vtype = type_handle(H5Tvlen_create(H5T_STD_REF_OBJ));
  std::vector<hvl_t> refs(static_cast<size_t>(rank));
  if (H5Aread(attr.get(), vtype.get(), refs.data()) < 0)
    bad(fmt::format("cannot read DIMENSION_LIST: {}", h5::error_message()));
  std::vector<Dim> dims(static_cast<size_t>(rank));
  std::string problem;
  for (int i = 0; i < rank && problem.empty(); ++i) {
    Dim& d = dims[i];
    d.size = sizes[i];
    if (refs[i].len < 1) {
      problem = fmt::format("dimension {} has no dimension scale", i);
      break;
    }
    hobj_ref_t ref = static_cast<hobj_ref_t*>(refs[i].p)[0];
    Handle scale = dataset_handle(H5Rdereference2(var, H5P_DEFAULT, H5R_OBJECT, &ref));
    if (!scale.valid()) {
      problem = fmt::format("dimension {}: its dimension scale cannot be opened", i);
      break;
    }
    d.name = base_name(scale.get());
    const std::string nm = h5::read_string_attr(scale.get(), "NAME").value_or("");
    if (nm.rfind(kBareDimension, 0) != 0) {
      d.coords = read_coords(scale.get(), file, d.name);
      if (d.coords.size() != d.size)
        problem = fmt::format("coordinate '{}' has {} values for a dimension of size {}", d.name,
                              d.coords.size(), d.size);
      d.units = h5::read_string_attr(scale.get(), "units").value_or("");
      d.long_name = h5::read_string_attr(scale.get(), "long_name").value_or("");
      d.axis_kind = axis_attr(scale.get());
    }
  }
  H5Dvlen_reclaim(vtype.get(), aspace.get(), H5P_DEFAULT, refs.data());
  if (!problem.empty()) bad(problem);
  return dims;
}

bool is_energy_name(const std::string& n) {
  static const char* names[] = {"energy", "ev",          "e",       "binding_energy",
                                "be",     "eb",          "kinetic", "kinetic_energy",
                                "ke",     "ek",          "e-e_f",   "e_minus_ef",
                                "e-ef",   "eb_relative", "binding", "energy_relative_to_ef"};
  const std::string l = lower(n);
  return std::find(std::begin(names), std::end(names), l) != std::end(names);
}

/// Index of the energy dimension: the one named in the options, else the one whose name says
/// energy, else the only coordinate in eV.
int energy_dim(const std::vector<Dim>& dims, const ReadOptions& o, const std::string& file,
               const std::string& vname) {
  auto names = [&] {
    std::string s;
    for (const auto& d : dims) s += (s.empty() ? "" : ", ") + d.name;
    return s;
  };
  if (!o.energy_dimension.empty()) {
    for (size_t i = 0; i < dims.size(); ++i)
      if (dims[i].name == o.energy_dimension) return static_cast<int>(i);
    throw InputError(file, 0,
                     fmt::format("variable '{}' has no dimension '{}' (the energy dimension "
                                 "asked for); its dimensions are ({})",
                                 vname, o.energy_dimension, names()));
  }
  std::vector<int> by_name, by_units;
  for (size_t i = 0; i < dims.size(); ++i) {
    if (is_energy_name(dims[i].name)) by_name.push_back(static_cast<int>(i));
    if (lower(dims[i].units) == "ev") by_units.push_back(static_cast<int>(i));
  }
  if (by_name.size() == 1) return by_name[0];
  if (by_name.empty() && by_units.size() == 1) return by_units[0];
  throw InputError(file, 0,
                   fmt::format("variable '{}': cannot tell which of its dimensions ({}) is the "
                               "energy axis: name it 'energy' (or binding_energy, kinetic_energy, "
                               "eV), give only it units \"eV\", or set [data] energy_dimension",
                               vname, names()));
}

/// Axis kind from a declaration text: binding, kinetic, E−E_F (nullopt when not recognised).
std::optional<EnergyDeclared> kind_of_text(const std::string& text) {
  const std::string t = lower(text);
  if (t.empty()) return std::nullopt;
  const bool ends_ef = t.size() >= 2 && t.compare(t.size() - 2, 2, "ef") == 0;
  if (t.find("fermi") != std::string::npos || t.find("e_f") != std::string::npos || ends_ef)
    return EnergyDeclared::RelativeToFermi;
  if (t.find("binding") != std::string::npos || t == "be" || t == "eb")
    return EnergyDeclared::Binding;
  if (t.find("kinetic") != std::string::npos || t == "ke" || t == "ek")
    return EnergyDeclared::Kinetic;
  return std::nullopt;
}

/// The energy-axis kind: the option, else attributes (coordinate, variable, file), else the
/// coordinate's name or long_name; an InputError when none says it.
EnergyDeclared energy_kind_of(const Dim& e, hid_t var, hid_t root, const ReadOptions& o,
                              const std::string& file, const std::string& vname) {
  if (o.energy_kind != EnergyDeclared::FromFile) return o.energy_kind;
  for (const std::string& text :
       {e.axis_kind, axis_attr(var), axis_attr(root), e.name, e.long_name}) {
    if (const auto k = kind_of_text(text)) return *k;
  }
  throw InputError(file, 0,
                   fmt::format("variable '{}': the energy coordinate '{}' does not say whether it "
                               "is binding energy, kinetic energy or E - E_F: set its attribute "
                               "energy_axis = \"binding\" | \"kinetic\" | \"E-E_F\" (or on the "
                               "variable or the file), or give [data] energy_kind (spectra fit) or "
                               "--energy-kind (spectra info)",
                               vname, e.name));
}

/// A navigation axis from a dimension: offset/scale of evenly spaced coordinates, else an index.
NavAxis nav_axis(const Dim& d, SpectrumImage& img) {
  NavAxis a;
  a.name = d.name;
  a.units = d.units;
  a.long_name = d.long_name;
  if (d.coords.size() >= 2) {
    const double step = (d.coords.back() - d.coords.front()) / (d.coords.size() - 1);
    bool even = step != 0.0;
    for (size_t i = 1; i < d.coords.size() && even; ++i)
      even = std::fabs(d.coords[i] - d.coords[i - 1] - step) <= 1e-6 * std::fabs(step);
    if (even) {
      a.offset = d.coords.front();
      a.scale = step;
    } else {
      a.units = "";
      img.metadata["netcdf_uneven_axis_" + d.name] = "coordinates not evenly spaced; pixel index";
    }
  } else if (d.coords.size() == 1) {
    a.offset = d.coords.front();
  }
  return a;
}

double number_attr_any(hid_t var, hid_t root, std::initializer_list<const char*> keys) {
  for (hid_t obj : {var, root})
    for (const char* k : keys)
      if (auto v = h5::read_number_attr(obj, k)) return *v;
  return 0.0;
}

/// Reads the variable's values into img.counts as [y][x][energy] (img's shape and energy set),
/// applying CF packing (scale_factor, add_offset) where present.
void read_values(hid_t var, int rank, const hsize_t* sizes, int ie, const std::vector<int>& nav,
                 const std::string& file, const std::string& vname, SpectrumImage& img) {
  const long nch = img.channels();
  std::vector<float> raw(static_cast<size_t>(img.pixels()) * nch);
  if (H5Dread(var, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, raw.data()) < 0)
    throw InputError(
        file, 0,
        fmt::format("cannot read variable '{}' as numbers: {}", vname, h5::error_message()));
  const double scale = h5::read_number_attr(var, "scale_factor").value_or(1.0);
  const double offset = h5::read_number_attr(var, "add_offset").value_or(0.0);
  long stride[3] = {1, 1, 1};  // stored strides by dimension
  for (int i = rank - 2; i >= 0; --i) stride[i] = stride[i + 1] * static_cast<long>(sizes[i + 1]);
  const long sy = nav.size() == 2 ? stride[nav[0]] : 0;
  const long sx = nav.empty() ? 0 : stride[nav.back()];
  const long se = stride[ie];
  img.counts.resize(raw.size());
  for (long y = 0; y < img.ny; ++y)
    for (long x = 0; x < img.nx; ++x) {
      float* out = img.spectrum(y * img.nx + x);
      for (long c = 0; c < nch; ++c)
        out[c] = static_cast<float>(raw[y * sy + x * sx + c * se] * scale + offset);
    }
}

/// Reads variable `vname` of the root group into a SpectrumImage, energy last and ascending.
SpectrumImage read_variable(hid_t root, const std::string& vname, const std::string& file,
                            const ReadOptions& o) {
  Handle var = dataset_handle(H5Dopen2(root, vname.c_str(), H5P_DEFAULT));
  if (!var.valid()) throw InputError(file, 0, fmt::format("cannot open variable '{}'", vname));
  Handle space = space_handle(H5Dget_space(var.get()));
  const int rank = H5Sget_simple_extent_ndims(space.get());
  if (rank < 1 || rank > 3)
    throw InputError(file, 0,
                     fmt::format("variable '{}' has {} dimensions; expected 1 (energy), 2 (one "
                                 "navigation axis and energy) or 3 (two and energy), in any order",
                                 vname, rank));
  hsize_t sizes[3] = {0, 0, 0};
  H5Sget_simple_extent_dims(space.get(), sizes, nullptr);
  const std::vector<Dim> dims = read_dims(var.get(), rank, sizes, file, vname);
  const int ie = energy_dim(dims, o, file, vname);
  const Dim& ed = dims[ie];
  if (ed.coords.empty())
    throw InputError(file, 0,
                     fmt::format("variable '{}': the energy dimension '{}' has no coordinate "
                                 "values (write the DataArray with its energy coordinate)",
                                 vname, ed.name));
  // Navigation dimensions: "y" before "x" when so named, else in stored order.
  std::vector<int> nav;
  for (int i = 0; i < rank; ++i)
    if (i != ie) nav.push_back(i);
  if (nav.size() == 2 && lower(dims[nav[0]].name) == "x" && lower(dims[nav[1]].name) == "y")
    std::swap(nav[0], nav[1]);

  SpectrumImage img;
  img.source = file;
  img.name = vname;
  const long nch = static_cast<long>(ed.size);
  img.ny = nav.size() == 2 ? static_cast<int>(sizes[nav[0]]) : 1;
  img.nx = nav.empty() ? 1 : static_cast<int>(sizes[nav.back()]);
  for (int i : nav) img.navigation.push_back(nav_axis(dims[i], img));

  img.energy = ed.coords;  // (sets channels() for spectrum())
  read_values(var.get(), rank, sizes, ie, nav, file, vname, img);

  // Energy axis: kind, then E − E_F → binding (E_B = −(E − E_F)), ascending order.
  const EnergyDeclared kind = energy_kind_of(ed, var.get(), root, o, file, vname);
  img.energy_units = ed.units.empty() ? "eV" : ed.units;
  img.photon_energy = number_attr_any(var.get(), root, {"photon_energy", "hv", "hnu"});
  img.work_function = number_attr_any(var.get(), root, {"work_function", "workfunction", "phi"});
  img.energy_kind = kind == EnergyDeclared::Kinetic ? EnergyKind::Kinetic : EnergyKind::Binding;
  if (kind == EnergyDeclared::RelativeToFermi) {
    for (double& e : img.energy) e = -e;
    img.metadata["energy_axis_recorded"] = "E - E_F (stored as binding energy -(E - E_F))";
  }
  img.metadata["energy_axis_declared"] = kind == EnergyDeclared::Binding   ? "binding"
                                         : kind == EnergyDeclared::Kinetic ? "kinetic"
                                                                           : "E-E_F";
  img.metadata["netcdf_dimensions"] = [&] {
    std::string s;
    for (const auto& d : dims) s += (s.empty() ? "" : ",") + d.name;
    return s;
  }();
  if (check_monotonic(img.energy, file, fmt::format("variable '{}' energy '{}'", vname, ed.name))) {
    std::reverse(img.energy.begin(), img.energy.end());
    for (long p = 0; p < img.pixels(); ++p) std::reverse(img.spectrum(p), img.spectrum(p) + nch);
  }
  return img;
}

/// Names of the root group's netCDF data variables: datasets with DIMENSION_LIST that are not
/// dimension scales and not auxiliary coordinates (named in another variable's `coordinates`).
std::vector<std::string> data_variables(hid_t root) {
  std::vector<std::string> names;
  H5Literate(
      root, H5_INDEX_NAME, H5_ITER_INC, nullptr,
      [](hid_t, const char* name, const H5L_info_t*, void* op) -> herr_t {
        static_cast<std::vector<std::string>*>(op)->emplace_back(name);
        return 0;
      },
      &names);
  std::vector<std::string> vars, aux;
  for (const auto& n : names) {
    H5O_info_t info;
    if (H5Oget_info_by_name(root, n.c_str(), &info, H5P_DEFAULT) < 0 ||
        info.type != H5O_TYPE_DATASET)
      continue;
    Handle d = dataset_handle(H5Dopen2(root, n.c_str(), H5P_DEFAULT));
    if (!d.valid()) continue;
    if (h5::read_string_attr(d.get(), "CLASS").value_or("") == "DIMENSION_SCALE") continue;
    if (H5Aexists(d.get(), "DIMENSION_LIST") <= 0) continue;
    vars.push_back(n);
    const std::string coords = h5::read_string_attr(d.get(), "coordinates").value_or("");
    size_t b = 0;
    while (b < coords.size()) {
      const size_t e = coords.find(' ', b);
      aux.push_back(coords.substr(b, e == std::string::npos ? std::string::npos : e - b));
      if (e == std::string::npos) break;
      b = e + 1;
    }
  }
  std::vector<std::string> out;
  for (const auto& v : vars)
    if (std::find(aux.begin(), aux.end(), v) == aux.end()) out.push_back(v);
  return out;
}

}  // namespace

bool is_netcdf4(const std::string& path) {
  h5::QuietErrors quiet;
  Handle file(H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT), H5Fclose);
  if (!file.valid()) return false;
  Handle root = group_handle(H5Gopen2(file.get(), "/", H5P_DEFAULT));
  return root.valid() && H5Aexists(root.get(), "_NCProperties") > 0;
}

std::vector<SpectrumImage> read_spectrum_netcdf(const std::string& path, const ReadOptions& o) {
  h5::QuietErrors quiet;
  Handle file(H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT), H5Fclose);
  if (!file.valid())
    throw InputError(path, 0,
                     "cannot open as netCDF-4/HDF5 (netCDF-3 classic files are not read: write "
                     "with engine=\"netcdf4\" or \"h5netcdf\", format NETCDF4)");
  Handle root = group_handle(H5Gopen2(file.get(), "/", H5P_DEFAULT));
  const std::vector<std::string> vars = data_variables(root.get());
  if (vars.empty())
    throw InputError(path, 0,
                     "no netCDF data variable with dimensions in the root group (expected an "
                     "xarray DataArray written by to_netcdf)");
  std::vector<SpectrumImage> images;
  for (const auto& v : vars) {
    SpectrumImage im = read_variable(root.get(), v, path, o);
    if (im.name == "__xarray_dataarray_variable__") im.name = "data";
    if (o.photon_energy > 0 && !(im.photon_energy > 0)) im.photon_energy = o.photon_energy;
    if (o.work_function > 0 && !(im.work_function > 0)) im.work_function = o.work_function;
    if (o.energy != EnergyAxis::AsRecorded)
      convert_energy(im,
                     o.energy == EnergyAxis::Binding ? EnergyKind::Binding : EnergyKind::Kinetic,
                     o.photon_energy);
    images.push_back(std::move(im));
  }
  return images;
}

}  // namespace vitrum::spectra
