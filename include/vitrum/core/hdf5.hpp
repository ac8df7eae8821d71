#pragma once
/// \file hdf5.hpp
/// The one set of HDF5 helpers of vitrum (H5MD trajectories, checkpoints, spectrum images):
/// RAII ownership of HDF5 identifiers, so every file, group, dataset, space, type and property
/// list is closed on every exit path (exceptions included; see AbandonOnUnwind for the exception
/// to that under MPI), a guard that silences HDF5's automatic error printing while vitrum
/// reports errors itself, and attribute writers and readers for numbers and strings. Writers
/// return false on failure and readers std::nullopt, so each caller words its own message.

#include <hdf5.h>

#include <cstddef>
#include <exception>
#include <optional>
#include <string>
#include <vector>

namespace vitrum::h5 {

/// While one is alive on this thread with `on` true, a Handle destroyed by an exception that
/// unwinds the stack gives its identifier up instead of closing it. For writes through MPI-IO on
/// several ranks: the error may be this rank's alone, and a close (H5Fclose is collective) would
/// wait for ranks that are inside another collective call; the caller then lets MPI_Abort end the
/// job. On the normal path, and for explicit Handle::close() calls, nothing changes.
class AbandonOnUnwind {
 public:
  explicit AbandonOnUnwind(bool on) : on_(on) {
    if (on_) ++depth();
  }
  ~AbandonOnUnwind() {
    if (on_) --depth();
  }
  AbandonOnUnwind(const AbandonOnUnwind&) = delete;
  AbandonOnUnwind& operator=(const AbandonOnUnwind&) = delete;
  static bool active() { return depth() > 0; }

 private:
  static int& depth() {
    static thread_local int d = 0;
    return d;
  }
  bool on_;
};

/// Owns one HDF5 identifier and closes it with the matching H5?close.
class Handle {
 public:
  using Closer = herr_t (*)(hid_t);
  Handle() = default;
  Handle(hid_t id, Closer closer) : id_(id), closer_(closer) {}
  Handle(const Handle&) = delete;
  Handle& operator=(const Handle&) = delete;
  Handle(Handle&& o) noexcept : id_(o.id_), closer_(o.closer_) { o.id_ = -1; }
  Handle& operator=(Handle&& o) noexcept {
    if (this != &o) {
      close();
      id_ = o.id_;
      closer_ = o.closer_;
      o.id_ = -1;
    }
    return *this;
  }
  ~Handle() {
    if (id_ >= 0 && AbandonOnUnwind::active() && std::uncaught_exceptions() > 0) {
      id_ = -1;  // given up unclosed, see AbandonOnUnwind
      return;
    }
    close();
  }
  hid_t get() const { return id_; }
  bool valid() const { return id_ >= 0; }
  /// Closes now; returns the H5?close status (0 if nothing was open).
  herr_t close() {
    herr_t r = 0;
    if (id_ >= 0 && closer_) r = closer_(id_);
    id_ = -1;
    return r;
  }
  /// Gives the identifier up without closing it (HDF5 closes it at exit, if the process gets
  /// there). For a file opened through MPI-IO on several ranks, whose H5?close is collective,
  /// when one rank unwinds from an error the others do not share (see H5mdWriter::~H5mdWriter).
  hid_t release() {
    const hid_t id = id_;
    id_ = -1;
    return id;
  }

 private:
  hid_t id_ = -1;
  Closer closer_ = nullptr;
};

/// Silences HDF5's automatic error-stack printing for its lifetime (we report errors ourselves).
class QuietErrors {
 public:
  QuietErrors() {
    H5Eget_auto2(H5E_DEFAULT, &func_, &data_);
    H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
  }
  ~QuietErrors() { H5Eset_auto2(H5E_DEFAULT, func_, data_); }
  QuietErrors(const QuietErrors&) = delete;
  QuietErrors& operator=(const QuietErrors&) = delete;

 private:
  H5E_auto2_t func_ = nullptr;
  void* data_ = nullptr;
};

/// The innermost message of the current HDF5 error stack ("HDF5 error" when it is empty).
std::string error_message();

// ---------------------------------------------------------------- writing attributes

/// A string type: fixed-length of `size` bytes (NULLPAD; size 0 is stored as 1), or
/// variable-length when `variable`. Fixed-length strings live in the object header, which the
/// HDF5 1.8+ format checksums; variable-length ones (what h5py returns as str) in the global heap.
Handle string_type(std::size_t size, bool variable, H5T_cset_t cset = H5T_CSET_UTF8);

/// Creates attribute `name` on `obj` (dims empty: scalar) and writes `data` in `mem_type`.
bool write_attr(hid_t obj, const char* name, hid_t file_type, hid_t mem_type, const void* data,
                const std::vector<hsize_t>& dims = {});

/// An attribute with a null dataspace (an empty array: a zero-size space cannot hold one).
bool write_empty_attr(hid_t obj, const char* name, hid_t file_type);

/// A scalar string attribute: fixed-length (checksummed) or variable-length (h5py str).
bool write_string_attr(hid_t obj, const char* name, const std::string& value, bool variable,
                       H5T_cset_t cset = H5T_CSET_UTF8);

/// A 1-D array of variable-length UTF-8 strings.
bool write_string_array_attr(hid_t obj, const char* name, const std::vector<std::string>& values);

// ---------------------------------------------------------------- reading attributes

/// Number of points of an attribute's dataspace (0 for a null dataspace, < 0 on error).
hssize_t attr_points(hid_t attr);

/// How read_string_attrs treats the stored strings.
struct StringRead {
  bool allow_variable = true;  ///< false: variable-length strings are refused (unchecksummed)
  bool trim_spaces = true;     ///< cut trailing blanks of fixed-length strings (space padding)
};

/// The strings of attribute `name` (scalar or array, fixed- or variable-length); nullopt when it
/// is missing, is not a string, cannot be read, or is larger than 16 MiB per string.
std::optional<std::vector<std::string>> read_string_attrs(hid_t obj, const char* name,
                                                          StringRead how = {});

/// The first string of attribute `name` (nullopt as above, or when it holds none).
std::optional<std::string> read_string_attr(hid_t obj, const char* name, StringRead how = {});

/// A numeric scalar attribute (any integer or float type) as double.
std::optional<double> read_number_attr(hid_t obj, const char* name);

}  // namespace vitrum::h5
