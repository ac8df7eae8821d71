// The vitrum side of the LAMMPS plugin: loads an HDNNP or the teacher through vitrum_core and
// evaluates a LAMMPS rank's atoms (locals + ghosts, full neighbor list) with it.
#include "vitrum_bridge.hpp"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <regex>

#include "vitrum/core/elements.hpp"
#include "vitrum/core/error.hpp"
#include "vitrum/core/units.hpp"
#include "vitrum/md/force_field.hpp"
#include "vitrum/neighbor/ghosts.hpp"
#include "vitrum/neighbor/neighbor_list.hpp"
#include "vitrum/nnp/potential.hpp"
#include "vitrum/teacher/teacher.hpp"

namespace vitrum::lammps_bridge {

namespace {

/// Atomic numbers of the types' elements; an unknown symbol is an error.
std::vector<int> type_numbers(const std::vector<std::string>& type_elements) {
  std::vector<int> z;
  for (size_t t = 0; t < type_elements.size(); ++t) {
    const int n = atomic_number(type_elements[t]);
    if (n == 0)
      fail("pair_coeff: '{}' (atom type {}) is not an element symbol", type_elements[t], t + 1);
    z.push_back(n);
  }
  return z;
}

/// The units a vitrum-trained potential states in input.nn ("# units of the training data:
/// energy eV, length angstrom"); zeros when it states none (any n2p2 file).
void stated_units(const std::string& directory, double& angstrom, double& ev) {
  angstrom = ev = 0.0;
  std::ifstream in(directory + "/input.nn");
  const std::regex re(R"(units of the training data:\s*energy\s+([^,\s]+),\s*length\s+(\S+))");
  std::string line;
  for (int k = 0; k < 20 && std::getline(in, line); ++k) {
    std::smatch m;
    if (std::regex_search(line, m, re)) {
      ev = units::energy_in_ev(m[1]);
      angstrom = units::length_in_angstrom(m[2]);
      return;
    }
  }
}

class FfModel : public Model {
 public:
  FfModel(std::vector<int> type_z, std::vector<std::string> elements)
      : type_z_(std::move(type_z)), elements_(std::move(elements)) {}
  double cutoff() const override { return ff_->cutoff(); }
  double min_distance() const override { return ff_->min_distance(); }
  std::string describe() const override { return ff_->describe(); }
  std::vector<std::pair<std::string, double>> element_masses() const override {
    std::vector<std::pair<std::string, double>> m;
    for (const auto& e : elements_) m.emplace_back(e, standard_mass(atomic_number(e)));
    return m;
  }

  void compute(int nlocal, int nall, const double* x, const int* type,
               const std::vector<int>& offsets, const std::vector<int>& neighbors, double skin,
               std::uint64_t list_id, Output& out) override {
    shell_.n_local = nlocal;
    shell_.fold_ghosts = false;
    shell_.positions.resize(nall);
    shell_.species.resize(nall);
    shell_.owner.assign(nall, -1);
    shell_.shift.assign(nall, Vec3{0, 0, 0});
    for (int i = 0; i < nall; ++i) {
      shell_.positions[i] = Vec3{x[3 * i], x[3 * i + 1], x[3 * i + 2]};
      shell_.species[i] = type_z_[type[i] - 1];
    }
    for (int i = 0; i < nlocal; ++i) shell_.owner[i] = i;
    shell_.width = ff_->cutoff() + skin;
    if (list_id != list_.build_id) {  // LAMMPS rebuilt its list: copy it (else it is unchanged)
      list_.cutoff = ff_->cutoff();
      list_.skin = skin;
      list_.offsets = offsets;
      list_.neighbors = neighbors;
      list_.build_id = list_id;
    }
    md::ForceResult r;
    ff_->compute(shell_, list_, r);
    out.energy = r.energy;
    out.forces.resize(3 * static_cast<size_t>(nlocal));
    for (int i = 0; i < nlocal; ++i)
      for (int c = 0; c < 3; ++c) out.forces[3 * i + c] = r.forces[i][c];
    out.ghost_forces.clear();
    if (!r.ghost_forces.empty()) {
      out.ghost_forces.resize(3 * r.ghost_forces.size());
      for (size_t g = 0; g < r.ghost_forces.size(); ++g)
        for (int c = 0; c < 3; ++c) out.ghost_forces[3 * g + c] = r.ghost_forces[g][c];
    }
    out.atom_energy.resize(nlocal);
    for (int i = 0; i < nlocal; ++i)
      out.atom_energy[i] = r.atom_energy[i] + offset_of_z(shell_.species[i]);
    const double(&w)[3][3] = r.virial;
    const double v[6] = {w[0][0], w[1][1], w[2][2], w[0][1], w[0][2], w[1][2]};
    std::copy(v, v + 6, out.virial);
    out.min_distance = r.min_distance;
    out.extrapolations = r.extrapolations;
  }

