#pragma once
/// \file dataset_output.hpp
/// Training-set frames from a campaign ([output] dataset_every / dataset): every N steps the
/// current configuration with the potential's energy and forces is appended to an n2p2
/// input.data file, the reference data of `vitrum train` (and of n2p2's nnp-train):
///
///   begin set=train|set=test
///   comment vitrum run CONFIG stage=NAME step=K time_fs=T temperature_K=T seed=S
///           energy_unit=eV length_unit=angstrom
///   lattice ax ay az          (three lines: the cell vectors, Å)
///   atom x y z El 0 0 fx fy fz   (positions wrapped into the cell, Å; forces eV/Å)
///   energy E                  (potential energy, eV)
///   charge 0
///   end
///
/// The train/test flag of a frame is a pure function of the seed and the step
/// (dataset_frame_is_test), so a campaign, its restart and a rerun flag the same frames. The
/// comment's `energy_unit=`/`length_unit=` tags let `vitrum train` reject data declared in other
/// units. Frames are flushed one by one; after a restart the frames past the checkpoint's step
/// are cut from the file before it is appended to.

#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>

#include "vitrum/md/run_config.hpp"
#include "vitrum/md/system.hpp"

namespace vitrum::md {

/// True when the frame written at `step` belongs to the test set: a SplitMix64 hash of (seed,
/// step) mapped to [0, 1) is below `test_fraction`.
bool dataset_frame_is_test(std::uint64_t seed, long step, double test_fraction);

/// Appends n2p2 input.data frames (see the file comment).
class DatasetWriter {
 public:
  /// Creates `path`, or, with `resume_step` >= 0 (a restart), keeps its frames up to that step
  /// and appends after them. `config_file` is named in every comment line.
  DatasetWriter(const std::string& path, std::string config_file, std::uint64_t seed,
                double test_fraction, long resume_step = -1);
  ~DatasetWriter();
  DatasetWriter(const DatasetWriter&) = delete;
  DatasetWriter& operator=(const DatasetWriter&) = delete;

  /// Writes the current frame of `sys`, the whole system (under domain decomposition the one
  /// gathered on rank 0); eV and Å. Throws vitrum::Error when the energy or a force is not
  /// finite or the cell is not periodic.
  void write(const MdSystem& sys, const std::string& stage);
  /// Frames written by this writer (kept frames of a restart not included).
  long frames() const { return frames_; }
  const std::string& path() const { return path_; }

 private:
  std::FILE* f_ = nullptr;
  std::string path_, config_;
  std::uint64_t seed_;
  double test_fraction_;
  long frames_ = 0;
};

/// The writer of campaign `c` when any stage samples frames ([output] dataset_every or a stage's
/// dataset_every > 0), else null. `dir` is the output directory; `resume_step` as above.
std::unique_ptr<DatasetWriter> open_dataset(const RunConfig& c, const std::string& dir,
                                            long resume_step);

/// Steps between frames in stage `s` (its own dataset_every, else [output] dataset_every).
long dataset_every(const RunConfig& c, const StageConfig& s);

}  // namespace vitrum::md
