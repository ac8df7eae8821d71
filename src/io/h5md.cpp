// H5MD 1.1 trajectories through (parallel) HDF5; see include/vitrum/io/h5md.hpp for the layout.
#include "vitrum/io/h5md.hpp"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <exception>

#include "h5md_units.hpp"
#include "vitrum/core/error.hpp"
#include "vitrum/core/hdf5.hpp"

namespace vitrum::io {

using h5::Handle;
using h5md_detail::kForceUnit;
using h5md_detail::kKjMolPerEv;

namespace {

Handle group(hid_t parent, const char* name) {
  return Handle(H5Gcreate2(parent, name, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), H5Gclose);
}

// Variable-length UTF-8 strings: h5py returns them as str (MDAnalysis's H5MD reader needs that).
void attr_string(hid_t obj, const char* name, const std::string& value) {
  h5::write_string_attr(obj, name, value, /*variable=*/true);
}

/// A time-dependent H5MD element: step, time, value with a time-extendible first dimension.
struct Series {
  Handle grp, step, time, value;
  std::vector<hsize_t> frame_dims;  // dims of one frame of value
};

Series make_series(hid_t parent, const char* name, std::vector<hsize_t> frame_dims,
                   const char* unit, int compression) {
  Series s;
  s.frame_dims = frame_dims;
  s.grp = group(parent, name);
  auto extendible = [&](const char* dname, hid_t type, const std::vector<hsize_t>& fdims,
                        bool compress) {
    std::vector<hsize_t> dims = {0}, maxd = {H5S_UNLIMITED}, chunk = {1};
    for (hsize_t d : fdims) {
      dims.push_back(d);
      maxd.push_back(d);
      chunk.push_back(std::min<hsize_t>(std::max<hsize_t>(d, 1), 16384));
    }
    if (fdims.empty()) chunk[0] = 256;
    Handle space(H5Screate_simple(static_cast<int>(dims.size()), dims.data(), maxd.data()),
                 H5Sclose);
    Handle dcpl(H5Pcreate(H5P_DATASET_CREATE), H5Pclose);
    H5Pset_chunk(dcpl.get(), static_cast<int>(chunk.size()), chunk.data());
    if (compress && compression > 0) {
      H5Pset_shuffle(dcpl.get());
      H5Pset_deflate(dcpl.get(), compression);
    }
    H5Pset_fletcher32(dcpl.get());  // a corrupt chunk is an error on reading, not wrong numbers
    return Handle(
        H5Dcreate2(s.grp.get(), dname, type, space.get(), H5P_DEFAULT, dcpl.get(), H5P_DEFAULT),
        H5Dclose);
  };
  s.step = extendible("step", H5T_NATIVE_LONG, {}, false);
  s.time = extendible("time", H5T_NATIVE_DOUBLE, {}, false);
  attr_string(s.time.get(), "unit", "fs");
  s.value = extendible("value", H5T_NATIVE_DOUBLE, frame_dims, true);
  if (unit) attr_string(s.value.get(), "unit", unit);
  return s;
}

/// Selects the rows `ids` of the 1-D dataspace `fs` and `ids.size()` values of `mem` (which has
/// max(ids.size(), 1) elements). All of `fs` stays selected when the ids are 0..n-1 in order.
void select_rows(hid_t fs, hid_t mem, const std::vector<int>& ids, hsize_t n) {
  bool contiguous = true;
  for (std::size_t k = 1; k < ids.size(); ++k) contiguous &= ids[k] == ids[k - 1] + 1;
  if (ids.empty()) {
    H5Sselect_none(fs);
    H5Sselect_none(mem);
  } else if (contiguous && ids[0] == 0 && ids.size() == n) {
    // the whole dataset (the default selection)
  } else if (contiguous) {
    const hsize_t start = static_cast<hsize_t>(ids[0]), count = ids.size();
    H5Sselect_hyperslab(fs, H5S_SELECT_SET, &start, nullptr, &count, nullptr);
  } else {
    const std::vector<hsize_t> coords(ids.begin(), ids.end());
    H5Sselect_elements(fs, H5S_SELECT_SET, coords.size(), coords.data());
  }
}

void extend(const Series& s, long frames) {
  hsize_t n = frames;
  H5Dset_extent(s.step.get(), &n);
  H5Dset_extent(s.time.get(), &n);
  std::vector<hsize_t> dims = {n};
  dims.insert(dims.end(), s.frame_dims.begin(), s.frame_dims.end());
  H5Dset_extent(s.value.get(), dims.data());
}

}  // namespace

struct H5mdWriter::Impl {
  std::string path;
  int n_atoms = 0;
  H5mdOptions opt;
  bool parallel = false;
  int rank = 0;
#ifdef VITRUM_HAVE_MPI
  MPI_Comm comm = MPI_COMM_NULL;  // of a parallel writer
#endif
  Handle file, dxpl, particles;
  Handle box_grp;
  Series edges, position, velocity, force;
  long frames = 0;
  long dropped = 0;
  bool have_box = false;

#ifdef VITRUM_HAVE_MPI
  /// Takes the rank in `comm` and, with more than one rank, makes the writer parallel; returns
  /// the file access property list to open the file with.
  Handle access(MPI_Comm c) {
    int size = 1;
    MPI_Comm_size(c, &size);
    MPI_Comm_rank(c, &rank);
    Handle fapl(H5Pcreate(H5P_FILE_ACCESS), H5Pclose);
    if (size > 1) {
#ifdef H5_HAVE_PARALLEL
      parallel = true;
      comm = c;
      H5Pset_fapl_mpio(fapl.get(), c, MPI_INFO_NULL);
#else
      fail("{}: this HDF5 library is serial; a parallel trajectory needs parallel HDF5", path);
#endif
    }
    return fapl;
  }
#endif

