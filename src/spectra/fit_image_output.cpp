// Outputs of the image template fit (fit_image.hpp): result maps with the component maps masked
// where a component is not significant, the residual cube, and the curves of one pixel.
#include <fmt/ranges.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <string>

#include "template_polish.hpp"
#include "vitrum/core/error.hpp"
#include "vitrum/spectra/fit_image.hpp"
#include "vitrum/spectra/fit_output.hpp"

namespace vitrum::spectra {

namespace {

template <typename F>
Map pixel_map(const TemplateFitResult& r, const std::string& name, const std::string& units,
              const std::string& long_name, bool integer, F&& value) {
  Map m;
  m.name = name;
  m.units = units;
  m.long_name = long_name;
  m.integer = integer;
  m.values.resize(r.pixels());
  for (long p = 0; p < r.pixels(); ++p) m.values[p] = static_cast<float>(value(p));
  return m;
}

std::vector<std::string> component_labels(const TemplateFitResult& r) {
  std::vector<std::string> l;
  for (int k = 0; k < r.K; ++k)
    l.push_back(fmt::format("C{} {:.2f} eV", k + 1, r.template_position[k]));
  return l;
}

template <typename F>
PeakStack component_stack(const TemplateFitResult& r, const std::string& name,
                          const std::string& units, const std::string& long_name, F&& value) {
  PeakStack s;
  s.name = name;
  s.units = units;
  s.long_name = long_name;
  s.n_peaks = r.K;
  s.peak_labels = component_labels(r);
  s.values.resize(static_cast<size_t>(r.K) * r.pixels());
  for (int k = 0; k < r.K; ++k)
    for (long p = 0; p < r.pixels(); ++p)
      s.values[static_cast<size_t>(k) * r.pixels() + p] = static_cast<float>(value(p, k));
  return s;
}

/// The fit's settings and template, for the result file's original_metadata.
void describe(const TemplateFitResult& r, const FitConfig& cfg,
              std::map<std::string, std::string>& md) {
  const FitResult& ref = r.reference;
  const std::string kind = energy_kind_name(ref.energy_kind);
  md["fit.method"] =
      "image template fit: sum spectrum by EM + BIC and the maximum-likelihood polish, then "
      "every pixel polished with the template (fixed line shapes and widths, free areas, "
      "bounded shifts), neighbour starts, likelihood-ratio test";
  md["fit.config"] = cfg.source.empty() ? "defaults" : cfg.source;
  md["fit.max_shift_eV"] = fmt::format("{}", r.max_shift);
  md["fit.level"] = fmt::format("{}", r.level);
  md["fit.threshold"] =
      fmt::format("2 dln L > {:.4f} (chi-square, {} degrees of freedom)", r.threshold, r.test_dof);
  md["fit.widths"] = cfg.image_free_widths ? "free per pixel" : "the template's";
  for (int k = 0; k < r.K; ++k)
    md[fmt::format("fit.template.C{}", k + 1)] =
        fmt::format("position {:.4f} eV, FWHM {:.4f} eV, line shape {}", r.template_position[k],
                    r.template_fwhm[k], r.template_line_shape[k]);
  md["fit.background"] = fmt::format("{}", fmt::join(r.background_names, ", "));
  if (ref.doublet)
    md["fit.doublet"] = fmt::format("splitting {} eV, area ratio {}", std::fabs(ref.doublet_split),
                                    ref.doublet_ratio);
  md["fit.window_eV"] = fmt::format("[{}, {}] {} energy, {} channels", ref.energy.front(),
                                    ref.energy.back(), kind, ref.energy.size());
  md["fit.seconds"] = fmt::format("{:.3f}", r.seconds);
  md["fit.status_codes"] =
      "0 converged, 1 iteration-limit, 2 polish failed (invalid start or singular), "
      "3 empty-spectrum, 4 invalid-values, 5 negative-values";
}

}  // namespace

MapSet template_result_maps(const TemplateFitResult& r, const SpectrumImage& im,
                            const FitConfig& cfg) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const FitResult& ref = r.reference;
  MapSet set;
  set.name = block_file_name(im.name);
  set.title = fmt::format("Template fit of {} ({})", im.name, im.source);
  set.source = im.source;
  set.ny = r.ny;
  set.nx = r.nx;
  set.navigation = im.navigation;
  const std::string kind = energy_kind_name(ref.energy_kind);
  set.maps.push_back(pixel_map(r, "n_components", "", "Significant components (0: no peak)", true,
                               [&](long p) { return r.n_significant[p]; }));
  set.maps.push_back(pixel_map(r, "chi2_reduced", "", "Reduced chi-square (Pearson)", false,
                               [&](long p) { return r.chi2_reduced[p]; }));
  set.maps.push_back(pixel_map(r, "lr_total", "", "2 Δln L: template vs background only", false,
                               [&](long p) { return r.lr_total[p]; }));
  set.maps.push_back(pixel_map(r, "log_likelihood", "", "Poisson log-likelihood", false,
                               [&](long p) { return r.log_likelihood[p]; }));
  set.maps.push_back(pixel_map(r, "total_counts", "counts", "Counts in the window", false,
                               [&](long p) { return r.total_counts[p]; }));
  set.maps.push_back(
      pixel_map(r, "status", "", "Fit status", true, [&](long p) { return r.status[p]; }));
  set.maps.push_back(pixel_map(r, "iterations", "", "Polish iterations (all refits)", true,
                               [&](long p) { return r.iterations[p]; }));
  set.maps.push_back(pixel_map(r, "start", "", "Start kept (0 template, 1 neighbours)", true,
                               [&](long p) { return r.start[p]; }));
  auto masked = [&](const std::vector<double>& v) {
    return [&r, &v, nan](long p, int k) {
      const long j = p * r.K + k;
      return r.significant[j] ? v[j] : nan;
    };
  };
  auto plain = [&r](const std::vector<double>& v) {
    return [&r, &v](long p, int k) { return v[p * r.K + k]; };
  };
  set.peak_stacks.push_back(component_stack(
      r, "position", "eV", "Component position (" + kind + " energy)", masked(r.position)));
  set.peak_stacks.push_back(
      component_stack(r, "area", "intensity·eV", "Component area", masked(r.area)));
  set.peak_stacks.push_back(
      component_stack(r, "position_all", "eV", "Component position (unmasked)", plain(r.position)));
  set.peak_stacks.push_back(
      component_stack(r, "area_all", "intensity·eV", "Component area (unmasked)", plain(r.area)));
  if (cfg.image_free_widths)
    set.peak_stacks.push_back(
        component_stack(r, "fwhm", "eV", "Component FWHM (fitted per pixel)", masked(r.fwhm)));
  set.peak_stacks.push_back(component_stack(
      r, "lr_component", "", "2 Δln L of the component (refit without it)", plain(r.lr_component)));
  set.peak_stacks.push_back(
      component_stack(r, "significant", "", "Component significant (1) or not (0)",
                      [&r](long p, int k) { return r.significant[p * r.K + k]; }));
  const int nb = r.n_background();
  if (nb > 0) {
    PeakStack b;
    b.name = "background";
    b.units = "intensity";
    b.long_name = "Background weight (intensity summed over the window)";
    b.n_peaks = nb;
    b.peak_labels = r.background_names;
    b.values.resize(static_cast<size_t>(nb) * r.pixels());
    for (int q = 0; q < nb; ++q)
      for (long p = 0; p < r.pixels(); ++p)
        b.values[static_cast<size_t>(q) * r.pixels() + p] =
            static_cast<float>(r.background[p * nb + q]);
    set.peak_stacks.push_back(std::move(b));
  }
  describe(r, cfg, set.metadata);
  return set;
}