 protected:
  /// Energy added to an atom's network energy (mean + atom energy, LAMMPS units); 0 for the
  /// teacher, whose per-atom energies are complete.
  virtual double offset_of_z(int) const { return 0.0; }

  std::vector<int> type_z_;
  std::vector<std::string> elements_;
  std::unique_ptr<md::ForceField> ff_;
  neighbor::GhostShell shell_;
  neighbor::NeighborList list_;
};

class NnpModel final : public FfModel {
 public:
  NnpModel(const std::string& dir, const std::vector<std::string>& type_elements, double cflength,
           double cfenergy, Backend backend, Precision precision)
      : FfModel(type_numbers(type_elements), {}), pot_(nnp::Potential::load_n2p2(dir)) {
    if (!(cflength > 0) || !(cfenergy > 0))
      fail("pair_style vitrum: cflength and cfenergy must be positive (got {}, {})", cflength,
           cfenergy);
    std::string known;
    for (const auto& e : pot_.elements()) {
      elements_.push_back(e.symbol);
      known += (known.empty() ? "" : ", ") + e.symbol;
    }
    for (size_t t = 0; t < type_z_.size(); ++t)
      if (pot_.element_index(type_z_[t]) < 0)
        fail("pair_coeff: element {} (atom type {}) is not in the potential {} (it has {})",
             type_elements[t], t + 1, dir, known);
    energy_unit_ = 1.0 / cfenergy;
    ff_ = md::make_nnp_force_field(
        pot_, nnp::EvalOptions{backend, precision, true, 1.0 / cflength, energy_unit_});
    stated_units(dir, stated_length_, stated_energy_);
  }
  double stated_length_angstrom() const override { return stated_length_; }
  double stated_energy_ev() const override { return stated_energy_; }

 private:
  double offset_of_z(int z) const override {
    const double mean = pot_.normalized() ? pot_.mean_energy() : 0.0;
    return (mean + pot_.element(pot_.element_index(z)).atom_energy) * energy_unit_;
  }
  nnp::Potential pot_;
  double energy_unit_ = 1.0, stated_length_ = 0.0, stated_energy_ = 0.0;
};

class TeacherModel final : public FfModel {
 public:
  TeacherModel(const std::string& path, const std::vector<std::string>& type_elements,
               Backend backend)
      : FfModel(type_numbers(type_elements), {}) {
    const teacher::TeacherParams params = teacher::read_teacher_params(path);
    elements_ = params.elements;
    std::string known;
    for (const auto& e : elements_) known += (known.empty() ? "" : ", ") + e;
    for (size_t t = 0; t < type_elements.size(); ++t)
      if (std::find(elements_.begin(), elements_.end(), element_symbol(type_z_[t])) ==
          elements_.end())
        fail("pair_coeff: element {} (atom type {}) is not in the teacher potential {} (it has {})",
             type_elements[t], t + 1, path, known);
    ff_ = teacher::make_teacher(params, backend);
  }
  double stated_length_angstrom() const override { return 1.0; }
  double stated_energy_ev() const override { return 1.0; }
};

}  // namespace

std::unique_ptr<Model> Model::load_nnp(const std::string& directory,
                                       const std::vector<std::string>& type_elements,
                                       double cflength, double cfenergy, const std::string& backend,
                                       const std::string& precision) {
  return std::make_unique<NnpModel>(directory, type_elements, cflength, cfenergy,
                                    parse_backend(backend), parse_precision(precision));
}

std::unique_ptr<Model> Model::load_teacher(const std::string& toml_path,
                                           const std::vector<std::string>& type_elements,
                                           const std::string& backend) {
  return std::make_unique<TeacherModel>(toml_path, type_elements, parse_backend(backend));
}

bool lammps_units(const std::string& style, double& angstrom, double& ev) {
  if (style == "metal") {
    angstrom = 1.0;
    ev = 1.0;
  } else if (style == "real") {
    angstrom = 1.0;
    ev = units::energy_in_ev("kcal/mol");
  } else if (style == "electron") {
    angstrom = units::length_in_angstrom("bohr");
    ev = units::energy_in_ev("Hartree");
  } else {
    return false;
  }
  return true;
}

}  // namespace vitrum::lammps_bridge