  /// True on every rank when `ok` is true on every rank of a parallel writer (collective).
  bool all_ranks(bool ok) const {
#ifdef VITRUM_HAVE_MPI
    if (parallel) {
      int v = ok ? 1 : 0;
      MPI_Allreduce(MPI_IN_PLACE, &v, 1, MPI_INT, MPI_LAND, comm);
      return v != 0;
    }
#endif
    return ok;
  }

  /// Checks the atoms this rank passes (ids in range, one species each) on every rank at once.
  void check_atoms(const std::vector<int>& ids, const std::vector<int>& species) const {
    bool ok = ids.size() == species.size();
    for (int id : ids) ok = ok && id >= 0 && id < n_atoms;
    if (!all_ranks(ok))
      fail(
          "{}: invalid atoms for the H5MD trajectory of {} atoms (ids out of range, or not one "
          "species per id, on some rank)",
          path, n_atoms);
  }

  /// `ids`, `species`: the atoms whose fixed-in-time rows this rank writes (every atom on one
  /// rank, or a share of them on each rank of a parallel writer; none is fine).
  void create(const std::vector<int>& ids, const std::vector<int>& species, hid_t fapl) {
    h5::QuietErrors quiet;
    // HDF5 1.8+ format: checksummed object headers (corrupt metadata is detected on reading).
    Handle fa(fapl == H5P_DEFAULT ? H5Pcreate(H5P_FILE_ACCESS) : H5Pcopy(fapl), H5Pclose);
    H5Pset_libver_bounds(fa.get(), H5F_LIBVER_V18, H5F_LIBVER_LATEST);
    file = Handle(H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, fa.get()), H5Fclose);
    if (!file.valid())
      fail("{}: cannot create the H5MD trajectory (directory missing or not writable?)", path);
    dxpl = Handle(H5Pcreate(H5P_DATASET_XFER), H5Pclose);
#ifdef H5_HAVE_PARALLEL
    if (parallel) H5Pset_dxpl_mpio(dxpl.get(), H5FD_MPIO_COLLECTIVE);
#endif
    {
      Handle h5md = group(file.get(), "h5md");
      {
        const int version[2] = {1, 1};
        h5::write_attr(h5md.get(), "version", H5T_NATIVE_INT, H5T_NATIVE_INT, version, {2});
      }
      Handle author = group(h5md.get(), "author");
      const char* user = std::getenv("USER");
      attr_string(author.get(), "name", user ? user : "vitrum user");
      Handle creator = group(h5md.get(), "creator");
      attr_string(creator.get(), "name", "vitrum");
      attr_string(creator.get(), "version", opt.creator_version);
    }
    Handle parts = group(file.get(), "particles");
    particles = group(parts.get(), "all");
    const hsize_t n = n_atoms;
    position = make_series(particles.get(), "position", {n, 3}, "Angstrom", opt.compression);
    if (opt.velocities)
      velocity = make_series(particles.get(), "velocity", {n, 3}, "Angstrom fs-1", opt.compression);
    if (opt.forces)
      force = make_series(particles.get(), "force", {n, 3}, kForceUnit, opt.compression);
    // Fixed-in-time species and ids: each rank writes the rows of the atoms it was given.
    const hsize_t mem_n = std::max<hsize_t>(ids.size(), 1);  // a dataspace cannot be empty
    for (auto [name, data] :
         {std::pair<const char*, const std::vector<int>*>{"species", &species}, {"id", &ids}}) {
      Handle space(H5Screate_simple(1, &n, nullptr), H5Sclose);
      Handle d(H5Dcreate2(particles.get(), name, H5T_NATIVE_INT, space.get(), H5P_DEFAULT,
                          H5P_DEFAULT, H5P_DEFAULT),
               H5Dclose);
      Handle mem(H5Screate_simple(1, &mem_n, nullptr), H5Sclose);
      select_rows(space.get(), mem.get(), ids, n);
      if (H5Dwrite(d.get(), H5T_NATIVE_INT, mem.get(), space.get(), dxpl.get(),
                   data->empty() ? nullptr : data->data()) < 0)
        fail("{}: writing /particles/all/{} failed", path, name);
    }
  }

