// vitrum._vitrum: the Python binding of vitrum_core (force fields) and vitrum_spectra (readers and
// the EM fit). Thin: arrays in, the library's own calls, arrays out; the GIL is released while
// the library works; vitrum::Error becomes vitrum.Error with the library's message.
#include <nanobind/nanobind.h>
#include <nanobind/ndarray.h>
#include <nanobind/stl/map.h>
#include <nanobind/stl/pair.h>
#include <nanobind/stl/string.h>
#include <nanobind/stl/vector.h>
#include <omp.h>

#include <cmath>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "vitrum/core/error.hpp"
#include "vitrum/core/stated_units.hpp"
#include "vitrum/core/units.hpp"
#include "vitrum/io/builders.hpp"
#include "vitrum/io/structure_io.hpp"
#include "vitrum/md/force_field.hpp"
#include "vitrum/neighbor/ghosts.hpp"
#include "vitrum/neighbor/neighbor_list.hpp"
#include "vitrum/spectra/fit.hpp"
#include "vitrum/spectra/spectrum_io.hpp"

namespace nb = nanobind;
using namespace nb::literals;

namespace {

using Array = nb::ndarray<nb::numpy, double>;
using IntArray = nb::ndarray<nb::numpy, int>;

/// A NumPy array that owns `v`, of the given shape (C order).
template <typename T>
nb::ndarray<nb::numpy, T> to_numpy(std::vector<T>&& v, std::vector<size_t> shape) {
  auto* p = new std::vector<T>(std::move(v));
  nb::capsule owner(p, [](void* q) noexcept { delete static_cast<std::vector<T>*>(q); });
  return nb::ndarray<nb::numpy, T>(p->data(), shape.size(), shape.data(), owner);
}

/// Caller units per potential unit: a number, or a name (angstrom, bohr, nm; eV, Hartree, ...).
double unit_value(const nb::handle& u, bool length) {
  if (nb::isinstance<nb::str>(u)) {
    const std::string name = nb::cast<std::string>(u);
    return length ? vitrum::units::length_in_angstrom(name) : vitrum::units::energy_in_ev(name);
  }
  const double v = nb::cast<double>(u);
  if (!(v > 0) || !std::isfinite(v))
    vitrum::fail("{} unit {} must be a positive number or a unit name",
                 length ? "length" : "energy", v);
  return v;
}

/// A potential directory that states its units (input.nn, written by `vitrum train`) must be
/// driven in those units: length_unit / energy_unit (Å and eV per potential unit) must match.
void check_stated_units(const std::string& path, double lu, double eu) {
  if (!std::filesystem::is_directory(path)) return;  // a teacher file: Å and eV, checked on load
  const vitrum::units::StatedUnits u = vitrum::units::read_stated_units(path);
  if (!u.stated()) return;  // n2p2's own files state none: the caller's units are trusted
  if (std::fabs(lu / u.angstrom - 1) > 1e-6 || std::fabs(eu / u.ev - 1) > 1e-6)
    vitrum::fail(
        "unit mismatch: the potential {} states its units in {}/input.nn as energy {}, length {} "
        "({} eV, {} Å per unit), but length_unit={} Å and energy_unit={} eV were given; use "
        "length_unit=\"{}\", energy_unit=\"{}\" (or leave them out for Å and eV)",
        path, path, u.energy_name, u.length_name, u.ev, u.angstrom, lu, eu, u.length_name,
        u.energy_name);
}

/// A force field (n2p2 HDNNP directory or teacher *.toml), as `vitrum predict --potential`.
class Model {
 public:
  Model(const std::string& path, const std::string& backend, const std::string& precision,
        nb::handle length_unit, nb::handle energy_unit, int threads) {
    const double lu = unit_value(length_unit, true), eu = unit_value(energy_unit, false);
    check_stated_units(path, lu, eu);
    if (threads > 0) omp_set_num_threads(threads);
    ff_ = vitrum::md::load_force_field(path, vitrum::parse_backend(backend),
                                       vitrum::parse_precision(precision), lu, eu);
  }
  double cutoff() const { return ff_->cutoff(); }
  std::string describe() const { return ff_->describe(); }

