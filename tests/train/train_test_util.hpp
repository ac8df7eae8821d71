// Shared fixtures of the trainer tests: a small synthetic "teacher" data set (a smooth Morse pair
// potential for a binary Si/O-like system in periodic cells, with exact forces) and a helper that
// builds an n2p2 potential directory (input.nn, scaling.data, weights) for given settings.
#pragma once

#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "../test_paths.hpp"
#include "vitrum/core/elements.hpp"
#include "vitrum/core/structure.hpp"
#include "vitrum/nnp/potential.hpp"
#include "vitrum/train/n2p2_writer.hpp"
#include "vitrum/train/sf_generation.hpp"
#include "vitrum/train/trainer.hpp"

namespace vitrum::test {

/// A fresh empty directory in the temporary directory (per process: test runs may overlap).
inline std::string fresh_dir(const std::string& name) {
  const auto p = std::filesystem::temp_directory_path() /
                 ("vitrum_train_test_" + std::to_string(::getpid()) + "_" + name);
  std::filesystem::remove_all(p);
  std::filesystem::create_directories(p);
  return p.string();
}

/// Morse pair energy with a smooth (C2) cutoff: V(r) = D [(1 - e^{-a (r - r0)})^2 - 1] f(r),
/// f = 1 - 10x^3 + 15x^4 - 6x^5 for x = (r - r_on)/(rc - r_on) in [0, 1]. Returns V and dV/dr.
inline void morse(double r, double d, double a, double r0, double& v, double& dv) {
  const double rc = 4.5, ron = 3.5;
  const double e = std::exp(-a * (r - r0));
  const double m = d * ((1 - e) * (1 - e) - 1);
  const double dm = d * 2 * (1 - e) * a * e;
  double f = 1, df = 0;
  if (r > ron) {
    const double x = (r - ron) / (rc - ron);
    f = 1 - x * x * x * (10 - 15 * x + 6 * x * x);
    df = -x * x * (30 - 60 * x + 30 * x * x) / (rc - ron);
  }
  v = r < rc ? m * f : 0.0;
  dv = r < rc ? dm * f + m * df : 0.0;
}

/// `n` periodic cubic cells (edge 6.2 Å) of 4 Si + 8 O at random positions (minimum distances
/// Si-O 1.5, O-O 2.3, Si-Si 2.7 Å), with the Morse energies (eV) and exact forces (eV/Å).
inline std::vector<Structure> teacher_structures(int n, unsigned seed) {
  train::Random rng(seed);
  std::vector<Structure> out;
  const double L = 6.2;
  for (int k = 0; k < n; ++k) {
    Structure s;
    s.box.periodic = true;
    s.box.h[0] = {L, 0, 0};
    s.box.h[1] = {0, L, 0};
    s.box.h[2] = {0, 0, L};
    for (int i = 0; i < 12; ++i) {
      Vec3 p;
      const int zi = i < 4 ? 14 : 8;
      bool ok = false;
      while (!ok) {
        p = {L * rng.uniform(), L * rng.uniform(), L * rng.uniform()};
        ok = true;
        for (size_t q = 0; q < s.positions.size(); ++q) {
          const int zq = s.species[q];
          const double dmin = zi != zq ? 1.5 : (zi == 8 ? 2.3 : 2.7);
          for (int a = -1; a <= 1 && ok; ++a)
            for (int b = -1; b <= 1 && ok; ++b)
              for (int c = -1; c <= 1 && ok; ++c) {
                const Vec3 d = p - s.positions[q] + Vec3{a * L, b * L, c * L};
                if (dot(d, d) < dmin * dmin) ok = false;
              }
        }
      }
      s.positions.push_back(p);
      s.species.push_back(i < 4 ? 14 : 8);
    }
    s.forces.assign(12, Vec3{0, 0, 0});
    double e = 0;
    for (int i = 0; i < 12; ++i)
      for (int j = i; j < 12; ++j)
        for (int a = -1; a <= 1; ++a)
          for (int b = -1; b <= 1; ++b)
            for (int c = -1; c <= 1; ++c) {
              if (i == j && a == 0 && b == 0 && c == 0) continue;
              const Vec3 d = s.positions[i] - s.positions[j] + Vec3{a * L, b * L, c * L};
              const double r = std::sqrt(dot(d, d));
              const bool si_i = s.species[i] == 14, si_j = s.species[j] == 14;
              double D = 0.25, A = 1.6, R0 = 2.7;  // O-O
              if (si_i && si_j) {
                D = 0.3;
                A = 1.5;
                R0 = 3.1;
              } else if (si_i || si_j) {
                D = 1.2;
                A = 2.0;
                R0 = 1.65;
              }
              double v, dv;
              morse(r, D, A, R0, v, dv);
              const double w = i == j ? 0.5 : 1.0;  // self-images: each pair seen twice
              e += w * v;
              const Vec3 f = (-w * dv / r) * d;
              s.forces[i] += f;
              s.forces[j] -= f;
            }
    s.has_energy = true;
    s.energy = e;
    s.comment = "synthetic Morse teacher";
    out.push_back(std::move(s));
  }
  return out;
}

/// Settings of a small test potential.
struct TestPotentialSpec {
  std::vector<std::string> elements = {"O", "Si"};
  double cutoff = 4.5;
  int n_radial = 5, n_angular = 2;
  int angular_type = 9;
  std::vector<double> zetas = {1.0, 4.0};
  std::vector<int> hidden = {8, 6};
  std::string activations = "ttl";
  bool normalize_nodes = false;
  nnp::ScalingType scaling = nnp::ScalingType::ScaleCenter;
  bool normalized = true;
  int cutoff_type = 6;
  std::map<std::string, double> atom_energy;
};

/// Writes an n2p2 potential for `spec` into `dir` with scaling.data from `data` (and
/// normalization from its energies) and zero weights, and loads it.
inline nnp::Potential build_test_potential(const std::string& dir, const TestPotentialSpec& p,
                                           const std::vector<Structure>& data) {
  train::SfSetSpec sf;
  sf.elements = p.elements;
  sf.cutoff = p.cutoff;
  sf.radial.n = p.n_radial;
  sf.radial.r_lower = 1.0;
  sf.angular.n = p.n_angular;
  sf.angular.type = p.angular_type;
  sf.angular.r_lower = 1.2;
  sf.angular.zetas = p.zetas;
  train::InputNnSpec in;
  in.elements = p.elements;
  in.cutoff_type = p.cutoff_type;
  in.hidden_nodes = p.hidden;
  in.activations = p.activations;
  in.normalize_nodes = p.normalize_nodes;
  in.atom_energy = p.atom_energy;
  for (const auto& d : train::generate_symmetry_functions(sf))
    in.sf_lines.push_back(train::symfunction_line(d));
  std::vector<int> nsf;
  for (const auto& el : p.elements) {
    int n = 0;
    for (const auto& l : in.sf_lines) n += l.rfind("symfunction_short " + el + " ", 0) == 0;
    nsf.push_back(n);
  }
  auto write_zero_weights = [&] {
    for (size_t e = 0; e < p.elements.size(); ++e) {
      std::vector<int> sizes = {nsf[e]};
      sizes.insert(sizes.end(), p.hidden.begin(), p.hidden.end());
      sizes.push_back(1);
      size_t np = 0;
      for (size_t l = 1; l < sizes.size(); ++l) np += sizes[l - 1] * sizes[l] + sizes[l];
      train::write_weights(train::weights_path(dir, atomic_number(p.elements[e])), sizes,
                           std::vector<double>(np, 0.0));
    }
  };
  in.scaling = nnp::ScalingType::None;
  train::write_input_nn(dir + "/input.nn", in);
  write_zero_weights();
  const nnp::Potential raw = nnp::Potential::load_n2p2(dir);
  train::write_scaling_data(dir + "/scaling.data", train::sf_statistics(raw, data));
  in.scaling = p.scaling;
  if (p.normalized) {
    double mu = 0, m2 = 0;
    std::vector<double> rho;
    for (const auto& s : data) {
      double e = s.energy;
      for (int z : s.species) {
        auto it = p.atom_energy.find(element_symbol(z));
        if (it != p.atom_energy.end()) e -= it->second;
      }
      rho.push_back(e / s.size());
    }
    for (double r : rho) mu += r;
    mu /= rho.size();
    for (double r : rho) m2 += (r - mu) * (r - mu);
    in.normalized = true;
    in.mean_energy = mu;
    in.conv_energy = 1.0 / std::sqrt(m2 / data.size());
    in.conv_length = 1.0;
  }
  train::write_input_nn(dir + "/input.nn", in);
  return nnp::Potential::load_n2p2(dir);
}

}  // namespace vitrum::test
