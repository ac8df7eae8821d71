#pragma once
/// \file mirrored_array.hpp
/// An array with a host and a device copy (in one exec::Space) that knows which copies are
/// current, in the manner of HOOMD-blue's GlobalArray access modes and Kokkos's DualView.
///
/// Code asks for one side with an access intent:
///   Read        the side is brought up to date (copied from the other side only if stale);
///               the other side stays current;
///   ReadWrite   as Read, then the other side becomes stale (the caller modifies this one);
///   Overwrite   no copy at all (the caller writes every entry); the other side becomes stale.
/// Copies happen only here, only of the stale side, only when asked, and each one is recorded
/// in the space's ledger under the array's name. A pointer stays valid until the array is
/// reassigned; asking for the other side after a ReadWrite/Overwrite makes the earlier pointer's
/// side stale (writing through it then is a mistake that the next sync would lose).

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "vitrum/core/error.hpp"
#include "vitrum/core/exec_space.hpp"

namespace vitrum::exec {

enum class Access { Read, ReadWrite, Overwrite };

template <typename T>
class MirroredArray {
 public:
  MirroredArray(Space& space, std::string name) : name_(std::move(name)), device_(space) {}

  /// Replaces the contents with `values` on the host; the device copy becomes stale.
  void assign(std::vector<T> values) {
    host_ = std::move(values);
    device_.resize(host_.size());
    host_ok_ = true;
    device_ok_ = host_.empty();
  }

  std::size_t size() const { return host_.size(); }
  const std::string& name() const { return name_; }
  bool host_current() const { return host_ok_; }
  bool device_current() const { return device_ok_; }

  /// The host copy, for `mode`.
  std::vector<T>& host(Access mode) {
    if (mode != Access::Overwrite && !host_ok_) {
      device_.download(host_.data(), host_.size(), name_);
    }
    host_ok_ = true;
    if (mode != Access::Read) device_ok_ = host_.empty();
    return host_;
  }
  /// The host copy for reading (brought up to date if stale).
  const std::vector<T>& host_read() { return host(Access::Read); }

  /// The device copy (size() entries), for `mode`.
  T* device(Access mode) {
    if (mode != Access::Overwrite && !device_ok_) {
      device_.upload(host_.data(), host_.size(), name_);
    }
    device_ok_ = true;
    if (mode != Access::Read) host_ok_ = host_.empty();
    return device_.data();
  }
  const T* device_read() { return device(Access::Read); }

  /// Resizes to n entries in device memory, keeping the first min(size(), n) device entries
  /// (brought up to date first if stale); the host copy becomes stale. For arrays whose length
  /// changes on the device (atoms migrating between ranks); device-side copies only.
  void resize_on_device(std::size_t n) {
    const T* old = device(Access::Read);
    const std::size_t keep = std::min(n, host_.size());
    if (n > host_.size()) {
      DeviceBuffer<T> tmp(device_.space());
      tmp.resize(std::max<std::size_t>(keep, 1));
      if (keep > 0) device_.space().copy_on_device(tmp.data(), old, keep * sizeof(T));
      device_.resize(n);
      if (keep > 0) device_.space().copy_on_device(device_.data(), tmp.data(), keep * sizeof(T));
    }
    host_.resize(n);
    host_ok_ = n == 0;
    device_ok_ = true;
  }

  Space& space() const { return device_.space(); }
  std::size_t device_bytes() const { return device_.bytes(); }

 private:
  std::string name_;
  std::vector<T> host_;
  DeviceBuffer<T> device_;
  bool host_ok_ = true;
  bool device_ok_ = true;
};

}  // namespace vitrum::exec
