#pragma once
/// \file peak_shapes.cuh
/// Host-compilable declaration of the CUDA evaluation of a line shape (defined in
/// peak_shapes.cu): the same single-source code as the CPU (vitrum/spectra/math/peak_shapes.hpp)
/// run in a kernel, for the CPU/GPU parity test and as the pattern for fitting kernels.

#include <vector>

#include "vitrum/spectra/math/peak_shapes.hpp"

namespace vitrum::spectra {

/// Values of one component at the energies x, one thread per energy (double; or the float
/// evaluation when `single`). Throws vitrum::Error (file, line) on any CUDA failure.
std::vector<double> evaluate_shape_cuda(math::ShapeKind kind, const math::ShapeParams& params,
                                        const std::vector<double>& x, bool single);

/// Gradients (shape_value_and_grad) at the energies x: kShapeGradSize values per energy.
std::vector<double> evaluate_shape_grad_cuda(math::ShapeKind kind, const math::ShapeParams& params,
                                             const std::vector<double>& x);

}  // namespace vitrum::spectra
