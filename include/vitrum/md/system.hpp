#pragma once
/// \file system.hpp
/// The state the MD integrators advance: cell, atoms, velocities, forces and the last
/// potential-energy evaluation, plus the thermodynamic observables derived from them.
///
/// Units: Å, Å/fs, amu, eV, eV/Å, fs, K, bar. Atom ids are the indices 0..N-1 of the input
/// structure and never change, so counter-based random numbers keyed by id are reproducible. A
/// serial run never reorders atoms (id may then be empty: atom i has id i). Under MPI domain
/// decomposition (vitrum/parallel) each rank holds the atoms of its subdomain, in an order that
/// changes when atoms migrate; `id` names them, and every sum over atoms (kinetic energy, total
/// mass, momentum) is taken over all ranks of `comm`.

#include <array>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "vitrum/core/structure.hpp"
#include "vitrum/core/vec3.hpp"
#include "vitrum/parallel/comm.hpp"

namespace vitrum::md {

/// Atoms and cell of an MD run. Positions are wrapped into the cell at every neighbor-list
/// rebuild; `image` counts the cell vectors subtracted by wrapping, so the unwrapped position is
/// positions[i] + Σ_d image[i][d] h[d].
struct MdSystem {
  Box box;                                ///< cell (rows are cell vectors, Å)
  std::vector<int> species;               ///< atomic number Z per atom
  std::vector<double> mass;               ///< amu per atom
  std::vector<Vec3> positions;            ///< Å
  std::vector<Vec3> velocities;           ///< Å/fs
  std::vector<Vec3> forces;               ///< eV/Å, at the current positions
  std::vector<std::array<int, 3>> image;  ///< periodic image counts (see above)
  double potential_energy = 0.0;          ///< eV, at the current positions
  double virial[3][3] = {};               ///< W_ab = Σ r_a F_b (eV), at the current positions
  long step = 0;                          ///< steps taken since the start of the run
  double time_fs = 0.0;                   ///< simulated time (fs)
  std::vector<int> id;                    ///< global atom id per atom (empty: atom i is id i)
  parallel::Comm comm;                    ///< ranks sharing the atoms (serial by default)
  long n_global = 0;                      ///< atoms on all ranks (used when comm has > 1 rank)

  /// Atoms held here (this rank's share under domain decomposition).
  int size() const { return static_cast<int>(positions.size()); }
  /// Atoms of the whole system, on all ranks.
  long global_size() const { return comm.size() > 1 ? n_global : size(); }
  /// Degrees of freedom of the temperature: 3N - 3 (the centre-of-mass momentum is zero and
  /// stays zero); 3N for a single atom. N is global_size().
  double degrees_of_freedom() const;
  /// Total mass (amu) of the whole system (collective under domain decomposition).
  double total_mass() const;
  /// Unwrapped position of atom i (Å).
  Vec3 unwrapped(int i) const;
};

/// Masses per atom: the standard atomic mass of each species (vitrum/core/elements.hpp), except
/// for the symbols listed in `overrides` (symbol -> amu). Throws vitrum::Error for an override
/// naming an unknown symbol or a non-positive mass.
std::vector<double> assign_masses(const std::vector<int>& species,
                                  const std::map<std::string, double>& overrides);

/// Builds an MD system from a structure (positions and cell in Å; velocities in Å/fs if present,
/// zero otherwise) with the given per-atom masses.
MdSystem make_system(const Structure& s, std::vector<double> masses);

/// Converts the system back to a structure (positions wrapped unless `unwrap`, velocities,
/// forces if `with_forces`, potential energy and virial).
Structure to_structure(const MdSystem& sys, bool unwrap, bool with_forces);

/// Kinetic quantities summed in a fixed order (deterministic for any thread count), over all
/// ranks of sys.comm (collective).
struct Kinetic {
  double energy = 0.0;       ///< K = Σ kMvv2e m v²/2 (eV)
  double tensor[3][3] = {};  ///< Σ kMvv2e m v_a v_b (eV), i.e. 2K_ab
};
Kinetic kinetic(const MdSystem& sys);
/// The Kinetic of this rank's sums of math::kinetic_terms (xx, yy, zz, xy, xz, yz), summed over
/// the ranks of `comm` (collective).
Kinetic kinetic_from_sums(const double* local_sums, const parallel::Comm& comm);
/// The centre-of-mass velocity Σ m v / Σ m from this rank's sums of math::momentum_terms, summed
/// over the ranks of `comm` (collective).
Vec3 drift_velocity(const double* local_sums, const parallel::Comm& comm);

/// Thermodynamic observables of the current state.
struct Thermo {
  long step = 0;
  double time_fs = 0.0;
  double temperature = 0.0;        ///< T = 2K / (N_f k_B) (K)
  double pressure = 0.0;           ///< P = (2K + tr W) / (3V) (bar); 0 without a periodic cell
  double pressure_tensor[3] = {};  ///< diagonal P_aa = (2K_aa + W_aa)/V (bar)
  double potential_energy = 0.0;   ///< eV
  double kinetic_energy = 0.0;     ///< eV
  double total_energy = 0.0;       ///< eV
  double conserved = 0.0;          ///< E_tot + thermostat/barostat energy (eV)
  double volume = 0.0;             ///< Å³
  double density = 0.0;            ///< g/cm³
  Vec3 cell_lengths{0, 0, 0};      ///< |a|, |b|, |c| (Å)
};

/// Observables of `sys`; `extended_energy` is the integrator's contribution to the conserved
/// quantity (eV).
Thermo compute_thermo(const MdSystem& sys, double extended_energy);
/// The same with the kinetic sums already taken (a device-resident run takes them on its device;
/// only the velocities' sums, not the velocities, reach the host). Uses sys.mass for the density.
Thermo compute_thermo(const MdSystem& sys, const Kinetic& k, double extended_energy);

/// Density in g/cm³ of `mass_amu` in `volume_a3`: 1 amu/Å³ = 1.66053906660 g/cm³.
double density_g_cm3(double mass_amu, double volume_a3);

/// Draws Maxwell–Boltzmann velocities at temperature T (K) from the counter-based stream
/// (seed, atom id; collective under domain decomposition), removes the centre-of-mass momentum and,
/// if `rescale`, scales them so that the instantaneous temperature is exactly T (LAMMPS `velocity
/// create ... mom yes`).
void maxwell_boltzmann(MdSystem& sys, double temperature, std::uint64_t seed, bool rescale);

/// Removes the centre-of-mass velocity: v_i <- v_i - Σ m v / Σ m (sums over all ranks).
void remove_drift(MdSystem& sys);

/// Smallest interatomic distance (Å) over the pairs of a neighbor list of the system's ghost
/// shell (positions of locals and ghosts, CSR neighbors); +inf when there are no pairs.
double min_pair_distance(const std::vector<Vec3>& shell_positions, const std::vector<int>& offsets,
                         const std::vector<int>& neighbors, int* atom_i = nullptr,
                         int* atom_j = nullptr);

}  // namespace vitrum::md
