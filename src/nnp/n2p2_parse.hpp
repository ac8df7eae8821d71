#pragma once
// Token-level reading of n2p2 files for the potential loader (n2p2_reader.cpp): lines split into
// tokens with comments cut, numbers with file:line errors (binary echoed escaped), activation
// and compact-core codes, and n2p2's symmetry-function sort order.
#include <string>
#include <string_view>
#include <vector>

#include "vitrum/nnp/potential.hpp"

namespace vitrum::nnp::n2p2_detail {

struct Line {
  long number;
  std::vector<std::string> tokens;
};

/// Splits `text` at whitespace into `tokens` (cleared first).
void split_tokens(std::string_view text, std::vector<std::string>& tokens);
/// The non-empty lines of `path` with comments ('#', and '!' when `bang_comments`) cut.
std::vector<Line> read_lines(const std::string& path, bool bang_comments);
/// A number (Fortran exponents 1.0d0 accepted); InputError naming `what` otherwise.
double to_double(const std::string& file, long line, const std::string& tok, const char* what);
/// An integer that fits an int; InputError naming `what` otherwise.
int to_int(const std::string& file, long line, const std::string& tok, const char* what);
/// `v` when finite and in [lo, hi]; InputError "what = v is invalid: expected ..." otherwise.
double in_range(const std::string& file, long line, double v, const char* what, double lo,
                double hi, const char* expected);
/// The activation of an n2p2 code letter (l t s p r g c S e h).
int activation_code(const std::string& file, long line, const std::string& tok);
/// The core function of a compact subtype (p1..p4, e), `asym` set by a trailing 'a'.
int core_code(const std::string& file, long line, const std::string& subtype, bool& asym);
/// Compact types (20-25).
bool is_compact(int type);
/// n2p2's sort keys (SymFnc*::operator<), section B.3.1 of the format notes.
bool sf_less(const SymmetryFunction& a, const SymmetryFunction& b);

}  // namespace vitrum::nnp::n2p2_detail
