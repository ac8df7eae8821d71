/// \file checkpoint_write.cpp
/// Writing checkpoint files of `vitrum run` (layout in vitrum/md/checkpoint.hpp): atomic
/// (temporary name, fsync, rename), parallel over MPI ranks through parallel HDF5, with
/// checksummed object headers and fletcher32 datasets.

#include <fcntl.h>
#include <hdf5.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <functional>

#include "checkpoint_format.hpp"
#include "vitrum/core/atomic_file.hpp"
#include "vitrum/core/error.hpp"
#include "vitrum/core/hdf5.hpp"
#include "vitrum/core/output_guard.hpp"
#include "vitrum/md/checkpoint.hpp"

namespace vitrum::md {
namespace {

using checkpoint_detail::kFormat;
using checkpoint_detail::kVitrumVersion;
using h5::Handle;

// ------------------------------------------------------------------------------ HDF5 helpers

/// Writes an attribute; `dims` empty = scalar. Throws naming the file.
void attr_write(hid_t obj, const char* name, hid_t file_type, hid_t mem_type, const void* data,
                const std::vector<hsize_t>& dims, const std::string& path) {
  if (!h5::write_attr(obj, name, file_type, mem_type, data, dims))
    fail("{}: writing the checkpoint attribute '{}' failed", path, name);
}

/// Strings are fixed-length: they live in the checksummed object header (see h5::string_type).
void attr_string(hid_t obj, const char* name, const std::string& v, const std::string& path) {
  if (!h5::write_string_attr(obj, name, v, /*variable=*/false))
    fail("{}: writing the checkpoint attribute '{}' failed", path, name);
}
void attr_long(hid_t obj, const char* name, long long v, const std::string& path) {
  attr_write(obj, name, H5T_STD_I64LE, H5T_NATIVE_LLONG, &v, {}, path);
}
void attr_u64(hid_t obj, const char* name, std::uint64_t v, const std::string& path) {
  const unsigned long long u = v;
  attr_write(obj, name, H5T_STD_U64LE, H5T_NATIVE_ULLONG, &u, {}, path);
}
void attr_double(hid_t obj, const char* name, double v, const std::string& path) {
  attr_write(obj, name, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, &v, {}, path);
}
void attr_doubles(hid_t obj, const char* name, const std::vector<double>& v,
                  const std::vector<hsize_t>& dims, const std::string& path) {
  const bool ok =
      v.empty() ? h5::write_empty_attr(obj, name, H5T_IEEE_F64LE)
                : h5::write_attr(obj, name, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, v.data(), dims);
  if (!ok) fail("{}: writing the checkpoint attribute '{}' failed", path, name);
}

std::vector<double> box_rows(const Box& b) {
  std::vector<double> v(9);
  for (int a = 0; a < 3; ++a)
    for (int c = 0; c < 3; ++c) v[3 * a + c] = b.h[a][c];
  return v;
}

/// Collective context of a write: serial, or parallel over MPI ranks.
struct WriteContext {
  bool parallel = false;
  int rank = 0;
  int ranks = 1;
  hid_t fapl = H5P_DEFAULT;
  std::function<long(long)> sum = [](long x) { return x; };
  std::function<int(int)> max = [](int x) { return x; };
};

/// Writes one per-atom dataset (N rows of `cols` values) at the rows given by the ids.
void write_rows(hid_t grp, const char* name, hid_t file_type, hid_t mem_type, int cols,
                hsize_t n_total, const std::vector<long>& ids, std::size_t m, const void* data,
                hid_t dxpl, const std::string& path) {
  const int rank_dims = cols == 1 ? 1 : 2;
  const hsize_t dims[2] = {n_total, static_cast<hsize_t>(cols)};
  Handle fspace(H5Screate_simple(rank_dims, dims, nullptr), H5Sclose);
  Handle dcpl(H5Pcreate(H5P_DATASET_CREATE), H5Pclose);
  const hsize_t chunk[2] = {std::min<hsize_t>(n_total, 1u << 15), static_cast<hsize_t>(cols)};
  H5Pset_chunk(dcpl.get(), rank_dims, chunk);
  H5Pset_fletcher32(dcpl.get());
  Handle d(H5Dcreate2(grp, name, file_type, fspace.get(), H5P_DEFAULT, dcpl.get(), H5P_DEFAULT),
           H5Dclose);
  if (!d.valid()) fail("{}: creating the checkpoint dataset /atoms/{} failed", path, name);
  const hsize_t nvals = static_cast<hsize_t>(m) * cols;
  const hsize_t mem_n = std::max<hsize_t>(nvals, 1);
  Handle mem(H5Screate_simple(1, &mem_n, nullptr), H5Sclose);
  bool contiguous = true;
  for (std::size_t k = 1; k < ids.size(); ++k) contiguous &= ids[k] == ids[k - 1] + 1;
  if (m == 0) {
    H5Sselect_none(fspace.get());
    H5Sselect_none(mem.get());
  } else if (contiguous) {
    const hsize_t start[2] = {static_cast<hsize_t>(ids.empty() ? 0 : ids[0]), 0};
    const hsize_t count[2] = {static_cast<hsize_t>(m), static_cast<hsize_t>(cols)};
    H5Sselect_hyperslab(fspace.get(), H5S_SELECT_SET, start, nullptr, count, nullptr);
  } else {
    std::vector<hsize_t> coords(nvals * rank_dims);
    for (std::size_t k = 0; k < m; ++k)
      for (int c = 0; c < cols; ++c) {
        hsize_t* x = &coords[(k * cols + c) * rank_dims];
        x[0] = static_cast<hsize_t>(ids[k]);
        if (rank_dims == 2) x[1] = c;
      }
    H5Sselect_elements(fspace.get(), H5S_SELECT_SET, nvals, coords.data());
  }
  if (H5Dwrite(d.get(), mem_type, mem.get(), fspace.get(), dxpl, m == 0 ? nullptr : data) < 0)
    fail("{}: writing the checkpoint dataset /atoms/{} failed (disk full?)", path, name);
}

std::vector<double> flat(const std::vector<Vec3>& v) {
  std::vector<double> out(3 * v.size());
  for (std::size_t i = 0; i < v.size(); ++i)
    for (int d = 0; d < 3; ++d) out[3 * i + d] = v[i][d];
  return out;
}

void fsync_path(const std::string& p, bool directory) {
  const int fd = ::open(p.c_str(), directory ? (O_RDONLY | O_DIRECTORY) : O_RDONLY);
  if (fd < 0) {
    if (directory) return;  // some file systems do not open directories; the rename stands
    fail("{}: cannot open for fsync: {}", p, std::strerror(errno));
  }
  const int rc = ::fsync(fd);
  const int err = errno;
  ::close(fd);
  if (rc != 0 && !(directory && (err == EINVAL || err == EBADF)))
    fail("{}: fsync failed: {}", p, std::strerror(err));
}

/// This rank's state is checked before the first collective call, but the ranks agree on the
/// outcome before failing: a rank failing alone would leave the others in w.sum while it waits
/// in write_with's agreement (mismatched collective calls). Returns the atoms on all ranks.
long check_state(const std::string& tmp, const Checkpoint& ck, const WriteContext& w) {
  const MdSystem& s = ck.system;
  const std::size_t m = s.positions.size();
  std::string bad;
  if (s.velocities.size() != m || s.forces.size() != m || s.image.size() != m ||
      s.species.size() != m || s.mass.size() != m || ck.rebuild.positions.size() != m ||
      (!ck.ids.empty() && ck.ids.size() != m))
    bad = fmt::format(
        "{}: inconsistent checkpoint state ({} atoms, {} velocities, {} forces, {} ids)", tmp, m,
        s.velocities.size(), s.forces.size(), ck.ids.size());
  else if (w.parallel && ck.ids.empty() && m > 0)
    bad = fmt::format("{}: a parallel checkpoint needs the global ids of each rank's atoms", tmp);
  const long n_total = w.sum(static_cast<long>(m));
  if (w.max(bad.empty() ? 0 : 1) != 0)
    fail("{}", bad.empty() ? tmp + ": inconsistent checkpoint state on another rank" : bad);
  if (n_total <= 0) fail("{}: a checkpoint needs atoms", tmp);
  if (!w.parallel && !ck.ids.empty()) {
    for (std::size_t k = 0; k < m; ++k)
      if (ck.ids[k] < 0 || ck.ids[k] >= n_total)
        fail("{}: atom id {} out of range", tmp, ck.ids[k]);
  }
  return n_total;
}

/// Root attributes: format, versions, creation time, writer ranks, the campaign fingerprint.
void write_header(hid_t f, const std::string& tmp, const Checkpoint& ck, const WriteContext& w) {
  char when[32] = "";
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  std::strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
  attr_string(f, "format", kFormat, tmp);
  attr_long(f, "format_version", kCheckpointFormatVersion, tmp);
  attr_string(f, "vitrum_version", kVitrumVersion, tmp);
  attr_string(f, "created", when, tmp);
  attr_long(f, "writer_ranks", w.ranks, tmp);
  attr_string(f, "config_file", ck.config_file, tmp);
  attr_string(f, "config_hash", fmt::format("{:016x}", ck.config_hash), tmp);
  attr_string(f, "config_fingerprint", ck.config_fingerprint, tmp);
}

/// /atoms: per-atom datasets, each rank writing the rows of its atoms' ids.
void write_atoms(hid_t f, const std::string& tmp, const Checkpoint& ck, long n_total, hid_t dxpl) {
  const MdSystem& s = ck.system;
  const std::size_t m = s.positions.size();
  Handle atoms(H5Gcreate2(f, "atoms", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), H5Gclose);
  const hsize_t n = static_cast<hsize_t>(n_total);
  const hid_t g = atoms.get();
  std::vector<long long> id(m);
  for (std::size_t k = 0; k < m; ++k)
    id[k] = ck.ids.empty() ? static_cast<long long>(k) : ck.ids[k];
  std::vector<int> image(3 * m);
  for (std::size_t k = 0; k < m; ++k)
    for (int d = 0; d < 3; ++d) image[3 * k + d] = s.image[k][d];
  write_rows(g, "id", H5T_STD_I64LE, H5T_NATIVE_LLONG, 1, n, ck.ids, m, id.data(), dxpl, tmp);
  write_rows(g, "species", H5T_STD_I32LE, H5T_NATIVE_INT, 1, n, ck.ids, m, s.species.data(), dxpl,
             tmp);
  write_rows(g, "mass", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 1, n, ck.ids, m, s.mass.data(), dxpl,
             tmp);
  const std::pair<const char*, const std::vector<Vec3>*> vecs[] = {
      {"position", &s.positions},
      {"velocity", &s.velocities},
      {"force", &s.forces},
      {"rebuild_position", &ck.rebuild.positions}};
  for (const auto& [name, v] : vecs) {
    const auto x = flat(*v);
    write_rows(g, name, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 3, n, ck.ids, m, x.data(), dxpl, tmp);
  }
  write_rows(g, "image", H5T_STD_I32LE, H5T_NATIVE_INT, 3, n, ck.ids, m, image.data(), dxpl, tmp);
}

/// /state: step, time, energy, virial, cell, the last neighbor-list rebuild, the domain grid.
void write_state(hid_t f, const std::string& tmp, const Checkpoint& ck) {
  const MdSystem& s = ck.system;
  Handle st(H5Gcreate2(f, "state", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), H5Gclose);
  const hid_t g = st.get();
  attr_long(g, "step", s.step, tmp);
  attr_double(g, "time_fs", s.time_fs, tmp);
  attr_double(g, "potential_energy", s.potential_energy, tmp);
  std::vector<double> vir(9);
  for (int a = 0; a < 3; ++a)
    for (int b = 0; b < 3; ++b) vir[3 * a + b] = s.virial[a][b];
  attr_doubles(g, "virial", vir, {3, 3}, tmp);
  attr_doubles(g, "box", box_rows(s.box), {3, 3}, tmp);
  attr_long(g, "periodic", s.box.periodic ? 1 : 0, tmp);
  attr_doubles(g, "rebuild_box", box_rows(ck.rebuild.box), {3, 3}, tmp);
  attr_long(g, "rebuilds", ck.rebuild.rebuilds, tmp);
  attr_double(g, "conserved_offset", ck.conserved_offset, tmp);
  const long long grid[3] = {ck.domain_grid[0], ck.domain_grid[1], ck.domain_grid[2]};
  attr_write(g, "domain_grid", H5T_STD_I64LE, H5T_NATIVE_LLONG, grid, {3}, tmp);
}

/// /schedule, /integrator, /random and /output.
void write_schedule(hid_t f, const std::string& tmp, const Checkpoint& ck) {
  {
    Handle sc(H5Gcreate2(f, "schedule", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), H5Gclose);
    attr_long(sc.get(), "stage", ck.stage, tmp);
    attr_long(sc.get(), "step_in_stage", ck.step_in_stage, tmp);
    attr_string(sc.get(), "stage_name", ck.stage_name, tmp);
    attr_long(sc.get(), "n_stages", ck.n_stages, tmp);
    attr_string(sc.get(), "ensemble", ck.ensemble, tmp);
  }
  {
    Handle ig(H5Gcreate2(f, "integrator", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), H5Gclose);
    for (const auto& [key, v] : ck.integrator)
      attr_doubles(ig.get(), key.c_str(), v, {v.size()}, tmp);
  }
  {
    Handle rn(H5Gcreate2(f, "random", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), H5Gclose);
    attr_u64(rn.get(), "md_seed", ck.md_seed, tmp);
    attr_u64(rn.get(), "velocity_seed", ck.velocity_seed, tmp);
    attr_u64(rn.get(), "stage_seed", ck.stage_seed, tmp);
    attr_string(rn.get(), "generator",
                "Philox4x32-10 keyed by (seed, atom id, step); counter-based, no stream state",
                tmp);
  }
  {
    Handle out(H5Gcreate2(f, "output", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), H5Gclose);
    attr_long(out.get(), "thermo_csv_bytes", ck.thermo_csv_bytes, tmp);
    attr_long(out.get(), "trajectory_bytes", ck.trajectory_bytes, tmp);
    attr_long(out.get(), "h5md_frames", ck.h5md_frames, tmp);
  }
}

/// The HDF5 part of a write, into `tmp`. `*open` is true while the file is open (from its
/// creation to the return of its close): a failure then may be this rank's alone.
void write_hdf5(const std::string& tmp, const Checkpoint& ck, const WriteContext& w, bool* open) {
  // In parallel, an error while the file is open leaves its identifiers unclosed (the closes may
  // be collective calls the other ranks never make; see write_with).
  const h5::AbandonOnUnwind abandon(w.parallel);
  h5::QuietErrors quiet;
  const long n_total = check_state(tmp, ck, w);
  Handle fapl(w.fapl == H5P_DEFAULT ? H5Pcreate(H5P_FILE_ACCESS) : H5Pcopy(w.fapl), H5Pclose);
  // HDF5 1.8+ object headers carry checksums: corrupt metadata is detected on reading.
  H5Pset_libver_bounds(fapl.get(), H5F_LIBVER_V18, H5F_LIBVER_LATEST);
  Handle file(H5Fcreate(tmp.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, fapl.get()), H5Fclose);
  if (!file.valid())
    fail("{}: cannot create the checkpoint (directory missing or not writable?)", tmp);
  *open = true;
  Handle dxpl(H5Pcreate(H5P_DATASET_XFER), H5Pclose);
#ifdef H5_HAVE_PARALLEL
  if (w.parallel) H5Pset_dxpl_mpio(dxpl.get(), H5FD_MPIO_COLLECTIVE);
#endif
  write_header(file.get(), tmp, ck, w);
  write_atoms(file.get(), tmp, ck, n_total, dxpl.get());
  write_state(file.get(), tmp, ck);
  write_schedule(file.get(), tmp, ck);
  const herr_t closed = file.close();
  *open = false;
  if (closed < 0) fail("{}: closing the checkpoint failed (disk full?)", tmp);
}

void write_with(const std::string& requested, const Checkpoint& ck, const WriteContext& w) {
  const std::string path = checked_output_target(requested);  // links written through
  const std::string tmp = path + ".tmp";
  std::string error;
  bool open = false;
  try {
    write_hdf5(tmp, ck, w, &open);
  } catch (const Error& e) {
    error = e.what();
  }
  // A parallel write that failed while the file was open may have failed on this rank alone: the
  // other ranks are then inside a collective HDF5 call (on HDF5's duplicate of the communicator)
  // and an agreement would hang. So this rank fails now, the file's identifiers given up unclosed,
  // and MPI_Abort (main) ends the job. Failures at points every rank reaches (the checks before
  // the file, its creation and its close, both collective, and rank 0's rename below) are agreed
  // on, so that every rank throws.
  if (!error.empty() && open && w.parallel) {
    if (w.rank == 0) std::remove(tmp.c_str());
    fail(
        "{}: writing the checkpoint failed on rank {} of {}: {}; the previous checkpoint, if any, "
        "is unchanged",
        path, w.rank, w.ranks, error);
  }
  // Every rank must know whether every rank succeeded before rank 0 renames.
  if (w.max(error.empty() ? 0 : 1) != 0) {
    if (w.rank == 0) std::remove(tmp.c_str());
    fail("{}: writing the checkpoint failed{}; the previous checkpoint, if any, is unchanged", path,
         error.empty() ? " on another rank" : ": " + error);
  }
  if (w.rank == 0) {
    try {
      fsync_path(tmp, false);
      commit_temp(tmp, path);
      const auto dir = std::filesystem::path(path).parent_path();
      fsync_path(dir.empty() ? "." : dir.string(), true);
    } catch (const Error& e) {
      error = e.what();
    }
  }
  if (w.max(error.empty() ? 0 : 1) != 0)
    fail("{}", error.empty() ? path + ": writing the checkpoint failed on rank 0" : error);
}

}  // namespace

void write_checkpoint(const std::string& path, const Checkpoint& ck) {
  write_with(path, ck, WriteContext{});
}

#ifdef VITRUM_HAVE_MPI
void write_checkpoint(const std::string& path, const Checkpoint& ck, MPI_Comm comm) {
  WriteContext w;
  MPI_Comm_rank(comm, &w.rank);
  MPI_Comm_size(comm, &w.ranks);
  Handle fapl(H5Pcreate(H5P_FILE_ACCESS), H5Pclose);
  if (w.ranks > 1) {
#ifdef H5_HAVE_PARALLEL
    w.parallel = true;
    H5Pset_fapl_mpio(fapl.get(), comm, MPI_INFO_NULL);
#else
    fail("{}: this HDF5 library is serial; a checkpoint of {} ranks needs parallel HDF5", path,
         w.ranks);
#endif
  }
  w.fapl = fapl.get();
  w.sum = [comm](long x) {
    long y = 0;
    MPI_Allreduce(&x, &y, 1, MPI_LONG, MPI_SUM, comm);
    return y;
  };
  w.max = [comm](int x) {
    int y = 0;
    MPI_Allreduce(&x, &y, 1, MPI_INT, MPI_MAX, comm);
    return y;
  };
  write_with(path, ck, w);
}
#endif

}  // namespace vitrum::md