SpectrumImage template_residual_cube(const TemplateFitResult& r, const SpectrumImage& im) {
  SpectrumImage c;
  c.name = block_file_name(im.name) + "_residual";
  c.source = im.source;
  c.ny = r.ny;
  c.nx = r.nx;
  c.navigation = im.navigation;
  c.energy = r.reference.energy;
  c.energy_kind = r.reference.energy_kind;
  c.counts = r.residual;
  c.metadata["content"] = "data - model of the template fit, stored intensity units";
  return c;
}

namespace {

/// Curves of the template model with full parameters `full` (counts) on the window `data`
/// (stored intensity); `significant` ([K] or null) marks the states not significant.
FitCurves model_curves(const TemplateFitResult& r, const std::vector<double>& full,
                       std::vector<double> data, const int* significant) {
  const detail::TemplatePolish& tp = *r.model;
  const int n = tp.channels(), K = r.K, nb = r.n_background();
  FitCurves c;
  c.energy = tp.x;
  c.energy_kind = r.reference.energy_kind;
  c.data = std::move(data);
  std::vector<double> bgc(static_cast<size_t>(nb) * n + 1), lam(n),
      comps(static_cast<size_t>(K) * n);
  std::vector<float> window(c.data.begin(), c.data.end());
  detail::pixel_background(tp, r.reference, window.data(), bgc.data());
  detail::pixel_tougaard(tp, tp.map_full, full.data(), bgc.data(), nullptr);
  detail::pixel_lambda(tp, full.data(), bgc.data(), lam.data(), comps.data());
  c.fit.resize(n);
  c.background.resize(n);
  for (int q = 0; q < n; ++q) {
    c.fit[q] = lam[q] / tp.scale;
    double peaks = 0.0;
    for (int k = 0; k < K; ++k) peaks += comps[k * n + q];
    c.background[q] = (lam[q] - peaks) / tp.scale;
  }
  for (int k = 0; k < K; ++k) {
    std::vector<double> v(comps.begin() + k * n, comps.begin() + (k + 1) * n);
    for (double& x : v) x /= tp.scale;
    c.components.emplace_back(
        fmt::format("C{} {:.2f} eV {}{}", k + 1, r.template_position[k], r.template_line_shape[k],
                    significant == nullptr || significant[k] ? "" : " (not significant)"),
        std::move(v));
  }
  return c;
}

}  // namespace

