// Tables of the LA line shapes in their reduced variable for the polish (shape_table.hpp).
#include "vitrum/spectra/shape_table.hpp"

#include <omp.h>

#include <algorithm>
#include <cmath>
#include <memory>

#include "vitrum/core/error.hpp"
#include "vitrum/spectra/casa_lineshape.hpp"

namespace vitrum::spectra {

namespace {

/// Unit-F profile g(v).
double unit_profile(math::ShapeKind kind, const std::array<double, 4>& p, double v) {
  return math::shape_unit_value<double>(kind, v, 1.0, p.data());
}

/// True when full parameter i does not move during a polish (fixed, or linked to a fixed one).
bool held_constant(const math::ParamMap& m, int i) {
  if (m.role[i] == math::ParamRole::Fixed) return true;
  return m.role[i] == math::ParamRole::Linked && m.role[m.index[i]] == math::ParamRole::Fixed;
}

bool component_tabulable(const math::ParamMap& m, int c) {
  if (!shape_tabulable(m.kind[c])) return false;
  const int b = c * math::kPolishParamsPerComponent + 3;
  for (int k = 0; k < math::shape_param_count(m.kind[c]); ++k)
    if (!held_constant(m, b + k)) return false;
  return true;
}

/// Value of full parameter i of a start vector, with links applied (fixed targets only).
double start_value(const math::ParamMap& m, const double* full, int i) {
  return m.role[i] == math::ParamRole::Linked ? m.factor[i] * full[m.index[i]] + m.offset[i]
                                              : full[i];
}

}  // namespace

bool shape_tabulable(math::ShapeKind kind) {
  return kind == math::ShapeKind::LA || kind == math::ShapeKind::LA4;
}

double shape_table_step(math::ShapeKind kind, const std::array<double, 4>& p) {
  if (!shape_tabulable(kind) || !(p[2] > 0.0)) return 0.0;
  const double steep = std::max(p[0], p[1]);  // (1 + 4v²)^(−a) halves at v = ½√(2^(1/a) − 1)
  const double core = 0.5 * std::sqrt(std::pow(2.0, 1.0 / steep) - 1.0);
  const double sig = p[2] / (100.0 * 2.3548200450309493);
  const double h = std::min(kShapeTableStep, std::sqrt(core * core + sig * sig) / 25.0);
  return 2.0 * kShapeTableRange / h > 2e6 ? 0.0 : h;
}

ShapeTable::ShapeTable(math::ShapeKind kind, const std::array<double, 4>& p, double h, double v_max)
    : kind_(kind), p_(p), h_(h > 0.0 ? h : shape_table_step(kind, p)), v_max_(v_max) {
  if (!(h_ > 0.0)) fail("shape table: {} cannot be tabulated", shape_kind_name(kind));
  h = h_;
  const int n = static_cast<int>(std::lround(2.0 * v_max / h)) + 1;
  g_.resize(n);
  dg_.resize(n);
  const double d = 1e-3;  // five-point derivative: truncation ~d⁴ g⁽⁵⁾/30, far below 1e-9
  for (int i = 0; i < n; ++i) {
    const double v = -v_max + h * i;
    g_[i] = unit_profile(kind, p, v);
    dg_[i] = (8.0 * (unit_profile(kind, p, v + d) - unit_profile(kind, p, v - d)) -
              (unit_profile(kind, p, v + 2 * d) - unit_profile(kind, p, v - 2 * d))) /
             (12.0 * d);
  }
}

math::ShapeTableView ShapeTable::view() const {
  math::ShapeTableView t;
  t.g = g_.data();
  t.dg = dg_.data();
  t.v_max = v_max_;
  t.h = h_;
  t.n = static_cast<int>(g_.size());
  return t;
}

double shape_table_max_error(const ShapeTable& t, int samples) {
  const math::ShapeTableView v = t.view();
  double peak = 0.0, worst = 0.0;
  for (int i = 0; i < v.n; ++i) peak = std::max(peak, v.g[i]);
  for (int i = 0; i + 1 < v.n; ++i)
    for (int s = 1; s <= samples; ++s) {
      const double x = -v.v_max + v.h * (i + static_cast<double>(s) / (samples + 1));
      double g, dg;
      if (!math::shape_table_eval(v, x, g, dg)) continue;
      worst = std::max(worst, std::fabs(g - unit_profile(t.kind(), t.params(), x)));
    }
  return worst / peak;
}

bool PolishTables::views(long f, math::ShapeTableView* out) const {
  bool any = false;
  for (int c = 0; c < n_comp; ++c) {
    const int k = index.empty() ? -1 : index[f * n_comp + c];
    out[c] = k >= 0 ? tables[k].view() : math::ShapeTableView{};
    any = any || k >= 0;
  }
  return any;
}

PolishTables build_polish_tables(const math::ParamMap& map, const std::vector<double>& starts,
                                 const std::vector<double>& model_start, long count) {
  PolishTables r;
  r.n_comp = map.n_comp;
  std::vector<int> which;
  for (int c = 0; c < map.n_comp; ++c)
    if (component_tabulable(map, c)) which.push_back(c);  // shape_table_step checked per key
  if (which.empty()) return r;
  r.index.assign(static_cast<size_t>(count) * map.n_comp, -1);
  struct Key {
    math::ShapeKind kind;
    std::array<double, 4> p;
  };
  std::vector<Key> keys;
  for (long f = 0; f < count; ++f) {
    const double* full = starts.empty() ? model_start.data() : starts.data() + f * map.n_full;
    for (int c : which) {
      Key k{map.kind[c], {0.0, 0.0, 0.0, 0.0}};
      const int b = c * math::kPolishParamsPerComponent + 3;
      for (int j = 0; j < math::shape_param_count(k.kind); ++j)
        k.p[j] = start_value(map, full, b + j);
      if (shape_table_step(k.kind, k.p) <= 0.0) continue;
      auto it = std::find_if(keys.begin(), keys.end(),
                             [&](const Key& q) { return q.kind == k.kind && q.p == k.p; });
      if (it == keys.end()) it = keys.insert(keys.end(), k);
      r.index[f * map.n_comp + c] = static_cast<int>(it - keys.begin());
    }
  }
  std::vector<std::unique_ptr<ShapeTable>> built(keys.size());
#pragma omp parallel for schedule(dynamic, 1)
  for (long i = 0; i < static_cast<long>(keys.size()); ++i)
    built[i] = std::make_unique<ShapeTable>(keys[i].kind, keys[i].p);
  for (auto& t : built) r.tables.push_back(std::move(*t));
  return r;
}

}  // namespace vitrum::spectra
