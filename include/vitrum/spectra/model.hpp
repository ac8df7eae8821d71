#pragma once
/// \file model.hpp
/// A constrained peak model: line-shape components with bounds and links between their
/// parameters (as CasaXPS writes them: "linked to component k with factor/offset"), spin–orbit
/// doublets as one case of links, and a background made of linear terms. It comes from a TOML
/// table ([model], see peak_model_help()) or from a CasaXPS template (casa_template.hpp), and
/// is fitted by the maximum-likelihood polish (polish.hpp).
///
/// Parameters of a component, in the order of math::ShapeParams' gradient: position x0 (eV on
/// the fitted axis), fwhm F (eV), area A (counts·eV), then the shape parameters p[0..3] of its
/// kind (peak_shapes.hpp). A parameter is
///   free    fitted within [lo, hi];
///   fixed   held at its value;
///   linked  value = factor · (the same parameter of component `link`) + offset, e.g. a doublet
///           partner's position (factor 1, offset = splitting), area (factor = ratio, offset 0)
///           or FWHM (factor 1: equal widths). Bounds of a linked parameter are not used.
/// Links to a linked parameter are followed to the end of the chain; cycles are an error.
/// Background terms: coefficient c_t (free, ≥ 0 unless bounded otherwise, or fixed) times a
/// basis curve over the fitted channels: "uniform" (1/N per channel), "ramp_up"/"ramp_down"
/// (linear ramps normalised to sum 1, as the EM uses), or "curve": a per-spectrum curve given
/// by the caller (e.g. a Shirley or Tougaard background computed from the data, with c fixed at 1
/// to subtract it as CasaXPS does).

#include <string>
#include <vector>

#include "vitrum/spectra/math/peak_shapes.hpp"
#include "vitrum/spectra/math/polish.hpp"

namespace vitrum {
class TomlTable;
}

namespace vitrum::spectra {

using math::ShapeKind;

/// Index of a component parameter (x0, F, A, p[0..3]).
enum ParamIndex : int { kPosition = 0, kFwhm = 1, kArea = 2, kShape0 = 3 };

/// One parameter with its constraint.
struct ParamSpec {
  double value = 0.0;
  double lo = -INFINITY, hi = INFINITY;  ///< bounds of a free parameter
  bool fixed = false;
  int link = -1;        ///< component index this parameter follows (-1: none)
  double factor = 1.0;  ///< value = factor · linked value + offset
  double offset = 0.0;
};

/// One line-shape component.
struct ModelComponent {
  std::string name;
  ShapeKind kind = ShapeKind::Gaussian;
  std::string lineshape;  ///< as written in the source ("LA(1.53,243,0)", "pseudo-voigt", ...)
  ParamSpec param[math::kPolishParamsPerComponent];
};

/// Basis of a background term.
enum class BackgroundBasis { Uniform, RampUp, RampDown, Curve };

struct BackgroundTerm {
  std::string name;  ///< "uniform", "ramp_up", "ramp_down", or the curve's name
  BackgroundBasis basis = BackgroundBasis::Uniform;
  ParamSpec coefficient{0.0, 0.0, INFINITY};  ///< counts (basis sums to 1) or curve factor
};

/// A constrained model.
struct PeakModel {
  std::string source;  ///< where it came from (file, template block) for messages
  std::vector<ModelComponent> components;
  std::vector<BackgroundTerm> background;
  int n_full() const {
    return static_cast<int>(components.size()) * math::kPolishParamsPerComponent +
           static_cast<int>(background.size());
  }
};

/// Full parameter vector of the model's values (component params, then background coefficients).
std::vector<double> model_values(const PeakModel& model);
/// Name of full parameter i: "<component>.position", ..., "<component>.p0", "bg.<name>".
std::string model_param_name(const PeakModel& model, int i);

/// The flat map the polish uses: roles, link targets (chains resolved), free bounds. Throws
/// vitrum::InputError (naming model.source and the component) for a link to a missing
/// component, a cycle, a fixed value outside the line shape's domain, lo > hi, more than
/// math::kPolishMaxComponents components, kPolishMaxBackground terms or kPolishMaxFree free
/// parameters.
math::ParamMap build_param_map(const PeakModel& model);

/// Adds a spin–orbit partner of component `major`: same shape, position offset `splitting`
/// (eV, signed on the fitted axis), area = ratio · major's, FWHM = width_ratio · major's, shape
/// parameters equal. Returns the new component's index.
int add_doublet_partner(PeakModel& model, int major, const std::string& name, double splitting,
                        double ratio, double width_ratio = 1.0);

/// Parses a [model] table (see peak_model_help()). Errors name file:line:key.
PeakModel parse_peak_model(TomlTable& table);
/// The accepted keys of [model] with their defaults.
std::string peak_model_help();

}  // namespace vitrum::spectra
