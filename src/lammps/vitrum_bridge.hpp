#pragma once
/// \file vitrum_bridge.hpp
/// The LAMMPS plugin's view of vitrum_core, in standard types only: LAMMPS's headers bundle
/// their own {fmt}, so the translation unit that includes them (pair_vitrum.cpp) never includes a
/// vitrum header, and this bridge (vitrum_bridge.cpp) never includes a LAMMPS one.

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace vitrum::lammps_bridge {

/// Results of one evaluation on one LAMMPS rank, in LAMMPS units.
struct Output {
  double energy = 0.0;
  std::vector<double> forces;        ///< 3 * nlocal: the locals' forces (their share)
  std::vector<double> ghost_forces;  ///< 3 * nghost, or empty (no forces left on ghosts)
  std::vector<double> atom_energy;   ///< nlocal, summing to energy
  double virial[6] = {};             ///< xx yy zz xy xz yz, W_ab = sum r_a F_b
  /// Per-atom virials (6 * nall, same order; when asked for, else empty), LAMMPS's convention:
  /// each pair term of the virial is split half to each of its two atoms, ghosts included (their
  /// entries go to their owners by LAMMPS's reverse communication), so that the entries of every
  /// atom on every rank sum to the global virial.
  std::vector<double> atom_virial;
  double min_distance = 0.0;
  long extrapolations = 0;
};

/// A force field for the atom types of one LAMMPS run. Every error is a std::runtime_error whose
/// message is vitrum's (file, line or key, and what was expected).
class Model {
 public:
  virtual ~Model() = default;
  /// An n2p2 HDNNP directory; type_elements[t] is the element of LAMMPS atom type t + 1.
  /// cflength / cfenergy: potential units per LAMMPS unit (as `pair_style hdnnp`).
  static std::unique_ptr<Model> load_nnp(const std::string& directory,
                                         const std::vector<std::string>& type_elements,
                                         double cflength, double cfenergy,
                                         const std::string& backend, const std::string& precision);
  /// A teacher parameter file (*.toml; Å, eV, e).
  static std::unique_ptr<Model> load_teacher(const std::string& toml_path,
                                             const std::vector<std::string>& type_elements,
                                             const std::string& backend);

  /// Interaction cutoff (LAMMPS length units).
  virtual double cutoff() const = 0;
  /// Smallest distance the potential accepts (LAMMPS length units).
  virtual double min_distance() const = 0;
  /// One line for the log.
  virtual std::string describe() const = 0;
  /// Standard mass (amu) of each element the potential knows, by symbol, for the type check.
  virtual std::vector<std::pair<std::string, double>> element_masses() const = 0;
  /// Units the potential states (vitrum-trained HDNNPs: Å and eV per potential unit), or 0.
  virtual double stated_length_angstrom() const { return 0.0; }
  virtual double stated_energy_ev() const { return 0.0; }
  /// Evaluates: x holds nall = nlocal + nghost positions (3 each), type the LAMMPS types
  /// (1-based); the full neighbor list of the locals in CSR form (indices into x, rows
  /// ascending, every pair within cutoff() + skin); list_id changes exactly when the list's
  /// entries do (never 0). With atom_virial, out.atom_virial is filled too (an extra pass).
  virtual void compute(int nlocal, int nall, const double* x, const int* type,
                       const std::vector<int>& offsets, const std::vector<int>& neighbors,
                       double skin, std::uint64_t list_id, bool atom_virial, Output& out) = 0;
};

/// Å per length unit and eV per energy unit of a LAMMPS unit style (metal, real, electron);
/// false for a style without a fixed relation (lj) or an unknown one.
bool lammps_units(const std::string& style, double& angstrom, double& ev);

}  // namespace vitrum::lammps_bridge
