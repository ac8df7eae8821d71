#pragma once
/// \file toml.hpp
/// The one TOML reader of vitrum. Every config file (run, train, fit, synth, teacher) is parsed
/// with parse_toml() and read through TomlTable: typed getters with defaults and ranges, and
/// errors that name the file, the line, the table and the key. Keys that were never read are
/// rejected with the list of accepted keys (a typo must not fall back to a default silently).
/// Each area keeps its own keys, ranges, units and special messages as arguments, not as a copy
/// of this reader.

#if __has_include(<toml++/toml.hpp>)
#include <toml++/toml.hpp>
#else
#include <toml++/toml.h>  // Debian 12's libtomlplusplus-dev ships only toml.h
#endif

#include <initializer_list>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "vitrum/core/error.hpp"

namespace vitrum {

/// Line of a node in its file (0 for a null node or one built in memory).
long toml_line(const toml::node* n);

/// "a string", "an integer", ... for error messages.
const char* toml_type_name(const toml::node& n);

/// Parses TOML text; a syntax error becomes InputError(file, line, "TOML syntax error: ...").
toml::table parse_toml(std::string_view text, const std::string& file);

/// Reads and parses a TOML file; `what` names it in the open error ("the fit configuration").
toml::table parse_toml_file(const std::string& path, const std::string& what);

/// The entries of a table in the order the file lists them (toml++ keeps tables sorted by key).
std::vector<std::pair<const toml::key*, const toml::node*>> toml_in_file_order(
    const toml::table& t);

/// Throws InputError at the key's line: "unknown key 'k' in WHERE; accepted keys: ACCEPTED".
[[noreturn]] void throw_unknown_key(const std::string& file, const toml::key& k,
                                    const std::string& where, const std::string& accepted);

/// Rejects the first key of `t` that is not in `allowed`.
void reject_unknown_keys(const std::string& file, const toml::table& t, const std::string& where,
                         std::initializer_list<const char*> allowed);

/// One table of a config file and the keys read from it so far. A TomlTable may stand for an
/// absent table (present() is false): every getter then returns its default. Getters without a
/// default (std::nullopt) make the key required. Range checks apply to values given in the
/// file; defaults are the caller's and trusted.
class TomlTable {
 public:
  /// `name` is the table's dotted name ("md", "output.h5md"), "" for the top level, or
  /// "[stage]" for an element of an array of tables (labelled "[[stage]]").
  TomlTable(const toml::table* t, std::string file, std::string name);
  TomlTable(const toml::table& t, std::string file, std::string name)
      : TomlTable(&t, std::move(file), std::move(name)) {}

  bool present() const { return t_ != nullptr; }
  const std::string& name() const { return name_; }
  const std::string& file() const { return file_; }
  /// The table itself (present() must hold).
  const toml::table& table() const { return *t_; }
  /// Line of the table's header, or of the key when given and present.
  long line(const std::string& key = "") const;
  /// "[name]", "[[name]]" for arrays of tables, or "the top level".
  std::string label() const;
  /// "[name] key", or "key" at the top level.
  std::string key_label(const std::string& key) const;

  /// Throws InputError at node n (or the table when n is null) with `msg` as given.
  [[noreturn]] void error_at(const toml::node* n, const std::string& msg) const;
  /// Throws InputError at the key's line (or the table's): "[name] key: msg".
  [[noreturn]] void error(const std::string& key, const std::string& msg) const;

  bool has(const std::string& key) const;
  /// The key's node or null; marks the key as read.
  const toml::node* get(const std::string& key);

  /// A finite number; `unit` ("Å", "eV") is named in the errors.
  double number(const std::string& key, std::optional<double> def, const char* unit = nullptr);
  /// A number > 0 when given.
  double positive(const std::string& key, std::optional<double> def, const char* unit = nullptr);
  /// A number >= 0 when given.
  double non_negative(const std::string& key, std::optional<double> def,
                      const char* unit = nullptr);
  /// An integer in lo..hi.
  long integer(const std::string& key, std::optional<long> def, long lo, long hi);
  std::string string(const std::string& key, std::optional<std::string> def);
  bool boolean(const std::string& key, std::optional<bool> def);
  /// A string that must be one of `options`.
  std::string choice(const std::string& key, std::optional<std::string> def,
                     std::initializer_list<const char*> options);
  /// A string or an array of strings (empty when absent).
  std::vector<std::string> strings(const std::string& key);
  /// An array of numbers.
  std::vector<double> numbers(const std::string& key, std::optional<std::vector<double>> def);
  /// An array of integers, each in lo..hi.
  std::vector<int> integers(const std::string& key, std::optional<std::vector<int>> def, int lo,
                            int hi);
  /// An inline table of numbers, e.g. { Si = 28.09, O = 16.0 }.
  std::map<std::string, double> number_table(const std::string& key,
                                             std::optional<std::map<std::string, double>> def);
  /// A sub-table (null when absent; an error when the key is not a table).
  const toml::table* subtable(const std::string& key);
  /// The sub-table as a TomlTable named "name.key" (absent: present() is false).
  TomlTable child(const std::string& key);

  /// Throws for the first key of the table that was never read; `accepted` lists the keys.
  void check_unknown(const std::string& accepted) const;
  /// Throws for the first key not in `allowed` (checked up front, before reading).
  void reject_unknown(std::initializer_list<const char*> allowed) const;
  /// Keys of the table that were never read, in the table's order.
  std::vector<std::string> unused() const;

 private:
  [[noreturn]] void missing(const std::string& key, const char* form, const char* unit) const;
  double checked_number(const std::string& key, const toml::node& n, const char* unit) const;

  const toml::table* t_;
  std::string file_;
  std::string name_;
  std::set<std::string> used_;
};

}  // namespace vitrum
