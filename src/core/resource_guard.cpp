// Memory estimates before large allocations and printable input in messages
// (vitrum/core/resource_guard.hpp).
#include "vitrum/core/resource_guard.hpp"

#include <unistd.h>

#include <cmath>
#include <cstdlib>

#include "vitrum/core/error.hpp"

namespace vitrum {
namespace {

/// Length of the valid UTF-8 sequence starting at s[i] (0: not valid UTF-8).
std::size_t utf8_length(std::string_view s, std::size_t i) {
  const auto c = static_cast<unsigned char>(s[i]);
  std::size_t n = 0;
  if (c >= 0xC2 && c <= 0xDF)
    n = 2;
  else if (c >= 0xE0 && c <= 0xEF)
    n = 3;
  else if (c >= 0xF0 && c <= 0xF4)
    n = 4;
  else
    return 0;
  if (i + n > s.size()) return 0;
  for (std::size_t k = 1; k < n; ++k)
    if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return 0;
  const auto c1 = static_cast<unsigned char>(s[i + 1]);
  if ((c == 0xE0 && c1 < 0xA0) || (c == 0xED && c1 > 0x9F) || (c == 0xF0 && c1 < 0x90) ||
      (c == 0xF4 && c1 > 0x8F))
    return 0;  // overlong, surrogate or beyond U+10FFFF
  return n;
}

std::string escape(std::string_view text, std::size_t max_bytes, bool keep_layout) {
  std::string out;
  std::size_t i = 0;
  for (; i < text.size() && i < max_bytes;) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c >= 0x20 && c < 0x7F) {
      out += static_cast<char>(c);
      ++i;
    } else if (c == '\n' || c == '\t') {
      out += keep_layout ? std::string(1, static_cast<char>(c)) : (c == '\n' ? "\\n" : "\\t");
      ++i;
    } else if (c == '\r') {
      out += "\\r";
      ++i;
    } else if (const std::size_t n = c >= 0x80 ? utf8_length(text, i) : 0; n > 0) {
      out.append(text.substr(i, n));
      i += n;
    } else {
      out += fmt::format("\\x{:02x}", c);
      ++i;
    }
  }
  if (i < text.size()) out += "...";
  return out;
}

}  // namespace

double memory_budget_bytes() {
  if (const char* env = std::getenv("VITRUM_MEMORY_LIMIT_BYTES")) {
    const double v = std::strtod(env, nullptr);
    if (v > 0) return v;
  }
  const long pages = ::sysconf(_SC_PHYS_PAGES), page = ::sysconf(_SC_PAGE_SIZE);
  return pages > 0 && page > 0 ? static_cast<double>(pages) * static_cast<double>(page) : 0.0;
}

void check_memory(double bytes, const std::string& what) {
  const double budget = memory_budget_bytes();
  if (budget <= 0.0) return;
  if (!std::isfinite(bytes) || bytes > budget)
    fail("{} needs about {:.3g} GiB of memory, more than the {:.3g} GiB of this machine", what,
         bytes / 1073741824.0, budget / 1073741824.0);
}

std::string printable(std::string_view text, std::size_t max_bytes) {
  return escape(text, max_bytes, false);
}

std::string printable_message(std::string_view text) {
  return escape(text, text.size(), true);
}

}  // namespace vitrum
