/// \file checkpoint.cpp
/// Checkpoint files of `vitrum run` (layout in vitrum/md/checkpoint.hpp): the campaign
/// fingerprint and its restart policy, atomic (parallel) HDF5 writing with checksums, and a
/// reader that names the file and what is wrong with it instead of crashing.

#include "vitrum/md/checkpoint.hpp"

#include <fcntl.h>
#include <hdf5.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <functional>
#include <map>
#include <sstream>

#include "vitrum/core/atomic_file.hpp"
#include "vitrum/core/error.hpp"
#include "vitrum/core/hdf5.hpp"

namespace vitrum::md {
namespace {

using h5::Handle;

constexpr const char* kFormat = "vitrum-checkpoint";
constexpr const char* kVitrumVersion = "0.1.0";

std::string num(double v) {
  return fmt::format("{:.17g}", v);
}

// ------------------------------------------------------------------------------ fingerprint

using Lines = std::vector<std::pair<std::string, std::string>>;

Lines parse_lines(const std::string& text) {
  Lines out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    const auto eq = line.find(" = ");
    if (eq == std::string::npos) continue;
    out.emplace_back(line.substr(0, eq), line.substr(eq + 3));
  }
  return out;
}

/// 1-based stage number of a "stage[k].field" key (0 when the key is not a stage's), and the field.
int stage_of(const std::string& key, std::string* field) {
  if (key.rfind("stage[", 0) != 0) return 0;
  const auto close = key.find("].");
  if (close == std::string::npos) return 0;
  *field = key.substr(close + 2);
  return std::atoi(key.c_str() + 6);
}

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

/// Reading side: every failure names the file, the item and the likely cause.
class Reader {
 public:
  explicit Reader(std::string path) : path_(std::move(path)) {}
  const std::string& path() const { return path_; }

  [[noreturn]] void corrupt(const std::string& what) const {
    fail(
        "{}: the checkpoint is truncated or corrupt: {}; use an earlier checkpoint or restart "
        "the campaign",
        path_, what);
  }

  Handle group(hid_t file, const char* name) const {
    if (H5Lexists(file, name, H5P_DEFAULT) <= 0) corrupt(fmt::format("group {} is missing", name));
    Handle g(H5Gopen2(file, name, H5P_DEFAULT), H5Gclose);
    if (!g.valid()) corrupt(fmt::format("group {} cannot be opened", name));
    return g;
  }

  Handle attr(hid_t obj, const char* name, const char* where) const {
    if (H5Aexists(obj, name) <= 0) corrupt(fmt::format("attribute {}@{} is missing", where, name));
    Handle a(H5Aopen(obj, name, H5P_DEFAULT), H5Aclose);
    if (!a.valid()) corrupt(fmt::format("attribute {}@{} cannot be opened", where, name));
    return a;
  }

  hssize_t attr_points(hid_t a) const { return h5::attr_points(a); }

  std::string string(hid_t obj, const char* name, const char* where) const {
    attr(obj, name, where);  // missing or unopenable: corrupt
    // Variable-length strings are refused: they live in the global heap, which has no checksum.
    const auto v = h5::read_string_attrs(obj, name,
                                         {/*allow_variable=*/false,
                                          /*trim_spaces=*/false});
    if (!v || v->size() != 1)
      corrupt(fmt::format("attribute {}@{} is not a readable fixed-length string", where, name));
    return v->front();
  }

