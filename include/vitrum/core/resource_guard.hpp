#pragma once
/// \file resource_guard.hpp
/// Checks made before large allocations and before echoing input into messages:
///  - check_memory(): the bytes an input asks for, estimated in checked arithmetic, against the
///    machine's memory, so that an absurd input gets an error naming it instead of
///    std::bad_alloc (or an out-of-memory kill) after minutes;
///  - printable(): input text made safe to put into a message (no raw binary on a terminal).

#include <cstdint>
#include <string>
#include <string_view>

namespace vitrum {

/// The machine's physical memory in bytes (0 when unknown). VITRUM_MEMORY_LIMIT_BYTES, when
/// set to a positive number, replaces it (tests; batch jobs with a smaller allocation).
double memory_budget_bytes();

/// Throws vitrum::Error "<what> needs about X GiB of memory (...), more than the Y GiB of this
/// machine" when `bytes` (an estimate; may be inf or NaN when the count overflowed) exceeds
/// memory_budget_bytes(). `what` names the input asking for it (file, line, key).
void check_memory(double bytes, const std::string& what);

/// `text` with every byte that is not printable escaped: control characters as \n, \t, \r or
/// \xNN, and bytes that are not part of valid UTF-8 as \xNN; valid UTF-8 (Å, ³) is kept. At
/// most `max_bytes` bytes of the input are shown, then "...".
std::string printable(std::string_view text, std::size_t max_bytes = 200);

/// Like printable() for a whole message: newlines and tabs are kept as they are.
std::string printable_message(std::string_view text);

}  // namespace vitrum
