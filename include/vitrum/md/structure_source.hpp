#pragma once
/// \file structure_source.hpp
/// Where the starting structure of an MD run comes from: a structure file (any format of
/// vitrum/io/structure_io.hpp) or a named *builder* that generates one from the parameters of
/// the config's [structure.generate] table. Builders are the extension point: anything that can
/// make a Structure registers itself under a name with register_structure_builder, and
/// `vitrum run` finds it by `builder = "<name>"` without knowing more about it.

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "vitrum/core/structure.hpp"

namespace vitrum::md {

/// Typed, checked access to the parameters of a [structure.generate] table. Every accessor
/// marks its key as used; after the builder returns, any key it did not read is reported as
/// unknown (naming the key and the table), so typos never fall back to defaults silently.
/// Errors name the config file and line.
class BuilderArgs {
 public:
  class Impl;
  explicit BuilderArgs(std::shared_ptr<Impl> impl);
  ~BuilderArgs();

  /// The builder's name (the `builder` key).
  const std::string& builder() const;
  /// Seed for random builders: the table's `seed` key if given, else the run's [md] seed.
  std::uint64_t seed() const;
  /// "file [structure.generate]", for messages.
  std::string where() const;
  /// Every key of the table with its value, on one line in key order (identifies the generated
  /// structure, e.g. in checkpoints).
  std::string parameters() const;

  bool has(const std::string& key) const;
  /// A number (integer or float); `def` when absent, an error naming the key when absent and no
  /// default is given.
  double number(const std::string& key, std::optional<double> def = std::nullopt) const;
  long integer(const std::string& key, std::optional<long> def = std::nullopt) const;
  std::string string(const std::string& key, std::optional<std::string> def = std::nullopt) const;
  bool boolean(const std::string& key, std::optional<bool> def = std::nullopt) const;
  /// An array of numbers (e.g. cell lengths).
  std::vector<double> numbers(const std::string& key) const;
  /// A table of numbers keyed by name (e.g. composition = { Si = 1000, O = 2000 }).
  std::map<std::string, double> number_table(const std::string& key) const;
  /// Throws an InputError at the key's line: "[structure.generate] key: message".
  [[noreturn]] void error(const std::string& key, const std::string& message) const;

  /// Throws for keys no accessor has read (called by the engine after the builder).
  void check_all_used() const;

 private:
  std::shared_ptr<Impl> impl_;
};

/// Makes a structure (positions and cell in Å) from its parameters.
using StructureBuilder = std::function<Structure(const BuilderArgs& args)>;

/// Registers a builder under `name` with a one-line description (listed by `vitrum run --help`
/// and in the error for an unknown name). Re-registering a name replaces it.
void register_structure_builder(const std::string& name, const std::string& description,
                                StructureBuilder builder);
/// Names and descriptions of the registered builders.
std::map<std::string, std::string> structure_builders();
/// Runs the builder named by args.builder(); throws naming the known builders if there is none.
Structure build_structure(const BuilderArgs& args);

}  // namespace vitrum::md
