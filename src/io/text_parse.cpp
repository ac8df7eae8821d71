/// \file text_parse.cpp
/// Tokenizing and number parsing shared by the n2p2 and extended XYZ readers.

#include "text_parse.hpp"

#include <zlib.h>

#include <charconv>
#include <fstream>
#include <sstream>

#include "vitrum/core/error.hpp"

namespace vitrum::io::detail {
namespace {

bool ends_with(const std::string& s, std::string_view suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

std::string read_gzip_file(const std::string& path) {
  gzFile f = gzopen(path.c_str(), "rb");
  if (f == nullptr)
    throw InputError(path, 0, "cannot open file (does it exist and is it readable?)");
  std::string text;
  char buf[1 << 16];
  int n = 0;
  while ((n = gzread(f, buf, sizeof(buf))) > 0) text.append(buf, static_cast<std::size_t>(n));
  int err = 0;
  const char* msg = gzerror(f, &err);
  const bool failed = n < 0 || (err != Z_OK && err != Z_STREAM_END);
  const std::string reason = failed && msg != nullptr ? msg : "";
  gzclose(f);
  if (failed) throw InputError(path, 0, "cannot decompress gzip file: " + reason);
  return text;
}

}  // namespace

std::string read_text_file(const std::string& path) {
  if (ends_with(path, ".gz")) return read_gzip_file(path);
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError(path, 0, "cannot open file (does it exist and is it readable?)");
  std::ostringstream ss;
  ss << in.rdbuf();
  if (in.bad()) throw InputError(path, 0, "read error");
  return std::move(ss).str();
}

std::vector<std::string_view> split_lines(std::string_view text) {
  std::vector<std::string_view> lines;
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(start, end - start);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    lines.push_back(line);
    start = end + 1;
  }
  return lines;
}

std::vector<std::string_view> split_tokens(std::string_view line) {
  std::vector<std::string_view> tokens;
  std::size_t i = 0;
  const std::size_t n = line.size();
  while (i < n) {
    while (i < n && (line[i] == ' ' || line[i] == '\t' || line[i] == '\r')) ++i;
    if (i >= n) break;
    std::size_t j = i;
    while (j < n && line[j] != ' ' && line[j] != '\t' && line[j] != '\r') ++j;
    tokens.push_back(line.substr(i, j - i));
    i = j;
  }
  return tokens;
}

std::string_view trim(std::string_view s) {
  auto is_space = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  return s;
}

double parse_double(std::string_view token, const std::string& file, long line,
                    std::string_view what) {
  std::string_view t = token;
  if (t.size() > 1 && t.front() == '+') t.remove_prefix(1);
  double value = 0.0;
  const char* first = t.data();
  const char* last = t.data() + t.size();
  auto [ptr, ec] = std::from_chars(first, last, value);
  if (ec == std::errc::result_out_of_range) {
    throw InputError(file, line, fmt::format("number '{}' for {} is out of range", token, what));
  }
  if (t.empty() || ec != std::errc() || ptr != last) {
    throw InputError(
        file, line,
        fmt::format("non-numeric token '{}' where {} (a number) was expected", token, what));
  }
  return value;
}

long parse_long(std::string_view token, const std::string& file, long line, std::string_view what) {
  std::string_view t = token;
  if (t.size() > 1 && t.front() == '+') t.remove_prefix(1);
  long value = 0;
  auto [ptr, ec] = std::from_chars(t.data(), t.data() + t.size(), value);
  if (t.empty() || ec != std::errc() || ptr != t.data() + t.size()) {
    throw InputError(file, line,
                     fmt::format("token '{}' where {} (an integer) was expected", token, what));
  }
  return value;
}

}  // namespace vitrum::io::detail