FitCurves template_fit_curves(const TemplateFitResult& r, const SpectrumImage& image, long p) {
  if (p < 0 || p >= r.pixels())
    fail("template_fit_curves: pixel {} out of range (0..{})", p, r.pixels() - 1);
  if (!r.model) fail("template_fit_curves: the result holds no template model");
  const detail::TemplatePolish& tp = *r.model;
  const int n = tp.channels(), K = r.K, nb = r.n_background();
  // Full parameters (counts) from the pixel's reported values.
  std::vector<double> full(tp.start);
  for (int k = 0; k < K; ++k) {
    const int i = tp.main[k] * math::kPolishParamsPerComponent;
    full[i + kPosition] = r.position[p * K + k];
    full[i + kArea] = r.area[p * K + k] * tp.scale / tp.state_factor[k];
    if (tp.free_widths) full[i + kFwhm] = r.fwhm[p * K + k];
  }
  for (int t = 0; t < nb; ++t) full[tp.n_full - nb + t] = r.background[p * nb + t];
  (void)image;
  return model_curves(r, full, {r.data.begin() + p * n, r.data.begin() + (p + 1) * n},
                      r.significant.data() + p * K);
}

FitCurves template_sum_curves(const TemplateFitResult& r) {
  if (!r.model) fail("template_sum_curves: the result holds no template model");
  const detail::TemplatePolish& tp = *r.model;
  const long first = r.reference.window_first;
  const auto data = r.sum_image.counts.begin() + first;
  return model_curves(r, tp.start, {data, data + tp.channels()}, nullptr);
}

}  // namespace vitrum::spectra