  /// Energy, forces (n, 3), virial (3, 3) and per-atom energies of one structure; cell rows are
  /// the cell vectors (ignored when not periodic).
  nb::dict compute(nb::ndarray<const double, nb::shape<-1, 3>, nb::c_contig, nb::device::cpu> pos,
                   nb::ndarray<const int, nb::ndim<1>, nb::c_contig, nb::device::cpu> numbers,
                   nb::ndarray<const double, nb::shape<3, 3>, nb::c_contig, nb::device::cpu> cell,
                   bool periodic, const std::string& where) {
    const size_t n = pos.shape(0);
    if (numbers.shape(0) != n)
      vitrum::fail("{}: {} positions but {} atomic numbers", where, n, numbers.shape(0));
    vitrum::Structure s;
    s.box.periodic = periodic;
    for (int a = 0; a < 3; ++a) s.box.h[a] = vitrum::Vec3{cell(a, 0), cell(a, 1), cell(a, 2)};
    s.positions.resize(n);
    s.species.resize(n);
    for (size_t i = 0; i < n; ++i) {
      s.positions[i] = vitrum::Vec3{pos(i, 0), pos(i, 1), pos(i, 2)};
      s.species[i] = numbers(i);
    }
    vitrum::md::ForceResult r;
    {
      nb::gil_scoped_release unlocked;
      const std::lock_guard<std::mutex> one_at_a_time(mutex_);  // the evaluator's buffers
      vitrum::validate_structure(s, where);
      const double rc = ff_->cutoff();
      const vitrum::neighbor::GhostShell shell =
          vitrum::neighbor::build_ghost_shell(s.box, s.positions, s.species, rc);
      const vitrum::neighbor::NeighborList list =
          vitrum::neighbor::build_neighbor_list(shell, rc, 0.0);
      try {
        ff_->compute(shell, list, r);
      } catch (const vitrum::Error& e) {
        vitrum::fail("{}: {}", where, e.what());
      }
    }
    // The checks of `vitrum predict`, with its messages.
    if (r.min_distance < ff_->min_distance())
      vitrum::fail(
          "{}: two atoms are {:.6g} apart, closer than the smallest distance the potential "
          "accepts ({:.6g}); the structure is broken or in the wrong length unit",
          where, r.min_distance, ff_->min_distance());
    if (!std::isfinite(r.energy))
      vitrum::fail("{}: the energy is not finite ({}); are two atoms much too close?", where,
                   r.energy);
    std::vector<double> f(3 * n), w(9);
    for (size_t i = 0; i < n; ++i)
      for (int c = 0; c < 3; ++c) f[3 * i + c] = r.forces[i][c];
    for (int a = 0; a < 3; ++a)
      for (int b = 0; b < 3; ++b) w[3 * a + b] = r.virial[a][b];
    nb::dict out;
    out["energy"] = r.energy;
    out["forces"] = to_numpy(std::move(f), {n, 3});
    out["virial"] = to_numpy(std::move(w), {3, 3});
    out["extrapolations"] = r.extrapolations;
    return out;
  }

