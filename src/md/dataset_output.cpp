/// \file dataset_output.cpp
/// n2p2 input.data training-set frames of a campaign (vitrum/md/dataset_output.hpp).

#include "vitrum/md/dataset_output.hpp"

#include <cerrno>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "vitrum/core/error.hpp"
#include "vitrum/io/structure_io.hpp"

namespace vitrum::md {

bool dataset_frame_is_test(std::uint64_t seed, long step, double test_fraction) {
  // SplitMix64 of the seed, then of the step: a fixed function, independent of the platform.
  auto mix = [](std::uint64_t z) {
    z += 0x9E3779B97F4A7C15ULL;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
  };
  const std::uint64_t h = mix(mix(seed) ^ static_cast<std::uint64_t>(step));
  return static_cast<double>(h >> 11) * 0x1.0p-53 < test_fraction;
}

namespace {

/// Byte offset of the first frame whose comment says step=K with K > `step` (the file size when
/// there is none).
long cut_offset(const std::string& path, long step) {
  std::ifstream in(path, std::ios::binary);
  std::string line;
  long offset = 0, frame_start = -1;
  while (std::getline(in, line)) {
    const long here = offset;
    offset += static_cast<long>(line.size()) + 1;
    if (line.rfind("begin", 0) == 0) {
      frame_start = here;
    } else if (line.rfind("comment", 0) == 0 && frame_start >= 0) {
      const auto p = line.find(" step=");
      if (p != std::string::npos && std::stol(line.substr(p + 6)) > step) return frame_start;
    }
  }
  return offset;
}

}  // namespace

DatasetWriter::DatasetWriter(const std::string& path, std::string config_file, std::uint64_t seed,
                             double test_fraction, long resume_step)
    : path_(path), config_(std::move(config_file)), seed_(seed), test_fraction_(test_fraction) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (resume_step >= 0 && fs::exists(path, ec)) {
    const long keep = cut_offset(path, resume_step);
    const auto size = static_cast<long>(fs::file_size(path, ec));
    if (!ec && keep < size) fs::resize_file(path, static_cast<std::uintmax_t>(keep), ec);
    if (ec)
      fail("{}: cannot cut the training-set file back to the checkpoint: {}", path, ec.message());
    f_ = std::fopen(path.c_str(), "a");
  } else {
    f_ = std::fopen(path.c_str(), "w");
  }
  if (f_ == nullptr) fail("{}: cannot open the training-set file: {}", path, std::strerror(errno));
}

DatasetWriter::~DatasetWriter() {
  if (f_ != nullptr) std::fclose(f_);
}

void DatasetWriter::write(const MdSystem& sys, const std::string& stage) {
  if (sys.comm.size() > 1)
    fail("{}: training-set frames need the whole system (gathered on one rank)", path_);
  if (!sys.box.periodic) fail("{}: training-set frames need a periodic cell", path_);
  if (!std::isfinite(sys.potential_energy))
    fail("{}: the potential energy at step {} is not finite", path_, sys.step);
  Structure s;
  s.set = dataset_frame_is_test(seed_, sys.step, test_fraction_) ? "test" : "train";
  const double temperature = compute_thermo(sys, 0.0).temperature;
  s.comment = fmt::format(
      "vitrum run {} stage={} step={} time_fs={} temperature_K={:.6g} seed={} energy_unit=eV "
      "length_unit=angstrom",
      config_, stage, sys.step, sys.time_fs, temperature, seed_);
  s.box = sys.box;
  s.species = sys.species;
  s.positions.resize(sys.size());
  s.forces = sys.forces;
  for (int i = 0; i < sys.size(); ++i) {
    s.positions[i] = sys.box.wrap(sys.positions[i]);
    const Vec3& f = sys.forces[i];
    if (!std::isfinite(f.x) || !std::isfinite(f.y) || !std::isfinite(f.z))
      fail("{}: the force on atom {} at step {} is not finite", path_, i + 1, sys.step);
  }
  s.has_energy = true;
  s.energy = sys.potential_energy;
  std::ostringstream os;
  io::write_n2p2_data(os, {s});
  const std::string text = os.str();
  if (std::fwrite(text.data(), 1, text.size(), f_) != text.size() || std::fflush(f_) != 0)
    fail("{}: write failed: {}", path_, std::strerror(errno));
  ++frames_;
}

long dataset_every(const RunConfig& c, const StageConfig& s) {
  return s.dataset_every >= 0 ? s.dataset_every : c.output.dataset_every;
}

std::unique_ptr<DatasetWriter> open_dataset(const RunConfig& c, const std::string& dir,
                                            long resume_step) {
  bool any = false;
  for (const auto& s : c.stages) any = any || dataset_every(c, s) > 0;
  if (!any) return nullptr;
  const std::string path = (std::filesystem::path(dir) / c.output.dataset).string();
  return std::make_unique<DatasetWriter>(path, c.file, c.seed, c.output.dataset_test_fraction,
                                         resume_step);
}

}  // namespace vitrum::md
