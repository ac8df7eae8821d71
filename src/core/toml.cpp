// The one TOML reader: parsing with located syntax errors, typed getters with ranges, and the
// unknown-key check. Messages read "[table] key must be ..., got ..." at file:line.
#include "vitrum/core/toml.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <fstream>
#include <sstream>

namespace vitrum {

namespace {

std::string unit_suffix(const char* unit) {
  return unit != nullptr ? fmt::format(" ({})", unit) : std::string();
}

std::string join(std::initializer_list<const char*> items, const char* quote) {
  std::string list;
  for (const char* s : items)
    list += fmt::format("{}{}{}{}", list.empty() ? "" : ", ", quote, s, quote);
  return list;
}

}  // namespace

long toml_line(const toml::node* n) {
  return n != nullptr ? static_cast<long>(n->source().begin.line) : 0;
}

const char* toml_type_name(const toml::node& n) {
  if (n.is_string()) return "a string";
  if (n.is_integer()) return "an integer";
  if (n.is_floating_point()) return "a float";
  if (n.is_boolean()) return "a boolean";
  if (n.is_array()) return "an array";
  if (n.is_table()) return "a table";
  return "a date/time";
}

toml::table parse_toml(std::string_view text, const std::string& file) {
  try {
    return toml::parse(text, file);
  } catch (const toml::parse_error& e) {
    throw InputError(file, static_cast<long>(e.source().begin.line),
                     fmt::format("TOML syntax error: {}", e.description()));
  }
}

toml::table parse_toml_file(const std::string& path, const std::string& what) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError(path, 0, fmt::format("cannot open {}", what));
  std::stringstream ss;
  ss << in.rdbuf();
  return parse_toml(ss.str(), path);
}

std::vector<std::pair<const toml::key*, const toml::node*>> toml_in_file_order(
    const toml::table& t) {
  std::vector<std::pair<const toml::key*, const toml::node*>> out;
  for (auto&& [k, v] : t) out.emplace_back(&k, &v);
  std::stable_sort(out.begin(), out.end(), [](const auto& x, const auto& y) {
    const auto& a = x.first->source().begin;
    const auto& b = y.first->source().begin;
    return a.line != b.line ? a.line < b.line : a.column < b.column;
  });
  return out;
}

void throw_unknown_key(const std::string& file, const toml::key& k, const std::string& where,
                       const std::string& accepted) {
  throw InputError(
      file, static_cast<long>(k.source().begin.line),
      fmt::format("unknown key '{}' in {}; accepted keys: {}", k.str(), where, accepted));
}

void reject_unknown_keys(const std::string& file, const toml::table& t, const std::string& where,
                         std::initializer_list<const char*> allowed) {
  for (auto&& entry : t) {
    const toml::key& k = entry.first;  // a named reference: lambdas may not capture bindings
    const bool ok =
        std::any_of(allowed.begin(), allowed.end(), [&](const char* a) { return k.str() == a; });
    if (!ok) throw_unknown_key(file, k, where, join(allowed, ""));
  }
}

// ---------------------------------------------------------------- TomlTable

TomlTable::TomlTable(const toml::table* t, std::string file, std::string name)
    : t_(t), file_(std::move(file)), name_(std::move(name)) {}

long TomlTable::line(const std::string& key) const {
  if (t_ == nullptr) return 0;
  const toml::node* n = key.empty() ? nullptr : t_->get(key);
  return toml_line(n != nullptr ? n : t_);
}

std::string TomlTable::label() const {
  // "[stage]" (an element of an array of tables) reads "[[stage]]".
  return name_.empty() ? "the top level" : "[" + name_ + "]";
}

std::string TomlTable::key_label(const std::string& key) const {
  return name_.empty() ? key : label() + " " + key;
}

void TomlTable::error_at(const toml::node* n, const std::string& msg) const {
  throw InputError(file_, n != nullptr ? toml_line(n) : line(), msg);
}

void TomlTable::error(const std::string& key, const std::string& msg) const {
  throw InputError(file_, line(key), key_label(key) + ": " + msg);
}

