/// \file checkpoint_read.cpp
/// Reading checkpoint files of `vitrum run` (layout in vitrum/md/checkpoint.hpp): every failure
/// names the file and what is wrong with it (missing, truncated, corrupt, newer format) instead
/// of crashing; under MPI each rank reads its block of atom ids.

#include <hdf5.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <filesystem>

#include "checkpoint_format.hpp"
#include "vitrum/core/error.hpp"
#include "vitrum/core/hdf5.hpp"
#include "vitrum/md/checkpoint.hpp"

namespace vitrum::md {
namespace {

using checkpoint_detail::kFormat;
using h5::Handle;

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

/// Opens a checkpoint file, or fails saying why it is not one (missing, a directory, not HDF5,
/// truncated, another kind of HDF5 file, another format).
Handle open_checkpoint(const Reader& r) {
  const std::string& path = r.path();
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
  return file;
}

/// Root attributes: format version, writer, the campaign fingerprint and its hash.
void read_header(const Reader& r, hid_t f, Checkpoint& ck) {
  const std::string& path = r.path();
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
}

/// /atoms rows [first, first + count) (all rows when `whole`), checked for sane values.
void read_atoms(const Reader& r, hid_t f, long first, long count, bool whole, Checkpoint& ck) {
  const std::string& path = r.path();
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
}

/// /state: step, time, energy, virial, cell, last rebuild, domain grid.
void read_state(const Reader& r, hid_t f, Checkpoint& ck) {
  MdSystem& s = ck.system;
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

/// /schedule, /integrator, /random and /output.
void read_schedule(const Reader& r, hid_t f, Checkpoint& ck) {
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
}

Checkpoint read_impl(const std::string& path, long first, long count, bool whole) {
  h5::QuietErrors quiet;
  const Reader r(path);
  Handle file = open_checkpoint(r);
  Checkpoint ck;
  read_header(r, file.get(), ck);
  read_atoms(r, file.get(), first, count, whole, ck);
  read_state(r, file.get(), ck);
  read_schedule(r, file.get(), ck);
  return ck;
}

}  // namespace

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
