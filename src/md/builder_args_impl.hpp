// BuilderArgs' state, shared by run_config.cpp (which fills it) and structure_source.cpp (whose
// builders read it through the core TOML reader).
#pragma once

#include <cstdint>
#include <string>

#include "vitrum/core/toml.hpp"
#include "vitrum/md/structure_source.hpp"

namespace vitrum::md {

/// A copy of the [structure.generate] table and the keys read from it.
class BuilderArgs::Impl {
 public:
  Impl(toml::table t, std::string file, std::string builder, std::uint64_t seed)
      : table(std::move(t)),
        reader(table, std::move(file), "structure.generate"),
        builder(std::move(builder)),
        seed(seed) {}
  toml::table table;
  mutable TomlTable reader;
  std::string builder;
  std::uint64_t seed;
};

}  // namespace vitrum::md