bool TomlTable::has(const std::string& key) const {
  return t_ != nullptr && t_->get(key) != nullptr;
}

const toml::node* TomlTable::get(const std::string& key) {
  used_.insert(key);
  return t_ != nullptr ? t_->get(key) : nullptr;
}

void TomlTable::missing(const std::string& key, const char* form, const char* unit) const {
  error_at(nullptr, fmt::format("{} needs '{}': expected {} = {}{}", label(), key, key, form,
                                unit_suffix(unit)));
}

double TomlTable::checked_number(const std::string& key, const toml::node& n,
                                 const char* unit) const {
  if (!(n.is_floating_point() || n.is_integer()))
    error_at(&n, fmt::format("{} must be a number{}, got {}", key_label(key), unit_suffix(unit),
                             toml_type_name(n)));
  const double v = *n.value<double>();
  if (!std::isfinite(v)) error_at(&n, fmt::format("{} must be finite", key_label(key)));
  return v;
}

double TomlTable::number(const std::string& key, std::optional<double> def, const char* unit) {
  const toml::node* n = get(key);
  if (n == nullptr) {
    if (def) return *def;
    missing(key, "<number>", unit);
  }
  return checked_number(key, *n, unit);
}

double TomlTable::positive(const std::string& key, std::optional<double> def, const char* unit) {
  const double v = number(key, def, unit);
  if (has(key) && !(v > 0.0))
    error_at(t_->get(key),
             fmt::format("{} must be > 0{}, got {}", key_label(key), unit_suffix(unit), v));
  return v;
}

double TomlTable::non_negative(const std::string& key, std::optional<double> def,
                               const char* unit) {
  const double v = number(key, def, unit);
  if (has(key) && !(v >= 0.0))
    error_at(t_->get(key),
             fmt::format("{} must be >= 0{}, got {}", key_label(key), unit_suffix(unit), v));
  return v;
}

long TomlTable::integer(const std::string& key, std::optional<long> def, long lo, long hi) {
  const toml::node* n = get(key);
  if (n == nullptr) {
    if (def) return *def;
    missing(key, "<integer>", nullptr);
  }
  if (!n->is_integer())
    error_at(n, fmt::format("{} must be an integer ({}..{}), got {}", key_label(key), lo, hi,
                            toml_type_name(*n)));
  const long v = static_cast<long>(*n->value<std::int64_t>());
  if (v < lo || v > hi)
    error_at(n, fmt::format("{} = {} is outside {}..{}", key_label(key), v, lo, hi));
  return v;
}

std::string TomlTable::string(const std::string& key, std::optional<std::string> def) {
  const toml::node* n = get(key);
  if (n == nullptr) {
    if (def) return *def;
    missing(key, "\"...\"", nullptr);
  }
  if (!n->is_string())
    error_at(n, fmt::format("{} must be a string, got {}", key_label(key), toml_type_name(*n)));
  return *n->value<std::string>();
}

bool TomlTable::boolean(const std::string& key, std::optional<bool> def) {
  const toml::node* n = get(key);
  if (n == nullptr) {
    if (def) return *def;
    missing(key, "true|false", nullptr);
  }
  if (!n->is_boolean())
    error_at(n,
             fmt::format("{} must be true or false, got {}", key_label(key), toml_type_name(*n)));
  return *n->value<bool>();
}

std::string TomlTable::choice(const std::string& key, std::optional<std::string> def,
                              std::initializer_list<const char*> options) {
  if (!has(key) && !def) {
    get(key);
    missing(key, join(options, "\"").c_str(), nullptr);
  }
  const std::string v = string(key, def);
  if (!has(key)) return v;
  for (const char* o : options)
    if (v == o) return v;
  error_at(t_->get(key),
           fmt::format("{} = \"{}\" is not one of {}", key_label(key), v, join(options, "\"")));
}

