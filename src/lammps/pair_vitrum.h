#pragma once
/// \file pair_vitrum.h
/// LAMMPS pair styles backed by vitrum_core, loaded with `plugin load libvitrum_lammps.so`:
///
///   pair_style vitrum [cflength L] [cfenergy E] [backend cpu|cuda] [precision double|mixed]
///   pair_coeff * * POTENTIAL_DIR El_1 ... El_ntypes      (an n2p2 HDNNP directory)
///
///   pair_style vitrum/teacher [backend cpu|cuda]
///   pair_coeff * * PARAMS.toml El_1 ... El_ntypes        (the SiO2 BKS/TTAM teacher, units metal)
///
/// Units as LAMMPS's `pair_style hdnnp` states them: cflength = potential length units per LAMMPS
/// length unit, cfenergy = potential energy units per LAMMPS energy unit (both 1 by default).
/// The HDNNP is many-body: its forces on ghost atoms are written to atom->f and LAMMPS's reverse
/// communication (newton_pair on) hands them to their owners. Energy, per-atom energy, the
/// global virial and per-atom virials (compute stress/atom; an extra evaluation on the steps that
/// ask for them) are tallied; centroid/stress/atom is not available.

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "pair.h"
#include "vitrum_bridge.hpp"

namespace LAMMPS_NS {

class PairVitrum : public Pair {
 public:
  /// teacher = false: `pair_style vitrum` (HDNNP); true: `pair_style vitrum/teacher`.
  PairVitrum(class LAMMPS* lmp, bool teacher);
  ~PairVitrum() override;
  void compute(int eflag, int vflag) override;
  void settings(int narg, char** arg) override;
  void coeff(int narg, char** arg) override;
  void init_style() override;
  double init_one(int i, int j) override;

 private:
  bool teacher_;
  double cflength_ = 1.0, cfenergy_ = 1.0;
  std::string backend_ = "cpu", precision_ = "double";
  std::string path_;
  std::vector<std::string> type_elements_;  ///< element of each atom type (type t at t - 1)
  std::unique_ptr<vitrum::lammps_bridge::Model> model_;
  double cutoff_ = 0.0;                   ///< LAMMPS length units
  std::vector<int> offsets_, neighbors_;  ///< LAMMPS's full list (cutoff + skin), CSR, sorted
  std::uint64_t list_id_ = 0;             ///< count of copies of LAMMPS's list
  int list_nlocal_ = -1, list_nall_ = -1;
  vitrum::lammps_bridge::Output out_;
  bool warned_extrapolation_ = false;

  void allocate();
  void build_list();
  void check_units() const;
  void check_masses() const;
  std::string joined_elements() const;
  std::string style_name() const { return teacher_ ? "vitrum/teacher" : "vitrum"; }
};

}  // namespace LAMMPS_NS
