// Checked reading of TOML tables for the MD config: every accessor names the file, line, table
// and key in its errors, and keys that were never read are reported as unknown.
#pragma once

#include <cmath>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "vitrum/core/error.hpp"
#include "vitrum/core/toml.hpp"

namespace vitrum::md::config_detail {

inline long line_of(const toml::node* n) {
  return n != nullptr ? static_cast<long>(n->source().begin.line) : 0;
}

/// One table of the config with the keys read so far.
class TableReader {
 public:
  TableReader(const toml::table& t, std::string file, std::string name)
      : t_(&t), file_(std::move(file)), name_(std::move(name)) {}

  const std::string& name() const { return name_; }
  const std::string& file() const { return file_; }
  const toml::table& table() const { return *t_; }
  /// "[name]" or "the top level".
  std::string label() const { return name_.empty() ? "the top level" : "[" + name_ + "]"; }
  /// "[name] key" or "key" at the top level.
  std::string key_label(const std::string& key) const {
    return name_.empty() ? key : "[" + name_ + "] " + key;
  }

  [[noreturn]] void error_at(const toml::node* n, const std::string& msg) const {
    throw InputError(file_, line_of(n != nullptr ? n : t_), msg);
  }
  [[noreturn]] void error(const std::string& key, const std::string& msg) const {
    const toml::node* n = t_->get(key);
    throw InputError(file_, line_of(n != nullptr ? n : t_), key_label(key) + ": " + msg);
  }

  bool has(const std::string& key) const { return t_->get(key) != nullptr; }
  const toml::node* get(const std::string& key) {
    used_.insert(key);
    return t_->get(key);
  }

  double number(const std::string& key, std::optional<double> def) {
    const toml::node* n = get(key);
    if (n == nullptr) {
      if (def) return *def;
      error_at(t_, fmt::format("{} is missing: expected {} = <number>", label(), key));
    }
    if (!(n->is_floating_point() || n->is_integer()))
      error(key, fmt::format("expected a number, got {}", type_name(*n)));
    const double v = *n->value<double>();
    if (!std::isfinite(v)) error(key, "expected a finite number");
    return v;
  }
  double positive(const std::string& key, std::optional<double> def) {
    const double v = number(key, def);
    if (has(key) && !(v > 0.0)) error(key, fmt::format("expected a number > 0, got {}", v));
    return v;
  }
  double non_negative(const std::string& key, std::optional<double> def) {
    const double v = number(key, def);
    if (has(key) && !(v >= 0.0)) error(key, fmt::format("expected a number >= 0, got {}", v));
    return v;
  }
  long integer(const std::string& key, std::optional<long> def, long lo, long hi) {
    const toml::node* n = get(key);
    if (n == nullptr) {
      if (def) return *def;
      error_at(t_, fmt::format("{} is missing: expected {} = <integer>", label(), key));
    }
    if (!n->is_integer()) error(key, fmt::format("expected an integer, got {}", type_name(*n)));
    const long v = static_cast<long>(*n->value<std::int64_t>());
    if (v < lo || v > hi) error(key, fmt::format("{} is outside {}..{}", v, lo, hi));
    return v;
  }
  std::string string(const std::string& key, std::optional<std::string> def) {
    const toml::node* n = get(key);
    if (n == nullptr) {
      if (def) return *def;
      error_at(t_, fmt::format("{} is missing: expected {} = \"...\"", label(), key));
    }
    if (!n->is_string()) error(key, fmt::format("expected a string, got {}", type_name(*n)));
    return *n->value<std::string>();
  }
  bool boolean(const std::string& key, std::optional<bool> def) {
    const toml::node* n = get(key);
    if (n == nullptr) {
      if (def) return *def;
      error_at(t_, fmt::format("{} is missing: expected {} = true|false", label(), key));
    }
    if (!n->is_boolean()) error(key, fmt::format("expected true or false, got {}", type_name(*n)));
    return *n->value<bool>();
  }
  std::string choice(const std::string& key, const std::string& def,
                     std::initializer_list<const char*> options) {
    const std::string v = string(key, def);
    std::string list;
    for (const char* o : options) {
      if (v == o) return v;
      list += std::string(list.empty() ? "" : ", ") + "\"" + o + "\"";
    }
    error(key, fmt::format("\"{}\" is not one of {}", v, list));
  }
  std::vector<double> numbers(const std::string& key) {
    const toml::node* n = get(key);
    if (n == nullptr) error_at(t_, fmt::format("{} is missing: expected {} = [...]", label(), key));
    if (!n->is_array()) error(key, "expected an array of numbers");
    std::vector<double> out;
    for (const toml::node& e : *n->as_array()) {
      if (!(e.is_floating_point() || e.is_integer()))
        error(key, fmt::format("expected an array of numbers, found {}", type_name(e)));
      out.push_back(*e.value<double>());
    }
    return out;
  }
  std::map<std::string, double> number_table(const std::string& key) {
    const toml::node* n = get(key);
    if (n == nullptr)
      error_at(t_, fmt::format("{} is missing: expected {} = {{ ... }}", label(), key));
    if (!n->is_table()) error(key, "expected a table of numbers, e.g. { Si = 1, O = 2 }");
    std::map<std::string, double> out;
    for (auto&& [k, v] : *n->as_table()) {
      if (!(v.is_floating_point() || v.is_integer()))
        error(key, fmt::format("entry '{}' must be a number, got {}", k.str(), type_name(v)));
      out[std::string(k.str())] = *v.value<double>();
    }
    return out;
  }
  const toml::table* subtable(const std::string& key) {
    const toml::node* n = get(key);
    if (n == nullptr) return nullptr;
    if (!n->is_table()) error(key, fmt::format("expected a table, got {}", type_name(*n)));
    return n->as_table();
  }

  /// Throws for the first key of the table that was never read.
  void check_unknown(const std::string& accepted) const {
    for (auto&& [k, v] : *t_) {
      if (used_.count(std::string(k.str())) == 0) throw_unknown_key(file_, k, label(), accepted);
    }
  }
  /// Keys of the table that were never read.
  std::vector<std::string> unused() const {
    std::vector<std::string> out;
    for (auto&& [k, v] : *t_) {
      if (used_.count(std::string(k.str())) == 0) out.emplace_back(k.str());
    }
    return out;
  }

  static const char* type_name(const toml::node& n) {
    if (n.is_string()) return "a string";
    if (n.is_integer()) return "an integer";
    if (n.is_floating_point()) return "a float";
    if (n.is_boolean()) return "a boolean";
    if (n.is_array()) return "an array";
    if (n.is_table()) return "a table";
    return "a date/time";
  }

 private:
  const toml::table* t_;
  std::string file_;
  std::string name_;
  std::set<std::string> used_;
};

}  // namespace vitrum::md::config_detail

namespace vitrum::md {

/// BuilderArgs' state: a copy of the [structure.generate] table and the keys read from it.
class BuilderArgs::Impl {
 public:
  Impl(toml::table t, std::string file, std::string builder, std::uint64_t seed)
      : table(std::move(t)),
        reader(table, std::move(file), "structure.generate"),
        builder(std::move(builder)),
        seed(seed) {}
  toml::table table;
  mutable config_detail::TableReader reader;
  std::string builder;
  std::uint64_t seed;
};

}  // namespace vitrum::md