std::vector<std::string> TomlTable::strings(const std::string& key) {
  const toml::node* n = get(key);
  if (n == nullptr) return {};
  if (n->is_string()) return {*n->value<std::string>()};
  if (!n->is_array())
    error_at(n, fmt::format("{} must be a string or an array of strings, got {}", key_label(key),
                            toml_type_name(*n)));
  std::vector<std::string> out;
  for (const toml::node& e : *n->as_array()) {
    if (!e.is_string())
      error_at(&e, fmt::format("{} must be a string or an array of strings, found {}",
                               key_label(key), toml_type_name(e)));
    out.push_back(*e.value<std::string>());
  }
  return out;
}

std::vector<double> TomlTable::numbers(const std::string& key,
                                       std::optional<std::vector<double>> def) {
  const toml::node* n = get(key);
  if (n == nullptr) {
    if (def) return *def;
    missing(key, "[...]", nullptr);
  }
  if (!n->is_array())
    error_at(n, fmt::format("{} must be an array of numbers, got {}", key_label(key),
                            toml_type_name(*n)));
  std::vector<double> out;
  for (const toml::node& e : *n->as_array()) {
    if (!(e.is_floating_point() || e.is_integer()))
      error_at(&e, fmt::format("{} must be an array of numbers, found {}", key_label(key),
                               toml_type_name(e)));
    out.push_back(*e.value<double>());
  }
  return out;
}

std::vector<int> TomlTable::integers(const std::string& key, std::optional<std::vector<int>> def,
                                     int lo, int hi) {
  const toml::node* n = get(key);
  if (n == nullptr) {
    if (def) return *def;
    missing(key, "[...]", nullptr);
  }
  if (!n->is_array())
    error_at(n, fmt::format("{} must be an array of integers, got {}", key_label(key),
                            toml_type_name(*n)));
  std::vector<int> out;
  for (const toml::node& e : *n->as_array()) {
    if (!e.is_integer())
      error_at(&e, fmt::format("{} must be an array of integers, found {}", key_label(key),
                               toml_type_name(e)));
    const long v = static_cast<long>(*e.value<std::int64_t>());
    if (v < lo || v > hi)
      error_at(&e, fmt::format("{}: {} is outside {}..{}", key_label(key), v, lo, hi));
    out.push_back(static_cast<int>(v));
  }
  return out;
}

std::map<std::string, double> TomlTable::number_table(
    const std::string& key, std::optional<std::map<std::string, double>> def) {
  const toml::node* n = get(key);
  if (n == nullptr) {
    if (def) return *def;
    missing(key, "{ ... }", nullptr);
  }
  if (!n->is_table())
    error_at(n, fmt::format("{} must be a table of numbers, e.g. {{ Si = 1, O = 2 }}, got {}",
                            key_label(key), toml_type_name(*n)));
  std::map<std::string, double> out;
  for (auto&& [k, v] : *n->as_table()) {
    if (!(v.is_floating_point() || v.is_integer()))
      error_at(&v, fmt::format("{}: entry '{}' must be a number, got {}", key_label(key), k.str(),
                               toml_type_name(v)));
    out[std::string(k.str())] = *v.value<double>();
  }
  return out;
}

const toml::table* TomlTable::subtable(const std::string& key) {
  const toml::node* n = get(key);
  if (n == nullptr) return nullptr;
  if (!n->is_table())
    error_at(n, fmt::format("{} must be a table, got {}", key_label(key), toml_type_name(*n)));
  return n->as_table();
}

TomlTable TomlTable::child(const std::string& key) {
  const toml::table* t = subtable(key);
  return TomlTable(t, file_, name_.empty() ? key : name_ + "." + key);
}

void TomlTable::check_unknown(const std::string& accepted) const {
  if (t_ == nullptr) return;
  for (auto&& [k, v] : *t_)
    if (used_.count(std::string(k.str())) == 0) throw_unknown_key(file_, k, label(), accepted);
}

void TomlTable::reject_unknown(std::initializer_list<const char*> allowed) const {
  if (t_ != nullptr) reject_unknown_keys(file_, *t_, label(), allowed);
}

std::vector<std::string> TomlTable::unused() const {
  std::vector<std::string> out;
  if (t_ == nullptr) return out;
  for (auto&& [k, v] : *t_)
    if (used_.count(std::string(k.str())) == 0) out.emplace_back(k.str());
  return out;
}

}  // namespace vitrum
