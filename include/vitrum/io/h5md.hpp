#pragma once
/// \file h5md.hpp
/// Trajectories in H5MD 1.1 (de Buyl et al., Comput. Phys. Commun. 185, 1546 (2014)), the HDF5
/// standard for MD, readable by h5py and MDAnalysis:
///
///   /h5md                      @version = [1, 1]; author/@name, creator/@name, creator/@version
///   /particles/all/box         @dimension = 3, @boundary = ["periodic"|"none"] x 3
///   /particles/all/box/edges/  step (T), time (T, fs), value (T x 3 x 3, rows = cell vectors, Å)
///   /particles/all/position/   step, time, value (T x N x 3, Å)
///   /particles/all/velocity/   step, time, value (T x N x 3, Å/fs)      (optional)
///   /particles/all/force/      step, time, value (T x N x 3, kJ/(mol Å)) (optional; written
///                              from eV/Å × 96.485332123, the unit MDAnalysis reads; read_h5md
///                              returns eV/Å)
///   /particles/all/species     N atomic numbers (fixed in time)
///   /particles/all/id          N atom ids 0..N-1 (fixed in time)
///
/// Atoms are stored by global id (row = id), so the file is the same whatever the rank count.
/// Datasets are chunked (one frame per chunk row) and gzip-compressed, extendible in time. With a
/// communicator of more than one rank (parallel HDF5), every rank writes its own atoms through
/// collective point selections, the fixed-in-time species and ids included (each rank passes
/// only the species of its own atoms). Every frame is flushed, so a run killed between frames
/// leaves a readable file.

#include <memory>
#include <string>
#include <vector>

#include "vitrum/core/structure.hpp"

#ifdef VITRUM_HAVE_MPI
#include <mpi.h>
#endif

namespace vitrum::io {

/// True when the HDF5 library vitrum is built with is parallel (MPI-IO), so that several ranks
/// can write one trajectory collectively.
bool hdf5_is_parallel();

struct H5mdOptions {
  bool velocities = true;
  bool forces = false;
  int compression = 4;  ///< gzip level 0-9 (0 = none)
  std::string creator_version = "0.1.0";
};

/// Writes an H5MD trajectory frame by frame.
class H5mdWriter {
 public:
  /// Creates (truncates) `path` for `species.size()` atoms; species[id] = atomic number.
  H5mdWriter(const std::string& path, const std::vector<int>& species, const H5mdOptions& opt);
#if defined(VITRUM_HAVE_MPI)
  /// Collective over `comm` (every rank passes the same global species list; rank 0 writes it).
  H5mdWriter(const std::string& path, const std::vector<int>& species, const H5mdOptions& opt,
             MPI_Comm comm);
  /// Collective over `comm`, each rank passing only its own atoms: `n_atoms` in all (the same on
  /// every rank), `ids` the global ids of this rank's atoms and species[k] the atomic number of
  /// atom ids[k]. Every rank writes the fixed-in-time rows (species, id) of its atoms, so no rank
  /// needs the whole species list; the ids over the ranks must be 0..n_atoms-1, each once. The
  /// file is the same as the one written from the global list.
  H5mdWriter(const std::string& path, int n_atoms, const std::vector<int>& ids,
             const std::vector<int>& species, const H5mdOptions& opt, MPI_Comm comm);
#endif
  /// Closes the file, as close() does, except for a parallel writer destroyed while an exception
  /// unwinds the stack: the error may have been raised on this rank only, with the others waiting
  /// in another collective call, so it then closes nothing (no collective call; the frames
  /// written are flushed already) and leaves the job to MPI_Abort. Call close() first where every
  /// rank is known to unwind together.
  ~H5mdWriter();
  H5mdWriter(const H5mdWriter&) = delete;

  /// Reopens a trajectory this writer made, to continue it after a restart: checks the atom
  /// count, the species and that it holds exactly the series `opt` asks for, drops the frames
  /// with step > `last_step` (written after the checkpoint the run continues from) and appends
  /// after the others. Throws vitrum::Error naming the file when it is not such a trajectory or
  /// cannot be read (truncated, corrupt).
  static std::unique_ptr<H5mdWriter> reopen(const std::string& path,
                                            const std::vector<int>& species, const H5mdOptions& opt,
                                            long last_step);
#if defined(VITRUM_HAVE_MPI)
  /// Collective over `comm` (every rank passes the same global species list).
  static std::unique_ptr<H5mdWriter> reopen(const std::string& path,
                                            const std::vector<int>& species, const H5mdOptions& opt,
                                            long last_step, MPI_Comm comm);
  /// Collective over `comm`, each rank passing only its own atoms (as the constructor above):
  /// every rank checks the stored species of its atoms, and all throw when any differs.
  static std::unique_ptr<H5mdWriter> reopen(const std::string& path, int n_atoms,
                                            const std::vector<int>& ids,
                                            const std::vector<int>& species, const H5mdOptions& opt,
                                            long last_step, MPI_Comm comm);
#endif
  /// Frames reopen() dropped (0 for a new file).
  long frames_dropped() const;
  H5mdWriter& operator=(const H5mdWriter&) = delete;

  /// Appends one frame. `ids` are the global ids of this rank's atoms (all of them in a serial
  /// run); positions/velocities/forces are given for those atoms (velocities/forces may be empty
  /// when disabled). Collective in parallel.
  void write_frame(long step, double time_fs, const Box& box, const std::vector<int>& ids,
                   const std::vector<Vec3>& positions, const std::vector<Vec3>& velocities,
                   const std::vector<Vec3>& forces);
  /// Number of frames written so far.
  long frames() const;
  /// Flushes and closes the file (also done by the destructor, see there). Collective in
  /// parallel.
  void close();

 private:
  H5mdWriter();
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

/// One frame read back from an H5MD file.
struct H5mdFrame {
  long step = 0;
  double time = 0;  ///< fs
  Box box;
  std::vector<Vec3> positions, velocities, forces;
};

/// Reads every frame of /particles/all (serially). Throws vitrum::Error naming the file and the
/// missing or inconsistent item for a truncated or foreign file.
std::vector<H5mdFrame> read_h5md(const std::string& path, std::vector<int>* species = nullptr);

}  // namespace vitrum::io
