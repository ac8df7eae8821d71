#pragma once
/// \file training_set.hpp
/// Reference structures with their symmetry functions and symmetry-function derivatives,
/// computed once for a potential's symmetry functions (they do not depend on the weights).
///
/// For every atom i the set keeps the raw G_i (n2p2 sorted order) and, when forces are used, the
/// Jacobian J_i[k][c][s] = dG_i,s / d r_{a_k},c with respect to the positions of the atoms a_k
/// of the same structure that G_i depends on (the centre and every neighbor within the element's
/// largest cutoff; periodic images are folded onto their atom). Forces and the force-loss
/// direction of training are then two small dense products per atom:
///   F_{a_k} -= sum_s J_i[k][.][s] dE_i/dG_i,s      and      v_i,s = sum_{k,c} J_i[k][c][s]
///   D_{a_k},c.
/// J_i is computed with the single-source atom_sf_gradient of nnp/math/sf_atom.hpp,
/// once per symmetry function (each with a one-term plan, so the cost is a few force
/// evaluations, not n_sf of them). Memory: 24 bytes x n_sf x (neighbors + 1) per atom.

#include <string>
#include <vector>

#include "vitrum/core/structure.hpp"
#include "vitrum/core/vec3.hpp"
#include "vitrum/nnp/potential.hpp"

namespace vitrum::train {

/// One reference structure.
struct ReferenceStructure {
  std::string name;  ///< "file, structure k" for messages
  int n_atoms = 0;
  double energy = 0.0;       ///< reference total energy (data units)
  std::vector<Vec3> forces;  ///< reference forces (data units); empty when not used
  bool test = false;         ///< in the test set
  long first_atom = 0;       ///< index of its first atom in the set's atom arrays
};

/// dG_i/dr of one atom: n entries (structure-local atom indices) x 3 x n_sf values.
struct AtomJacobian {
  std::vector<int> atoms;
  std::vector<double> values;
};

class TrainingSet {
 public:
  TrainingSet() = default;
  /// Computes G (and J when `with_jacobians`) for every structure. `names[k]` names structure k
  /// in messages; `test[k]` puts it in the test set; reference forces are kept when
  /// `with_jacobians`. Throws vitrum::Error naming the structure for elements the potential
  /// lacks, and when the estimated dG/dr memory exceeds `max_bytes` (0: no limit).
  TrainingSet(const nnp::Potential& potential, const std::vector<Structure>& structures,
              const std::vector<std::string>& names, const std::vector<bool>& test,
              bool with_jacobians, double max_bytes = 0);

  int n_structures() const { return static_cast<int>(structures_.size()); }
  const ReferenceStructure& structure(int k) const { return structures_[k]; }
  long n_atoms() const { return static_cast<long>(atom_elem_.size()); }
  bool has_jacobians() const { return with_jac_; }
  int n_elements() const { return static_cast<int>(g_.size()); }
  int n_sf(int e) const { return n_sf_[e]; }
  /// Element index of atom a (set-wide index) and its row in the element's G matrix.
  int atom_element(long a) const { return atom_elem_[a]; }
  long atom_row(long a) const { return atom_row_[a]; }
  /// Raw G of element e, row-major (rows x n_sf(e)).
  const std::vector<double>& raw_sf(int e) const { return g_[e]; }
  const AtomJacobian& jacobian(long a) const { return jac_[a]; }
  /// Bytes held by G and J.
  size_t memory_bytes() const;

 private:
  std::vector<ReferenceStructure> structures_;
  std::vector<int> n_sf_;
  std::vector<int> atom_elem_;
  std::vector<long> atom_row_;
  std::vector<std::vector<double>> g_;
  std::vector<AtomJacobian> jac_;
  bool with_jac_ = false;
};

}  // namespace vitrum::train
