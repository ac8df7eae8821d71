#pragma once
/// \file campaign_output.hpp
/// The output side of `vitrum run` (src/md/campaign.cpp): timing and composition helpers, the
/// append-mode text files of a continued run, and Output (thermo table and CSV, extxyz
/// snapshots, H5MD frames, checkpoints, progress line). Internal to the md area.

#include <omp.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <functional>
#include <map>
#include <numeric>
#include <optional>
#include <sstream>

#include "vitrum/core/elements.hpp"
#include "vitrum/core/error.hpp"
#include "vitrum/io/builders.hpp"
#include "vitrum/io/h5md.hpp"
#include "vitrum/io/structure_io.hpp"
#include "vitrum/md/batch_control.hpp"
#include "vitrum/md/campaign.hpp"
#include "vitrum/md/checkpoint.hpp"
#include "vitrum/md/dataset_output.hpp"
#include "vitrum/md/distribute.hpp"
#include "vitrum/md/force_field_registry.hpp"
#include "vitrum/parallel/device_binding.hpp"
#include "vitrum/parallel/domain.hpp"

namespace vitrum::md::campaign_detail {

using Clock = std::chrono::steady_clock;

inline double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

/// "O128 Si64": atoms per element of `species` summed over the ranks of `comm` (collective;
/// atomic numbers are 1..118, checked by the readers).
inline std::string composition(const std::vector<int>& species,
                               const parallel::Comm& comm = parallel::Comm()) {
  std::vector<std::int64_t> count(119, 0);
  for (int z : species)
    if (z >= 1 && z <= 118) ++count[z];
  comm.sum(count.data(), static_cast<int>(count.size()));
  std::string out;
  for (int z = 1; z < static_cast<int>(count.size()); ++z)
    if (count[z] > 0) out += fmt::format("{}{} ", element_symbol(z), count[z]);
  if (!out.empty()) out.pop_back();
  return out;
}

inline std::string format_duration(double s) {
  if (!std::isfinite(s) || s < 0) return "?";
  const long t = std::lround(s);
  if (t >= 3600) return fmt::format("{}h{:02d}m", t / 3600, static_cast<int>((t % 3600) / 60));
  if (t >= 60) return fmt::format("{}m{:02d}s", t / 60, static_cast<int>(t % 60));
  return fmt::format("{}s", t);
}

/// Appends to a text file, flushing after every write (a crash keeps every complete line/frame).
class AppendFile {
 public:
  AppendFile() = default;
  AppendFile(const AppendFile&) = delete;
  AppendFile& operator=(const AppendFile&) = delete;
  ~AppendFile() {
    if (f_ != nullptr) std::fclose(f_);
  }
  void open(const std::string& path) {
    path_ = path;
    f_ = std::fopen(path.c_str(), "w");
    if (f_ == nullptr) fail("{}: cannot create the file: {}", path, std::strerror(errno));
  }
  bool is_open() const { return f_ != nullptr; }
  /// Continues `path` after a restart: cut back to `keep` bytes (its size at the checkpoint, so
  /// lines written after the checkpoint go) and appended to. Returns false when a new file was
  /// started instead (none there, or none at the checkpoint); `note` tells about a short file.
  bool open_continue(const std::string& path, long keep, std::string* note) {
    namespace fs = std::filesystem;
    path_ = path;
    std::error_code ec;
    const bool exists = fs::exists(path, ec);
    if (!exists || keep < 0) {
      open(path);
      return false;
    }
    const auto size = static_cast<long>(fs::file_size(path, ec));
    if (ec) fail("{}: cannot read the file size: {}", path, ec.message());
    if (size > keep) {
      fs::resize_file(path, static_cast<std::uintmax_t>(keep), ec);
      if (ec) fail("{}: cannot cut the file back to the checkpoint: {}", path, ec.message());
    } else if (size < keep) {
      *note +=
          fmt::format("  note: {} is shorter ({} bytes) than at the checkpoint ({}); appending\n",
                      path, size, keep);
    }
    f_ = std::fopen(path.c_str(), "a");
    if (f_ == nullptr) fail("{}: cannot open the file to append: {}", path, std::strerror(errno));
    return true;
  }
  /// Bytes in the file (-1: not open).
  long bytes() const { return f_ != nullptr ? std::ftell(f_) : -1; }
  void write(const std::string& text) {
    if (std::fwrite(text.data(), 1, text.size(), f_) != text.size() || std::fflush(f_) != 0) {
      fail("{}: write failed: {}", path_, std::strerror(errno));
    }
  }

