#pragma once
/// \file background.hpp
/// Host-side backgrounds of a spectrum region, as CasaXPS names them ("Linear", "Shirley",
/// "U 2 Tougaard", "U 3 Tougaard"), and their combinations, on top of the single-source
/// formulas of math/backgrounds.hpp (docs/xps-lineshapes.md).
///
/// A combination is a weighted mixture of backgrounds that share the region's averaged end
/// points: B(E) = y_lo + Σ_k w_k [B_k(E) − y_lo], Σ w_k = 1 (so it still meets both ends), e.g.
/// 0.7 Shirley + 0.3 Linear.

#include <string>
#include <vector>

#include "vitrum/spectra/math/backgrounds.hpp"

namespace vitrum::spectra {

/// Background kinds.
enum class BackgroundKind { Linear, Shirley, Tougaard };

/// One background component.
struct BackgroundSpec {
  BackgroundKind kind = BackgroundKind::Shirley;
  double weight = 1.0;       ///< weight in a combination (weights are normalised to sum 1)
  int max_iterations = 100;  ///< Shirley
  double tolerance = 1e-10;  ///< Shirley: max|ΔB| / |y_hi − y_lo|
  math::TougaardCrossSection cross_section;                ///< Tougaard
  math::TougaardScale scale = math::TougaardScale::Fixed;  ///< Tougaard
};

/// A region's background model.
struct BackgroundModel {
  std::vector<BackgroundSpec> parts;  ///< one or more (a combination)
  int avg_width = 1;                  ///< channels averaged at each end (CasaXPS "Av. Width")
};

/// Result of compute_background.
struct BackgroundResult {
  std::vector<double> values;  ///< background on every channel (constant outside the region)
  double y_lo = 0, y_hi = 0;   ///< averaged end-point intensities
  math::BgStatus status = math::BgStatus::Ok;  ///< worst status of the parts
  int iterations = 0;                          ///< Shirley iterations (last Shirley part)
  double tougaard_B = 0;                       ///< B used by the last Tougaard part
};

/// Parses a CasaXPS background name: "Linear", "Shirley", "U 2 Tougaard" (params B, C),
/// "U 3 Tougaard" (B, C, D), "Tougaard" (= U 2 with 2866, 1643), case-insensitive; `params`
/// (may be empty: the defaults) are CasaXPS's numbers after the region limits. Throws
/// vitrum::Error naming `where`, the text and what was expected.
BackgroundSpec parse_casa_background(const std::string& name, const std::vector<double>& params,
                                     const std::string& where = "");

/// Background of the region [e_lo, e_hi] (eV, binding; the channels inside it) of a spectrum
/// with ascending energies x. Throws vitrum::Error when the region holds fewer than 2 channels,
/// the arrays differ in length, x is not ascending, or a weight is negative / all are zero.
BackgroundResult compute_background(const BackgroundModel& model, const std::vector<double>& x,
                                    const std::vector<double>& y, double e_lo, double e_hi);

}  // namespace vitrum::spectra
