// `vitrum spectra info`: what a spectrum file holds — blocks, shapes, energy axes, counts.
#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "commands.hpp"
#include "vitrum/core/error.hpp"
#include "vitrum/spectra/spectrum_io.hpp"

namespace vitrum::app {

namespace {

struct InfoArgs {
  std::vector<std::string> files;
  std::string energy = "as-recorded";
  double photon_energy = 0;
  bool rate_to_counts = false;
  bool no_assemble = false;
  bool metadata = false;
  std::string energy_kind = "from-file";
  std::string energy_dimension;
  double work_function = 0;
};

const char* format_name(spectra::SpectrumFormat f) {
  switch (f) {
    case spectra::SpectrumFormat::Vamas:
      return "VAMAS";
    case spectra::SpectrumFormat::Hdf5:
      return "HDF5";
    case spectra::SpectrumFormat::Csv:
      return "text";
    case spectra::SpectrumFormat::NetCdf:
      return "netCDF-4";
  }
  return "?";
}

void run_info(const InfoArgs& a) {
  spectra::ReadOptions opt;
  if (a.energy == "binding")
    opt.energy = spectra::EnergyAxis::Binding;
  else if (a.energy == "kinetic")
    opt.energy = spectra::EnergyAxis::Kinetic;
  else if (a.energy != "as-recorded")
    fail("--energy '{}': expected as-recorded, binding or kinetic", a.energy);
  opt.photon_energy = a.photon_energy;
  opt.rate_to_counts = a.rate_to_counts;
  opt.assemble_maps = !a.no_assemble;
  opt.work_function = a.work_function;
  opt.energy_dimension = a.energy_dimension;
  opt.energy_kind = a.energy_kind == "binding"   ? spectra::EnergyDeclared::Binding
                    : a.energy_kind == "kinetic" ? spectra::EnergyDeclared::Kinetic
                    : a.energy_kind == "E-E_F"   ? spectra::EnergyDeclared::RelativeToFermi
                                                 : spectra::EnergyDeclared::FromFile;
  for (const auto& path : a.files) {
    const auto fmt_kind = spectra::detect_spectrum_format(path);
    const auto images = spectra::read_spectra(path, opt);
    std::printf("%s: %s, %zu spectrum set(s)\n", path.c_str(), format_name(fmt_kind),
                images.size());
    std::printf("  %3s  %-24s %-16s %8s  %-8s %12s %12s %9s  %11s %11s %13s %9s\n", "#", "name",
                "shape", "channels", "energy", "first (eV)", "last (eV)", "step (eV)", "min", "max",
                "total", "hν (eV)");
    for (size_t i = 0; i < images.size(); ++i) {
      const auto& img = images[i];
      std::string shape;
      if (img.navigation.size() == 1)
        shape = fmt::format("{} ({})", img.nx, img.navigation[0].name);
      else if (img.pixels() == 1 && img.navigation.empty())
        shape = "1 spectrum";
      else
        shape = fmt::format("{} × {}", img.ny, img.nx);
      const auto [mn, mx] = std::minmax_element(img.counts.begin(), img.counts.end());
      double total = 0;
      for (float v : img.counts) total += v;
      const double step = (img.energy.back() - img.energy.front()) / (img.channels() - 1);
      std::string name = img.name.size() > 24 ? img.name.substr(0, 21) + "..." : img.name;
      std::printf("  %3zu  %-24s %-16s %8d  %-8s %12.4f %12.4f %9.4f  %11.6g %11.6g %13.7g %9s\n",
                  i + 1, name.c_str(), shape.c_str(), img.channels(),
                  spectra::energy_kind_name(img.energy_kind), img.energy.front(), img.energy.back(),
                  step, static_cast<double>(*mn), static_cast<double>(*mx), total,
                  img.photon_energy > 0 ? fmt::format("{:.2f}", img.photon_energy).c_str() : "-");
      if (a.metadata)
        for (const auto& [k, v] : img.metadata) {
          std::string val = v;
          std::replace(val.begin(), val.end(), '\n', ' ');
          if (val.size() > 100) val = val.substr(0, 97) + "...";
          std::printf("         %s = %s\n", k.c_str(), val.c_str());
        }
    }
  }
}

}  // namespace

void register_spectra_info(CLI::App& spectra) {
  auto a = std::make_shared<InfoArgs>();
  auto* cmd = spectra.add_subcommand(
      "info",
      "Print what spectrum files hold: one line per spectrum set (VAMAS block, HDF5 image, text "
      "file) with its shape, channel count, energy axis (eV, always listed ascending), intensity "
      "range and total, and excitation energy hν. Reads VAMAS (.vms .npl), HDF5 (.h5 .hspy .nxs), "
      "netCDF-4 written by xarray (.nc; see docs/spectra-images.md) and text (.csv .txt .dat "
      ".xy)");
  cmd->add_option("files", a->files, "spectrum files")->required()->check(CLI::ExistingFile);
  cmd->add_option("--energy", a->energy,
                  "energy axis to report: as-recorded, binding (E_B = hν − E_K) or kinetic "
                  "(needs hν from the file or --photon-energy)")
      ->capture_default_str()
      ->check(CLI::IsMember({"as-recorded", "binding", "kinetic"}));
  cmd->add_option("--photon-energy", a->photon_energy,
                  "excitation energy hν in eV where the file gives none (0: none)")
      ->capture_default_str();
  cmd->add_option("--energy-kind", a->energy_kind,
                  "netCDF: what the stored energy axis is when the file does not say "
                  "(attribute energy_axis): binding, kinetic or E-E_F (read as binding −(E − E_F))")
      ->capture_default_str()
      ->check(CLI::IsMember({"from-file", "binding", "kinetic", "E-E_F"}));
  cmd->add_option("--energy-dimension", a->energy_dimension,
                  "netCDF: name of the energy dimension (default: the one named energy, "
                  "binding_energy, kinetic_energy, eV..., or the only one in eV)");
  cmd->add_option("--work-function", a->work_function,
                  "work function φ in eV for E_B = hν − φ − E_K where the file gives none")
      ->capture_default_str();
  cmd->add_flag("--rate-to-counts", a->rate_to_counts,
                "VAMAS: convert intensities in c/s to counts (× collection time × scans)");
  cmd->add_flag("--no-assemble", a->no_assemble,
                "VAMAS MAP mode: list every block instead of assembling ny × nx images");
  cmd->add_flag("--metadata,-m", a->metadata, "also print every metadata field");
  cmd->callback([a] { run_info(*a); });
}

}  // namespace vitrum::app
