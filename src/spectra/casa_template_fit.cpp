// Fitting with a CasaXPS template: the block on the binding axis, calibrated, cut to the region,
// with the region's background per spectrum; and the results as CASA comp lines.
#include <cmath>

#include "vitrum/core/error.hpp"
#include "vitrum/spectra/casa_template.hpp"
#include "vitrum/spectra/spectrum_io.hpp"

namespace vitrum::spectra {

PolishBatch casa_batch(const CasaTemplate& t, const SpectrumImage& block, SpectrumImage& prepared) {
  SpectrumImage img = block;
  if (img.energy_kind == EnergyKind::Kinetic)
    convert_energy(img, EnergyKind::Binding, t.photon_energy);
  if (t.has_calibration)
    for (double& e : img.energy) e += t.calib_actual - t.calib_measured;
  prepared = t.regions.empty() ? img : select_window(img, t.region_lo, t.region_hi);
  PolishBatch b;
  b.model = t.model;
  b.energy = prepared.energy;
  b.spectra = prepared.counts.data();
  b.stride = prepared.channels();
  b.count = prepared.pixels();
  if (t.regions.empty()) return b;
  const long n = prepared.channels();
  b.curves.resize(static_cast<size_t>(b.count) * n);
  std::vector<double> y(n);
  for (long f = 0; f < b.count; ++f) {
    const float* s = prepared.spectrum(f);
    for (long i = 0; i < n; ++i) y[i] = s[i];
    const BackgroundResult bg =
        compute_background(t.background, prepared.energy, y, t.region_lo, t.region_hi);
    std::copy(bg.values.begin(), bg.values.end(), b.curves.begin() + f * n);
  }
  return b;
}

std::string format_casa_components(const CasaTemplate& t, const PolishResult& r, long fit) {
  if (fit < 0 || fit >= r.fits) fail("format_casa_components: fit {} of {}", fit, r.fits);
  constexpr int kP = math::kPolishParamsPerComponent;
  std::string out;
  for (size_t c = 0; c < t.components.size(); ++c) {
    const CasaComponentText& ct = t.components[c];
    const double* v = r.params.data() + fit * r.n_full + c * kP;
    const double pos = t.kinetic ? t.photon_energy - v[kPosition] : v[kPosition];
    const double values[3] = {v[kArea], v[kFwhm], pos};
    out += fmt::format("CASA comp (*{}*) (*{}*)", ct.name, ct.lineshape);
    const char* names[3] = {"Area", "MFWHM", "Position"};
    for (int f = 0; f < 3; ++f)
      out += fmt::format(" {} {:.12g} {:.12g} {:.12g} {} {:.12g}", names[f], values[f],
                         ct.bounds[f][0], ct.bounds[f][1], ct.link[f], ct.link_value[f]);
    if (!ct.rest.empty()) out += " " + ct.rest;
    out += "\n";
  }
  return out;
}

}  // namespace vitrum::spectra