  // Opens an existing series; its value must have `frame_dims` per frame.
  Series open_series(hid_t parent, const std::string& name,
                     const std::vector<hsize_t>& frame_dims) {
    Series sr;
    sr.frame_dims = frame_dims;
    sr.grp = Handle(H5Gopen2(parent, name.c_str(), H5P_DEFAULT), H5Gclose);
    if (sr.grp.valid()) {
      sr.step = Handle(H5Dopen2(sr.grp.get(), "step", H5P_DEFAULT), H5Dclose);
      sr.time = Handle(H5Dopen2(sr.grp.get(), "time", H5P_DEFAULT), H5Dclose);
      sr.value = Handle(H5Dopen2(sr.grp.get(), "value", H5P_DEFAULT), H5Dclose);
    }
    if (!sr.grp.valid() || !sr.step.valid() || !sr.time.valid() || !sr.value.valid())
      fail(
          "{}: cannot continue the H5MD trajectory: /particles/all/{} is incomplete (truncated "
          "or corrupt file?); move the file away to start a new one",
          path, name);
    Handle sp(H5Dget_space(sr.value.get()), H5Sclose);
    std::vector<hsize_t> d(
        static_cast<std::size_t>(std::max(H5Sget_simple_extent_ndims(sp.get()), 0)));
    if (!d.empty()) H5Sget_simple_extent_dims(sp.get(), d.data(), nullptr);
    if (d.size() != frame_dims.size() + 1 ||
        !std::equal(frame_dims.begin(), frame_dims.end(), d.begin() + 1))
      fail(
          "{}: cannot continue the H5MD trajectory: /particles/all/{}/value has the wrong shape "
          "for {} atoms; move the file away to start a new one",
          path, name, n_atoms);
    return sr;
  }

