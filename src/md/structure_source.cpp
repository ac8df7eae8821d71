/// \file structure_source.cpp
/// The builder registry behind [structure.generate] and BuilderArgs' checked accessors.

#include "vitrum/md/structure_source.hpp"

#include <cmath>
#include <limits>
#include <mutex>
#include <sstream>

#include "builder_args_impl.hpp"
#include "vitrum/core/error.hpp"
#include "vitrum/io/builders.hpp"

namespace vitrum::md {
namespace {

struct Entry {
  std::string description;
  StructureBuilder build;
};

std::mutex& registry_mutex() {
  static std::mutex m;
  return m;
}
/// builder = "amorphous": vitrum::build_amorphous_cell (random sequential placement at a density
/// with minimum distances). Keys: composition = { Si = 1, O = 2 } (formula unit; atoms are emitted
/// in alphabetical element order), n_atoms, density (g/cm³), min_distance (Å, default for all
/// pairs, default 0), min_distances = { Si-O = 1.5, O-O = 2.2 } (Å per pair), aspect = [1, 1, 1]
/// (relative cell lengths of an orthogonal cell), max_attempts = 10000, seed.
Structure build_amorphous(const BuilderArgs& a) {
  io::AmorphousCellSpec spec;
  for (const auto& [symbol, count] : a.number_table("composition")) {
    if (count < 1 || count != std::floor(count)) {
      a.error("composition", fmt::format("count of {} must be a positive integer", symbol));
    }
    spec.composition.emplace_back(symbol, static_cast<int>(count));
  }
  const long n = a.integer("n_atoms");
  if (n < 1 || n > std::numeric_limits<int>::max()) a.error("n_atoms", "expected a positive count");
  spec.n_atoms = static_cast<int>(n);
  spec.density = a.number("density");
  spec.default_min_distance = a.number("min_distance", 0.0);
  if (a.has("min_distances")) {
    for (const auto& [pair, d] : a.number_table("min_distances")) {
      const auto dash = pair.find('-');
      if (dash == std::string::npos || dash == 0 || dash + 1 == pair.size()) {
        a.error("min_distances", fmt::format("'{}' is not an element pair such as Si-O", pair));
      }
      spec.min_distances.push_back({pair.substr(0, dash), pair.substr(dash + 1), d});
    }
  }
  if (a.has("aspect")) {
    const auto v = a.numbers("aspect");
    if (v.size() != 3 || !(v[0] > 0 && v[1] > 0 && v[2] > 0)) {
      a.error("aspect", "expected three positive relative cell lengths [a, b, c]");
    }
    for (int d = 0; d < 3; ++d) {
      spec.shape[d] = Vec3{0, 0, 0};
      spec.shape[d][d] = v[d];
    }
  }
  const long attempts = a.integer("max_attempts", 10000L);
  if (attempts < 1 || attempts > std::numeric_limits<int>::max()) {
    a.error("max_attempts", "expected a positive count");
  }
  spec.max_attempts = static_cast<int>(attempts);
  spec.seed = a.seed();
  try {
    return io::build_amorphous_cell(spec);
  } catch (const InputError&) {
    throw;
  } catch (const Error& e) {
    throw Error(fmt::format("{}: {}", a.where(), e.what()));
  }
}

std::map<std::string, Entry>& registry() {
  // Built-in builders are registered here, where the registry is made, so that they exist even
  // when nothing else of their translation unit is linked.
  static std::map<std::string, Entry> r = {
      {"amorphous",
       {"random amorphous cell: composition, n_atoms, density (g/cm³), min_distance(s) (Å)",
        build_amorphous}},
  };
  return r;
}

}  // namespace

BuilderArgs::BuilderArgs(std::shared_ptr<Impl> impl) : impl_(std::move(impl)) {}
BuilderArgs::~BuilderArgs() = default;

const std::string& BuilderArgs::builder() const {
  return impl_->builder;
}
std::uint64_t BuilderArgs::seed() const {
  if (impl_->reader.has("seed")) {
    return static_cast<std::uint64_t>(
        impl_->reader.integer("seed", std::nullopt, 0, std::numeric_limits<long>::max()));
  }
  return impl_->seed;
}
std::string BuilderArgs::where() const {
  return fmt::format("{} [structure.generate]", impl_->reader.file());
}
std::string BuilderArgs::parameters() const {
  std::ostringstream ss;
  ss << impl_->table;
  std::string out, line;
  std::istringstream in(ss.str());
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    out += (out.empty() ? "" : "; ") + line;
  }
  return out;
}
bool BuilderArgs::has(const std::string& key) const {
  return impl_->reader.has(key);
}
double BuilderArgs::number(const std::string& key, std::optional<double> def) const {
  return impl_->reader.number(key, def);
}
long BuilderArgs::integer(const std::string& key, std::optional<long> def) const {
  return impl_->reader.integer(key, def, std::numeric_limits<long>::min(),
                               std::numeric_limits<long>::max());
}
std::string BuilderArgs::string(const std::string& key, std::optional<std::string> def) const {
  return impl_->reader.string(key, std::move(def));
}
bool BuilderArgs::boolean(const std::string& key, std::optional<bool> def) const {
  return impl_->reader.boolean(key, def);
}
std::vector<double> BuilderArgs::numbers(const std::string& key) const {
  return impl_->reader.numbers(key, std::nullopt);
}
std::map<std::string, double> BuilderArgs::number_table(const std::string& key) const {
  return impl_->reader.number_table(key, std::nullopt);
}
void BuilderArgs::error(const std::string& key, const std::string& message) const {
  impl_->reader.error(key, message);
}
void BuilderArgs::check_all_used() const {
  const auto unused = impl_->reader.unused();
  if (!unused.empty()) {
    impl_->reader.error(unused.front(), fmt::format("unknown key for builder \"{}\"; see its "
                                                    "documentation for the accepted keys",
                                                    impl_->builder));
  }
}

void register_structure_builder(const std::string& name, const std::string& description,
                                StructureBuilder builder) {
  std::lock_guard<std::mutex> lock(registry_mutex());
  registry()[name] = Entry{description, std::move(builder)};
}

std::map<std::string, std::string> structure_builders() {
  std::lock_guard<std::mutex> lock(registry_mutex());
  std::map<std::string, std::string> out;
  for (const auto& [name, e] : registry()) out[name] = e.description;
  return out;
}

Structure build_structure(const BuilderArgs& args) {
  StructureBuilder fn;
  std::string known;
  {
    std::lock_guard<std::mutex> lock(registry_mutex());
    const auto it = registry().find(args.builder());
    if (it != registry().end()) fn = it->second.build;
    for (const auto& [name, e] : registry()) known += (known.empty() ? "" : ", ") + name;
  }
  if (!fn) {
    args.error("builder", fmt::format("no structure builder named \"{}\" (known: {})",
                                      args.builder(), known.empty() ? "none" : known));
  }
  Structure s = fn(args);
  args.check_all_used();
  return s;
}

}  // namespace vitrum::md
