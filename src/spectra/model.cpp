// The constrained peak model: parameter names, the flat map of the polish (link chains resolved,
// bounds of the free parameters) and spin–orbit partners as links.
#include "vitrum/spectra/model.hpp"

#include <cmath>

#include "vitrum/core/error.hpp"

namespace vitrum::spectra {

namespace {

constexpr int kP = math::kPolishParamsPerComponent;

const char* const kParamNames[kP] = {"position", "fwhm", "area", "p0", "p1", "p2", "p3"};

/// Domain bounds of parameter k of a component of `kind` (applied on top of the user's).
void domain_bounds(ShapeKind kind, int k, double& lo, double& hi) {
  lo = -INFINITY;
  hi = INFINITY;
  if (k == kFwhm) lo = 1e-6;
  if (k == kArea) lo = 0.0;
  if (k < kShape0) return;
  const int i = k - kShape0;
  switch (kind) {
    case ShapeKind::PseudoVoigt:
      lo = 0.0, hi = 1.0;
      break;
    case ShapeKind::GL:
    case ShapeKind::SGL:
      lo = 0.0, hi = 100.0;
      break;
    case ShapeKind::DoniachSunjicGauss:
      lo = 0.0, hi = i == 0 ? 0.999 : INFINITY;
      break;
    case ShapeKind::LA:
    case ShapeKind::LA4:
      lo = i < 2 ? 0.5 + 1e-6 : 0.0;
      break;
    default:
      lo = 0.0;
  }
}

[[noreturn]] void model_error(const PeakModel& m, const std::string& msg) {
  throw Error(fmt::format("{}: {}", m.source.empty() ? "peak model" : m.source, msg));
}

/// Follows the links of parameter k of component c to a non-linked parameter; accumulates the
/// composed factor and offset. Throws on a missing component or a cycle.
int resolve_link(const PeakModel& m, int c, int k, double& factor, double& offset) {
  factor = 1.0;
  offset = 0.0;
  int cur = c;
  for (int hops = 0; m.components[cur].param[k].link >= 0; ++hops) {
    const ParamSpec& s = m.components[cur].param[k];
    if (s.link >= static_cast<int>(m.components.size()))
      model_error(
          m, fmt::format("component {} ('{}'): {} linked to component {}, but there are "
                         "only {} components",
                         cur, m.components[cur].name, kParamNames[k], s.link, m.components.size()));
    if (hops > static_cast<int>(m.components.size()))
      model_error(m, fmt::format("component {} ('{}'): the links of its {} form a cycle", c,
                                 m.components[c].name, kParamNames[k]));
    offset += factor * s.offset;  // v = f_c·(f_l·v' + o_l) + o_c
    factor *= s.factor;
    cur = s.link;
  }
  return cur;
}

void add_free(const PeakModel& model, math::ParamMap& m, int i, double lo, double hi,
              const std::string& what) {
  if (m.n_free >= math::kPolishMaxFree)
    model_error(model, fmt::format("more than {} free parameters", math::kPolishMaxFree));
  if (!(lo <= hi))
    model_error(model, fmt::format("{}: lower bound {} above upper bound {}", what, lo, hi));
  m.role[i] = math::ParamRole::Free;
  m.index[i] = m.n_free;
  m.full_of_free[m.n_free] = i;
  m.lo[m.n_free] = lo;
  m.hi[m.n_free] = hi;
  ++m.n_free;
}

}  // namespace

std::vector<double> model_values(const PeakModel& model) {
  std::vector<double> v;
  for (const ModelComponent& c : model.components)
    for (int k = 0; k < kP; ++k) v.push_back(c.param[k].value);
  for (const BackgroundTerm& t : model.background) v.push_back(t.coefficient.value);
  return v;
}

std::string model_param_name(const PeakModel& model, int i) {
  const int nc = static_cast<int>(model.components.size());
  if (i < nc * kP) return model.components[i / kP].name + "." + kParamNames[i % kP];
  return "bg." + model.background.at(i - nc * kP).name;
}

math::ParamMap build_param_map(const PeakModel& model) {
  math::ParamMap m;
  const int nc = static_cast<int>(model.components.size());
  const int nb = static_cast<int>(model.background.size());
  if (nc > math::kPolishMaxComponents)
    model_error(model, fmt::format("{} components; at most {}", nc, math::kPolishMaxComponents));
  if (nb > math::kPolishMaxBackground)
    model_error(model,
                fmt::format("{} background terms; at most {}", nb, math::kPolishMaxBackground));
  m.n_comp = nc;
  m.n_bg = nb;
  m.n_full = model.n_full();
  for (int c = 0; c < nc; ++c) {
    const ModelComponent& comp = model.components[c];
    m.kind[c] = comp.kind;
    const int used = kShape0 + math::shape_param_count(comp.kind);
    for (int k = 0; k < kP; ++k) {
      const int i = c * kP + k;
      const ParamSpec& s = comp.param[k];
      const std::string what = fmt::format("component {} ('{}') {}", c, comp.name, kParamNames[k]);
      m.role[i] = math::ParamRole::Fixed;
      m.index[i] = -1;
      m.factor[i] = 1.0;
      m.offset[i] = 0.0;
      if (k >= used) continue;
      if (s.link >= 0) {
        double f = 1.0, o = 0.0;
        const int target = resolve_link(model, c, k, f, o);
        m.role[i] = math::ParamRole::Linked;
        m.index[i] = target * kP + k;
        m.factor[i] = f;
        m.offset[i] = o;
        continue;
      }
      double lo, hi;
      domain_bounds(comp.kind, k, lo, hi);
      if (!std::isfinite(s.value))
        model_error(model, fmt::format("{}: value {} is not finite", what, s.value));
      if (s.fixed) {
        if (s.value < lo || s.value > hi)
          model_error(model,
                      fmt::format("{}: fixed value {} outside [{}, {}]", what, s.value, lo, hi));
        continue;
      }
      add_free(model, m, i, std::fmax(lo, s.lo), std::fmin(hi, s.hi), what);
    }
  }
  for (int t = 0; t < nb; ++t) {
    const int i = nc * kP + t;
    const ParamSpec& s = model.background[t].coefficient;
    m.role[i] = math::ParamRole::Fixed;
    m.index[i] = -1;
    m.factor[i] = 1.0;
    m.offset[i] = 0.0;
    if (!s.fixed) add_free(model, m, i, s.lo, s.hi, "background " + model.background[t].name);
  }
  return m;
}

int add_doublet_partner(PeakModel& model, int major, const std::string& name, double splitting,
                        double ratio, double width_ratio) {
  const ModelComponent& a = model.components.at(major);
  ModelComponent b = a;
  b.name = name;
  for (int k = 0; k < kP; ++k) {
    b.param[k] = ParamSpec{};
    b.param[k].link = major;
  }
  b.param[kPosition].offset = splitting;
  b.param[kArea].factor = ratio;
  b.param[kFwhm].factor = width_ratio;
  for (int k = 0; k < kP; ++k)
    b.param[k].value = b.param[k].factor * a.param[k].value + b.param[k].offset;
  model.components.push_back(b);
  return static_cast<int>(model.components.size()) - 1;
}

}  // namespace vitrum::spectra