  // Reopens a trajectory for appending after a restart (see H5mdWriter::reopen).
  // `ids`, `species`: the atoms whose species this rank checks (all, or this rank's share).
  void open_existing(const std::vector<int>& ids, const std::vector<int>& species, hid_t fapl,
                     long last_step) {
    h5::QuietErrors quiet;
    if (H5Fis_hdf5(path.c_str()) <= 0)
      fail(
          "{}: cannot continue the H5MD trajectory: not an HDF5 file (truncated or corrupt?); "
          "move it away to start a new one",
          path);
    file = Handle(H5Fopen(path.c_str(), H5F_ACC_RDWR, fapl), H5Fclose);
    if (!file.valid())
      fail(
          "{}: cannot reopen the H5MD trajectory to continue it (truncated, corrupt or not "
          "writable?); move it away to start a new one",
          path);
    dxpl = Handle(H5Pcreate(H5P_DATASET_XFER), H5Pclose);
#ifdef H5_HAVE_PARALLEL
    if (parallel) H5Pset_dxpl_mpio(dxpl.get(), H5FD_MPIO_COLLECTIVE);
#endif
    if (H5Lexists(file.get(), "/particles", H5P_DEFAULT) <= 0 ||
        H5Lexists(file.get(), "/particles/all", H5P_DEFAULT) <= 0)
      fail("{}: cannot continue: not an H5MD trajectory (/particles/all is missing)", path);
    particles = Handle(H5Gopen2(file.get(), "/particles/all", H5P_DEFAULT), H5Gclose);
    const hsize_t n = n_atoms;
    {
      Handle d(H5Dopen2(particles.get(), "species", H5P_DEFAULT), H5Dclose);
      Handle sp(d.valid() ? H5Dget_space(d.get()) : -1, H5Sclose);
      const hssize_t count = sp.valid() ? H5Sget_simple_extent_npoints(sp.get()) : -1;
      bool same = count == static_cast<hssize_t>(n);  // the same on every rank
      if (same && !ids.empty()) {                     // this rank's rows, read independently
        std::vector<int> stored(ids.size(), -1);
        const hsize_t m = ids.size();
        Handle mem(H5Screate_simple(1, &m, nullptr), H5Sclose);
        select_rows(sp.get(), mem.get(), ids, n);
        same = H5Dread(d.get(), H5T_NATIVE_INT, mem.get(), sp.get(), H5P_DEFAULT, stored.data()) >=
                   0 &&
               std::equal(species.begin(), species.end(), stored.begin());
      }
      if (!all_ranks(same))
        fail(
            "{}: cannot continue the H5MD trajectory: it holds other atoms than this run ({} "
            "atoms expected with the same species); move it away to start a new one",
            path, n);
    }
    position = open_series(particles.get(), "position", {n, 3});
    auto optional_series = [&](const char* name, bool wanted, Series& dst) {
      const bool present = H5Lexists(particles.get(), name, H5P_DEFAULT) > 0;
      if (present != wanted)
        fail(
            "{}: cannot continue the H5MD trajectory: it {} a {} series but the run is set to "
            "{} one ([output] h5md {}s); use the same setting or a new file",
            path, present ? "has" : "has no", name, wanted ? "write" : "not write", name);
      if (wanted) dst = open_series(particles.get(), name, {n, 3});
    };
    optional_series("velocity", opt.velocities, velocity);
    optional_series("force", opt.forces, force);
    if (H5Lexists(particles.get(), "box", H5P_DEFAULT) > 0) {
      box_grp = Handle(H5Gopen2(particles.get(), "box", H5P_DEFAULT), H5Gclose);
      if (!box_grp.valid())
        fail("{}: cannot continue: /particles/all/box cannot be opened (corrupt file?)", path);
      edges = open_series(particles.get(), "box/edges", {3, 3});
      have_box = true;
    }
    // Frames in order of step; keep those up to last_step, consistent in every series.
    std::vector<long> steps;
    {
      Handle sp(H5Dget_space(position.step.get()), H5Sclose);
      const hssize_t t = H5Sget_simple_extent_npoints(sp.get());
      steps.resize(static_cast<std::size_t>(std::max<hssize_t>(t, 0)));
      if (t < 0 || (t > 0 && H5Dread(position.step.get(), H5T_NATIVE_LONG, H5S_ALL, H5S_ALL,
                                     H5P_DEFAULT, steps.data()) < 0))
        fail(
            "{}: cannot continue: reading /particles/all/position/step failed (truncated or "
            "corrupt file?)",
            path);
    }
    long keep = 0;
    while (keep < static_cast<long>(steps.size()) && steps[keep] <= last_step) ++keep;
    for (Series* sr : {&edges, &position, &velocity, &force}) {
      if (!sr->value.valid()) continue;
      for (const Handle* dset : {&sr->step, &sr->time, &sr->value}) {
        Handle sp(H5Dget_space(dset->get()), H5Sclose);
        hsize_t t = 0;
        H5Sget_simple_extent_dims(sp.get(), &t, nullptr);
        if (static_cast<long>(t) < keep)
          fail(
              "{}: cannot continue the H5MD trajectory: its series hold different frame counts "
              "(truncated or corrupt file?); move it away to start a new one",
              path);
      }
    }
    dropped = static_cast<long>(steps.size()) - keep;
    frames = keep;
    for (Series* sr : {&edges, &position, &velocity, &force})
      if (sr->value.valid()) extend(*sr, frames);
    H5Fflush(file.get(), H5F_SCOPE_GLOBAL);
  }