 private:
  std::FILE* f_ = nullptr;
  std::string path_;
};

/// Console, CSV, snapshots and the progress line.
class Output {
 public:
  /// `resume`: the checkpoint of a restart (files are continued), or null.
  /// `active`: false on MPI ranks other than 0, which write no text files. `world`: the ranks
  /// of a domain-decomposed run; with more than one, every rank writes the rows of its own atoms
  /// to the H5MD trajectory (collective parallel HDF5; vitrum/io/h5md.hpp). `local`: this rank's
  /// atoms; `whole`: gathers the whole system on rank 0 (collective), called only when a
  /// trajectory is written by rank 0 alone.
  Output(const RunConfig& c, const RunOptions& o, const std::string& dir, int atoms,
         const MdSystem& local, const std::function<const MdSystem&()>& whole,
         const Checkpoint* resume, bool active, const parallel::Comm& world)
      : c_(c), o_(o), dir_(dir), atoms_(atoms), active_(active) {
    open_h5md(local, whole, resume, world);
    if (!active_) return;
    const char* csv_header =
        "step,time_fs,temperature_K,pressure_bar,pe_eV,ke_eV,etotal_eV,conserved_eV,volume_A3,"
        "density_g_cm3,atom_steps_per_s,stage\n";
    if (resume == nullptr ||
        !csv_.open_continue(path(c.output.thermo_csv), resume->thermo_csv_bytes, &notes_)) {
      if (!csv_.is_open()) csv_.open(path(c.output.thermo_csv));
      csv_.write(csv_header);
    }
    bool traj = c.output.trajectory_every > 0;
    for (const auto& s : c.stages) traj = traj || s.trajectory_every > 0;
    if (traj) {
      if (resume == nullptr) {
        traj_.open(path(c.output.trajectory));
      } else {
        traj_.open_continue(path(c.output.trajectory), resume->trajectory_bytes, &notes_);
      }
    }
    progress_ = c.output.progress && !o.quiet && isatty(STDERR_FILENO) == 1;
    start_ = last_time_ = Clock::now();
    if (resume != nullptr) done0_ = last_step_ = resume->system.step;
  }

  /// What continuing the files after a restart noticed (empty: nothing).
  const std::string& notes() const { return notes_; }
  /// True when the campaign writes H5MD frames (the same on every rank).
  bool has_h5md() const {
    bool h5 = c_.output.h5md.every > 0;
    for (const auto& s : c_.stages) h5 = h5 || s.h5md_every > 0;
    return h5;
  }
  /// True when every rank writes its own atoms (h5md_frame takes the rank's share); false when
  /// rank 0 writes the whole system (h5md_frame takes the gathered system).
  bool h5md_collective() const { return h5md_collective_; }
  /// File sizes for a checkpoint.
  void sizes(Checkpoint& ck) const {
    if (!active_) return;
    ck.thermo_csv_bytes = csv_.bytes();
    ck.trajectory_bytes = traj_.bytes();
    ck.h5md_frames = h5md_ ? h5md_->frames() : -1;
  }
  /// One H5MD frame (positions unwrapped if configured): `sys` is this rank's share when
  /// h5md_collective() (collective), the whole system otherwise (rank 0 writes).
  void h5md_frame(const MdSystem& sys) {
    if (!h5md_) return;
    std::vector<Vec3> pos = sys.positions;
    if (c_.output.h5md.unwrapped)
      for (int i = 0; i < sys.size(); ++i) pos[i] = sys.unwrapped(i);
    std::vector<int> ids = sys.id;
    if (ids.empty()) {
      ids.resize(sys.size());
      std::iota(ids.begin(), ids.end(), 0);
    }
    h5md_->write_frame(sys.step, sys.time_fs, sys.box, ids, pos,
                       c_.output.h5md.velocities ? sys.velocities : std::vector<Vec3>{},
                       c_.output.h5md.forces ? sys.forces : std::vector<Vec3>{});
  }
  /// Flushes and closes the H5MD file (also done by the destructor).
  void close() {
    if (h5md_) h5md_->close();
  }

  std::string path(const std::string& name) const {
    return (std::filesystem::path(dir_) / name).string();
  }

  /// H5MD trajectory: a new file, or the old one continued after the checkpoint's step. Opened
  /// on every rank (collectively) when `world` has several ranks and HDF5 is parallel, each rank
  /// passing the species of its own atoms; on the active rank alone otherwise, with the species
  /// of every atom gathered there.
  void open_h5md(const MdSystem& local, const std::function<const MdSystem&()>& whole,
                 const Checkpoint* resume, const parallel::Comm& world) {
    if (!has_h5md()) return;
#if defined(VITRUM_HAVE_MPI)
    h5md_collective_ = world.size() > 1 && io::hdf5_is_parallel();
#else
    (void)world;
#endif
    std::vector<int> species_by_id;  // rank 0 writes: species[id] of every atom, on rank 0
    if (!h5md_collective_) {
      species_by_id = whole().species;  // collective; the whole system on rank 0 only
      if (!active_) return;
      species_by_id.resize(atoms_);
    }
    const auto& hc = c_.output.h5md;
    io::H5mdOptions ho;
    ho.velocities = hc.velocities;
    ho.forces = hc.forces;
    ho.compression = hc.compression;
    const std::string hp = path(hc.file);
    std::error_code ec;
    const bool resume_file =
        resume != nullptr && resume->h5md_frames >= 0 && std::filesystem::exists(hp, ec);
#if defined(VITRUM_HAVE_MPI)
    if (h5md_collective_) {
      std::vector<int> ids = local.id;
      if (ids.empty()) {
        ids.resize(local.size());
        std::iota(ids.begin(), ids.end(), 0);
      }
      h5md_ = resume_file ? io::H5mdWriter::reopen(hp, atoms_, ids, local.species, ho,
                                                   resume->system.step, world.mpi())
                          : std::make_unique<io::H5mdWriter>(hp, atoms_, ids, local.species, ho,
                                                             world.mpi());
    }
#else
    (void)local;
#endif
    if (!h5md_collective_) {
      h5md_ = resume_file ? io::H5mdWriter::reopen(hp, species_by_id, ho, resume->system.step)
                          : std::make_unique<io::H5mdWriter>(hp, species_by_id, ho);
    }
    if (active_ && h5md_->frames_dropped() > 0)
      notes_ += fmt::format("  {}: {} frame(s) after the checkpoint dropped\n", hp,
                            h5md_->frames_dropped());
  }

