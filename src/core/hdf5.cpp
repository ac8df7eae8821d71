// HDF5 attribute helpers shared by the H5MD writer and reader, the checkpoint and the spectrum
// image files (see vitrum/core/hdf5.hpp).
#include "vitrum/core/hdf5.hpp"

#include <algorithm>

namespace vitrum::h5 {

namespace {

constexpr std::size_t kMaxStringBytes = std::size_t{1} << 24;

std::vector<std::string> read_variable(hid_t a, hid_t ftype, hid_t space, hssize_t n) {
  Handle mtype = string_type(0, true, H5Tget_cset(ftype));
  std::vector<char*> buf(static_cast<std::size_t>(n), nullptr);
  if (H5Aread(a, mtype.get(), buf.data()) < 0) return {};
  std::vector<std::string> out;
  for (char* s : buf) out.emplace_back(s != nullptr ? s : "");
  H5Dvlen_reclaim(mtype.get(), space, H5P_DEFAULT, buf.data());
  return out;
}

}  // namespace

std::string error_message() {
  std::string msg;
  H5Ewalk2(
      H5E_DEFAULT, H5E_WALK_UPWARD,
      [](unsigned n, const H5E_error2_t* e, void* out) -> herr_t {
        if (n == 0 && e != nullptr && e->desc != nullptr) *static_cast<std::string*>(out) = e->desc;
        return 0;
      },
      &msg);
  return msg.empty() ? std::string("HDF5 error") : msg;
}

Handle string_type(std::size_t size, bool variable, H5T_cset_t cset) {
  Handle t(H5Tcopy(H5T_C_S1), H5Tclose);
  if (variable) {
    H5Tset_size(t.get(), H5T_VARIABLE);
  } else {
    H5Tset_size(t.get(), std::max<std::size_t>(size, 1));
    H5Tset_strpad(t.get(), H5T_STR_NULLPAD);
  }
  H5Tset_cset(t.get(), cset);
  return t;
}

bool write_attr(hid_t obj, const char* name, hid_t file_type, hid_t mem_type, const void* data,
                const std::vector<hsize_t>& dims) {
  Handle space(dims.empty() ? H5Screate(H5S_SCALAR)
                            : H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr),
               H5Sclose);
  Handle a(H5Acreate2(obj, name, file_type, space.get(), H5P_DEFAULT, H5P_DEFAULT), H5Aclose);
  return a.valid() && H5Awrite(a.get(), mem_type, data) >= 0;
}

bool write_empty_attr(hid_t obj, const char* name, hid_t file_type) {
  Handle space(H5Screate(H5S_NULL), H5Sclose);
  Handle a(H5Acreate2(obj, name, file_type, space.get(), H5P_DEFAULT, H5P_DEFAULT), H5Aclose);
  return a.valid();
}

bool write_string_attr(hid_t obj, const char* name, const std::string& value, bool variable,
                       H5T_cset_t cset) {
  Handle t = string_type(value.size(), variable, cset);
  if (variable) {
    const char* c = value.c_str();
    return write_attr(obj, name, t.get(), t.get(), &c);
  }
  const std::string padded = value.empty() ? std::string(1, '\0') : value;
  return write_attr(obj, name, t.get(), t.get(), padded.data());
}

bool write_string_array_attr(hid_t obj, const char* name, const std::vector<std::string>& values) {
  Handle t = string_type(0, true);
  std::vector<const char*> ptrs;
  for (const auto& v : values) ptrs.push_back(v.c_str());
  return write_attr(obj, name, t.get(), t.get(), ptrs.data(), {values.size()});
}

hssize_t attr_points(hid_t attr) {
  Handle sp(H5Aget_space(attr), H5Sclose);
  if (H5Sget_simple_extent_type(sp.get()) == H5S_NULL) return 0;
  return H5Sget_simple_extent_npoints(sp.get());
}

std::optional<std::vector<std::string>> read_string_attrs(hid_t obj, const char* name,
                                                          StringRead how) {
  if (H5Aexists(obj, name) <= 0) return std::nullopt;
  Handle a(H5Aopen(obj, name, H5P_DEFAULT), H5Aclose);
  if (!a.valid()) return std::nullopt;
  Handle ftype(H5Aget_type(a.get()), H5Tclose);
  if (H5Tget_class(ftype.get()) != H5T_STRING) return std::nullopt;
  Handle space(H5Aget_space(a.get()), H5Sclose);
  const hssize_t n = attr_points(a.get());
  if (n < 0) return std::nullopt;
  if (n == 0) return std::vector<std::string>{};
  if (H5Tis_variable_str(ftype.get()) > 0) {
    if (!how.allow_variable) return std::nullopt;
    std::vector<std::string> out = read_variable(a.get(), ftype.get(), space.get(), n);
    if (out.empty()) return std::nullopt;
    return out;
  }
  const std::size_t len = H5Tget_size(ftype.get());
  if (len == 0 || len > kMaxStringBytes) return std::nullopt;
  Handle mtype = string_type(len, false, H5Tget_cset(ftype.get()));
  std::vector<char> buf(static_cast<std::size_t>(n) * len + 1, '\0');
  if (H5Aread(a.get(), mtype.get(), buf.data()) < 0) return std::nullopt;
  std::vector<std::string> out;
  for (hssize_t i = 0; i < n; ++i) {
    std::string s(buf.data() + i * len, len);
    const auto z = s.find('\0');
    if (z != std::string::npos) s.resize(z);
    while (how.trim_spaces && !s.empty() && s.back() == ' ') s.pop_back();
    out.push_back(std::move(s));
  }
  return out;
}

std::optional<std::string> read_string_attr(hid_t obj, const char* name, StringRead how) {
  auto v = read_string_attrs(obj, name, how);
  if (!v || v->empty()) return std::nullopt;
  return v->front();
}

std::optional<double> read_number_attr(hid_t obj, const char* name) {
  if (H5Aexists(obj, name) <= 0) return std::nullopt;
  Handle a(H5Aopen(obj, name, H5P_DEFAULT), H5Aclose);
  if (!a.valid()) return std::nullopt;
  Handle ftype(H5Aget_type(a.get()), H5Tclose);
  const H5T_class_t cls = H5Tget_class(ftype.get());
  if (cls != H5T_INTEGER && cls != H5T_FLOAT) return std::nullopt;
  if (attr_points(a.get()) != 1) return std::nullopt;
  double v = 0;
  if (H5Aread(a.get(), H5T_NATIVE_DOUBLE, &v) < 0) return std::nullopt;
  return v;
}

}  // namespace vitrum::h5