  // Gives every identifier up without closing it (see ~H5mdWriter): no collective call.
  void abandon() {
    for (Series* s : {&edges, &position, &velocity, &force})
      for (Handle* h : {&s->value, &s->time, &s->step, &s->grp}) h->release();
    for (Handle* h : {&box_grp, &particles, &dxpl, &file}) h->release();
  }

  // Writes scalar-per-frame data (step, time, box) from rank 0 only.
  void write_rank0(hid_t dset, hid_t type, const void* data, hsize_t count, int rank_dims,
                   const hsize_t* frame_dims) {
    Handle fs(H5Dget_space(dset), H5Sclose);
    std::vector<hsize_t> start(rank_dims + 1, 0), cnt(rank_dims + 1, 1);
    start[0] = frames;
    for (int d = 0; d < rank_dims; ++d) cnt[d + 1] = frame_dims[d];
    Handle mem(H5Screate_simple(1, &count, nullptr), H5Sclose);
    if (rank == 0) {
      H5Sselect_hyperslab(fs.get(), H5S_SELECT_SET, start.data(), nullptr, cnt.data(), nullptr);
    } else {
      H5Sselect_none(fs.get());
      H5Sselect_none(mem.get());
    }
    if (H5Dwrite(dset, type, mem.get(), fs.get(), dxpl.get(), data) < 0)
      fail("{}: writing frame {} failed", path, frames);
  }

  void write_series_meta(const Series& s, long step, double time) {
    write_rank0(s.step.get(), H5T_NATIVE_LONG, &step, 1, 0, nullptr);
    write_rank0(s.time.get(), H5T_NATIVE_DOUBLE, &time, 1, 0, nullptr);
  }

  // Per-atom data of this rank's atoms at their global rows.
  void write_atoms(const Series& s, const std::vector<int>& ids, const std::vector<Vec3>& v) {
    Handle fs(H5Dget_space(s.value.get()), H5Sclose);
    const hsize_t m = ids.size() * 3;
    const hsize_t mem_n = std::max<hsize_t>(m, 1);  // a dataspace cannot be empty
    Handle mem(H5Screate_simple(1, &mem_n, nullptr), H5Sclose);
    bool contiguous = true;
    for (size_t k = 1; k < ids.size(); ++k) contiguous &= ids[k] == ids[k - 1] + 1;
    if (ids.empty()) {
      H5Sselect_none(fs.get());
      H5Sselect_none(mem.get());
    } else if (contiguous) {
      const hsize_t start[3] = {static_cast<hsize_t>(frames), static_cast<hsize_t>(ids[0]), 0};
      const hsize_t cnt[3] = {1, ids.size(), 3};
      H5Sselect_hyperslab(fs.get(), H5S_SELECT_SET, start, nullptr, cnt, nullptr);
    } else {
      std::vector<hsize_t> coords(m * 3);
      for (size_t k = 0; k < ids.size(); ++k)
        for (int d = 0; d < 3; ++d) {
          hsize_t* c = &coords[(k * 3 + d) * 3];
          c[0] = frames;
          c[1] = ids[k];
          c[2] = d;
        }
      H5Sselect_elements(fs.get(), H5S_SELECT_SET, m, coords.data());
    }
    if (H5Dwrite(s.value.get(), H5T_NATIVE_DOUBLE, mem.get(), fs.get(), dxpl.get(),
                 ids.empty() ? nullptr : &v[0].x) < 0)
      fail("{}: writing {} atoms of frame {} failed", path, ids.size(), frames);
  }
};

