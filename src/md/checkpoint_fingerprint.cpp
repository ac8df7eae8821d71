/// \file checkpoint_fingerprint.cpp
/// The campaign fingerprint stored in a checkpoint and the restart policy that compares it with
/// the configuration a restart runs (vitrum/md/checkpoint.hpp); the capture of a checkpoint.

#include <filesystem>
#include <map>
#include <sstream>

#include "vitrum/core/error.hpp"
#include "vitrum/md/checkpoint.hpp"
#include "vitrum/md/force_field_registry.hpp"

namespace vitrum::md {
namespace {

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
}  // namespace

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
  if (!c.potential.kind.empty()) {  // a kind named in the config, with its own parameters
    add("potential.kind", c.potential.kind);
    add("potential.parameters", force_field_parameters(c.potential));
  }
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
  return capture_checkpoint(
      c, engine.system(), engine.last_rebuild(),
      engine.domain() != nullptr ? engine.domain()->grid() : std::array<int, 3>{1, 1, 1}, integ,
      stage, step_in_stage, conserved_offset);
}

Checkpoint capture_checkpoint(const RunConfig& c, MdSystem system, RebuildRecord rebuild,
                              std::array<int, 3> grid, const Integrator& integ, int stage,
                              long step_in_stage, double conserved_offset) {
  Checkpoint ck;
  ck.system = std::move(system);
  ck.rebuild = std::move(rebuild);
  ck.domain_grid = grid;
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

}  // namespace vitrum::md
