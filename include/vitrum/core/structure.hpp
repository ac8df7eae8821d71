#pragma once
/// \file structure.hpp
/// The simulation cell and an atomic configuration: core types that every area shares (io reads
/// and writes them from n2p2 input.data, extended XYZ and LAMMPS data files; neighbor, parallel,
/// md, nnp, teacher, train and analysis compute on them). Units are whatever the file holds
/// (vitrum's own convention: Å, eV).

#include <map>
#include <string>
#include <vector>

#include "vitrum/core/vec3.hpp"

namespace vitrum {

/// Simulation cell. Rows of h are the cell vectors a, b, c (n2p2 `lattice` lines, extxyz
/// Lattice="ax ay az bx by bz cx cy cz"). periodic == false means an isolated molecule (all three
/// directions open); vitrum supports full 3D periodicity or none, as n2p2 does.
struct Box {
  bool periodic = false;
  Vec3 h[3] = {{0, 0, 0}, {0, 0, 0}, {0, 0, 0}};

  /// Cell volume |a·(b×c)| (Å^3). Zero for a non-periodic box.
  double volume() const;
  /// Perpendicular heights of the cell: V / |b×c|, V / |c×a|, V / |a×b|.
  Vec3 heights() const;
  /// Fractional coordinates s with r = s_a a + s_b b + s_c c.
  Vec3 to_fractional(const Vec3& r) const;
  Vec3 to_cartesian(const Vec3& s) const;
  /// Maps r into the cell (fractional coordinates in [0,1)); identity for a non-periodic box.
  Vec3 wrap(const Vec3& r) const;
};

/// One configuration: atoms with species, positions and optional reference data.
struct Structure {
  std::string comment;  ///< n2p2 `comment` line or extxyz free text
  std::string set;      ///< "train", "test" or "" (n2p2 `begin set=...`)
  Box box;
  std::vector<int> species;      ///< atomic number Z per atom
  std::vector<Vec3> positions;   ///< Cartesian positions
  std::vector<Vec3> forces;      ///< reference (or predicted) forces; empty when absent
  std::vector<double> charges;   ///< per-atom charges (n2p2 column 5); empty when absent
  std::vector<Vec3> velocities;  ///< velocities (extxyz `vel`); empty when absent
  bool has_energy = false;
  double energy = 0.0;  ///< total energy
  double charge = 0.0;  ///< total charge (n2p2 `charge`)
  bool has_virial = false;
  double virial[3][3] = {{0, 0, 0}, {0, 0, 0}, {0, 0, 0}};  ///< W_ab = sum r_a F_b (energy units)
  std::map<std::string, std::string> info;  ///< other extxyz key=value pairs, kept verbatim
  long line = 0;  ///< line of its file where the structure begins (0: not read from a file)

  std::size_t size() const { return positions.size(); }
};

/// Validates a structure for evaluation: finite coordinates, known species; throws naming the
/// source (file and structure index) and the first offending atom.
void validate_structure(const Structure& s, const std::string& where);

}  // namespace vitrum
