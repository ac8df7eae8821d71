#pragma once
/// \file migration.hpp
/// Atoms changing rank: the per-atom arrays that travel with an atom (AtomFields), migration of
/// atoms that left their subdomain to the rank that owns them now, and the checks that no atom
/// was lost or duplicated on the way.
///
/// Migration is staged like the halo: along a, then b, then c, an atom whose owner differs from
/// this rank along d is sent to the neighbor on the shorter way around the periodic ring and
/// forwarded hop by hop until it arrives (one hop unless an atom crossed a whole subdomain, e.g.
/// subdomains thinner than the neighbor-list skin, or the first distribution of a structure).
/// Kept atoms keep their order; arrivals are appended in a fixed order.

#include <cstddef>
#include <cstdint>
#include <string>
#include <type_traits>
#include <vector>

#include "vitrum/core/structure.hpp"
#include "vitrum/core/vec3.hpp"
#include "vitrum/parallel/domain.hpp"

namespace vitrum::parallel {

/// A set of per-atom arrays of equal length (positions, velocities, ids, ...) handled as one
/// record per atom. Holds pointers: the arrays must outlive it.
class AtomFields {
 public:
  template <typename T>
  void add(std::vector<T>& v) {
    static_assert(std::is_trivially_copyable_v<T>, "per-atom fields must be trivially copyable");
    fields_.push_back(Field{&v, sizeof(T), &size_of<T>, &resize<T>, &data<T>});
    bytes_ += sizeof(T);
  }
  /// Number of atoms (the length of the first array; all must agree, see check()).
  std::size_t size() const { return fields_.empty() ? 0 : fields_[0].size(fields_[0].vec); }
  /// Bytes per atom record.
  std::size_t record_bytes() const { return bytes_; }
  /// Throws when the arrays differ in length (`what` names the caller).
  void check(const char* what) const;
  /// Appends the record of atom i to `out`.
  void pack(std::size_t i, std::vector<std::byte>& out) const;
  /// Appends `n` records (as written by pack) to the arrays.
  void append(const std::byte* records, std::size_t n);
  /// Keeps the atoms with keep[i] != 0, in order.
  void keep(const std::vector<char>& keep);
  /// Reorders the atoms: new atom k is old atom order[k] (a permutation).
  void permute(const std::vector<int>& order);

 private:
  struct Field {
    void* vec;
    std::size_t elem;
    std::size_t (*size)(const void*);
    void (*resize)(void*, std::size_t);
    std::byte* (*data)(void*);
  };
  template <typename T>
  static std::size_t size_of(const void* v) {
    return static_cast<const std::vector<T>*>(v)->size();
  }
  template <typename T>
  static void resize(void* v, std::size_t n) {
    static_cast<std::vector<T>*>(v)->resize(n);
  }
  template <typename T>
  static std::byte* data(void* v) {
    return reinterpret_cast<std::byte*>(static_cast<std::vector<T>*>(v)->data());
  }
  std::vector<Field> fields_;
  std::size_t bytes_ = 0;
};

/// Moves every atom to the rank owning its fractional position in `box` (positions wrapped
/// into the cell). `positions` decides and travels; `fields` are the other per-atom arrays.
/// Collective over the domain. Returns the number of atoms this rank sent.
long migrate_atoms(const Domain& domain, const Box& box, std::vector<Vec3>& positions,
                   AtomFields fields);

/// Sorts the atoms by id (`ids` is one of `fields`), so that a rank's atom order depends only on
/// which atoms it holds, not on the history of migrations.
void sort_by_id(const std::vector<int>& ids, AtomFields& fields);

/// Order-independent fingerprint of a set of atom ids: the count and the wrapping sum of a
/// 64-bit mix of each id, summed over the ranks of `comm` (collective).
struct IdChecksum {
  std::int64_t count = 0;
  std::uint64_t hash = 0;
  bool operator==(const IdChecksum& o) const { return count == o.count && hash == o.hash; }
  bool operator!=(const IdChecksum& o) const { return !(*this == o); }
};
IdChecksum id_checksum(const Comm& comm, const std::vector<int>& ids);

/// Full check (collective): the ids over all ranks are exactly 0..n_global-1, each once. Throws
/// vitrum::Error on every rank otherwise, naming `where`, the number of ids held, the smallest
/// missing and the smallest duplicated id, and the first id out of range (in rank order).
/// Distributed: each id is sent to the rank checking its range (rank r checks
/// [ceil(r N/P), ceil((r+1) N/P))), so a rank needs O(N/P + its ids) memory, none O(N); one
/// all-to-all exchange and a few reductions.
void check_ids(const Comm& comm, const std::vector<int>& ids, long n_global,
               const std::string& where);

}  // namespace vitrum::parallel
