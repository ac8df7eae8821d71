#pragma once
/// \file text_parse.hpp
/// Internal helpers of the structure readers (not installed): whole-file reading (gzip
/// transparently), line splitting and strict number parsing that reports file and line.

#include <string>
#include <string_view>
#include <vector>

namespace vitrum::io::detail {

/// Whole file as text; a name ending in ".gz" is decompressed. Throws InputError (line 0) when
/// the file cannot be opened or read.
std::string read_text_file(const std::string& path);

/// Splits text into lines (without '\n' or a trailing '\r'); line k of the file is element k-1.
std::vector<std::string_view> split_lines(std::string_view text);

/// Whitespace-separated tokens of a line (spaces and tabs).
std::vector<std::string_view> split_tokens(std::string_view line);

/// Strips leading and trailing spaces, tabs and '\r'.
std::string_view trim(std::string_view s);

/// Parses the whole token as a double (a leading '+' is accepted); throws InputError naming
/// `what` and the token otherwise.
double parse_double(std::string_view token, const std::string& file, long line,
                    std::string_view what);

/// Parses the whole token as an int; throws InputError naming `what` otherwise.
long parse_long(std::string_view token, const std::string& file, long line, std::string_view what);

}  // namespace vitrum::io::detail
