#pragma once
/// \file list_memory.hpp
/// Internal to the neighbor area: the checks every list build makes before it allocates.

#include "vitrum/neighbor/ghosts.hpp"

namespace vitrum::neighbor::detail {

/// Validates cutoff, skin and the shell width; returns the list radius cutoff + skin (Å).
double check_list_request(const GhostShell& shell, double cutoff, double skin);

/// The pairs of a list within `r_list` (times `fraction`: 1 for a full list, 0.5 for a half
/// one), estimated from the mean density of the shell's bounding box, against the machine's
/// memory: before a large cutoff on a dense system allocates them.
void check_pair_memory(const GhostShell& shell, double r_list, double fraction);

}  // namespace vitrum::neighbor::detail
