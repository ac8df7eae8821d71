#pragma once
/// \file error.hpp
/// Error type of vitrum: every message says what was wrong, where (file and line of an input
/// file where there is one) and what was expected.

#include <fmt/format.h>

#include <stdexcept>
#include <string>

namespace vitrum {

/// Exception thrown for bad input or an impossible request. The message is complete and meant
/// for the user; the CLI prints it and exits with a nonzero status.
class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& msg) : std::runtime_error(msg) {}
};

/// Error located in an input file: "file:line: message".
class InputError : public Error {
 public:
  InputError(const std::string& file, long line, const std::string& msg)
      : Error(line > 0 ? fmt::format("{}:{}: {}", file, line, msg)
                       : fmt::format("{}: {}", file, msg)),
        file_(file),
        line_(line) {}
  const std::string& file() const { return file_; }
  long line() const { return line_; }

 private:
  std::string file_;
  long line_;
};

/// Throws vitrum::Error with a formatted message.
template <typename... Args>
[[noreturn]] void fail(fmt::format_string<Args...> f, Args&&... args) {
  throw Error(fmt::format(f, std::forward<Args>(args)...));
}

}  // namespace vitrum