namespace {
/// 0, 1, ..., n-1.
std::vector<int> all_ids(std::size_t n) {
  std::vector<int> ids(n);
  for (std::size_t i = 0; i < n; ++i) ids[i] = static_cast<int>(i);
  return ids;
}
}  // namespace

H5mdWriter::H5mdWriter(const std::string& path, const std::vector<int>& species,
                       const H5mdOptions& opt)
    : impl_(new Impl) {
  impl_->path = path;
  impl_->n_atoms = static_cast<int>(species.size());
  impl_->opt = opt;
  impl_->create(all_ids(species.size()), species, H5P_DEFAULT);
}

#if defined(VITRUM_HAVE_MPI)
H5mdWriter::H5mdWriter(const std::string& path, const std::vector<int>& species,
                       const H5mdOptions& opt, MPI_Comm comm)
    : impl_(new Impl) {
  impl_->path = path;
  impl_->n_atoms = static_cast<int>(species.size());
  impl_->opt = opt;
  Handle fapl = impl_->access(comm);
  // Rank 0 writes the fixed-in-time rows of every atom.
  impl_->create(impl_->rank == 0 ? all_ids(species.size()) : std::vector<int>{},
                impl_->rank == 0 ? species : std::vector<int>{}, fapl.get());
}

H5mdWriter::H5mdWriter(const std::string& path, int n_atoms, const std::vector<int>& ids,
                       const std::vector<int>& species, const H5mdOptions& opt, MPI_Comm comm)
    : impl_(new Impl) {
  impl_->path = path;
  impl_->n_atoms = n_atoms;
  impl_->opt = opt;
  Handle fapl = impl_->access(comm);
  impl_->check_atoms(ids, species);
  impl_->create(ids, species, fapl.get());
}
#endif

bool hdf5_is_parallel() {
#ifdef H5_HAVE_PARALLEL
  return true;
#else
  return false;
#endif
}

H5mdWriter::H5mdWriter() : impl_(new Impl) {}

std::unique_ptr<H5mdWriter> H5mdWriter::reopen(const std::string& path,
                                               const std::vector<int>& species,
                                               const H5mdOptions& opt, long last_step) {
  std::unique_ptr<H5mdWriter> w(new H5mdWriter());
  w->impl_->path = path;
  w->impl_->n_atoms = static_cast<int>(species.size());
  w->impl_->opt = opt;
  w->impl_->open_existing(all_ids(species.size()), species, H5P_DEFAULT, last_step);
  return w;
}

#if defined(VITRUM_HAVE_MPI)
std::unique_ptr<H5mdWriter> H5mdWriter::reopen(const std::string& path,
                                               const std::vector<int>& species,
                                               const H5mdOptions& opt, long last_step,
                                               MPI_Comm comm) {
  // Every rank names every atom: the per-rank overload with all ids.
  return reopen(path, static_cast<int>(species.size()), all_ids(species.size()), species, opt,
                last_step, comm);
}

std::unique_ptr<H5mdWriter> H5mdWriter::reopen(const std::string& path, int n_atoms,
                                               const std::vector<int>& ids,
                                               const std::vector<int>& species,
                                               const H5mdOptions& opt, long last_step,
                                               MPI_Comm comm) {
  std::unique_ptr<H5mdWriter> w(new H5mdWriter());
  auto& m = *w->impl_;
  m.path = path;
  m.n_atoms = n_atoms;
  m.opt = opt;
  Handle fapl = m.access(comm);
  m.check_atoms(ids, species);
  try {
    m.open_existing(ids, species, fapl.get(), last_step);
  } catch (...) {
    // open_existing fails on every rank at once (its checks are collective): close collectively
    // rather than abandon the file (see ~H5mdWriter).
    try {
      w->close();
    } catch (...) {
    }
    throw;
  }
  return w;
}
#endif