 private:
  std::unique_ptr<vitrum::md::ForceField> ff_;
  std::mutex mutex_;
};

// ------------------------------------------------------------------------------------------------
// Structures

nb::dict structure_to_dict(vitrum::Structure&& s) {
  const size_t n = s.size();
  std::vector<double> pos(3 * n), cell(9);
  for (size_t i = 0; i < n; ++i)
    for (int c = 0; c < 3; ++c) pos[3 * i + c] = s.positions[i][c];
  for (int a = 0; a < 3; ++a)
    for (int b = 0; b < 3; ++b) cell[3 * a + b] = s.box.h[a][b];
  nb::dict d;
  d["positions"] = to_numpy(std::move(pos), {n, 3});
  d["numbers"] = to_numpy(std::move(s.species), {n});
  d["cell"] = to_numpy(std::move(cell), {3, 3});
  d["periodic"] = s.box.periodic;
  d["comment"] = s.comment;
  if (s.has_energy) d["energy"] = s.energy;
  if (s.forces.size() == n) {
    std::vector<double> f(3 * n);
    for (size_t i = 0; i < n; ++i)
      for (int c = 0; c < 3; ++c) f[3 * i + c] = s.forces[i][c];
    d["forces"] = to_numpy(std::move(f), {n, 3});
  }
  return d;
}

/// Every structure of an n2p2 input.data, extended-XYZ or LAMMPS data file.
std::vector<nb::dict> read_structures(const std::string& path) {
  std::vector<vitrum::Structure> all;
  {
    nb::gil_scoped_release unlocked;
    all = vitrum::io::read_structures(path);
  }
  std::vector<nb::dict> out;
  for (auto& s : all) out.push_back(structure_to_dict(std::move(s)));
  return out;
}

/// vitrum's random amorphous cell (the `[structure.generate] builder = "amorphous"` of MD runs).
nb::dict amorphous_cell(const std::vector<std::pair<std::string, int>>& composition, int n_atoms,
                        double density, const std::map<std::string, double>& min_distances,
                        double default_min_distance, std::uint64_t seed) {
  vitrum::io::AmorphousCellSpec spec;
  spec.composition = composition;
  spec.n_atoms = n_atoms;
  spec.density = density;
  for (const auto& [pair, d] : min_distances) {
    const auto dash = pair.find('-');
    if (dash == std::string::npos)
      vitrum::fail("min_distances: key '{}': expected 'A-B' (two element symbols)", pair);
    spec.min_distances.push_back({pair.substr(0, dash), pair.substr(dash + 1), d});
  }
  spec.default_min_distance = default_min_distance;
  spec.seed = seed;
  return structure_to_dict(vitrum::io::build_amorphous_cell(spec));
}

// ------------------------------------------------------------------------------------------------
// Spectra

nb::dict image_to_dict(vitrum::spectra::SpectrumImage&& im) {
  const size_t ch = im.energy.size();
  std::vector<size_t> shape;
  if (!im.navigation.empty() && im.navigation.size() == 1) {
    shape = {static_cast<size_t>(im.nx), ch};
  } else if (im.ny * static_cast<long>(im.nx) == 1 && im.navigation.empty()) {
    shape = {ch};
  } else {
    shape = {static_cast<size_t>(im.ny), static_cast<size_t>(im.nx), ch};
  }
  nb::dict d;
  d["name"] = im.name;
  d["source"] = im.source;
  d["energy_kind"] = std::string(vitrum::spectra::energy_kind_name(im.energy_kind));
  d["photon_energy"] = im.photon_energy;
  d["metadata"] = im.metadata;
  d["energy"] = to_numpy(std::move(im.energy), {ch});
  d["intensity"] = to_numpy(std::move(im.counts), shape);
  return d;
}

std::vector<nb::dict> read_spectra_file(const std::string& path, const std::string& energy,
                                        double photon_energy, bool rate_to_counts) {
  vitrum::spectra::ReadOptions ro;
  if (energy == "as-recorded")
    ro.energy = vitrum::spectra::EnergyAxis::AsRecorded;
  else if (energy == "binding")
    ro.energy = vitrum::spectra::EnergyAxis::Binding;
  else if (energy == "kinetic")
    ro.energy = vitrum::spectra::EnergyAxis::Kinetic;
  else
    vitrum::fail("energy = '{}': expected 'as-recorded', 'binding' or 'kinetic'", energy);
  ro.photon_energy = photon_energy;
  ro.rate_to_counts = rate_to_counts;
  std::vector<vitrum::spectra::SpectrumImage> images;
  {
    nb::gil_scoped_release unlocked;
    images = vitrum::spectra::read_spectra(path, ro);
  }
  std::vector<nb::dict> out;
  for (auto& im : images) out.push_back(image_to_dict(std::move(im)));
  return out;
}

using Counts = nb::ndarray<const float, nb::ndim<2>, nb::c_contig, nb::device::cpu>;
using Energy = nb::ndarray<const double, nb::ndim<1>, nb::c_contig, nb::device::cpu>;

/// An image of ny × nx spectra from (ny * nx, channels) counts and an ascending energy axis.
vitrum::spectra::SpectrumImage make_image(Counts counts, Energy energy, int ny, int nx,
                                          const std::string& energy_kind, double photon_energy,
                                          const std::string& name) {
  vitrum::spectra::SpectrumImage im;
  im.name = name;
  im.source = "array";
  im.ny = ny;
  im.nx = nx;
  const size_t ch = energy.shape(0);
  if (counts.shape(1) != ch || counts.shape(0) != static_cast<size_t>(ny) * nx)
    vitrum::fail("intensity holds {} × {} values but the energy axis has {} channels",
                 counts.shape(0), counts.shape(1), ch);
  im.energy.assign(energy.data(), energy.data() + ch);
  if (vitrum::spectra::check_monotonic(im.energy, "array", "the energy axis"))
    vitrum::fail("array: the energy axis must be ascending (flip it with the intensity)");
  im.counts.assign(counts.data(), counts.data() + counts.size());
  if (energy_kind == "binding")
    im.energy_kind = vitrum::spectra::EnergyKind::Binding;
  else if (energy_kind == "kinetic")
    im.energy_kind = vitrum::spectra::EnergyKind::Kinetic;
  else
    vitrum::fail("energy_kind = '{}': expected 'binding' or 'kinetic'", energy_kind);
  im.photon_energy = photon_energy;
  return im;
}

void write_image(const std::string& path, Counts counts, Energy energy, int ny, int nx,
                 const std::string& energy_kind, double photon_energy, const std::string& name) {
  auto im = make_image(counts, energy, ny, nx, energy_kind, photon_energy, name);
  nb::gil_scoped_release unlocked;
  vitrum::spectra::write_spectrum_image_hdf5(path, im);
}

vitrum::spectra::FitConfig fit_config(const std::string& text, const std::string& source) {
  if (text.empty() && source.empty()) return {};
  if (text.empty()) return vitrum::spectra::read_fit_config(source);
  return vitrum::spectra::parse_fit_config(text, source);
}

nb::dict fit(Counts counts, Energy energy, int ny, int nx, const std::string& config_text,
             const std::string& config_source, const std::string& energy_kind, double photon_energy,
             const std::string& backend, int threads) {
  const auto cfg = fit_config(config_text, config_source);
  const auto im = make_image(counts, energy, ny, nx, energy_kind, photon_energy, "array");
  vitrum::spectra::FitOptions opt;
  opt.backend = vitrum::parse_backend(backend);
  vitrum::require_backend(opt.backend);
  opt.threads = threads;
  if (threads > 0) omp_set_num_threads(threads);
  vitrum::spectra::FitResult r;
  {
    nb::gil_scoped_release unlocked;
    r = vitrum::spectra::fit_spectra(im, cfg, opt);
  }
  const size_t n = static_cast<size_t>(r.fits), kp = static_cast<size_t>(r.max_peaks);
  nb::dict d;
  d["n_peaks"] = to_numpy(std::move(r.n_peaks), {n});
  d["status"] = to_numpy(std::move(r.status), {n});
  d["iterations"] = to_numpy(std::move(r.iterations), {n});
  d["log_likelihood"] = to_numpy(std::move(r.log_likelihood), {n});
  d["bic"] = to_numpy(std::move(r.bic), {n});
  d["total_counts"] = to_numpy(std::move(r.total_counts), {n});
  d["position"] = to_numpy(std::move(r.position), {n, kp});
  d["fwhm"] = to_numpy(std::move(r.fwhm), {n, kp});
  d["area"] = to_numpy(std::move(r.area), {n, kp});
  d["position_se"] = to_numpy(std::move(r.position_se), {n, kp});
  d["fwhm_se"] = to_numpy(std::move(r.fwhm_se), {n, kp});
  d["area_se"] = to_numpy(std::move(r.area_se), {n, kp});
  if (r.shape == vitrum::spectra::PeakShape::PseudoVoigt) {
    d["eta"] = to_numpy(std::move(r.eta), {n, kp});
    d["eta_se"] = to_numpy(std::move(r.eta_se), {n, kp});
  }
  const size_t nb_ = r.background_names.size(), nk = static_cast<size_t>(r.n_k());
  d["background"] = to_numpy(std::move(r.background), {n, nb_});
  d["bic_by_k"] = to_numpy(std::move(r.bic_by_k), {n, nk});
  d["background_names"] = r.background_names;
  d["k_min"] = r.k_min;
  d["energy"] = to_numpy(std::move(r.energy), {r.energy.size()});
  d["energy_kind"] = std::string(vitrum::spectra::energy_kind_name(r.energy_kind));
  d["seconds"] = r.seconds;
  return d;
}

}  // namespace

