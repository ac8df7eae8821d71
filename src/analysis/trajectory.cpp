/// \file trajectory.cpp
/// Trajectory from structure files: frame selection (skip, stride), consistency checks, times.

#include "vitrum/analysis/trajectory.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdlib>
#include <initializer_list>

#include "vitrum/core/elements.hpp"
#include "vitrum/core/error.hpp"
#include "vitrum/io/h5md.hpp"
#include "vitrum/io/structure_io.hpp"

namespace vitrum::analysis {
namespace {

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// Value of the first info key whose lower-case name is one of `names`; empty when absent.
const std::string* find_info(const Structure& s, std::initializer_list<const char*> names) {
  for (const auto& [key, value] : s.info) {
    const std::string k = lower(key);
    for (const char* n : names) {
      if (k == n) return &value;
    }
  }
  return nullptr;
}

double parse_number(const std::string& text, const std::string& where, const char* what) {
  char* end = nullptr;
  const double v = std::strtod(text.c_str(), &end);
  if (end == text.c_str() || *end != '\0' || !std::isfinite(v)) {
    fail("{}: {}=\"{}\" is not a finite number", where, what, text);
  }
  return v;
}

}  // namespace

std::vector<int> Trajectory::species_types() const {
  std::vector<int> types;
  for (int z : species) {
    if (std::find(types.begin(), types.end(), z) == types.end()) types.push_back(z);
  }
  return types;
}

std::vector<int> Trajectory::species_counts() const {
  const std::vector<int> types = species_types();
  std::vector<int> counts(types.size(), 0);
  for (int z : species) {
    ++counts[std::find(types.begin(), types.end(), z) - types.begin()];
  }
  return counts;
}

bool Trajectory::has_times() const {
  return std::all_of(frames.begin(), frames.end(), [](const Frame& f) { return f.has_time(); });
}

double Trajectory::frame_interval() const {
  if (frames.size() < 2) {
    fail("{}: {} frame(s) left after skip/stride; time-dependent analyses need at least two",
         source, frames.size());
  }
  for (std::size_t f = 0; f < frames.size(); ++f) {
    if (!frames[f].has_time()) {
      fail(
          "{}: frame {} has no time: the file has no time= (fs) key; give the MD time step "
          "(--timestep FS, with step= keys) or the time between frames (--frame-dt FS)",
          source, f);
    }
  }
  const double t0 = frames.front().time;
  const double dt = (frames.back().time - t0) / static_cast<double>(frames.size() - 1);
  if (!(dt > 0.0)) {
    fail("{}: frame times do not increase (first {} fs, last {} fs)", source, t0,
         frames.back().time);
  }
  for (std::size_t f = 1; f < frames.size(); ++f) {
    const double expected = t0 + dt * static_cast<double>(f);
    if (std::fabs(frames[f].time - expected) > 1e-6 * dt + 1e-9 * std::fabs(expected)) {
      fail(
          "{}: frames are not equally spaced in time (frame {} at {} fs, expected {} fs for a "
          "spacing of {} fs); MSD time origins need a uniform spacing",
          source, f, frames[f].time, expected, dt);
    }
  }
  return dt;
}

Trajectory trajectory_from_structures(const std::vector<Structure>& structures,
                                      const TrajectoryOptions& options, const std::string& source) {
  if (options.skip < 0) fail("{}: skip must be >= 0, got {}", source, options.skip);
  if (options.stride < 1) fail("{}: stride must be >= 1, got {}", source, options.stride);
  if (!(options.timestep >= 0.0) || !(options.frame_interval >= 0.0)) {
    fail("{}: timestep and frame interval must be >= 0 fs", source);
  }
  if (structures.empty()) fail("{}: no frames", source);
  if (static_cast<std::size_t>(options.skip) >= structures.size()) {
    fail("{}: skipping {} frames leaves none (the file has {})", source, options.skip,
         structures.size());
  }
  Trajectory t;
  t.source = source;
  t.species = structures.front().species;
  if (t.species.empty()) fail("{}: frame 0 has no atoms", source);
  for (int z : t.species) element_symbol(z);  // throws for an unknown atomic number
  for (std::size_t k = options.skip; k < structures.size(); k += options.stride) {
    const Structure& s = structures[k];
    const std::string where = fmt::format("{} frame {}", source, k);
    if (s.size() != t.species.size()) {
      fail("{}: {} atoms, but frame 0 has {}; a trajectory needs the same atoms in every frame",
           where, s.size(), t.species.size());
    }
    if (s.species != t.species) {
      const auto m = std::mismatch(s.species.begin(), s.species.end(), t.species.begin());
      const auto i = m.first - s.species.begin();
      fail("{}: atom {} is {} but {} in frame 0; atoms must keep their order", where, i,
           element_symbol(*m.first), element_symbol(*m.second));
    }
    if (s.box.periodic != structures.front().box.periodic) {
      fail("{}: periodicity differs from frame 0", where);
    }
    validate_structure(s, where);  // finite positions and cell: the file, frame and atom named
    Frame f;
    f.box = s.box;
    f.positions = s.positions;
    f.velocities = s.velocities;
    if (const std::string* v = find_info(s, {"step", "md_step"})) {
      f.step = static_cast<long>(std::llround(parse_number(*v, where, "step")));
    }
    if (const std::string* v = find_info(s, {"time", "time_fs"})) {
      f.time = parse_number(*v, where, "time");
    } else if (f.step >= 0 && options.timestep > 0.0) {
      f.time = static_cast<double>(f.step) * options.timestep;
    } else if (options.frame_interval > 0.0) {
      f.time = static_cast<double>(k) * options.frame_interval;
    }
    t.frames.push_back(std::move(f));
  }
  return t;
}

Trajectory read_trajectory(const std::string& path, const TrajectoryOptions& options) {
  const std::string l = lower(path);
  if (ends_with(l, ".h5") || ends_with(l, ".h5md") || ends_with(l, ".hdf5")) {
    // H5MD: frames carry step and time (fs) themselves.
    std::vector<int> species;
    const auto frames = io::read_h5md(path, &species);
    std::vector<Structure> structures(frames.size());
    for (size_t k = 0; k < frames.size(); ++k) {
      auto& s = structures[k];
      s.box = frames[k].box;
      s.species = species;
      s.positions = frames[k].positions;
      s.velocities = frames[k].velocities;
      s.info["step"] = std::to_string(frames[k].step);
      s.info["time"] = fmt::format("{:.17g}", frames[k].time);
    }
    return trajectory_from_structures(structures, options, path);
  }
  return trajectory_from_structures(io::read_structures(path), options, path);
}

}  // namespace vitrum::analysis