  std::vector<double> doubles(hid_t obj, const char* name, const char* where) const {
    Handle a = attr(obj, name, where);
    const hssize_t n = attr_points(a.get());
    std::vector<double> v(static_cast<std::size_t>(std::max<hssize_t>(n, 0)));
    if (n < 0 || (n > 0 && H5Aread(a.get(), H5T_NATIVE_DOUBLE, v.data()) < 0))
      corrupt(fmt::format("attribute {}@{} cannot be read as numbers", where, name));
    return v;
  }
  double number(hid_t obj, const char* name, const char* where) const {
    const auto v = doubles(obj, name, where);
    if (v.size() != 1) corrupt(fmt::format("attribute {}@{} is not one number", where, name));
    return v[0];
  }
  long long integer(hid_t obj, const char* name, const char* where) const {
    Handle a = attr(obj, name, where);
    long long v = 0;
    if (attr_points(a.get()) != 1 || H5Aread(a.get(), H5T_NATIVE_LLONG, &v) < 0)
      corrupt(fmt::format("attribute {}@{} cannot be read as an integer", where, name));
    return v;
  }
  std::uint64_t u64(hid_t obj, const char* name, const char* where) const {
    Handle a = attr(obj, name, where);
    unsigned long long v = 0;
    if (attr_points(a.get()) != 1 || H5Aread(a.get(), H5T_NATIVE_ULLONG, &v) < 0)
      corrupt(fmt::format("attribute {}@{} cannot be read as an integer", where, name));
    return v;
  }
  Box box(hid_t obj, const char* name, bool periodic) const {
    const auto v = doubles(obj, name, "/state");
    if (v.size() != 9) corrupt(fmt::format("attribute /state@{} is not 3×3", name));
    Box b;
    b.periodic = periodic;
    for (int a = 0; a < 3; ++a)
      for (int c = 0; c < 3; ++c) b.h[a][c] = v[3 * a + c];
    return b;
  }