NB_MODULE(_vitrum, m) {
  m.doc() = "vitrum's engines (HDNNP, SiO2 teacher, XPS EM fit) for Python";
  nb::exception<vitrum::Error>(m, "Error", PyExc_RuntimeError);
  nb::class_<Model>(m, "Model")
      .def(nb::init<const std::string&, const std::string&, const std::string&, nb::handle,
                    nb::handle, int>(),
           "path"_a, "backend"_a = "cpu", "precision"_a = "double", "length_unit"_a = 1.0,
           "energy_unit"_a = 1.0, "threads"_a = 0)
      .def_prop_ro("cutoff", &Model::cutoff)
      .def("describe", &Model::describe)
      .def("compute", &Model::compute, "positions"_a, "numbers"_a, "cell"_a, "periodic"_a,
           "where"_a = "structure");
  m.def("read_spectra", &read_spectra_file, "path"_a, "energy"_a = "as-recorded",
        "photon_energy"_a = 0.0, "rate_to_counts"_a = false);
  m.def("write_spectrum_image", &write_image, "path"_a, "counts"_a, "energy"_a, "ny"_a, "nx"_a,
        "energy_kind"_a, "photon_energy"_a, "name"_a);
  m.def("fit_spectra", &fit, "counts"_a, "energy"_a, "ny"_a, "nx"_a, "config_text"_a,
        "config_source"_a, "energy_kind"_a, "photon_energy"_a, "backend"_a, "threads"_a);
  m.def("read_structures", &read_structures, "path"_a);
  m.def("amorphous_cell", &amorphous_cell, "composition"_a, "n_atoms"_a, "density"_a,
        "min_distances"_a, "default_min_distance"_a = 0.0, "seed"_a = 1);
  m.def("cuda_device_count", &vitrum::cuda_device_count);
}
