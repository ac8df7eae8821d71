// `vitrum spectra synth`: a synthetic XPS spectrum image with known truth, for tests and
// benchmarks of `vitrum spectra fit`.
#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdio>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "commands.hpp"
#include "vitrum/core/error.hpp"
#include "vitrum/core/output_guard.hpp"
#include "vitrum/spectra/spectrum_io.hpp"
#include "vitrum/spectra/synth.hpp"

namespace vitrum::app {

namespace {

struct SynthArgs {
  std::string config, output, truth;
  spectra::SynthConfig c;
  std::string shape = "gaussian";
  std::string background_kind = "shirley_step", cross_section = "u2";
  std::string shift_pattern = "gradient_x", ratio_pattern = "radial";
  bool no_noise = false;
  bool with_expected = false;
  bool overwrite = false;
  // Options given on the command line (they override the TOML file).
  std::vector<std::pair<CLI::Option*, std::function<void(spectra::SynthConfig&)>>> overrides;
};

std::string default_truth_path(const std::string& out) {
  const auto slash = out.find_last_of('/');
  const auto dot = out.find_last_of('.');
  if (dot != std::string::npos && (slash == std::string::npos || dot > slash))
    return out.substr(0, dot) + "_truth" + out.substr(dot);
  return out + "_truth.h5";
}

void run_synth(SynthArgs& a) {
  spectra::SynthConfig c;
  if (!a.config.empty()) c = spectra::load_synth_config(a.config, c);
  for (auto& [opt, apply] : a.overrides)
    if (opt->count() > 0) apply(c);
  const std::string truth = a.truth.empty() ? default_truth_path(a.output) : a.truth;
  if (truth == a.output) fail("--truth {} is the same file as --output", truth);
  guard_existing_outputs({a.output, truth}, a.overwrite, "give --overwrite to replace them");

  const auto t0 = std::chrono::steady_clock::now();
  const spectra::SynthResult r = spectra::synthesize(c);
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  spectra::write_spectrum_image_hdf5(a.output, r.image);
  std::vector<spectra::SpectrumImage> cubes;
  if (a.with_expected) cubes.push_back(r.expected);
  spectra::write_maps_hdf5(truth, {r.truth}, cubes);
  std::printf(
      "vitrum spectra synth: %d × %d pixels × %d channels (%.3f–%.3f eV binding, step %g eV), "
      "%s peaks, %s, seed %llu, generated in %.3f s\n",
      c.ny, c.nx, r.image.channels(), r.image.energy.front(), r.image.energy.back(), c.energy_step,
      r.image.metadata.at("synth.line_shape").c_str(), c.noise ? "Poisson noise" : "no noise",
      static_cast<unsigned long long>(c.seed), secs);
  std::printf("wrote %s (image /Experiments/%s/data) and %s (truth maps)\n", a.output.c_str(),
              r.image.name.c_str(), truth.c_str());
}

}  // namespace

void register_spectra_synth(CLI::App& spectra) {
  auto a = std::make_shared<SynthArgs>();
  SynthArgs* args = a.get();  // the overrides live inside *a: no shared_ptr cycle
  auto* cmd = spectra.add_subcommand(
      "synth",
      "Synthetic XPS spectrum image with known truth: one core level in two chemical states A "
      "and B (B shifted by a spatial map of chemical shifts, holding a spatial map of intensity "
      "fractions), peaks of any line shape (Gaussian, pseudo-Voigt, Voigt, CasaXPS GL/SGL/LA, "
      "Doniach–Šunjić), optional spin–orbit doublets, a flat background plus a Shirley-like "
      "step or a Tougaard loss background, and Poisson noise at a chosen count level. Writes "
      "the image (HDF5, HyperSpy/NeXus layout, binding energy ascending) and a truth file of "
      "maps (shift, ratio, per-peak position/FWHM/eta/area). Settings come from a TOML file "
      "(--config, sections [image] [energy] [peak] [shift] [ratio] [counts] [background] with "
      "the keys "
      "named like the options below) and are overridden by options given here. Deterministic "
      "for a seed.");
  cmd->add_option("--config,-c", a->config, "TOML configuration file")->check(CLI::ExistingFile);
  cmd->add_option("--output,-o", a->output, "output image, .h5")->required();
  cmd->add_option("--truth", a->truth, "output truth maps, .h5 (default: <output stem>_truth.h5)");
  cmd->add_flag("--overwrite", a->overwrite, overwrite_help());
  cmd->add_flag("--with-expected", a->with_expected,
                "also store the noise-free expected counts as a cube in the truth file");

  const spectra::SynthConfig d;
  auto num = [&](const char* flag, const std::string& help, auto member, auto def) {
    auto* opt = cmd->add_option(flag, a->c.*member, help)->default_val(def)->capture_default_str();
    a->overrides.emplace_back(
        opt, [args, member](spectra::SynthConfig& c) { c.*member = args->c.*member; });
  };
  using C = spectra::SynthConfig;
  num("--ny", "[image] ny: image rows", &C::ny, d.ny);
  num("--nx", "[image] nx: image columns", &C::nx, d.nx);
  num("--name", "[image] name: image name in the HDF5 file", &C::name, d.name);
  num("--emin", "[energy] min: first channel, binding energy (eV)", &C::energy_min, d.energy_min);
  num("--emax", "[energy] max: last channel, binding energy (eV)", &C::energy_max, d.energy_max);
  num("--step", "[energy] step: channel spacing (eV)", &C::energy_step, d.energy_step);
  num("--photon-energy", "[energy] photon_energy: hν recorded in the file (eV)", &C::photon_energy,
      d.photon_energy);
  {
    auto* opt = cmd->add_option("--shape", a->shape, "[peak] shape: gaussian or pseudo_voigt")
                    ->capture_default_str()
                    ->check(CLI::IsMember({"gaussian", "pseudo_voigt"}));
    a->overrides.emplace_back(opt, [args](C& c) {
      c.shape = args->shape == "gaussian" ? spectra::SynthShape::Gaussian
                                          : spectra::SynthShape::PseudoVoigt;
    });
  }
  num("--line-shape",
      "[peak] line_shape: any line shape, replacing --shape/--eta: GL(m), SGL(m), LA(a,b,m), "
      "LA(a,b,m,n), DS(alpha,n), Voigt(fwhm_lorentz), PV(eta), Gaussian, Lorentzian "
      "(docs/xps-lineshapes.md); empty = --shape",
      &C::line_shape, d.line_shape);
  num("--position", "[peak] position: binding energy of state A (eV)", &C::position, d.position);
  num("--fwhm", "[peak] fwhm: FWHM of every peak (eV)", &C::fwhm, d.fwhm);
  num("--eta", "[peak] eta: Lorentzian area fraction of the pseudo-Voigt (0–1)", &C::eta, d.eta);
  num("--doublet-splitting",
      "[peak] doublet_splitting: spin–orbit splitting (eV), partner at higher binding energy; 0 "
      "= singlets",
      &C::doublet_splitting, d.doublet_splitting);
  num("--doublet-ratio", "[peak] doublet_ratio: partner/main area ratio (p 0.5, d 0.667, f 0.75)",
      &C::doublet_ratio, d.doublet_ratio);
  auto pattern = [&](const char* flag, const char* sec, std::string& target,
                     spectra::SynthMap C::*member) {
    auto* opt =
        cmd->add_option(flag, target,
                        fmt::format("[{}] pattern: constant, gradient_x, gradient_y, radial or "
                                    "checker",
                                    sec))
            ->capture_default_str()
            ->check(CLI::IsMember({"constant", "gradient_x", "gradient_y", "radial", "checker"}));
    a->overrides.emplace_back(opt, [&target, member](C& c) {
      (c.*member).pattern = spectra::parse_synth_pattern(target);
    });
  };
  pattern("--shift-pattern", "shift", a->shift_pattern, &C::shift);
  auto range = [&](const char* flag, const std::string& help, spectra::SynthMap C::*member,
                   double spectra::SynthMap::*field, double def) {
    auto* opt =
        cmd->add_option(flag, (a->c.*member).*field, help)->default_val(def)->capture_default_str();
    a->overrides.emplace_back(
        opt, [args, member, field](C& c) { (c.*member).*field = (args->c.*member).*field; });
  };
  range("--shift-min", "[shift] min: smallest chemical shift of B vs A (eV)", &C::shift,
        &spectra::SynthMap::min, d.shift.min);
  range("--shift-max", "[shift] max: largest chemical shift of B vs A (eV)", &C::shift,
        &spectra::SynthMap::max, d.shift.max);
  pattern("--ratio-pattern", "ratio", a->ratio_pattern, &C::ratio);
  range("--ratio-min", "[ratio] min: smallest intensity fraction in B (0–1)", &C::ratio,
        &spectra::SynthMap::min, d.ratio.min);
  range("--ratio-max", "[ratio] max: largest intensity fraction in B (0–1)", &C::ratio,
        &spectra::SynthMap::max, d.ratio.max);
  num("--peak-counts", "[counts] peak_counts: expected counts in all peaks of a pixel",
      &C::peak_counts, d.peak_counts);
  num("--background", "[counts] background: flat background (expected counts per channel)",
      &C::background, d.background);
  num("--shirley",
      "[counts] shirley: Shirley-like step height as a fraction of peak_counts (counts per "
      "channel per peak count)",
      &C::shirley, d.shirley);
  {
    auto* opt = cmd->add_option("--background-kind", a->background_kind,
                                "[background] kind: shirley_step (the --shirley step) or tougaard "
                                "(loss background of the peaks, universal cross-section)")
                    ->capture_default_str()
                    ->check(CLI::IsMember({"shirley_step", "tougaard"}));
    a->overrides.emplace_back(opt, [args](C& c) {
      c.background_kind = args->background_kind == "tougaard"
                              ? spectra::SynthBackground::Tougaard
                              : spectra::SynthBackground::ShirleyStep;
    });
    auto* cs = cmd->add_option("--tougaard-cross-section", a->cross_section,
                               "[background] cross_section: u2 (B T/(C+T²)², C = 1643) or u3 (B "
                               "T/((C−T²)²+D T²), C = 551, D = 436); sets C and D")
                   ->capture_default_str()
                   ->check(CLI::IsMember({"u2", "u3"}));
    a->overrides.emplace_back(cs, [args](C& c) {
      c.tougaard = args->cross_section == "u3"
                       ? vitrum::spectra::math::TougaardCrossSection{c.tougaard.B, 551.0, 436.0, 1}
                       : vitrum::spectra::math::TougaardCrossSection{c.tougaard.B, 1643.0, 0.0, 0};
    });
    auto tg = [&](const char* flag, const char* help,
                  double spectra::math::TougaardCrossSection::*f, double def) {
      auto* o =
          cmd->add_option(flag, a->c.tougaard.*f, help)->default_val(def)->capture_default_str();
      a->overrides.emplace_back(o, [args, f](C& c) { c.tougaard.*f = args->c.tougaard.*f; });
    };
    tg("--tougaard-B", "[background] B: cross-section scale (eV²)",
       &spectra::math::TougaardCrossSection::B, d.tougaard.B);
    tg("--tougaard-C", "[background] C (eV²)", &spectra::math::TougaardCrossSection::C,
       d.tougaard.C);
    tg("--tougaard-D", "[background] D (eV², u3 only)", &spectra::math::TougaardCrossSection::D,
       d.tougaard.D);
  }
  {
    auto* opt = cmd->add_flag("--no-noise", a->no_noise,
                              "[counts] noise = false: write the expected counts, no Poisson "
                              "noise");
    a->overrides.emplace_back(opt, [](C& c) { c.noise = false; });
  }
  num("--seed", "[counts] seed: random seed", &C::seed, d.seed);
  cmd->callback([a] { run_synth(*a); });
}

}  // namespace vitrum::app
