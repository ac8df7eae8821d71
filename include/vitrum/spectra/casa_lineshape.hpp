#pragma once
/// \file casa_lineshape.hpp
/// Host-side parser of CasaXPS line-shape strings ("GL(30)", "SGL(30)", "LA(1.53,243,0)",
/// "LA(1.1,2.5,10,5)", "DS(0.1,20)") into a math::ShapeKind and its p[] (peak_shapes.hpp), and
/// the inverse. Supported: GL(m), SGL(m), LA(α, m) (α = β), LA(α, β, m), LA(α, β, m, n),
/// DS(α, n) (Gaussian FWHM n·F/100, resolved with the component's FWHM by params()). Plus
/// vitrum's own names: Gaussian, Lorentzian, PV(η), Voigt(f_L in eV).
/// Not supported (clear error): LF(...), A(a,b,n)GL(p), T(...), LS(...), and any other form.

#include <string>

#include "vitrum/spectra/math/peak_shapes.hpp"

namespace vitrum::spectra {

/// A parsed line shape.
struct CasaLineShape {
  math::ShapeKind kind = math::ShapeKind::Gaussian;
  double p[4] = {0, 0, 0, 0};
  /// DS only: the Gaussian FWHM as a percentage of the component's FWHM (CasaXPS's n).
  double ds_gauss_percent = 0.0;
  /// The text it was parsed from (for messages).
  std::string text;

  /// Full parameters of a component with this shape (DS: p[1] = ds_gauss_percent·F/100).
  math::ShapeParams params(double position, double fwhm, double area) const;
};

/// Parses `text` (surrounding spaces ignored, names case-sensitive as CasaXPS writes them).
/// Throws vitrum::Error naming the text and what was expected; `where` (a file/line, may be
/// empty) prefixes the message.
CasaLineShape parse_casa_lineshape(const std::string& text, const std::string& where = "");

/// CasaXPS text of a line shape ("GL(30)", "LA(1.53,243,0)", ...); DS writes its percentage.
std::string format_casa_lineshape(const CasaLineShape& shape);

/// Name of a kind: "Gaussian", "Lorentzian", "PV", "Voigt", "GL", "SGL", "DS", "LA", "LA4".
const char* shape_kind_name(math::ShapeKind kind);

}  // namespace vitrum::spectra
