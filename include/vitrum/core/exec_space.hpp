#pragma once
/// \file exec_space.hpp
/// The device memory/execution space of a device-resident run, and the ledger of every copy
/// between host and device memory.
///
/// A Space allocates device memory and copies between it and host memory. It has two
/// implementations that differ only in the allocator and the copy calls:
///
///   Emulated   "device" memory is a separate host allocation (never aliased with a host array),
///              so a forgotten copy shows up as stale data in CPU CI exactly as on a GPU;
///              kernels run as host loops (launch_host.hpp);
///   Cuda       cudaMalloc / cudaMemcpy (kernels/core/exec_space.cu); kernels run as <<<>>>
///              launches (kernels/core/launch_cuda.cuh).
///
/// Kernel bodies are single-source VITRUM_HD functors; a stage's kernel drivers are one template
/// over the launcher, instantiated once per space (see vitrum/md/device_kernels.hpp). Every
/// host↔device copy goes through Space::to_device / to_host, which records it in the space's
/// TransferLedger under a name (bytes and count per direction), in both implementations.

#include <cstddef>
#include <map>
#include <memory>
#include <string>

namespace vitrum::exec {

enum class SpaceKind { Emulated, Cuda };

/// "emulated" / "cuda".
const char* to_string(SpaceKind kind);
/// Parses "emulated" / "cuda"; throws vitrum::Error naming the accepted values.
SpaceKind parse_space_kind(const std::string& name);

/// Copies of one name in one direction.
struct TransferCount {
  long count = 0;         ///< number of copies
  std::size_t bytes = 0;  ///< bytes copied
};

/// Host↔device copies by name ("positions", "reduce:kinetic", ...). Not thread safe: a space is
/// driven from one host thread.
class TransferLedger {
 public:
  struct Entry {
    TransferCount to_device;  ///< host -> device
    TransferCount to_host;    ///< device -> host
  };
  void record_to_device(const std::string& name, std::size_t bytes);
  void record_to_host(const std::string& name, std::size_t bytes);
  /// Totals over all names.
  TransferCount to_device() const { return up_; }
  TransferCount to_host() const { return down_; }
  std::size_t total_bytes() const { return up_.bytes + down_.bytes; }
  long total_count() const { return up_.count + down_.count; }
  /// Entries by name (sorted).
  const std::map<std::string, Entry>& entries() const { return entries_; }
  /// Forgets everything recorded.
  void reset();
  /// One line per name: "name  up: count / bytes  down: count / bytes".
  std::string report() const;

 private:
  std::map<std::string, Entry> entries_;
  TransferCount up_, down_;
};

/// A device memory space (see the file comment).
class Space {
 public:
  virtual ~Space() = default;
  virtual SpaceKind kind() const = 0;
  /// Device memory of `bytes` (at least 1 byte is allocated); throws vitrum::Error on failure.
  virtual void* allocate(std::size_t bytes) = 0;
  virtual void deallocate(void* ptr) noexcept = 0;
  /// Copies within device memory (not a transfer; not in the ledger).
  virtual void copy_on_device(void* dst, const void* src, std::size_t bytes) = 0;
  /// Sets device memory to zero bytes.
  virtual void zero(void* dst, std::size_t bytes) = 0;
  /// Waits for every kernel and copy issued so far.
  virtual void synchronize() = 0;

  /// Host -> device copy, recorded under `name`. Returns after the source may be reused.
  void to_device(void* dst, const void* src, std::size_t bytes, const std::string& name);
  /// Device -> host copy, recorded under `name`. Returns with the data on the host (waits for
  /// the kernels that produce it).
  void to_host(void* dst, const void* src, std::size_t bytes, const std::string& name);

  TransferLedger& ledger() { return ledger_; }
  const TransferLedger& ledger() const { return ledger_; }

 protected:
  virtual void raw_to_device(void* dst, const void* src, std::size_t bytes) = 0;
  virtual void raw_to_host(void* dst, const void* src, std::size_t bytes) = 0;

 private:
  TransferLedger ledger_;
};

/// The emulated device (host memory, host loops). Always available.
std::unique_ptr<Space> make_emulated_space();
/// The CUDA device of the calling thread. Throws vitrum::Error without the CUDA backend or
/// without a usable device.
std::unique_ptr<Space> make_cuda_space();
/// make_emulated_space() or make_cuda_space().
std::unique_ptr<Space> make_space(SpaceKind kind);

/// A typed device allocation of one space that grows and is reused: resize() reallocates (the
/// contents are lost) only past the capacity, so steps do not allocate.
template <typename T>
class DeviceBuffer {
 public:
  explicit DeviceBuffer(Space& space) : space_(&space) {}
  ~DeviceBuffer() { release(); }
  DeviceBuffer(const DeviceBuffer&) = delete;
  DeviceBuffer& operator=(const DeviceBuffer&) = delete;

  void resize(std::size_t n) {
    if (n > cap_ || ptr_ == nullptr) {
      release();
      const std::size_t c = n + n / 8 + 16;
      ptr_ = static_cast<T*>(space_->allocate(c * sizeof(T)));
      cap_ = c;
    }
    size_ = n;
  }
  /// Host -> device copy of n entries (resizes), recorded under `name`.
  void upload(const T* host, std::size_t n, const std::string& name) {
    resize(n);
    if (n > 0) space_->to_device(ptr_, host, n * sizeof(T), name);
  }
  /// Device -> host copy of the first n entries, recorded under `name`.
  void download(T* host, std::size_t n, const std::string& name) const {
    if (n > 0) space_->to_host(host, ptr_, n * sizeof(T), name);
  }
  T* data() { return ptr_; }
  const T* data() const { return ptr_; }
  std::size_t size() const { return size_; }
  std::size_t bytes() const { return cap_ * sizeof(T); }
  Space& space() const { return *space_; }

 private:
  void release() {
    if (ptr_ != nullptr) space_->deallocate(ptr_);
    ptr_ = nullptr;
    size_ = cap_ = 0;
  }
  Space* space_;
  T* ptr_ = nullptr;
  std::size_t size_ = 0, cap_ = 0;
};

}  // namespace vitrum::exec
