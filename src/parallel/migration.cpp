/// \file migration.cpp
/// Per-atom records, staged multi-hop migration and id checks (see migration.hpp).

#include "vitrum/parallel/migration.hpp"

#include <algorithm>
#include <cstdint>
#include <cstring>

#include "vitrum/core/error.hpp"

namespace vitrum::parallel {
namespace {

std::array<Vec3, 3> reciprocal_rows(const Box& box) {
  const Vec3 bc = cross(box.h[1], box.h[2]);
  const Vec3 ca = cross(box.h[2], box.h[0]);
  const Vec3 ab = cross(box.h[0], box.h[1]);
  const double inv_v = 1.0 / dot(box.h[0], bc);
  return {inv_v * bc, inv_v * ca, inv_v * ab};
}

/// splitmix64 finaliser: a bijective 64-bit mix, so distinct ids give unrelated hashes.
std::uint64_t mix(std::uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

#ifdef VITRUM_HAVE_MPI
/// Sends `send` to `dest` and returns what `source` sent (byte records; counts first).
std::vector<std::byte> exchange_bytes(const Comm& comm, const std::vector<std::byte>& send,
                                      int dest, int source, int tag) {
  if (send.size() > static_cast<std::size_t>(INT32_MAX))
    fail("atom migration: {} bytes exceed what one MPI message holds", send.size());
  int n_send = static_cast<int>(send.size()), n_recv = 0;
  MPI_Sendrecv(&n_send, 1, MPI_INT, dest, tag, &n_recv, 1, MPI_INT, source, tag, comm.mpi(),
               MPI_STATUS_IGNORE);
  std::vector<std::byte> recv(static_cast<std::size_t>(n_recv));
  MPI_Sendrecv(send.data(), n_send, MPI_BYTE, dest, tag + 1, recv.data(), n_recv, MPI_BYTE, source,
               tag + 1, comm.mpi(), MPI_STATUS_IGNORE);
  return recv;
}
#endif

}  // namespace

void AtomFields::check(const char* what) const {
  const std::size_t n = size();
  for (const Field& f : fields_) {
    if (f.size(f.vec) != n)
      fail("{}: per-atom arrays differ in length ({} and {})", what, n, f.size(f.vec));
  }
}

void AtomFields::pack(std::size_t i, std::vector<std::byte>& out) const {
  for (const Field& f : fields_) {
    const std::byte* src = f.data(f.vec) + i * f.elem;
    out.insert(out.end(), src, src + f.elem);
  }
}

void AtomFields::append(const std::byte* records, std::size_t n) {
  if (n == 0) return;
  const std::size_t n0 = size();
  for (const Field& f : fields_) f.resize(f.vec, n0 + n);
  for (std::size_t k = 0; k < n; ++k) {
    const std::byte* rec = records + k * bytes_;
    for (const Field& f : fields_) {
      std::memcpy(f.data(f.vec) + (n0 + k) * f.elem, rec, f.elem);
      rec += f.elem;
    }
  }
}

void AtomFields::keep(const std::vector<char>& keep) {
  const std::size_t n = size();
  for (const Field& f : fields_) {
    std::byte* p = f.data(f.vec);
    std::size_t j = 0;
    for (std::size_t i = 0; i < n; ++i) {
      if (!keep[i]) continue;
      if (i != j) std::memcpy(p + j * f.elem, p + i * f.elem, f.elem);
      ++j;
    }
    f.resize(f.vec, j);
  }
}

void AtomFields::permute(const std::vector<int>& order) {
  const std::size_t n = size();
  if (order.size() != n) fail("AtomFields::permute: {} indices for {} atoms", order.size(), n);
  std::vector<std::byte> tmp;
  for (const Field& f : fields_) {
    std::byte* p = f.data(f.vec);
    tmp.assign(p, p + n * f.elem);
    for (std::size_t k = 0; k < n; ++k)
      std::memcpy(p + k * f.elem, tmp.data() + static_cast<std::size_t>(order[k]) * f.elem, f.elem);
  }
}

void sort_by_id(const std::vector<int>& ids, AtomFields& fields) {
  if (std::is_sorted(ids.begin(), ids.end())) return;
  std::vector<int> order(ids.size());
  for (std::size_t k = 0; k < order.size(); ++k) order[k] = static_cast<int>(k);
  std::sort(order.begin(), order.end(), [&](int a, int b) { return ids[a] < ids[b]; });
  fields.permute(order);
}

long migrate_atoms(const Domain& domain, const Box& box, std::vector<Vec3>& positions,
                   AtomFields fields) {
  fields.add(positions);
  fields.check("atom migration");
  if (domain.size() == 1) return 0;
  const Comm& comm = domain.comm();
  const auto& grid = domain.grid();
  const auto& me = domain.coords();
  const std::array<Vec3, 3> recip = reciprocal_rows(box);
  auto ring = [&](int c, int d) { return (c - me[d] + grid[d]) % grid[d]; };

  // Hops per direction: the longest way any atom has to go around the ring, agreed by all ranks.
  int hops[3] = {0, 0, 0};
  for (const Vec3& r : positions) {
    for (int d = 0; d < 3; ++d) {
      const int delta = ring(domain.coordinate(dot(recip[d], r), d), d);
      hops[d] = std::max(hops[d], std::min(delta, grid[d] - delta));
    }
  }
  comm.max(hops, 3);

  long sent = 0;
  std::vector<char> keep;
  std::vector<std::byte> up, down;
  for (int d = 0; d < 3; ++d) {
    for (int hop = 0; hop < hops[d]; ++hop) {
      const std::size_t n = positions.size();
      keep.assign(n, 1);
      up.clear();
      down.clear();
      for (std::size_t i = 0; i < n; ++i) {
        const int delta = ring(domain.coordinate(dot(recip[d], positions[i]), d), d);
        if (delta == 0) continue;
        fields.pack(i, 2 * delta <= grid[d] ? up : down);
        keep[i] = 0;
        ++sent;
      }
      fields.keep(keep);
#ifdef VITRUM_HAVE_MPI
      const int tag = 1000 + 4 * (d * 64 + hop % 64);
      const auto from_lower =
          exchange_bytes(comm, up, domain.neighbor(d, +1), domain.neighbor(d, -1), tag);
      const auto from_upper =
          exchange_bytes(comm, down, domain.neighbor(d, -1), domain.neighbor(d, +1), tag + 2);
      fields.append(from_lower.data(), from_lower.size() / fields.record_bytes());
      fields.append(from_upper.data(), from_upper.size() / fields.record_bytes());
#else
      fail("atom migration over several ranks needs a build with MPI");
#endif
    }
  }
  return sent;
}

IdChecksum id_checksum(const Comm& comm, const std::vector<int>& ids) {
  std::int64_t count = static_cast<std::int64_t>(ids.size());
  std::uint64_t hash = 0;
  for (int id : ids) hash += mix(static_cast<std::uint64_t>(id));
  comm.sum(&count, 1);
  comm.sum(&hash, 1);
  return IdChecksum{count, hash};
}

void check_ids(const Comm& comm, const std::vector<int>& ids, long n_global,
               const std::string& where) {
  // Every id in [0, n_global) is checked by the rank owning its range: rank r owns
  // [lo(r), lo(r + 1)) with lo(r) = ceil(r n / P), i.e. id goes to floor(id P / n).
  const std::int64_t n = std::max(0L, n_global);
  const std::int64_t p = comm.size();
  const auto lo = [&](std::int64_t r) { return (r * n + p - 1) / p; };
  const auto owner = [&](std::int64_t id) { return static_cast<int>(id * p / n); };
  constexpr std::int64_t kNone = INT64_MAX;
  // found (summed); first missing, first duplicate (the smallest such ids), lowest rank holding
  // an out-of-range id (min over the ranks)
  std::int64_t found = static_cast<std::int64_t>(ids.size());
  std::int64_t first[3] = {kNone, kNone, kNone};
  int invalid = -1;  // this rank's first out-of-range id, in its order
  bool have_invalid = false;
  std::vector<int> counts(static_cast<std::size_t>(p), 0);
  for (int id : ids) {
    if (id < 0 || id >= n) {
      if (!have_invalid) invalid = id, have_invalid = true;
      continue;
    }
    ++counts[owner(id)];
  }
  std::vector<int> send;
  {
    std::vector<int> offset(static_cast<std::size_t>(p), 0);
    for (std::int64_t r = 1; r < p; ++r) offset[r] = offset[r - 1] + counts[r - 1];
    send.resize(static_cast<std::size_t>(p > 0 ? offset[p - 1] + counts[p - 1] : 0));
    for (int id : ids)
      if (id >= 0 && id < n) send[offset[owner(id)]++] = id;
  }
  {
    const std::vector<int> mine = comm.alltoallv(send, counts);
    send = std::vector<int>();
    const std::int64_t begin = lo(comm.rank()), end = lo(comm.rank() + 1);
    std::vector<unsigned char> seen(static_cast<std::size_t>(end - begin), 0);
    for (int id : mine) {
      unsigned char& s = seen[static_cast<std::size_t>(id - begin)];
      if (s != 0 && id < first[1]) first[1] = id;
      s = 1;
    }
    for (std::int64_t id = begin; id < end; ++id) {
      if (seen[static_cast<std::size_t>(id - begin)] == 0) {
        first[0] = id;
        break;
      }
    }
  }
  if (have_invalid) first[2] = comm.rank();
  comm.sum(&found, 1);
  comm.min(first, 3);
  // The first out-of-range id in rank order (as a gather on one rank would find it).
  std::int64_t bad = invalid;
  if (first[2] != kNone) comm.broadcast(&bad, sizeof(bad), static_cast<int>(first[2]));
  const std::int64_t verdict[4] = {found, first[0] == kNone ? -1 : first[0],
                                   first[1] == kNone ? -1 : first[1], first[2] == kNone ? -1 : bad};
  if (verdict[0] != n_global || verdict[1] >= 0 || verdict[2] >= 0 || first[2] != kNone) {
    fail(
        "{}: atoms lost or duplicated across ranks: {} atoms held for {} expected (first missing "
        "id {}, first duplicated id {}, first invalid id {}); this is a bug in the domain "
        "decomposition, please report it",
        where, verdict[0], n_global, verdict[1], verdict[2], verdict[3]);
  }
}

}  // namespace vitrum::parallel
