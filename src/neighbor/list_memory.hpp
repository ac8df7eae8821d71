#pragma once
/// \file list_memory.hpp
/// Internal to the neighbor area: the checks every list build makes before it allocates, and
/// the threaded CSR assembly every list build shares.

#include <omp.h>

#include <algorithm>
#include <cstddef>
#include <vector>

#include "vitrum/neighbor/ghosts.hpp"
#include "vitrum/neighbor/neighbor_list.hpp"

namespace vitrum::neighbor::detail {

/// Validates cutoff, skin and the shell width; returns the list radius cutoff + skin (Å).
double check_list_request(const GhostShell& shell, double cutoff, double skin);

/// The pairs of a list within `r_list` (times `fraction`: 1 for a full list, 0.5 for a half
/// one), estimated from the mean density of the shell's bounding box, against the machine's
/// memory: before a large cutoff on a dense system allocates them.
void check_pair_memory(const GhostShell& shell, double r_list, double fraction);

/// Fills list.offsets / list.neighbors (CSR) for rows 0..n_rows-1: `row(r, out)` appends row r's
/// entries to `out`. Rows are split into one contiguous chunk per thread, each thread appends
/// into its own buffer (`per_row` entries reserved per row), and the buffers are concatenated in
/// row order, so the list does not depend on the thread count. list.offsets must have n_rows + 1
/// entries with offsets[0] = 0.
template <class Row>
void assemble_rows(int n_rows, std::size_t per_row, NeighborList& list, const Row& row) {
  const int max_threads = omp_get_max_threads();
  std::vector<std::vector<int>> chunk(max_threads);
  std::vector<int> chunk_begin(max_threads + 1, n_rows);
#pragma omp parallel if (n_rows > 2000)
  {
    const int nt = omp_get_num_threads();
    const int t = omp_get_thread_num();
    const int begin = static_cast<int>(static_cast<long long>(n_rows) * t / nt);
    const int end = static_cast<int>(static_cast<long long>(n_rows) * (t + 1) / nt);
    chunk_begin[t] = begin;
    if (t == nt - 1) chunk_begin[nt] = n_rows;
    std::vector<int>& out = chunk[t];
    out.reserve(static_cast<std::size_t>(end - begin) * per_row);
    for (int r = begin; r < end; ++r) {
      const std::size_t first = out.size();
      row(r, out);
      list.offsets[r + 1] = static_cast<int>(out.size() - first);
    }
  }
  for (int r = 0; r < n_rows; ++r) list.offsets[r + 1] += list.offsets[r];
  list.neighbors.resize(list.offsets[n_rows]);
#pragma omp parallel for schedule(static, 1) if (n_rows > 2000)
  for (int t = 0; t < max_threads; ++t) {
    if (chunk[t].empty()) continue;
    std::copy(chunk[t].begin(), chunk[t].end(),
              list.neighbors.begin() + list.offsets[chunk_begin[t]]);
  }
}

}  // namespace vitrum::neighbor::detail