  void header() {
    if (o_.quiet || !active_) return;
    std::fprintf(o_.out, "%9s %11s %10s %12s %19s %16s %19s %19s %12s %9s %11s\n", "step",
                 "time_fs", "T_K", "P_bar", "E_pot_eV", "E_kin_eV", "E_tot_eV", "E_conserved_eV",
                 "volume_A3", "rho_g_cm3", "atom-step/s");
    std::fflush(o_.out);
  }

  void thermo(const Thermo& t, const std::string& stage) {
    if (!active_) return;
    const double wall = seconds_since(last_time_);
    const long dsteps = t.step - last_step_;
    const double rate = dsteps > 0 && wall > 0 ? static_cast<double>(dsteps) * atoms_ / wall : 0.0;
    last_time_ = Clock::now();
    last_step_ = t.step;
    clear_progress();
    if (!o_.quiet) {
      std::fprintf(o_.out,
                   "%9ld %11.3f %10.2f %12.2f %19.8f %16.8f %19.8f %19.8f %12.3f %9.5f %11.4g\n",
                   t.step, t.time_fs, t.temperature, t.pressure, t.potential_energy,
                   t.kinetic_energy, t.total_energy, t.conserved, t.volume, t.density, rate);
      std::fflush(o_.out);
    }
    csv_.write(fmt::format(
        "{},{:.6f},{:.10g},{:.10g},{:.17g},{:.17g},{:.17g},{:.17g},{:.12g},{:.10g},"
        "{:.6g},\"{}\"\n",
        t.step, t.time_fs, t.temperature, t.pressure, t.potential_energy, t.kinetic_energy,
        t.total_energy, t.conserved, t.volume, t.density, rate, stage));
  }

  void snapshot(const MdSystem& sys, const Thermo& t, const std::string& stage) {
    if (!active_) return;
    Structure s = to_structure(sys, c_.output.trajectory_unwrapped, c_.output.trajectory_forces);
    s.info["step"] = std::to_string(sys.step);
    s.info["time_fs"] = fmt::format("{}", sys.time_fs);
    s.info["temperature_K"] = fmt::format("{:.6g}", t.temperature);
    s.info["stage"] = stage;
    s.info["velocity_unit"] = "A/fs";
    std::ostringstream ss;
    io::write_extxyz(ss, {s});
    traj_.write(ss.str());
  }

  void progress(long done, long total, int stage_index, int n_stages, const std::string& stage,
                double temperature) {
    if (!progress_) return;
    const auto now = Clock::now();
    if (std::chrono::duration<double>(now - last_progress_).count() < 0.5 && done < total) return;
    last_progress_ = now;
    const double elapsed = seconds_since(start_);
    const long run = done - done0_;  // steps of this job (a restart starts at done0_)
    const double eta = run > 0 ? elapsed * static_cast<double>(total - done) / run : NAN;
    std::fprintf(stderr, "\r  [%d/%d %s] step %ld/%ld (%.1f%%)  T %.1f K  ETA %s\033[K",
                 stage_index + 1, n_stages, stage.c_str(), done, total,
                 100.0 * static_cast<double>(done) / std::max(1L, total), temperature,
                 format_duration(eta).c_str());
    std::fflush(stderr);
    shown_ = true;
  }

  void clear_progress() {
    if (shown_) {
      std::fprintf(stderr, "\r\033[K");
      std::fflush(stderr);
      shown_ = false;
    }
  }

 private:
  const RunConfig& c_;
  const RunOptions& o_;
  std::string dir_;
  int atoms_;
  bool active_ = true;
  AppendFile csv_, traj_;
  std::unique_ptr<io::H5mdWriter> h5md_;
  bool h5md_collective_ = false;
  std::string notes_;
  bool progress_ = false, shown_ = false;
  Clock::time_point start_, last_time_, last_progress_{};
  long last_step_ = 0;
  long done0_ = 0;
};

}  // namespace vitrum::md::campaign_detail
