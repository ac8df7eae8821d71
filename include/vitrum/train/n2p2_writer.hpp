#pragma once
/// \file n2p2_writer.hpp
/// Writing a trained potential in n2p2's format: input.nn (settings, symmetry functions,
/// architecture) and weights.NNN.data (NNN = atomic number), loadable unchanged by
/// nnp::Potential::load_n2p2 and by n2p2 (see ../shared/formats/n2p2.md, A.1–A.3).

#include <map>
#include <string>
#include <vector>

#include "vitrum/nnp/potential.hpp"

namespace vitrum::train {

/// Everything input.nn states about a short-range (2G) HDNNP.
struct InputNnSpec {
  std::vector<std::string> elements;          ///< element symbols (written sorted by Z)
  std::map<std::string, double> atom_energy;  ///< per-element offsets (energy units), optional
  int cutoff_type = 6;                        ///< n2p2 cutoff code 0..8
  double cutoff_alpha = 0.0;                  ///< inner cutoff fraction in [0, 1)
  nnp::ScalingType scaling = nnp::ScalingType::ScaleCenter;
  double scale_min = 0.0, scale_max = 1.0;
  bool normalize_nodes = false;
  /// Data-set normalization: E_phys = E^NN / conv_energy + N mean_energy + offsets.
  bool normalized = false;
  double mean_energy = 0.0, conv_energy = 1.0, conv_length = 1.0;
  std::vector<int> hidden_nodes = {25, 25};  ///< neurons per hidden layer
  std::string activations = "ttl";           ///< one n2p2 code per hidden layer and the output
  std::vector<std::string> sf_lines;         ///< complete `symfunction_short ...` lines
  std::vector<std::string> comments;         ///< written as '# ' lines at the top
};

/// Writes input.nn atomically. Throws vitrum::Error for an inconsistent spec (activation count,
/// unknown element).
void write_input_nn(const std::string& path, const InputNnSpec& spec);

/// n2p2 activation code of a character ('t' -> nnp::kActTanh); throws for an unknown code.
int activation_from_code(char c);

/// Writes one element's network as n2p2's weights.NNN.data, atomically. `sizes` = {n_sf,
/// hidden..., 1}; `params` in vitrum's layout: per layer the weights W[out][in] row-major, then
/// the biases. The file lists per layer the weights with the previous-layer neuron outer and the
/// current neuron inner, then the biases ("value a|b index l_s n_s l_e n_e", %24.16E).
void write_weights(const std::string& path, const std::vector<int>& sizes,
                   const std::vector<double>& params);

/// "dir/weights.NNN.data" for atomic number z.
std::string weights_path(const std::string& dir, int z);

}  // namespace vitrum::train
