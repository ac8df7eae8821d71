#pragma once
// Shared by the libFuzzer targets (fuzz/README.md): a private scratch directory, files written
// from the fuzzed bytes, and the rule every target checks: a parser either returns or throws
// vitrum::Error (a clear message). Any other exception, a crash, a sanitizer report, a leak or a
// hang is a finding.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "vitrum/core/error.hpp"

namespace vitrum::fuzz {

/// A scratch directory of this process under $TMPDIR (made once, reused by every input).
inline const std::string& scratch_dir() {
  static const std::string dir = [] {
    const char* tmp = std::getenv("TMPDIR");
    std::string t = std::string(tmp != nullptr ? tmp : "/tmp") + "/vitrum-fuzz-XXXXXX";
    if (::mkdtemp(t.data()) == nullptr) std::abort();
    return t;
  }();
  return dir;
}

/// Writes `bytes` to scratch_dir()/name and returns the path.
inline std::string write_scratch(const std::string& name, std::string_view bytes) {
  const std::string path = scratch_dir() + "/" + name;
  std::FILE* f = std::fopen(path.c_str(), "wb");
  if (f == nullptr) std::abort();
  if (!bytes.empty() && std::fwrite(bytes.data(), 1, bytes.size(), f) != bytes.size()) std::abort();
  std::fclose(f);
  return path;
}

/// Splits `bytes` at the separator line "%%%%\n" into at most `parts` pieces (missing ones
/// empty): one fuzzed input that holds several files.
inline std::vector<std::string_view> split_parts(std::string_view bytes, std::size_t parts) {
  std::vector<std::string_view> out;
  constexpr std::string_view sep = "%%%%\n";
  while (out.size() + 1 < parts) {
    const auto at = bytes.find(sep);
    if (at == std::string_view::npos) break;
    out.push_back(bytes.substr(0, at));
    bytes.remove_prefix(at + sep.size());
  }
  out.push_back(bytes);
  out.resize(parts);
  return out;
}

/// Runs `parse`; vitrum::Error is the expected way to refuse bad input. Its message must not be
/// empty.
template <typename F>
void expect_clean(F&& parse) {
  try {
    parse();
  } catch (const vitrum::Error& e) {
    if (e.what()[0] == '\0') std::abort();
  }
}

}  // namespace vitrum::fuzz