 private:
  std::string path_;
};

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

/// The HDF5 part of a write, into `tmp`. `*open` is true while the file is open (from its
/// creation to the return of its close): a failure then may be this rank's alone.
void write_hdf5(const std::string& tmp, const Checkpoint& ck, const WriteContext& w, bool* open) {
  // In parallel, an error while the file is open leaves its identifiers unclosed (the closes may
  // be collective calls the other ranks never make; see write_with).
  const h5::AbandonOnUnwind abandon(w.parallel);
  h5::QuietErrors quiet;
  const MdSystem& s = ck.system;
  const std::size_t m = s.positions.size();
  // This rank's state is checked before the first collective call, but the ranks agree on the
  // outcome before failing: a rank failing alone would leave the others in w.sum while it waits
  // in write_with's agreement (mismatched collective calls).
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
  const hid_t f = file.get();
  {
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
  {
    Handle atoms(H5Gcreate2(f, "atoms", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), H5Gclose);
    const hsize_t n = static_cast<hsize_t>(n_total);
    const hid_t g = atoms.get();
    std::vector<long long> id(m);
    for (std::size_t k = 0; k < m; ++k)
      id[k] = ck.ids.empty() ? static_cast<long long>(k) : ck.ids[k];
    std::vector<int> image(3 * m);
    for (std::size_t k = 0; k < m; ++k)
      for (int d = 0; d < 3; ++d) image[3 * k + d] = s.image[k][d];
    write_rows(g, "id", H5T_STD_I64LE, H5T_NATIVE_LLONG, 1, n, ck.ids, m, id.data(), dxpl.get(),
               tmp);
    write_rows(g, "species", H5T_STD_I32LE, H5T_NATIVE_INT, 1, n, ck.ids, m, s.species.data(),
               dxpl.get(), tmp);
    write_rows(g, "mass", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 1, n, ck.ids, m, s.mass.data(),
               dxpl.get(), tmp);
    const std::pair<const char*, const std::vector<Vec3>*> vecs[] = {
        {"position", &s.positions},
        {"velocity", &s.velocities},
        {"force", &s.forces},
        {"rebuild_position", &ck.rebuild.positions}};
    for (const auto& [name, v] : vecs) {
      const auto x = flat(*v);
      write_rows(g, name, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 3, n, ck.ids, m, x.data(), dxpl.get(),
                 tmp);
    }
    write_rows(g, "image", H5T_STD_I32LE, H5T_NATIVE_INT, 3, n, ck.ids, m, image.data(), dxpl.get(),
               tmp);
  }
  {
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
  const herr_t closed = file.close();
  *open = false;
  if (closed < 0) fail("{}: closing the checkpoint failed (disk full?)", tmp);
}

void write_with(const std::string& path, const Checkpoint& ck, const WriteContext& w) {
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

/// Reads rows [first, first + count) of a per-atom dataset (cols values per row).
template <typename T>
std::vector<T> read_rows(const Reader& r, hid_t atoms, const char* name, hid_t mem_type, int cols,
                         hsize_t n_total, hsize_t first, hsize_t count) {
  if (H5Lexists(atoms, name, H5P_DEFAULT) <= 0)
    r.corrupt(fmt::format("dataset /atoms/{} is missing", name));
  Handle d(H5Dopen2(atoms, name, H5P_DEFAULT), H5Dclose);
  if (!d.valid()) r.corrupt(fmt::format("dataset /atoms/{} cannot be opened", name));
  Handle fs(H5Dget_space(d.get()), H5Sclose);
  const int nd = H5Sget_simple_extent_ndims(fs.get());
  hsize_t dims[2] = {0, 0};
  if (nd != (cols == 1 ? 1 : 2) || H5Sget_simple_extent_dims(fs.get(), dims, nullptr) < 0 ||
      dims[0] != n_total || (cols > 1 && dims[1] != static_cast<hsize_t>(cols)))
    r.corrupt(fmt::format("dataset /atoms/{} has the wrong shape (expected {} x {})", name, n_total,
                          cols));
  std::vector<T> v(count * cols);
  if (count == 0) return v;
  const hsize_t start[2] = {first, 0}, cnt[2] = {count, static_cast<hsize_t>(cols)};
  H5Sselect_hyperslab(fs.get(), H5S_SELECT_SET, start, nullptr, cnt, nullptr);
  const hsize_t nvals = count * cols;
  Handle mem(H5Screate_simple(1, &nvals, nullptr), H5Sclose);
  if (H5Dread(d.get(), mem_type, mem.get(), fs.get(), H5P_DEFAULT, v.data()) < 0)
    r.corrupt(fmt::format("reading /atoms/{} failed (checksum mismatch or missing data)", name));
  return v;
}

std::vector<Vec3> to_vec3(const std::vector<double>& x) {
  std::vector<Vec3> v(x.size() / 3);
  for (std::size_t i = 0; i < v.size(); ++i) v[i] = Vec3{x[3 * i], x[3 * i + 1], x[3 * i + 2]};
  return v;
}

herr_t collect_attr_name(hid_t, const char* name, const H5A_info_t*, void* out) {
  static_cast<std::vector<std::string>*>(out)->emplace_back(name);
  return 0;
}

Checkpoint read_impl(const std::string& path, long first, long count, bool whole) {
  h5::QuietErrors quiet;
  const Reader r(path);
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) fail("{}: checkpoint file not found", path);
  if (std::filesystem::is_directory(path, ec)) fail("{}: is a directory, not a checkpoint", path);
  if (H5Fis_hdf5(path.c_str()) <= 0)
    fail(
        "{}: not a vitrum checkpoint: not an HDF5 file (empty, truncated at the start or "
        "corrupt)",
        path);
  Handle file(H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT), H5Fclose);
  if (!file.valid())
    fail(
        "{}: cannot open the checkpoint: the HDF5 file is truncated or corrupt; use an earlier "
        "checkpoint or restart the campaign",
        path);
  const hid_t f = file.get();
  const htri_t has_format = H5Aexists(f, "format");
  if (has_format < 0) r.corrupt("the root group's header cannot be read (checksum mismatch?)");
  if (has_format == 0) {
    const bool h5md = H5Lexists(f, "h5md", H5P_DEFAULT) > 0;
    fail(
        "{}: not a vitrum checkpoint (no format attribute{}); pass the file written by "
        "[checkpoint]",
        path, h5md ? "; it is an H5MD trajectory" : "");
  }
  if (r.string(f, "format", "/") != kFormat)
    fail("{}: not a vitrum checkpoint (format is '{}')", path, r.string(f, "format", "/"));
  Checkpoint ck;
  ck.format_version = static_cast<int>(r.integer(f, "format_version", "/"));
  if (ck.format_version > kCheckpointFormatVersion)
    fail(
        "{}: checkpoint format version {} is newer than this vitrum reads (up to {}); continue "
        "it with the vitrum that wrote it",
        path, ck.format_version, kCheckpointFormatVersion);
  if (ck.format_version < 1) r.corrupt(fmt::format("format version {}", ck.format_version));
  ck.writer_ranks = static_cast<int>(r.integer(f, "writer_ranks", "/"));
  ck.created = r.string(f, "created", "/");
  ck.config_file = r.string(f, "config_file", "/");
  ck.config_fingerprint = r.string(f, "config_fingerprint", "/");
  {
    const std::string hash = r.string(f, "config_hash", "/");
    ck.config_hash = std::strtoull(hash.c_str(), nullptr, 16);
    if (ck.config_hash != fingerprint_hash(ck.config_fingerprint))
      r.corrupt("the config fingerprint does not match its hash");
  }

  // Atoms.
  Handle atoms = r.group(f, "atoms");
  hsize_t n_total = 0;
  {
    if (H5Lexists(atoms.get(), "id", H5P_DEFAULT) <= 0) r.corrupt("dataset /atoms/id is missing");
    Handle d(H5Dopen2(atoms.get(), "id", H5P_DEFAULT), H5Dclose);
    Handle sp(d.valid() ? H5Dget_space(d.get()) : -1, H5Sclose);
    if (!sp.valid() || H5Sget_simple_extent_ndims(sp.get()) != 1)
      r.corrupt("dataset /atoms/id cannot be opened");
    H5Sget_simple_extent_dims(sp.get(), &n_total, nullptr);
  }
  if (n_total == 0) r.corrupt("it holds no atoms");
  if (whole) {
    first = 0;
    count = static_cast<long>(n_total);
  }
  if (first < 0 || count < 0 || static_cast<hsize_t>(first + count) > n_total)
    fail("{}: atoms {}..{} requested but the checkpoint holds {}", path, first, first + count - 1,
         n_total);
  ck.n_atoms_total = static_cast<long>(n_total);
  const hsize_t f0 = first, c0 = count;
  const hid_t g = atoms.get();
  const auto id = read_rows<long long>(r, g, "id", H5T_NATIVE_LLONG, 1, n_total, f0, c0);
  for (long k = 0; k < count; ++k)
    if (id[k] != first + k)
      r.corrupt(fmt::format("/atoms/id[{}] = {} (rows must be ids)", first + k, id[k]));
  MdSystem& s = ck.system;
  s.species = read_rows<int>(r, g, "species", H5T_NATIVE_INT, 1, n_total, f0, c0);
  s.mass = read_rows<double>(r, g, "mass", H5T_NATIVE_DOUBLE, 1, n_total, f0, c0);
  s.positions = to_vec3(read_rows<double>(r, g, "position", H5T_NATIVE_DOUBLE, 3, n_total, f0, c0));
  s.velocities =
      to_vec3(read_rows<double>(r, g, "velocity", H5T_NATIVE_DOUBLE, 3, n_total, f0, c0));
  s.forces = to_vec3(read_rows<double>(r, g, "force", H5T_NATIVE_DOUBLE, 3, n_total, f0, c0));
  ck.rebuild.positions =
      to_vec3(read_rows<double>(r, g, "rebuild_position", H5T_NATIVE_DOUBLE, 3, n_total, f0, c0));
  {
    const auto img = read_rows<int>(r, g, "image", H5T_NATIVE_INT, 3, n_total, f0, c0);
    s.image.resize(count);
    for (long k = 0; k < count; ++k) s.image[k] = {img[3 * k], img[3 * k + 1], img[3 * k + 2]};
  }
  if (!whole) {
    ck.ids.resize(count);
    for (long k = 0; k < count; ++k) ck.ids[k] = first + k;
  }
  for (long k = 0; k < count; ++k) {
    const long atom = first + k;
    if (s.species[k] <= 0 || s.species[k] > 118)
      r.corrupt(fmt::format("atom {} has atomic number {}", atom, s.species[k]));
    if (!(s.mass[k] > 0.0) || !std::isfinite(s.mass[k]))
      r.corrupt(fmt::format("atom {} has mass {}", atom, s.mass[k]));
    for (int d = 0; d < 3; ++d) {
      if (!std::isfinite(s.positions[k][d]) || !std::isfinite(s.velocities[k][d]) ||
          !std::isfinite(s.forces[k][d]) || !std::isfinite(ck.rebuild.positions[k][d]))
        r.corrupt(fmt::format("atom {} has a non-finite position, velocity or force", atom));
    }
  }

  // State.
  {
    Handle st = r.group(f, "state");
    const hid_t h = st.get();
    s.step = static_cast<long>(r.integer(h, "step", "/state"));
    s.time_fs = r.number(h, "time_fs", "/state");
    s.potential_energy = r.number(h, "potential_energy", "/state");
    const auto vir = r.doubles(h, "virial", "/state");
    if (vir.size() != 9) r.corrupt("/state@virial is not 3×3");
    for (int a = 0; a < 3; ++a)
      for (int b = 0; b < 3; ++b) s.virial[a][b] = vir[3 * a + b];
    const bool periodic = r.integer(h, "periodic", "/state") != 0;
    s.box = r.box(h, "box", periodic);
    ck.rebuild.box = r.box(h, "rebuild_box", periodic);
    ck.rebuild.rebuilds = static_cast<long>(r.integer(h, "rebuilds", "/state"));
    ck.conserved_offset = r.number(h, "conserved_offset", "/state");
    ck.domain_grid = {0, 0, 0};  // optional (older files): the restart chooses a grid
    if (H5Aexists(h, "domain_grid") > 0) {
      Handle a = r.attr(h, "domain_grid", "/state");
      long long grid[3] = {0, 0, 0};
      if (r.attr_points(a.get()) != 3 || H5Aread(a.get(), H5T_NATIVE_LLONG, grid) < 0 ||
          grid[0] < 1 || grid[1] < 1 || grid[2] < 1)
        r.corrupt("/state@domain_grid is not three positive rank counts");
      for (int d = 0; d < 3; ++d) ck.domain_grid[d] = static_cast<int>(grid[d]);
    }
    if (s.step < 0 || !std::isfinite(s.time_fs)) r.corrupt("/state@step or @time_fs is invalid");
  }
  {
    Handle sc = r.group(f, "schedule");
    ck.stage = static_cast<int>(r.integer(sc.get(), "stage", "/schedule"));
    ck.step_in_stage = static_cast<long>(r.integer(sc.get(), "step_in_stage", "/schedule"));
    ck.stage_name = r.string(sc.get(), "stage_name", "/schedule");
    ck.n_stages = static_cast<int>(r.integer(sc.get(), "n_stages", "/schedule"));
    ck.ensemble = r.string(sc.get(), "ensemble", "/schedule");
    if (ck.stage < 0 || ck.stage >= ck.n_stages || ck.step_in_stage < 0)
      r.corrupt(fmt::format("schedule position stage {} of {}, step {}", ck.stage, ck.n_stages,
                            ck.step_in_stage));
  }
  {
    Handle ig = r.group(f, "integrator");
    std::vector<std::string> names;
    hsize_t idx = 0;
    if (H5Aiterate2(ig.get(), H5_INDEX_NAME, H5_ITER_INC, &idx, collect_attr_name, &names) < 0)
      r.corrupt("the integrator state cannot be listed");
    for (const auto& name : names)
      ck.integrator[name] = r.doubles(ig.get(), name.c_str(), "/integrator");
  }
  {
    Handle rn = r.group(f, "random");
    ck.md_seed = r.u64(rn.get(), "md_seed", "/random");
    ck.velocity_seed = r.u64(rn.get(), "velocity_seed", "/random");
    ck.stage_seed = r.u64(rn.get(), "stage_seed", "/random");
  }
  {
    Handle out = r.group(f, "output");
    ck.thermo_csv_bytes = static_cast<long>(r.integer(out.get(), "thermo_csv_bytes", "/output"));
    ck.trajectory_bytes = static_cast<long>(r.integer(out.get(), "trajectory_bytes", "/output"));
    ck.h5md_frames = static_cast<long>(r.integer(out.get(), "h5md_frames", "/output"));
  }
  return ck;
}

}  // namespace

// ------------------------------------------------------------------------------ public API

std::string campaign_fingerprint(const RunConfig& c) {
  Lines l;
  auto add = [&](const std::string& k, const std::string& v) { l.emplace_back(k, v); };
  if (c.structure.generate) {
    add("structure.generate", c.structure.generate->parameters());
    add("structure.generate_seed", std::to_string(c.structure.generate->seed()));
  } else {
    // The file name only: a campaign moved to another directory is the same campaign.
    add("structure.file", std::filesystem::path(c.structure.file).filename().string());
    add("structure.frame", std::to_string(c.structure.frame));
    add("structure.length_unit", num(c.structure.length_unit));
  }
  add("structure.replicate", fmt::format("{} {} {}", c.structure.replicate[0],
                                         c.structure.replicate[1], c.structure.replicate[2]));
  add("velocities.temperature",
      c.velocities.has_temperature ? num(c.velocities.temperature) : "none");
  add("velocities.rescale", c.velocities.rescale ? "true" : "false");
  add("velocities.seed", std::to_string(c.velocities.seed));
  add("potential.path", c.potential.path);
  add("potential.length_unit", num(c.potential.length_unit));
  add("potential.energy_unit", num(c.potential.energy_unit));
  add("potential.backend", c.potential.backend == Backend::Cpu ? "cpu" : "cuda");
  add("potential.precision", c.potential.precision == Precision::Double ? "double" : "mixed");
  add("md.seed", std::to_string(c.seed));
  std::string masses;
  for (const auto& [el, m] : c.masses)
    masses += fmt::format("{}{}={}", masses.empty() ? "" : " ", el, num(m));
  add("md.masses", masses.empty() ? "standard" : masses);
  add("md.skin", num(c.skin));
  add("md.remove_drift_every", std::to_string(c.remove_drift_every));
  add("stages.count", std::to_string(c.stages.size()));
  for (std::size_t k = 0; k < c.stages.size(); ++k) {
    const StageConfig& s = c.stages[k];
    const IntegratorParams& p = s.integrator;
    const std::string pre = fmt::format("stage[{}].", k + 1);
    add(pre + "name", s.name);
    add(pre + "ensemble", to_string(p.ensemble));
    add(pre + "timestep_fs", num(p.dt));
    add(pre + "steps", std::to_string(s.steps));
    add(pre + "temperature_from", num(s.temperature_from));
    add(pre + "temperature_to", num(s.temperature_to));
    add(pre + "pressure", num(s.pressure));
    add(pre + "barostat", p.coupling == BarostatCoupling::Isotropic ? "iso" : "aniso");
    add(pre + "tdamp_fs", num(p.tdamp));
    add(pre + "pdamp_fs", num(p.pdamp));
    add(pre + "chain_length", std::to_string(p.chain_length));
    add(pre + "chain_loops", std::to_string(p.chain_loops));
    add(pre + "sy_order", std::to_string(p.sy_order));
    add(pre + "seed", std::to_string(p.seed));
  }
  std::string out;
  for (const auto& [k, v] : l) out += k + " = " + v + "\n";
  return out;
}

std::uint64_t fingerprint_hash(const std::string& fingerprint) {
  std::uint64_t h = 14695981039346656037ull;
  for (unsigned char ch : fingerprint) {
    h ^= ch;
    h *= 1099511628211ull;
  }
  return h;
}

std::vector<std::string> check_restart_config(const Checkpoint& ck, const RunConfig& c,
                                              const std::string& ck_path) {
  const Lines before = parse_lines(ck.config_fingerprint);
  const Lines after_lines = parse_lines(campaign_fingerprint(c));
  std::map<std::string, std::string> after(after_lines.begin(), after_lines.end());
  std::map<std::string, std::string> old_map(before.begin(), before.end());
  Lines all = before;
  for (const auto& kv : after_lines)
    if (old_map.count(kv.first) == 0) all.push_back(kv);

  std::vector<std::string> refused, notes;
  bool later_changed = false;
  const int current = ck.stage + 1;  // 1-based, as in the keys
  for (const auto& [key, unused] : all) {
    const auto o = old_map.find(key);
    const auto n = after.find(key);
    const std::string ov = o != old_map.end() ? o->second : "(absent)";
    const std::string nv = n != after.end() ? n->second : "(absent)";
    if (ov == nv) continue;
    std::string field;
    const int stage = stage_of(key, &field);
    if (stage > current) {
      later_changed = true;
    } else if (stage > 0 && field == "name") {
      notes.push_back(fmt::format("stage {} renamed \"{}\" -> \"{}\"", stage, ov, nv));
    } else if (key == "potential.path") {
      notes.push_back(
          fmt::format("potential path changed: {} -> {} (the forces at the "
                      "checkpoint are compared)",
                      ov, nv));
    } else if (key == "potential.backend") {
      notes.push_back(
          fmt::format("potential backend changed: {} -> {} (continues, not bit for bit)", ov, nv));
    } else if (key == "md.skin") {
      notes.push_back(
          fmt::format("[md] skin changed: {} -> {} Å (continues, not bit for bit)", ov, nv));
    } else if (key == "stages.count") {
      notes.push_back(fmt::format("the campaign now has {} stage(s) (was {})", nv, ov));
    } else {
      refused.push_back(fmt::format("  {}: {} -> {}", key, ov, nv));
    }
  }
  if (later_changed)
    notes.push_back(
        fmt::format("stages after the current one (stage {}) changed: the new "
                    "schedule is followed from there",
                    current));
  if (!refused.empty()) {
    std::string list;
    for (const auto& x : refused) list += x + "\n";
    fail(
        "{}: cannot continue checkpoint {} (stage {} \"{}\", step {} of the stage, campaign step "
        "{}): settings that decided the run up to there changed since it was written:\n{}"
        "restore them (stage keys are 1-based), or start a new campaign",
        c.file, ck_path, current, ck.stage_name, ck.step_in_stage, ck.system.step, list);
  }
  if (ck.stage >= static_cast<int>(c.stages.size()) ||
      ck.step_in_stage > c.stages[ck.stage].steps) {
    fail("{}: checkpoint {} is at stage {} step {}, which this campaign does not have", c.file,
         ck_path, current, ck.step_in_stage);
  }
  if (std::string(to_string(c.stages[ck.stage].integrator.ensemble)) != ck.ensemble) {
    fail("{}: checkpoint {} was written in a {} stage but stage {} is {}", c.file, ck_path,
         ck.ensemble, current, to_string(c.stages[ck.stage].integrator.ensemble));
  }
  return notes;
}

Checkpoint capture_checkpoint(const RunConfig& c, const Engine& engine, const Integrator& integ,
                              int stage, long step_in_stage, double conserved_offset) {
  Checkpoint ck;
  ck.system = engine.system();
  ck.rebuild = engine.last_rebuild();
  if (engine.domain() != nullptr) ck.domain_grid = engine.domain()->grid();
  ck.n_atoms_total = ck.system.size();
  ck.stage = stage;
  ck.step_in_stage = step_in_stage;
  ck.conserved_offset = conserved_offset;
  ck.stage_name = c.stages[stage].name;
  ck.n_stages = static_cast<int>(c.stages.size());
  ck.ensemble = to_string(c.stages[stage].integrator.ensemble);
  ck.integrator = integ.save_state();
  ck.md_seed = c.seed;
  ck.velocity_seed = c.velocities.seed;
  ck.stage_seed = c.stages[stage].integrator.seed;
  ck.config_file = c.file;
  ck.config_fingerprint = campaign_fingerprint(c);
  ck.config_hash = fingerprint_hash(ck.config_fingerprint);
  return ck;
}

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

Checkpoint read_checkpoint(const std::string& path) {
  return read_impl(path, 0, 0, true);
}

Checkpoint read_checkpoint(const std::string& path, long first, long count) {
  return read_impl(path, first, count, false);
}

Checkpoint read_checkpoint(const std::string& path, const parallel::Comm& comm) {
  std::string error;
  Checkpoint ck;
  try {
    // The atom count first (the scalars only), then this rank's block of ids.
    const long n = read_impl(path, 0, 0, false).n_atoms_total;
    const long p = comm.size(), r = comm.rank();
    const long first = n * r / p, last = n * (r + 1) / p;
    ck = read_impl(path, first, last - first, false);
  } catch (const std::exception& e) {
    error = e.what();
    if (error.empty()) error = path + ": reading the checkpoint failed";
  }
  // An error on any rank (e.g. a corrupt chunk in its block) is raised on every rank with the
  // message of the lowest failing rank, so that no rank goes on alone into collective calls.
  double key = error.empty() ? static_cast<double>(comm.size()) : comm.rank();
  const int holder = comm.min_location(key);
  if (key < comm.size()) {
    std::uint64_t len = error.size();
    comm.broadcast(&len, sizeof(len), holder);
    std::string msg(len, ' ');
    if (comm.rank() == holder) msg = error;
    comm.broadcast(msg.data(), len, holder);
    fail("{}", msg);
  }
  return ck;
}

}  // namespace vitrum::md
