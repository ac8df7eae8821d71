// Internal to the polish as a step of `vitrum spectra fit` (polish_fit.cpp) and the image
// template fit (template_polish.cpp): the background curves built from an EM result and the
// active Tougaard term of polished components.
#pragma once

#include <vector>

#include "vitrum/spectra/fit.hpp"
#include "vitrum/spectra/math/backgrounds.hpp"
#include "vitrum/spectra/math/polish.hpp"

namespace vitrum::spectra::detail {

/// Tougaard integral (cross-section xs, B = 1) of the components of `full` (links expanded
/// here) over the channels x, into out[n]; tables (or null) as in the polish.
void tougaard_of_components(const math::ParamMap& map, const std::vector<double>& x,
                            const double* full_in, const math::TougaardCrossSection& xs,
                            const math::ShapeTableView* tables, double* out);

/// Background curves of the EM terms of r for the spectra `pix` of data ([pixel][channel] on
/// r's window): the fixed shapes, and for "shirley" the iterated Shirley of each spectrum's
/// window with its step normalised to sum 1. [count][term][channel], count = pix.size() with a
/// Shirley term, else 1 (shared).
std::vector<double> em_background_curves(const FitResult& r, const std::vector<float>& data,
                                         const std::vector<long>& pix);

}  // namespace vitrum::spectra::detail
