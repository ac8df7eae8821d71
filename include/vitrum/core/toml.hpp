#pragma once
/// \file toml.hpp
/// toml++ for every vitrum config reader, and the one place that turns an unknown key into an
/// error naming the file, the line, the table and the accepted keys (typos must not be ignored).

#if __has_include(<toml++/toml.hpp>)
#include <toml++/toml.hpp>
#else
#include <toml++/toml.h>  // Debian 12's libtomlplusplus-dev ships only toml.h
#endif

#include <initializer_list>
#include <string>

#include "vitrum/core/error.hpp"

namespace vitrum {

/// Throws InputError at the key's line: "unknown key 'k' in WHERE; accepted keys: ACCEPTED".
[[noreturn]] inline void throw_unknown_key(const std::string& file, const toml::key& k,
                                           const std::string& where, const std::string& accepted) {
  throw InputError(
      file, static_cast<long>(k.source().begin.line),
      fmt::format("unknown key '{}' in {}; accepted keys: {}", k.str(), where, accepted));
}

/// Rejects the first key of `t` that is not in `allowed`.
inline void reject_unknown_keys(const std::string& file, const toml::table& t,
                                const std::string& where,
                                std::initializer_list<const char*> allowed) {
  for (auto&& [k, v] : t) {
    bool ok = false;
    for (const char* a : allowed) ok = ok || k.str() == a;
    if (!ok) {
      std::string list;
      for (const char* a : allowed) list += std::string(list.empty() ? "" : ", ") + a;
      throw_unknown_key(file, k, where, list);
    }
  }
}

}  // namespace vitrum
