#pragma once
/// \file teacher.hpp
/// The classical SiO2 teacher potential: Buckingham (Born–Mayer) short range + damped-shifted-
/// force Coulomb + an optional short-range repulsive wall, with BKS and TTAM parameter sets
/// (configs/potentials/SiO2-BKS.toml, SiO2-TTAM.toml). Energies, forces and the virial agree
/// with LAMMPS `pair_style born/coul/dsf` (units metal) to rounding; the formulas are in
/// teacher/math/born_dsf.hpp. Units everywhere: Å, eV, e.
///
/// Parameter file (TOML; every key is checked, an unknown key is an error naming file, line and
/// key):
///
///     [potential]                 # optional
///     name = "BKS"                # free text, shown in logs
///     reference = "..."           # free text
///
///     [charges]                   # required: one entry per element, in e
///     Si = 2.4
///     O = -1.2
///
///     [coulomb]                   # required: damped shifted force (Fennell & Gezelter 2006)
///     alpha = 0.2                 # damping α, 1/Å (>= 0)
///     cutoff = 10.0               # rc, Å (> 0)
///     coulomb_constant = 14.399645  # k = e²/(4π ε0), eV Å; optional, default LAMMPS metal
///
///     [short_range]               # required
///     cutoff = 5.5                # default cutoff of the Buckingham term, Å (> 0)
///     shift = true                # optional (default false): subtract φ_sr(cutoff) per pair,
///                                 # as LAMMPS `pair_modify shift yes`
///
///     [pair.Si-O]                 # one table per element pair ("A-B" == "B-A"); EVERY pair of
///     A = 18003.7572              # elements in [charges] needs one. A in eV (>= 0),
///     b = 4.87318                 # b = 1/ρ in 1/Å, or rho = ρ in Å (exactly one of them),
///     C = 133.5381                # C in eV Å⁶ (>= 0),
///     cutoff = 5.5                # optional per-pair cutoff, Å,
///     wall = { epsilon = 2.0, radius = 1.25, exponent = 12 }  # optional wall: ε eV, r_w Å, n
///
///     [pair.Si-Si]                # a pair without a short-range term (Coulomb only, as BKS
///     none = true                 # Si-Si) says so; a missing table is an error
///
/// The wall adds φ_wall(r) = ε [(r_w/r)ⁿ + n r/r_w − (n+1)] for r < r_w (zero energy and force
/// at r_w, ∝ r⁻ⁿ inside). It removes the collapse of the Buckingham form at short distance (the
/// −C/r⁶ term beats A exp(−r/ρ) below ~1.2 Å for Si–O), which high-temperature MD otherwise
/// reaches; it leaves every pair distance above r_w untouched.

#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "vitrum/core/backend.hpp"
#include "vitrum/md/force_field.hpp"

namespace vitrum::teacher {

/// LAMMPS's Coulomb constant for `units metal` (force->qqr2e), eV Å / e². CODATA 2018 gives
/// 14.3996454784; the LAMMPS value is the default so that energies agree with LAMMPS to 1e-12.
constexpr double kCoulombConstantLammpsMetal = 14.399645;

/// The optional repulsive wall of one pair: φ = ε [(r_w/r)ⁿ + n r/r_w − (n+1)] for r < r_w.
struct WallParams {
  double epsilon = 0.0;  ///< ε (eV), > 0
  double radius = 0.0;   ///< r_w (Å), > 0
  int exponent = 12;     ///< n, 1..64
};

/// Short-range parameters of one element pair: φ_sr(r) = A exp(−r/ρ) − C/r⁶ for r < cutoff.
struct PairParams {
  std::string a, b;       ///< element symbols
  double A = 0.0;         ///< eV
  double rho = 1.0;       ///< ρ (Å)
  double C = 0.0;         ///< eV Å⁶
  double cutoff = 0.0;    ///< Å
  bool has_wall = false;  ///< whether `wall` applies
  WallParams wall;
};

/// A parsed parameter file (see the file comment for its format).
struct TeacherParams {
  std::string file;                   ///< where it was read from ("" when built in code)
  std::string name;                   ///< [potential] name
  std::string reference;              ///< [potential] reference
  std::vector<std::string> elements;  ///< element symbols, in [charges] order
  std::vector<double> charges;        ///< charge per element (e)
  double alpha = 0.0;                 ///< DSF damping α (1/Å)
  double coulomb_cutoff = 0.0;        ///< DSF cutoff (Å)
  double coulomb_constant = kCoulombConstantLammpsMetal;  ///< k (eV Å / e²)
  double short_range_cutoff = 0.0;                        ///< default Buckingham cutoff (Å)
  bool shift = false;             ///< shift each Buckingham term to zero at its cutoff
  std::vector<PairParams> pairs;  ///< listed pairs
  /// Pairs declared without a short-range term ([pair.A-B] none = true), as (A, B).
  std::vector<std::pair<std::string, std::string>> no_short_range;

  /// Largest cutoff of any term (Å): what the neighbor list needs.
  double cutoff() const;
  /// Checks ranges and consistency (elements known, pairs of listed elements, no duplicates);
  /// throws vitrum::Error naming `file` otherwise.
  void validate() const;
};

/// Reads and validates a parameter file; InputError names the file, line and key on any problem.
TeacherParams read_teacher_params(const std::string& toml_path);
/// Parses parameter-file text; `file` names the source in error messages.
TeacherParams parse_teacher_params(std::string_view text, const std::string& file);

/// The teacher as a force field (energy eV, forces eV/Å, virial W_ab = Σ r_a F_b in eV) on the
/// given backend. Local atoms of an element without a charge entry are an error.
std::unique_ptr<md::ForceField> make_teacher(const TeacherParams& params, Backend backend);
/// read_teacher_params + make_teacher.
std::unique_ptr<md::ForceField> load_teacher(const std::string& toml_path, Backend backend);

/// LAMMPS input lines that reproduce the potential with `pair_style born/coul/dsf` for data
/// files whose atom type t (1-based) is element type_elements[t-1]: pair_style, pair_coeff for
/// every type pair, pair_modify shift, and `set type t charge q`. Throws when a pair has a wall
/// (LAMMPS's born/coul/dsf has no such term) or a type's element has no charge.
std::string lammps_pair_commands(const TeacherParams& params,
                                 const std::vector<std::string>& type_elements);

}  // namespace vitrum::teacher
