// The in-training HDNNP: random numbers, loss terms, and the Fitter (forward pass, loss and
// analytic gradient, Jacobians for the Kalman filter). The trainers are in trainer.cpp.
#include <omp.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <memory>

#include "vitrum/core/error.hpp"
#include "vitrum/train/math/activation_d2.hpp"
#include "vitrum/train/n2p2_writer.hpp"
#include "vitrum/train/trainer.hpp"

namespace vitrum::train {

// ------------------------------------------------------------------ Random

Random::Random(std::uint64_t seed) : engine_(seed) {}

double Random::uniform() {
  return static_cast<double>(engine_() >> 11) * 0x1.0p-53;
}

std::uint64_t Random::below(std::uint64_t n) {
  // Rejection keeps the draw unbiased and platform independent.
  const std::uint64_t limit = UINT64_MAX - UINT64_MAX % n;
  std::uint64_t x;
  do {
    x = engine_();
  } while (x >= limit);
  return x % n;
}

void Random::shuffle(std::vector<int>& v) {
  for (size_t i = v.size(); i > 1; --i) std::swap(v[i - 1], v[below(i)]);
}

// ------------------------------------------------------------------ LossTerms

double LossTerms::rmse_energy() const {
  return n_energy > 0 ? std::sqrt(energy_sse / n_energy) : 0.0;
}
double LossTerms::rmse_force() const {
  return n_force > 0 ? std::sqrt(force_sse / n_force) : 0.0;
}

// ------------------------------------------------------------------ Fitter

Fitter::Fitter(const nnp::Potential& pot, const TrainingSet& data, double sigma_energy,
               double sigma_force, double energy_weight, double force_weight, Backend backend)
    : pot_(&pot),
      data_(&data),
      sigma_e_(sigma_energy),
      sigma_f_(sigma_force),
      w_e_(energy_weight),
      w_f_(force_weight),
      backend_(backend) {
  require_backend(backend);
  if (!(sigma_e_ > 0) || !(sigma_f_ > 0))
    fail("Fitter: the loss normalizations must be positive (sigma_E {}, sigma_F {})", sigma_e_,
         sigma_f_);
  if (data.n_elements() != pot.n_elements())
    fail("Fitter: the data set has {} elements, the potential {}", data.n_elements(),
         pot.n_elements());
  inv_ce_ = pot.normalized() ? 1.0 / pot.conv_energy() : 1.0;
  mu_ = pot.normalized() ? pot.mean_energy() : 0.0;
  const int ne = pot.n_elements();
  long off = 0;
  for (int e = 0; e < ne; ++e) {
    const auto& el = pot.element(e);
    if (static_cast<int>(el.sfs.size()) != data.n_sf(e))
      fail("Fitter: element {} has {} symmetry functions in the potential but {} in the data",
           el.symbol, el.sfs.size(), data.n_sf(e));
    std::vector<int> sizes = {static_cast<int>(el.sfs.size())}, acts;
    for (const auto& l : el.layers) {
      sizes.push_back(l.n_out);
      acts.push_back(l.activation);
    }
    nets_.emplace_back(sizes, acts, pot.normalize_nodes(), backend_);
    offset_.push_back(off);
    off += nets_.back().n_parameters();
    offset_z_.push_back(el.atom_energy);
    std::vector<double> sc, sh;
    for (const auto& sf : el.sfs) {
      sc.push_back(sf.scale);
      sh.push_back(sf.shift);
    }
    scale_.push_back(sc);
    const auto& g = data.raw_sf(e);
    const int nsf = static_cast<int>(sc.size());
    std::vector<double> gs(g.size());
    for (size_t q = 0; q < g.size(); ++q) gs[q] = sc[q % nsf] * g[q] + sh[q % nsf];
    gs_.push_back(std::move(gs));
  }
  params_.assign(off, 0.0);
  set_from_potential(pot);
  in_.resize(ne);
  energy_.resize(ne);
  dedg_.resize(ne);
  alpha_.resize(ne);
  u_.resize(ne);
  rows_.resize(ne);
}

std::vector<double> Fitter::element_parameters(int e) const {
  return {params_.begin() + offset_[e], params_.begin() + offset_[e] + nets_[e].n_parameters()};
}

void Fitter::set_from_potential(const nnp::Potential& pot) {
  for (int e = 0; e < n_elements(); ++e) {
    const auto& el = pot.element(e);
    const auto& net = nets_[e];
    if (static_cast<int>(el.layers.size()) != net.n_layers())
      fail("Fitter: element {} has {} layers in the potential, {} in the fitter", el.symbol,
           el.layers.size(), net.n_layers());
    for (int l = 1; l <= net.n_layers(); ++l) {
      const auto& layer = el.layers[l - 1];
      if (layer.n_in != net.sizes()[l - 1] || layer.n_out != net.sizes()[l])
        fail("Fitter: element {} layer {} is {}x{} in the potential, {}x{} in the fitter",
             el.symbol, l, layer.n_out, layer.n_in, net.sizes()[l], net.sizes()[l - 1]);
      std::copy(layer.weights.begin(), layer.weights.end(),
                params_.begin() + offset_[e] + net.weight_offset(l));
      std::copy(layer.bias.begin(), layer.bias.end(),
                params_.begin() + offset_[e] + net.bias_offset(l));
    }
  }
}

void Fitter::initialize(std::uint64_t seed, double output_bias, bool data_init) {
  Random rng(seed);
  for (int e = 0; e < n_elements(); ++e) {
    const auto& net = nets_[e];
    for (int l = 1; l <= net.n_layers(); ++l) {
      const int nin = net.sizes()[l - 1], nout = net.sizes()[l];
      const double norm = net.normalize_nodes() ? nin : 1.0;
      const double a = std::sqrt(6.0 / (nin + nout)) * norm;
      double* w = params_.data() + offset_[e] + net.weight_offset(l);
      for (long q = 0; q < static_cast<long>(nin) * nout; ++q) w[q] = a * (2.0 * rng.uniform() - 1);
      double* b = params_.data() + offset_[e] + net.bias_offset(l);
      for (int k = 0; k < nout; ++k) b[k] = 0.0;
      if (l == net.n_layers()) b[0] = output_bias * norm;
    }
  }
  if (!data_init) return;
  const int kSample = 4096;
  for (int e = 0; e < n_elements(); ++e) {
    const auto& net = nets_[e];
    const int nsf = net.n_inputs();
    const long rows = static_cast<long>(gs_[e].size()) / nsf;
    if (rows < 2) continue;
    const long stride = std::max(1L, rows / kSample);
    std::vector<double> y;  // the sample's activations of the previous layer
    for (long r = 0; r < rows; r += stride)
      y.insert(y.end(), &gs_[e][r * nsf], &gs_[e][r * nsf] + nsf);
    const long n = static_cast<long>(y.size()) / nsf;
    for (int l = 1; l < net.n_layers(); ++l) {
      const int nin = net.sizes()[l - 1], nout = net.sizes()[l];
      const double c = net.normalize_nodes() ? 1.0 / nin : 1.0;
      double* w = params_.data() + offset_[e] + net.weight_offset(l);
      double* b = params_.data() + offset_[e] + net.bias_offset(l);
      std::vector<double> x(static_cast<size_t>(n) * nout, 0.0);
      for (long i = 0; i < n; ++i)
        for (int k = 0; k < nout; ++k) {
          double z = 0.0;
          for (int j = 0; j < nin; ++j) z += w[static_cast<size_t>(k) * nin + j] * y[i * nin + j];
          x[i * nout + k] = c * z;
        }
      for (int k = 0; k < nout; ++k) {
        double m = 0.0, v = 0.0;
        for (long i = 0; i < n; ++i) m += x[i * nout + k];
        m /= n;
        for (long i = 0; i < n; ++i) v += (x[i * nout + k] - m) * (x[i * nout + k] - m);
        const double sd = std::sqrt(v / n);
        if (!(sd > 1e-12)) continue;  // an input that never varies: leave the neuron
        for (int j = 0; j < nin; ++j) w[static_cast<size_t>(k) * nin + j] /= sd;
        b[k] = -m / (sd * c);
        for (long i = 0; i < n; ++i) x[i * nout + k] = (x[i * nout + k] - m) / sd;
      }
      std::vector<double> next(static_cast<size_t>(n) * nout);
      const int act = net.activations()[l - 1];
      for (size_t q = 0; q < next.size(); ++q) {
        double d1, d2;
        activate_d2<double>(act, x[q], next[q], d1, d2);
      }
      y.swap(next);
    }
  }
}

void Fitter::write_weights(const std::string& dir) const {
  for (int e = 0; e < n_elements(); ++e)
    train::write_weights(weights_path(dir, pot_->element(e).z), nets_[e].sizes(),
                         element_parameters(e));
}

long Fitter::forward_rows(int e) {
  const int nsf = data_->n_sf(e);
  const long n = static_cast<long>(rows_[e].size());
  in_[e].resize(n * nsf);
  energy_[e].resize(n);
  dedg_[e].resize(n * nsf);
#pragma omp parallel for schedule(static) if (n * nsf > (1 << 14))
  for (long r = 0; r < n; ++r)
    std::copy_n(gs_[e].data() + rows_[e][r] * nsf, nsf, in_[e].data() + r * nsf);
  nets_[e].forward(static_cast<int>(n), params_.data() + offset_[e], in_[e].data(),
                   energy_[e].data(), dedg_[e].data());
  return n;
}

LossTerms Fitter::loss(const std::vector<int>& list, std::vector<double>* grad,
                       std::vector<StructurePrediction>* predictions) {
  const TrainingSet& d = *data_;
  const int ne = n_elements();
  const bool jac = d.has_jacobians();
  if (grad != nullptr) grad->assign(params_.size(), 0.0);
  if (predictions != nullptr) predictions->assign(list.size(), {});
  LossTerms out;
  if (list.empty()) return out;
  // Normalizations of this call: |B| structures, N_F force components.
  long n_force = 0;
  for (int k : list) {
    const auto& s = d.structure(k);
    if (jac && !s.forces.empty()) n_force += 3L * s.n_atoms;
  }
  const double ke = 2.0 * w_e_ / (static_cast<double>(list.size()) * sigma_e_ * sigma_e_);
  const double kf =
      n_force > 0 ? 2.0 * w_f_ / (static_cast<double>(n_force) * sigma_f_ * sigma_f_) : 0.0;
  const bool force_grad = grad != nullptr && jac && kf != 0.0;
  if (static_cast<int>(scratch_.size()) < omp_get_max_threads())
    scratch_.resize(omp_get_max_threads());
  std::vector<double> st_e(list.size()), st_f(list.size());

  // Chunks of structures bound the batch buffers (whole structures, at least one per chunk).
  const long kChunkAtoms = 16384;
  size_t c0 = 0;
  while (c0 < list.size()) {
    size_t c1 = c0;
    long atoms = 0;
    while (c1 < list.size() && (c1 == c0 || atoms + d.structure(list[c1]).n_atoms <= kChunkAtoms))
      atoms += d.structure(list[c1++]).n_atoms;
    // Batch rows per element, in chunk order.
    for (int e = 0; e < ne; ++e) rows_[e].clear();
    brow_.resize(atoms);
    long la = 0;
    for (size_t c = c0; c < c1; ++c) {
      const auto& s = d.structure(list[c]);
      for (int i = 0; i < s.n_atoms; ++i, ++la) {
        const long a = s.first_atom + i;
        const int e = d.atom_element(a);
        brow_[la] = static_cast<long>(rows_[e].size());
        rows_[e].push_back(d.atom_row(a));
      }
    }
    for (int e = 0; e < ne; ++e) {
      const long n = forward_rows(e);
      alpha_[e].assign(n, 0.0);
      if (force_grad) u_[e].assign(n * d.n_sf(e), 0.0);
    }
    // Chunk-local atom index of each structure's first atom.
    std::vector<long> first(c1 - c0 + 1, 0);
    for (size_t c = c0; c < c1; ++c)
      first[c - c0 + 1] = first[c - c0] + d.structure(list[c]).n_atoms;
      // Per-structure work (forces, residuals, force-loss directions); each structure is one
      // task, so the result does not depend on the thread count.
#pragma omp parallel for schedule(dynamic, 1) if (atoms > 64)
    for (long c = static_cast<long>(c0); c < static_cast<long>(c1); ++c) {
      ThreadScratch& ts = scratch_[omp_get_thread_num()];
      const auto& s = d.structure(list[c]);
      const long base = first[c - c0];
      // Energy: E = sum_i [E_i / c_E + mu + offset] in atom order (as the evaluator sums).
      double e_pred = 0.0;
      for (int i = 0; i < s.n_atoms; ++i) {
        const long a = s.first_atom + i;
        const int e = d.atom_element(a);
        e_pred += energy_[e][brow_[base + i]] * inv_ce_ + mu_ + offset_z_[e];
      }
      const double r = (e_pred - s.energy) / s.n_atoms;
      st_e[c] = r * r;
      const double alpha = ke * r / s.n_atoms * inv_ce_;
      for (int i = 0; i < s.n_atoms; ++i) {
        const long a = s.first_atom + i;
        alpha_[d.atom_element(a)][brow_[base + i]] = alpha;
      }
      if (predictions != nullptr) (*predictions)[c].energy = e_pred;
      if (!jac || s.forces.empty()) {
        st_f[c] = 0.0;
        continue;
      }
      // Forces F_j = -(1/c_E) sum_i sum_s scale_s dE_i/dG_s J_i[j][.][s].
      ts.f.assign(s.n_atoms, Vec3{0, 0, 0});
      for (int i = 0; i < s.n_atoms; ++i) {
        const long a = s.first_atom + i;
        const int e = d.atom_element(a);
        const int nsf = d.n_sf(e);
        const double* g = dedg_[e].data() + brow_[base + i] * nsf;
        ts.w.resize(nsf);
        for (int q = 0; q < nsf; ++q) ts.w[q] = scale_[e][q] * g[q] * inv_ce_;
        const AtomJacobian& J = d.jacobian(a);
        const double* jv = J.values.data();
        for (size_t k = 0; k < J.atoms.size(); ++k) {
          double f[3];
          for (int x = 0; x < 3; ++x) {
            const double* row = jv + (k * 3 + x) * nsf;
            double sum = 0.0;
#pragma omp simd reduction(+ : sum)
            for (int q = 0; q < nsf; ++q) sum += row[q] * ts.w[q];
            f[x] = sum;
          }
          ts.f[J.atoms[k]] -= Vec3{f[0], f[1], f[2]};
        }
      }
      double sse = 0.0;
      for (int j = 0; j < s.n_atoms; ++j) {
        ts.f[j] -= s.forces[j];  // now the residual F - F_ref
        sse += dot(ts.f[j], ts.f[j]);
      }
      st_f[c] = sse;
      if (predictions != nullptr) {
        auto& pf = (*predictions)[c].forces;
        pf.resize(s.n_atoms);
        for (int j = 0; j < s.n_atoms; ++j) pf[j] = ts.f[j] + s.forces[j];
      }
      if (!force_grad) continue;
      // u_i = -(k_F / c_E) scale (J_i^T (F - F_ref)).
      for (int i = 0; i < s.n_atoms; ++i) {
        const long a = s.first_atom + i;
        const int e = d.atom_element(a);
        const int nsf = d.n_sf(e);
        const AtomJacobian& J = d.jacobian(a);
        ts.v.assign(nsf, 0.0);
        const double* jv = J.values.data();
        for (size_t k = 0; k < J.atoms.size(); ++k) {
          const Vec3 dres = ts.f[J.atoms[k]];
          const double dr[3] = {dres.x, dres.y, dres.z};
          for (int x = 0; x < 3; ++x) {
            const double* row = jv + (k * 3 + x) * nsf;
            const double dx = dr[x];
#pragma omp simd
            for (int q = 0; q < nsf; ++q) ts.v[q] += row[q] * dx;
          }
        }
        double* u = u_[e].data() + brow_[base + i] * nsf;
        for (int q = 0; q < nsf; ++q) u[q] = -kf * inv_ce_ * scale_[e][q] * ts.v[q];
      }
    }
    if (grad != nullptr)
      for (int e = 0; e < ne; ++e)
        nets_[e].backward(params_.data() + offset_[e], alpha_[e].data(),
                          force_grad ? u_[e].data() : nullptr, grad->data() + offset_[e]);
    c0 = c1;
  }
  // Fixed-order reductions.
  for (size_t c = 0; c < list.size(); ++c) {
    out.energy_sse += st_e[c];
    out.force_sse += st_f[c];
  }
  out.n_energy = static_cast<long>(list.size());
  out.n_force = n_force;
  out.energy = w_e_ * out.energy_sse / (out.n_energy * sigma_e_ * sigma_e_);
  out.force = n_force > 0 ? w_f_ * out.force_sse / (n_force * sigma_f_ * sigma_f_) : 0.0;
  return out;
}

double Fitter::energy_jacobian(int k, double* h) {
  const TrainingSet& d = *data_;
  const auto& s = d.structure(k);
  const int ne = n_elements();
  for (int e = 0; e < ne; ++e) rows_[e].clear();
  double offsets = 0.0;
  for (int i = 0; i < s.n_atoms; ++i) {
    const long a = s.first_atom + i;
    const int e = d.atom_element(a);
    rows_[e].push_back(d.atom_row(a));
    offsets += mu_ + offset_z_[e];
  }
  if (h != nullptr) std::fill(h, h + n_parameters(), 0.0);
  double sum = 0.0;
  for (int e = 0; e < ne; ++e) {
    const long n = static_cast<long>(rows_[e].size());
    if (n == 0) continue;
    forward_rows(e);
    for (long r = 0; r < n; ++r) sum += energy_[e][r];
    if (h != nullptr) {
      alpha_[e].assign(n, inv_ce_);
      nets_[e].backward(params_.data() + offset_[e], alpha_[e].data(), nullptr, h + offset_[e]);
    }
  }
  return sum * inv_ce_ + offsets;
}

double Fitter::force_jacobian(int k, int atom, int c, double* h) {
  const TrainingSet& d = *data_;
  if (!d.has_jacobians()) fail("Fitter::force_jacobian: the data set has no dG/dr");
  const auto& s = d.structure(k);
  const int ne = n_elements();
  jrow_.resize(ne);
  for (int e = 0; e < ne; ++e) {
    rows_[e].clear();
    jrow_[e].clear();
  }
  // The atoms whose G depends on `atom`, with their dG/dr_atom,c rows.
  for (int i = 0; i < s.n_atoms; ++i) {
    const long a = s.first_atom + i;
    const AtomJacobian& J = d.jacobian(a);
    const auto it = std::lower_bound(J.atoms.begin(), J.atoms.end(), atom);
    if (it == J.atoms.end() || *it != atom) continue;
    const int e = d.atom_element(a);
    const long kk = it - J.atoms.begin();
    rows_[e].push_back(d.atom_row(a));
    jrow_[e].push_back(J.values.data() + (kk * 3 + c) * d.n_sf(e));
  }
  if (h != nullptr) std::fill(h, h + n_parameters(), 0.0);
  double f = 0.0;
  for (int e = 0; e < ne; ++e) {
    const long n = static_cast<long>(rows_[e].size());
    if (n == 0) continue;
    const int nsf = d.n_sf(e);
    forward_rows(e);
    // F = -(1/c_E) sum_i sum_s scale_s dE_i/dG_s dG_is/dr_atom,c.
    const double* sc = scale_[e].data();
    for (long r = 0; r < n; ++r) {
      const double* g = dedg_[e].data() + r * nsf;
      const double* jr = jrow_[e][r];
      double t = 0.0;
      for (int q = 0; q < nsf; ++q) t += sc[q] * g[q] * jr[q];
      f -= inv_ce_ * t;
    }
    if (h != nullptr) {
      // dF/dw: the tangent of E_i along u_i = -(1/c_E) scale dG_i/dr_atom,c.
      alpha_[e].assign(n, 0.0);
      u_[e].resize(n * nsf);
      for (long r = 0; r < n; ++r)
        for (int q = 0; q < nsf; ++q) u_[e][r * nsf + q] = -inv_ce_ * sc[q] * jrow_[e][r][q];
      nets_[e].backward(params_.data() + offset_[e], alpha_[e].data(), u_[e].data(),
                        h + offset_[e]);
    }
  }
  return f;
}

}  // namespace vitrum::train
