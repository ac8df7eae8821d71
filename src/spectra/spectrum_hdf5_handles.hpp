// Internal to the spectrum HDF5 reader and writer: RAII handles by kind (vitrum/core/hdf5.hpp).
#pragma once

#include <string>

#include "vitrum/core/hdf5.hpp"

namespace vitrum::spectra::hdf5_detail {

using h5::Handle;

inline Handle group_handle(hid_t id) {
  return Handle(id, H5Gclose);
}
inline Handle dataset_handle(hid_t id) {
  return Handle(id, H5Dclose);
}
inline Handle space_handle(hid_t id) {
  return Handle(id, H5Sclose);
}
inline Handle type_handle(hid_t id) {
  return Handle(id, H5Tclose);
}
inline Handle attr_handle(hid_t id) {
  return Handle(id, H5Aclose);
}
inline Handle plist_handle(hid_t id) {
  return Handle(id, H5Pclose);
}
inline Handle object_handle(hid_t id) {
  return Handle(id, H5Oclose);
}

inline bool link_exists(hid_t loc, const std::string& name) {
  return H5Lexists(loc, name.c_str(), H5P_DEFAULT) > 0;
}

}  // namespace vitrum::spectra::hdf5_detail
