// The registry of force-field kinds (see force_field_registry.hpp); the kinds themselves are
// listed in force_field_kinds.cpp.
#include "vitrum/md/force_field_registry.hpp"

#include <filesystem>
#include <mutex>
#include <sstream>

#include "vitrum/core/error.hpp"
#include "vitrum/md/device_engine.hpp"  // DeviceForceField, complete for the makers

namespace vitrum::md {

const char* const kCommonPotentialKeys = "kind, path, length_unit, energy_unit, backend, precision";

void register_builtin_force_fields();  // force_field_kinds.cpp

namespace {

constexpr const char* kCommonKeys[] = {"kind",        "path",    "length_unit",
                                       "energy_unit", "backend", "precision"};

bool is_common_key(const std::string& key) {
  for (const char* k : kCommonKeys)
    if (key == k) return true;
  return false;
}

struct Kind {
  std::string description;
  ForceFieldMaker make;
  bool cuda = false;
  DeviceForceFieldMaker make_device;  ///< empty: no device-resident force field
};

std::mutex& registry_mutex() {
  static std::mutex m;
  return m;
}

std::map<std::string, Kind>& kinds_map() {
  static std::map<std::string, Kind> kinds;
  return kinds;
}

/// The kinds, with the built-in ones registered on first use.
std::map<std::string, Kind>& registry() {
  static std::once_flag builtins;
  std::call_once(builtins, [] { register_builtin_force_fields(); });
  return kinds_map();
}

}  // namespace

void register_force_field(const std::string& kind, const std::string& description,
                          ForceFieldMaker make, bool cuda) {
  std::lock_guard<std::mutex> lock(registry_mutex());
  Kind& k = kinds_map()[kind];
  k.description = description;
  k.make = std::move(make);
  k.cuda = cuda;
}

void register_device_force_field(const std::string& kind, DeviceForceFieldMaker make) {
  std::lock_guard<std::mutex> lock(registry_mutex());
  kinds_map()[kind].make_device = std::move(make);
}

bool has_device_force_field(const std::string& kind) {
  auto& kinds = registry();
  std::lock_guard<std::mutex> lock(registry_mutex());
  const auto it = kinds.find(kind);
  return it != kinds.end() && static_cast<bool>(it->second.make_device);
}

std::unique_ptr<DeviceForceField> make_device_force_field(const std::string& kind,
                                                          const PotentialConfig& config,
                                                          exec::Space& space) {
  DeviceForceFieldMaker make;
  {
    auto& kinds = registry();
    std::lock_guard<std::mutex> lock(registry_mutex());
    const auto it = kinds.find(kind);
    if (it != kinds.end()) make = it->second.make_device;
  }
  if (!make) fail("the force-field kind \"{}\" has no device-resident force field", kind);
  return make(config, space);
}

std::map<std::string, std::string> force_field_kinds() {
  auto& kinds = registry();
  std::lock_guard<std::mutex> lock(registry_mutex());
  std::map<std::string, std::string> out;
  for (const auto& [name, k] : kinds) out[name] = k.description;
  return out;
}

bool has_force_field_kind(const std::string& kind) {
  auto& kinds = registry();
  std::lock_guard<std::mutex> lock(registry_mutex());
  return kinds.count(kind) != 0;
}

std::string force_field_kind_of_path(const std::string& path) {
  namespace fs = std::filesystem;
  if (fs::is_directory(path)) return "n2p2";
  if (fs::path(path).extension() == ".toml") return "teacher";
  fail(
      "{}: not a potential: expected an n2p2 potential directory (input.nn, scaling.data, "
      "weights.NNN.data) or a teacher parameter file (*.toml)",
      path);
}

std::string force_field_parameters(const PotentialConfig& config) {
  if (!config.table) return "";
  std::string out;
  for (auto&& [k, v] : *config.table->table) {
    const std::string key(k.str());
    if (is_common_key(key)) continue;
    std::ostringstream value;
    v.visit([&value](auto&& x) { value << x; });
    out += fmt::format("{}{} = {}", out.empty() ? "" : "; ", key, value.str());
  }
  return out;
}

std::unique_ptr<ForceField> make_force_field(const PotentialConfig& config) {
  const std::string kind =
      config.kind.empty() ? force_field_kind_of_path(config.path) : config.kind;
  ForceFieldMaker make;
  bool cuda = false;
  {
    auto& kinds = registry();
    std::lock_guard<std::mutex> lock(registry_mutex());
    const auto it = kinds.find(kind);
    if (it == kinds.end()) fail("unknown force-field kind \"{}\"", kind);
    make = it->second.make;
    cuda = it->second.cuda;
  }
  TomlTable table(config.table ? config.table->table : nullptr,
                  config.table ? config.table->file : std::string(), "potential");
  // The shared keys were read by the run config.
  for (const char* key : kCommonKeys) table.get(key);
  // The caller binds the device first where several ranks share a node
  // (parallel::bind_cuda_device(), as campaign and predict do): this layer has no MPI.
  if (config.backend == Backend::Cuda && !cuda)
    table.error("backend", fmt::format("the {} force field runs on the CPU only", kind));
  ForceFieldRequest request{config, table};
  return make(request);
}

}  // namespace vitrum::md
