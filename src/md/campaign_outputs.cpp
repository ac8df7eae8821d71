/// \file campaign_outputs.cpp
/// The output files of a campaign and the guard that keeps an earlier run's outputs
/// (vitrum/md/campaign.hpp, vitrum/core/output_guard.hpp).

#include <filesystem>

#include "vitrum/core/output_guard.hpp"
#include "vitrum/md/campaign.hpp"
#include "vitrum/md/dataset_output.hpp"

namespace vitrum::md {

std::vector<std::string> campaign_output_files(const RunConfig& c, const std::string& dir) {
  const auto& o = c.output;
  bool traj = o.trajectory_every > 0, h5md = o.h5md.every > 0, dataset = false;
  for (const auto& s : c.stages) {
    traj = traj || s.trajectory_every > 0;
    h5md = h5md || s.h5md_every > 0;
    dataset = dataset || dataset_every(c, s) > 0;
  }
  std::vector<std::string> names = {o.thermo_csv, o.final_structure, o.crash_structure,
                                    c.checkpoint.file};
  if (traj) names.push_back(o.trajectory);
  if (h5md) names.push_back(o.h5md.file);
  if (dataset) names.push_back(o.dataset);
  std::vector<std::string> paths;
  for (const auto& n : names) paths.push_back((std::filesystem::path(dir) / n).string());
  return paths;
}

void guard_campaign_outputs(const RunConfig& c, const std::string& dir, const RunOptions& o) {
  check_output_directory(dir);
  const bool restart = !o.restart_file.empty();
  guard_existing_outputs(
      campaign_output_files(c, dir), o.overwrite || restart,
      fmt::format("give --overwrite to replace them, --restart {}/{} to continue that run, or "
                  "another output directory (--output-dir)",
                  dir, c.checkpoint.file));
}

}  // namespace vitrum::md
