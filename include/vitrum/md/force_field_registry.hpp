#pragma once
/// \file force_field_registry.hpp
/// Force fields by kind. `[potential] kind = "..."` in a `vitrum run` config picks a registered
/// kind, which reads its own keys from the [potential] table and builds the ForceField. Without
/// `kind` the path decides, as before: an n2p2 directory is "n2p2", a *.toml file "teacher".
///
/// Adding a force field (docs/ARCHITECTURE.md walks through the Lennard-Jones example): write the
/// ForceField and a `void register_<name>_force_field()` that calls register_force_field() in the
/// kind's own files, and add one line X(<name>) to the list in src/md/force_field_kinds.cpp.

#include <functional>
#include <map>
#include <memory>
#include <string>

#include "vitrum/core/toml.hpp"
#include "vitrum/md/force_field.hpp"
#include "vitrum/md/run_config.hpp"

namespace vitrum::exec {
class Space;
}

namespace vitrum::md {

class DeviceForceField;

/// A config's [potential] table, kept with the parsed file it lives in (a copied toml::table
/// would lose the lines that error messages name), and the file's name.
struct PotentialTable {
  std::shared_ptr<const toml::table> document;
  const toml::table* table = nullptr;  ///< [potential] inside `document`
  std::string file;
};

/// What a kind gets to build its force field: the settings common to every kind (path, units,
/// backend, precision) and the [potential] table, from which it reads its own keys. A kind must
/// finish with table.check_unknown(<its accepted keys>) so that a typo is an error naming the
/// file, line and key. For a force field made without a config file (load_force_field) the
/// table is empty and not present().
struct ForceFieldRequest {
  const PotentialConfig& config;
  TomlTable& table;
};

/// Builds a force field of one kind; throws vitrum::Error / InputError on bad parameters.
using ForceFieldMaker = std::function<std::unique_ptr<ForceField>(ForceFieldRequest&)>;

/// The keys of [potential] that every kind shares (read by the run config), for the kinds'
/// check_unknown lists: "kind, path, length_unit, energy_unit, backend, precision".
extern const char* const kCommonPotentialKeys;

/// Registers (or replaces) a kind. `cuda` says whether it runs with backend = "cuda" (the GPU
/// is then bound before it is made); other kinds refuse that backend.
void register_force_field(const std::string& kind, const std::string& description,
                          ForceFieldMaker make, bool cuda = false);

/// Builds a kind's device-resident force field (md::DeviceEngine) on an execution space (the
/// emulated device or CUDA) from the [potential] configuration.
using DeviceForceFieldMaker =
    std::function<std::unique_ptr<DeviceForceField>(const PotentialConfig&, exec::Space&)>;

/// Registers (or replaces) the device-resident force field of an already registered kind, in the
/// kind's own files (the engine stays unaware of the kinds).
void register_device_force_field(const std::string& kind, DeviceForceFieldMaker make);

/// True when `kind` has a device-resident force field.
bool has_device_force_field(const std::string& kind);

/// The device-resident force field of `kind` on `space`; throws vitrum::Error when it has none.
std::unique_ptr<DeviceForceField> make_device_force_field(const std::string& kind,
                                                          const PotentialConfig& config,
                                                          exec::Space& space);

/// The registered kinds and their one-line descriptions (for --help).
std::map<std::string, std::string> force_field_kinds();

/// True when `kind` is registered.
bool has_force_field_kind(const std::string& kind);

/// The kind a [potential] without `kind` gets from its path: "n2p2" for a directory, "teacher"
/// for a *.toml file; throws naming the path otherwise.
std::string force_field_kind_of_path(const std::string& path);

/// The kind's own keys of the [potential] table as "key = value; ..." in key order (for the
/// checkpoint's campaign fingerprint); "" without a table.
std::string force_field_parameters(const PotentialConfig& config);

/// Builds the force field of a [potential] configuration (config.kind, or the path's kind).
std::unique_ptr<ForceField> make_force_field(const PotentialConfig& config);

}  // namespace vitrum::md
