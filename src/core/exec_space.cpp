/// \file exec_space.cpp
/// The transfer ledger and the emulated device space (vitrum/core/exec_space.hpp). The CUDA space
/// is in kernels/core/exec_space.cu; a build without CUDA refuses to make one.
#include "vitrum/core/exec_space.hpp"

#include <fmt/format.h>

#include <cstdlib>
#include <cstring>
#include <new>

#include "vitrum/core/error.hpp"

namespace vitrum::exec {

const char* to_string(SpaceKind kind) {
  return kind == SpaceKind::Cuda ? "cuda" : "emulated";
}

SpaceKind parse_space_kind(const std::string& name) {
  if (name == "emulated") return SpaceKind::Emulated;
  if (name == "cuda") return SpaceKind::Cuda;
  fail("unknown device space '{}': expected emulated or cuda", name);
}

void TransferLedger::record_to_device(const std::string& name, std::size_t bytes) {
  auto& e = entries_[name].to_device;
  ++e.count;
  e.bytes += bytes;
  ++up_.count;
  up_.bytes += bytes;
}

void TransferLedger::record_to_host(const std::string& name, std::size_t bytes) {
  auto& e = entries_[name].to_host;
  ++e.count;
  e.bytes += bytes;
  ++down_.count;
  down_.bytes += bytes;
}

void TransferLedger::reset() {
  entries_.clear();
  up_ = down_ = TransferCount{};
}

std::string TransferLedger::report() const {
  std::string out;
  for (const auto& [name, e] : entries_) {
    out +=
        fmt::format("{:<28} to device: {:>8} copies {:>14} B   to host: {:>8} copies {:>14} B\n",
                    name, e.to_device.count, e.to_device.bytes, e.to_host.count, e.to_host.bytes);
  }
  return out;
}

void Space::to_device(void* dst, const void* src, std::size_t bytes, const std::string& name) {
  ledger_.record_to_device(name, bytes);
  raw_to_device(dst, src, bytes);
}

void Space::to_host(void* dst, const void* src, std::size_t bytes, const std::string& name) {
  ledger_.record_to_host(name, bytes);
  raw_to_host(dst, src, bytes);
}

namespace {

/// Device memory is its own host allocation; kernels (launch_host.hpp) run synchronously, so
/// every call completes before it returns.
class EmulatedSpace final : public Space {
 public:
  SpaceKind kind() const override { return SpaceKind::Emulated; }
  void* allocate(std::size_t bytes) override {
    void* p = std::malloc(bytes > 0 ? bytes : 1);
    if (p == nullptr) fail("emulated device: cannot allocate {} bytes", bytes);
    return p;
  }
  void deallocate(void* ptr) noexcept override { std::free(ptr); }
  void copy_on_device(void* dst, const void* src, std::size_t bytes) override {
    if (bytes > 0) std::memmove(dst, src, bytes);
  }
  void zero(void* dst, std::size_t bytes) override {
    if (bytes > 0) std::memset(dst, 0, bytes);
  }
  void synchronize() override {}

 protected:
  void raw_to_device(void* dst, const void* src, std::size_t bytes) override {
    if (bytes > 0) std::memcpy(dst, src, bytes);
  }
  void raw_to_host(void* dst, const void* src, std::size_t bytes) override {
    if (bytes > 0) std::memcpy(dst, src, bytes);
  }
};

}  // namespace

std::unique_ptr<Space> make_emulated_space() {
  return std::make_unique<EmulatedSpace>();
}

std::unique_ptr<Space> make_space(SpaceKind kind) {
  return kind == SpaceKind::Cuda ? make_cuda_space() : make_emulated_space();
}

#ifndef VITRUM_HAVE_CUDA
std::unique_ptr<Space> make_cuda_space() {
  fail("the CUDA device space needs the CUDA backend; this vitrum was built without CUDA");
}
#endif

}  // namespace vitrum::exec
