#pragma once
/// \file device_array.cuh
/// RAII device memory for the CUDA backend (included by .cu files only). Buffers grow and are
/// reused: resize() reallocates only when the capacity is exceeded, so steps do not allocate.

#include <cuda_runtime.h>

#include <cstddef>
#include <utility>
#include <vector>

#include "core/device.cuh"

namespace vitrum::cuda {

template <typename T>
class DeviceArray {
 public:
  DeviceArray() = default;
  explicit DeviceArray(size_t n) { resize(n); }
  ~DeviceArray() {
    if (ptr_) cudaFree(ptr_);
  }
  DeviceArray(const DeviceArray&) = delete;
  DeviceArray& operator=(const DeviceArray&) = delete;
  DeviceArray(DeviceArray&& o) noexcept : ptr_(o.ptr_), size_(o.size_), cap_(o.cap_) {
    o.ptr_ = nullptr;
    o.size_ = o.cap_ = 0;
  }

  DeviceArray& operator=(DeviceArray&& o) noexcept {
    swap(o);
    return *this;
  }
  void swap(DeviceArray& o) noexcept {
    std::swap(ptr_, o.ptr_);
    std::swap(size_, o.size_);
    std::swap(cap_, o.cap_);
  }

  /// Sets the size; reallocates (contents lost) only when growing past the capacity.
  void resize(size_t n) {
    if (n > cap_) {
      if (ptr_) VITRUM_CUDA_CHECK(cudaFree(ptr_));
      ptr_ = nullptr;
      const size_t c = n + n / 8 + 16;
      VITRUM_CUDA_CHECK(cudaMalloc(&ptr_, c * sizeof(T)));
      cap_ = c;
    }
    size_ = n;
  }
  void upload(const T* host, size_t n) {
    resize(n);
    if (n) VITRUM_CUDA_CHECK(cudaMemcpy(ptr_, host, n * sizeof(T), cudaMemcpyHostToDevice));
  }
  void upload(const std::vector<T>& host) { upload(host.data(), host.size()); }
  void download(T* host, size_t n) const {
    if (n) VITRUM_CUDA_CHECK(cudaMemcpy(host, ptr_, n * sizeof(T), cudaMemcpyDeviceToHost));
  }
  void zero() {
    if (size_) VITRUM_CUDA_CHECK(cudaMemset(ptr_, 0, size_ * sizeof(T)));
  }
  T* data() { return ptr_; }
  const T* data() const { return ptr_; }
  size_t size() const { return size_; }
  size_t bytes() const { return cap_ * sizeof(T); }

 private:
  T* ptr_ = nullptr;
  size_t size_ = 0, cap_ = 0;
};

}  // namespace vitrum::cuda
