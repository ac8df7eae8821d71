#pragma once
/// \file potential.hpp
/// A second-generation (short-range) high-dimensional neural network potential in n2p2's format:
/// elements sorted by atomic number, per-element symmetry functions in n2p2's sorted order with
/// their scaling, per-element feed-forward networks, and the energy normalization.
///
/// Energy (physical units of the training data):
///   E = sum_i [ E_i^NN / conv_energy + mean_energy + atom_energy(Z_i) ]   (normalized potentials)
///   E = sum_i [ E_i^NN + atom_energy(Z_i) ]                               (otherwise)
/// Symmetry functions are computed in physical units directly (they are invariant under n2p2's
/// length normalization), so conv_length only enters through the parameters' units.

#include <string>
#include <vector>

#include "vitrum/nnp/math/activation.hpp"
#include "vitrum/nnp/math/symmetry_function.hpp"

namespace vitrum::nnp {

/// One symmetry function as given in input.nn (parameters in the file's units; angles in degrees).
struct SymmetryFunction {
  int type = 0;          ///< n2p2 type: 2, 3, 9, 12, 13, 20–25
  int e1 = -1, e2 = -1;  ///< neighbor element indices (e1 <= e2), -1 where the type has none
  double eta = 0, rs = 0, rc = 0, lambda = 0, zeta = 0;
  double rl = 0, theta_l = 0, theta_r = 0;  ///< compact types (theta in degrees)
  std::string subtype;                      ///< compact types: p1..p4, e, with optional 'a'
  int line = 0;                             ///< line in input.nn
  // Scaling: G_s = scale * G + shift; Gmin/Gmax for extrapolation warnings.
  double gmin = 0, gmax = 0, gmean = 0, gsigma = 0;
  double scale = 1, shift = 0;
};

/// A dense layer y = f((W x + b) [/ n_in]); W row-major [n_out][n_in].
struct Layer {
  int n_in = 0, n_out = 0;
  int activation = kActIdentity;
  std::vector<double> weights;  ///< n_out * n_in
  std::vector<double> bias;     ///< n_out
};

/// Per-element network and symmetry functions.
struct Element {
  std::string symbol;
  int z = 0;
  double atom_energy = 0.0;
  std::vector<SymmetryFunction> sfs;  ///< n2p2 sorted order = network input order
  std::vector<Layer> layers;          ///< hidden layers then output layer
  std::string weights_file;
};

enum class ScalingType { None, Scale, Center, ScaleCenter, ScaleSigma };

/// The flat symmetry-function plan backing an SfPlanView (host copy; the CUDA backend mirrors it).
struct SfPlan {
  int n_elements = 0;
  std::vector<DistanceFn> fns;
  std::vector<int> elem_n_sf;
  std::vector<double> elem_rmax;
  std::vector<int> slot_begin, slot_fn;
  std::vector<int> radial_begin;
  std::vector<RadialTerm> radial;
  std::vector<PairGroup> groups;
  std::vector<AngularTerm> angular;
  std::vector<int> jk_fns;
  int max_slots = 0, max_jk = 0, max_win = 0;
  SfPlanView view() const;
};

/// A loaded potential.
class Potential {
 public:
  /// Loads input.nn, scaling.data and weights.NNN.data from an n2p2 potential directory.
  /// Throws vitrum::InputError naming the file, the line and what was expected.
  static Potential load_n2p2(const std::string& directory);

  const std::string& directory() const { return directory_; }
  int n_elements() const { return static_cast<int>(elements_.size()); }
  const Element& element(int e) const { return elements_[e]; }
  const std::vector<Element>& elements() const { return elements_; }
  /// Element index of atomic number z, or -1.
  int element_index(int z) const;
  /// Largest symmetry-function cutoff over all elements (length units of the potential).
  double cutoff() const { return cutoff_; }
  int cutoff_type() const { return cutoff_type_; }
  double cutoff_alpha() const { return cutoff_alpha_; }
  ScalingType scaling_type() const { return scaling_type_; }
  bool normalize_nodes() const { return normalize_nodes_; }
  bool normalized() const { return normalized_; }
  double mean_energy() const { return mean_energy_; }
  double conv_energy() const { return conv_energy_; }
  double conv_length() const { return conv_length_; }
  /// Smallest interatomic distance the potential accepts (0 = no check beyond overlap).
  double min_distance() const { return min_distance_; }
  void set_min_distance(double d) { min_distance_ = d; }
  const SfPlan& plan() const { return plan_; }
  /// Total number of network weights and biases.
  long n_parameters() const;

 private:
  friend class PotentialBuilder;
  std::string directory_;
  std::vector<Element> elements_;
  double cutoff_ = 0;
  int cutoff_type_ = kCutHard;
  double cutoff_alpha_ = 0;
  ScalingType scaling_type_ = ScalingType::None;
  double scale_min_ = 0, scale_max_ = 1;
  bool normalize_nodes_ = false;
  bool normalized_ = false;
  double mean_energy_ = 0, conv_energy_ = 1, conv_length_ = 1;
  double min_distance_ = 0;
  SfPlan plan_;
};

/// Builds the flat plan (distance-function slots, radial terms, pair groups) of a potential's SFs.
SfPlan build_sf_plan(const std::vector<Element>& elements, int cutoff_type, double cutoff_alpha);

}  // namespace vitrum::nnp
