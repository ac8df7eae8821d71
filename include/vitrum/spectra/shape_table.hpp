#pragma once
/// \file shape_table.hpp
/// Owning tables of line shapes in their reduced variable (math/shape_table.hpp) and the
/// per-spectrum choice of tables for the polish: a component of kind LA or LA4 whose shape
/// parameters are all fixed (or linked to fixed ones) is evaluated from one table shared by every
/// spectrum with the same (kind, α, β, m, n); other components are evaluated directly.

#include <array>
#include <vector>

#include "vitrum/spectra/math/polish.hpp"
#include "vitrum/spectra/math/shape_table.hpp"

namespace vitrum::spectra {

/// Largest node spacing and the half range of the polish's tables (reduced units
/// v = (x − x0)/F). The interpolation error is measured by shape_table_max_error (tests:
/// < 1e-7 of the peak value).
inline constexpr double kShapeTableStep = 0.01;
inline constexpr double kShapeTableRange = 48.0;

/// True for the kinds that are scale families in F and costly to evaluate (LA, LA4).
bool shape_tabulable(math::ShapeKind kind);

/// Node spacing for a shape: min(kShapeTableStep, w/25) with w = √(w_core² + σ_v²), w_core the
/// half width at half maximum of the core's steeper side and σ_v = m/(100·2.3548) the
/// convolution's Gaussian, both in units of F; 0 when the shape is not tabulated (not LA/LA4,
/// m = 0 — one power per value, cheaper than a table —, or more than 2·10⁶ nodes).
double shape_table_step(math::ShapeKind kind, const std::array<double, 4>& p);

/// g(v) = F·f(vF; F) of one unit-area line shape and g'(v) at the nodes.
class ShapeTable {
 public:
  /// h ≤ 0: shape_table_step(kind, p) (which must then be > 0).
  ShapeTable(math::ShapeKind kind, const std::array<double, 4>& p, double h = 0.0,
             double v_max = kShapeTableRange);
  math::ShapeTableView view() const;
  math::ShapeKind kind() const { return kind_; }
  const std::array<double, 4>& params() const { return p_; }

 private:
  math::ShapeKind kind_;
  std::array<double, 4> p_;
  double h_, v_max_;
  std::vector<double> g_, dg_;
};

/// Largest |g_table(v) − g(v)| over `samples` points per interval (nodes excluded), divided by
/// max g: the interpolation error relative to the peak value.
double shape_table_max_error(const ShapeTable& t, int samples = 3);

/// Tables of a batch: for each spectrum and component, the table to use (or none).
struct PolishTables {
  std::vector<ShapeTable> tables;
  std::vector<int> index;  ///< [spectrum][n_comp]: table index or −1
  int n_comp = 0;
  /// Views of spectrum f's components into `out` ([n_comp]); false when none has a table.
  bool views(long f, math::ShapeTableView* out) const;
};

/// Chooses and builds the tables for `count` spectra whose start vectors (full parameters,
/// shape parameters as fixed values) are starts[f·n_full ...] (or `model_start` for all when
/// starts is empty). Tables are built in parallel (OpenMP).
PolishTables build_polish_tables(const math::ParamMap& map, const std::vector<double>& starts,
                                 const std::vector<double>& model_start, long count);

}  // namespace vitrum::spectra
