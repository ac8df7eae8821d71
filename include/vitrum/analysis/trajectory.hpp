#pragma once
/// \file trajectory.hpp
/// A trajectory as the analyses see it: frames of the same atoms (same count, same species in
/// the same order), each with its cell, positions, optional velocities, MD step and time.
///
/// Every analysis consumes frames one at a time (accumulators with add_frame) or a whole
/// Trajectory, so a reader only has to produce Frames: extended XYZ (and n2p2 input.data) now,
/// an H5MD reader later (`/particles/<group>/position/{step,time,value}`, `box/edges`), which
/// fills the same struct.
///
/// Time of a frame, in this order: an extxyz header key `time` (fs; also `Time`, `time_fs`);
/// else `step` × TrajectoryOptions::timestep when the frame has `step=` and a timestep is given;
/// else (index in the file) × TrajectoryOptions::frame_interval when given; else unknown (NaN).
/// Units: Å, fs, Å/fs.

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "vitrum/core/structure.hpp"
#include "vitrum/core/vec3.hpp"

namespace vitrum::analysis {

/// One snapshot.
struct Frame {
  long step = -1;  ///< MD step; -1 when the file does not say
  double time = std::numeric_limits<double>::quiet_NaN();  ///< simulation time (fs); NaN unknown
  Box box;                       ///< cell at this frame (rows = cell vectors, Å)
  std::vector<Vec3> positions;   ///< Cartesian positions (Å), wrapped into the cell or not
  std::vector<Vec3> velocities;  ///< velocities (Å/fs); empty when the file has none

  bool has_time() const { return !std::isnan(time); }
};

/// Frames of one set of atoms.
struct Trajectory {
  std::string source;        ///< where it came from (file name), for messages
  std::vector<int> species;  ///< atomic number Z per atom, the same in every frame
  std::vector<Frame> frames;

  std::size_t n_atoms() const { return species.size(); }
  std::size_t n_frames() const { return frames.size(); }
  /// Distinct atomic numbers in order of first appearance (the order of every per-species output).
  std::vector<int> species_types() const;
  /// Number of atoms of each entry of species_types().
  std::vector<int> species_counts() const;
  /// True when every frame has a time.
  bool has_times() const;
  /// Spacing Δt (fs) of the frame times; throws vitrum::Error when a time is missing, there are
  /// fewer than two frames, or the spacing is not uniform (relative deviation > 1e-6).
  double frame_interval() const;
};

/// How to read and subsample a trajectory.
struct TrajectoryOptions {
  int skip = 0;                 ///< frames dropped at the start (equilibration)
  int stride = 1;               ///< keep every stride-th frame after the skipped ones
  double timestep = 0.0;        ///< MD time step (fs): time = step × timestep for frames with
                                ///< `step=` but no `time=`; 0 = not given
  double frame_interval = 0.0;  ///< time between stored frames (fs) for frames with neither
                                ///< `time=` nor a usable step; 0 = not given
};

/// Reads a trajectory file: extended XYZ (.xyz, .extxyz, optionally .gz), every frame, n2p2
/// input.data (.data), or H5MD (.h5, .h5md, .hdf5; see vitrum/io/h5md.hpp).
/// Throws vitrum::Error naming the file and frame when frames disagree in atom count or species.
Trajectory read_trajectory(const std::string& path, const TrajectoryOptions& options = {});

/// Builds a trajectory from structures already in memory (same rules as read_trajectory);
/// `source` names them in messages.
Trajectory trajectory_from_structures(const std::vector<Structure>& structures,
                                      const TrajectoryOptions& options, const std::string& source);

}  // namespace vitrum::analysis
