// input.nn and weights.NNN.data in n2p2's format.
#include "vitrum/train/n2p2_writer.hpp"

#include <algorithm>

#include "file_util.hpp"
#include "vitrum/core/elements.hpp"
#include "vitrum/core/error.hpp"

namespace vitrum::train {

int activation_from_code(char c) {
  switch (c) {
    case 'l':
      return nnp::kActIdentity;
    case 't':
      return nnp::kActTanh;
    case 's':
      return nnp::kActLogistic;
    case 'p':
      return nnp::kActSoftplus;
    case 'r':
      return nnp::kActRelu;
    case 'g':
      return nnp::kActGaussian;
    case 'c':
      return nnp::kActCos;
    case 'S':
      return nnp::kActRevLogistic;
    case 'e':
      return nnp::kActExp;
    case 'h':
      return nnp::kActHarmonic;
    default:
      fail("unknown activation '{}': expected one of l t s p r g c S e h (n2p2 codes)", c);
  }
}

void write_input_nn(const std::string& path, const InputNnSpec& spec) {
  if (spec.activations.size() != spec.hidden_nodes.size() + 1)
    fail(
        "{}: {} activations for {} hidden layers (need one per hidden layer and one for the "
        "output)",
        path, spec.activations.size(), spec.hidden_nodes.size());
  for (char c : spec.activations) activation_from_code(c);
  std::vector<std::string> el = spec.elements;
  for (const auto& s : el)
    if (atomic_number(s) == 0) fail("{}: unknown element '{}'", path, s);
  std::sort(el.begin(), el.end(), [](const std::string& a, const std::string& b) {
    return atomic_number(a) < atomic_number(b);
  });
  std::string o;
  for (const auto& c : spec.comments) o += "# " + c + "\n";
  o += "\n";
  if (spec.normalized) {
    o += fmt::format("mean_energy {}\n", detail::sci(spec.mean_energy));
    o += fmt::format("conv_energy {}\n", detail::sci(spec.conv_energy));
    o += fmt::format("conv_length {}\n\n", detail::sci(spec.conv_length));
  }
  o += fmt::format("number_of_elements {}\n", el.size());
  o += "elements";
  for (const auto& s : el) o += " " + s;
  o += "\n";
  for (const auto& s : el) {
    auto it = spec.atom_energy.find(s);
    o += fmt::format("atom_energy {} {}\n", s,
                     detail::sci(it == spec.atom_energy.end() ? 0.0 : it->second));
  }
  for (const auto& [s, v] : spec.atom_energy)
    if (std::find(el.begin(), el.end(), s) == el.end())
      fail("{}: atom_energy given for {}, which is not one of the elements", path, s);
  if (spec.cutoff_type < 0 || spec.cutoff_type > 8)
    fail("{}: cutoff_type {} unknown: expected 0..8", path, spec.cutoff_type);
  if (!(spec.cutoff_alpha >= 0 && spec.cutoff_alpha < 1))
    fail("{}: cutoff alpha {} must be in [0, 1)", path, spec.cutoff_alpha);
  // The inner-cutoff fraction only where it is not zero (n2p2's default).
  o += spec.cutoff_alpha > 0
           ? fmt::format("cutoff_type {} {}\n", spec.cutoff_type, spec.cutoff_alpha)
           : fmt::format("cutoff_type {}\n", spec.cutoff_type);
  switch (spec.scaling) {
    case nnp::ScalingType::None:
      break;
    case nnp::ScalingType::Scale:
      o += "scale_symmetry_functions\n";
      break;
    case nnp::ScalingType::Center:
      o += "center_symmetry_functions\n";
      break;
    case nnp::ScalingType::ScaleCenter:
      o += "scale_symmetry_functions\ncenter_symmetry_functions\n";
      break;
    case nnp::ScalingType::ScaleSigma:
      o += "scale_symmetry_functions_sigma\n";
      break;
  }
  if (spec.scaling != nnp::ScalingType::None && spec.scaling != nnp::ScalingType::Center)
    o += fmt::format("scale_min_short {}\nscale_max_short {}\n", spec.scale_min, spec.scale_max);
  if (spec.normalize_nodes) o += "normalize_nodes\n";
  o += fmt::format("global_hidden_layers_short {}\n", spec.hidden_nodes.size());
  o += "global_nodes_short";
  for (int n : spec.hidden_nodes) o += fmt::format(" {}", n);
  o += "\nglobal_activation_short";
  for (char c : spec.activations) o += fmt::format(" {}", c);
  o += "\n\n";
  for (const auto& l : spec.sf_lines) o += l + "\n";
  write_file_atomic(path, o);
}

std::string weights_path(const std::string& dir, int z) {
  return fmt::format("{}/weights.{:03d}.data", dir, z);
}

void write_weights(const std::string& path, const std::vector<int>& sizes,
                   const std::vector<double>& params) {
  size_t expected = 0;
  for (size_t l = 1; l < sizes.size(); ++l)
    expected += static_cast<size_t>(sizes[l - 1]) * sizes[l] + sizes[l];
  if (params.size() != expected)
    fail("{}: {} parameters for a network with {} weights and biases", path, params.size(),
         expected);
  std::string o =
      "################################################################################\n"
      "# Neural network connection values (weights and biases), written by vitrum train.\n"
      "# Col  Name       Description\n"
      "# 1    connection Neural network connection value.\n"
      "# 2    t          Connection type (a = weight, b = bias).\n"
      "# 3    index      Index enumerating weights.\n"
      "# 4    l_s        Starting point layer (end point layer for biases).\n"
      "# 5    n_s        Starting point neuron in starting layer (end point neuron for biases).\n"
      "# 6    l_e        End point layer.\n"
      "# 7    n_e        End point neuron in end layer.\n"
      "################################################################################\n";
  o.reserve(o.size() + expected * 64);
  size_t p = 0, index = 1;
  for (size_t l = 1; l < sizes.size(); ++l) {
    const int nin = sizes[l - 1], nout = sizes[l];
    const double* w = params.data() + p;
    for (int j = 0; j < nin; ++j)
      for (int k = 0; k < nout; ++k)
        o += fmt::format("{} a {:9d} {:5d} {:5d} {:5d} {:5d}\n",
                         detail::sci(w[static_cast<size_t>(k) * nin + j]), index++, l - 1, j + 1, l,
                         k + 1);
    p += static_cast<size_t>(nin) * nout;
    for (int k = 0; k < nout; ++k)
      o += fmt::format("{} b {:9d} {:5d} {:5d}\n", detail::sci(params[p + k]), index++, l, k + 1);
    p += nout;
  }
  write_file_atomic(path, o);
}

}  // namespace vitrum::train