long H5mdWriter::frames_dropped() const {
  return impl_->dropped;
}

// A parallel trajectory's H5Dclose/H5Gclose/H5Fclose are collective. Destroyed while an
// exception unwinds the stack, this writer cannot know whether the other ranks unwind too (an
// error raised on every rank) or wait in another collective call (an error raised on this rank
// only: a rank-0 output failed, say); a collective close would then hang the job before main
// reaches MPI_Abort. So it closes nothing then: the frames written so far were flushed by
// write_frame, and MPI_Abort ends every rank. Callers that know every rank unwinds (the campaign
// on unstable dynamics) call close() first. Serial trajectories are always closed.
H5mdWriter::~H5mdWriter() {
  if (impl_->parallel && std::uncaught_exceptions() > 0) {
    impl_->abandon();
    return;
  }
  try {
    close();
  } catch (...) {
  }
}

long H5mdWriter::frames() const {
  return impl_->frames;
}

void H5mdWriter::write_frame(long step, double time_fs, const Box& box, const std::vector<int>& ids,
                             const std::vector<Vec3>& positions,
                             const std::vector<Vec3>& velocities, const std::vector<Vec3>& forces) {
  auto& m = *impl_;
  if (!m.file.valid()) fail("{}: trajectory already closed", m.path);
  if (positions.size() != ids.size() || (m.opt.velocities && velocities.size() != ids.size()) ||
      (m.opt.forces && forces.size() != ids.size()))
    fail("{}: frame {}: {} ids but {} positions, {} velocities, {} forces", m.path, m.frames,
         ids.size(), positions.size(), velocities.size(), forces.size());
  for (int id : ids)
    if (id < 0 || id >= m.n_atoms)
      fail("{}: frame {}: atom id {} outside 0..{}", m.path, m.frames, id, m.n_atoms - 1);
  if (!m.have_box) {
    m.box_grp = group(m.particles.get(), "box");
    const int dimension = 3;
    h5::write_attr(m.box_grp.get(), "dimension", H5T_NATIVE_INT, H5T_NATIVE_INT, &dimension);
    const std::string b = box.periodic ? "periodic" : "none";
    h5::write_string_array_attr(m.box_grp.get(), "boundary", {b, b, b});
    m.edges = make_series(m.box_grp.get(), "edges", {3, 3}, "Angstrom", 0);
    m.have_box = true;
  }
  for (Series* s : {&m.edges, &m.position, &m.velocity, &m.force})
    if (s->value.valid()) extend(*s, m.frames + 1);
  double edges[9];
  for (int a = 0; a < 3; ++a)
    for (int b = 0; b < 3; ++b) edges[3 * a + b] = box.h[a][b];
  const hsize_t e33[2] = {3, 3};
  m.write_series_meta(m.edges, step, time_fs);
  m.write_rank0(m.edges.value.get(), H5T_NATIVE_DOUBLE, edges, 9, 2, e33);
  m.write_series_meta(m.position, step, time_fs);
  m.write_atoms(m.position, ids, positions);
  if (m.opt.velocities) {
    m.write_series_meta(m.velocity, step, time_fs);
    m.write_atoms(m.velocity, ids, velocities);
  }
  if (m.opt.forces) {
    m.write_series_meta(m.force, step, time_fs);
    std::vector<Vec3> kj(forces.size());
    for (std::size_t k = 0; k < forces.size(); ++k) kj[k] = kKjMolPerEv * forces[k];
    m.write_atoms(m.force, ids, kj);
  }
  ++m.frames;
  H5Fflush(m.file.get(), H5F_SCOPE_GLOBAL);
}

void H5mdWriter::close() {
  auto& m = *impl_;
  if (!m.file.valid()) return;
  for (Series* s : {&m.edges, &m.position, &m.velocity, &m.force}) {
    s->value.close();
    s->time.close();
    s->step.close();
    s->grp.close();
  }
  m.box_grp.close();
  m.particles.close();
  m.dxpl.close();
  if (m.file.close() < 0) fail("{}: closing the trajectory failed", m.path);
}

}  // namespace vitrum::io
