// The trainers (Adam and the Kalman filter) over the in-training HDNNP (fitter.cpp).
#include "vitrum/train/trainer.hpp"

#include <omp.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <memory>

#include "vitrum/core/error.hpp"
#include "vitrum/train/math/activation_d2.hpp"
#include "vitrum/train/n2p2_writer.hpp"

namespace vitrum::train {

// ------------------------------------------------------------------ Trainer

namespace {

/// One force-component observation candidate.
struct ForceCandidate {
  int s, atom, c;
};

/// The Kalman filter's state across epochs: the filter, the shuffled candidate lists and the
/// observation buffers.
struct KalmanRun {
  std::unique_ptr<KalmanFilter> kf;
  std::vector<int> energy_candidates;
  std::vector<ForceCandidate> force_candidates;
  size_t pe = 0, pf = 0;
  long energy_updates = 0, force_updates = 0;  // per epoch
  std::vector<double> h, xi;
};

long train_force_components(const Fitter& f) {
  const auto& d = f.data();
  long n = 0;
  if (!d.has_jacobians()) return 0;
  for (int k = 0; k < d.n_structures(); ++k)
    if (!d.structure(k).test && !d.structure(k).forces.empty()) n += 3L * d.structure(k).n_atoms;
  return n;
}

long train_structures(const Fitter& f) {
  long n = 0;
  for (int k = 0; k < f.data().n_structures(); ++k) n += f.data().structure(k).test ? 0 : 1;
  return n;
}

void kalman_counts(const TrainSettings& s, const Fitter& f, long& ne, long& nf) {
  const auto& k = s.kalman;
  ne = s.energy_weight > 0 ? std::lround(k.energy_fraction * train_structures(f)) : 0;
  nf = s.force_weight > 0
           ? std::lround(k.force_fraction * train_force_components(f) / std::max(1, k.force_batch))
           : 0;
}

/// One epoch of Kalman-filter updates (see KalmanTrainSettings).
void kalman_epoch(Fitter& f, const TrainSettings& s, KalmanRun& kr, Random& rng,
                  const EpochRecord& last) {
  const auto& ks = s.kalman;
  const auto& d = f.data();
  const long np = f.n_parameters();
  double* w = f.parameters().data();
  rng.shuffle(kr.energy_candidates);
  for (size_t i = kr.force_candidates.size(); i > 1; --i)
    std::swap(kr.force_candidates[i - 1], kr.force_candidates[rng.below(i)]);
  kr.pe = kr.pf = 0;
  std::vector<int> schedule(kr.energy_updates + kr.force_updates, 0);
  std::fill(schedule.begin(), schedule.begin() + kr.force_updates, 1);
  rng.shuffle(schedule);
  const double rmse_e = last.train.rmse_energy(), rmse_f = last.train.rmse_force();
  const double se = s.energy_weight / f.sigma_energy(), sf = s.force_weight / f.sigma_force();
  for (int kind : schedule) {
    if (kind == 0) {
      // Energy update: the first candidate above the threshold, else the worst one tried.
      int best = -1;
      double best_err = -1.0;
      for (int t = 0; t < ks.threshold_trials; ++t) {
        if (kr.pe >= kr.energy_candidates.size()) kr.pe = 0;
        const int k = kr.energy_candidates[kr.pe++];
        const auto& st = d.structure(k);
        const double err = std::abs(f.energy_jacobian(k, nullptr) - st.energy) / st.n_atoms;
        if (err > best_err) {
          best_err = err;
          best = k;
        }
        if (err > ks.energy_threshold * rmse_e) break;
      }
      const double e = f.energy_jacobian(best, kr.h.data());
      kr.xi[0] = se * (d.structure(best).energy - e);
      for (long q = 0; q < np; ++q) kr.h[q] *= se;
      kr.kf->update(1, kr.h.data(), kr.xi.data(), w);
    } else {
      const int m = ks.force_batch;
      for (int b = 0; b < m; ++b) {
        ForceCandidate best{};
        double best_err = -1.0;
        for (int t = 0; t < ks.threshold_trials; ++t) {
          if (kr.pf >= kr.force_candidates.size()) kr.pf = 0;
          const ForceCandidate fc = kr.force_candidates[kr.pf++];
          const double ref = d.structure(fc.s).forces[fc.atom][fc.c];
          const double err = std::abs(f.force_jacobian(fc.s, fc.atom, fc.c, nullptr) - ref);
          if (err > best_err) {
            best_err = err;
            best = fc;
          }
          if (err > ks.force_threshold * rmse_f) break;
        }
        double* hb = kr.h.data() + b * np;
        const double fp = f.force_jacobian(best.s, best.atom, best.c, hb);
        kr.xi[b] = sf * (d.structure(best.s).forces[best.atom][best.c] - fp);
        for (long q = 0; q < np; ++q) hb[q] *= sf;
      }
      kr.kf->update(m, kr.h.data(), kr.xi.data(), w);
    }
  }
}

}  // namespace

double Trainer::kalman_updates_per_epoch(const TrainSettings& s, const Fitter& f) {
  long ne, nf;
  kalman_counts(s, f, ne, nf);
  return static_cast<double>(ne + nf);
}

std::vector<long> Trainer::kalman_blocks(const TrainSettings& s, const Fitter& f) {
  if (!s.kalman.decouple_elements) return {f.n_parameters()};
  std::vector<long> b;
  for (int e = 0; e < f.n_elements(); ++e) b.push_back(f.network(e).n_parameters());
  return b;
}

Trainer::Trainer(Fitter& fitter, TrainSettings settings) : fitter_(fitter), s_(settings) {
  if (s_.epochs < 0) fail("training: epochs must be >= 0");
  if (s_.batch_size < 1) fail("training: batch_size must be >= 1");
  if (!(s_.learning_rate > 0)) fail("training: learning_rate must be > 0");
  if (s_.optimizer == Optimizer::Kalman) {
    const auto& k = s_.kalman;
    if (!(k.energy_fraction >= 0) || !(k.force_fraction >= 0))
      fail("training: Kalman energy_fraction and force_fraction must be >= 0");
    if (k.threshold_trials < 1 || k.force_batch < 1)
      fail("training: Kalman threshold_trials and force_batch must be >= 1");
    if (kalman_updates_per_epoch(s_, fitter_) < 1)
      fail(
          "training: the Kalman filter would make no update per epoch (energy_fraction {} of {} "
          "structures, force_fraction {} of {} force components)",
          k.energy_fraction, train_structures(fitter_), k.force_fraction,
          train_force_components(fitter_));
  }
}

double Trainer::schedule_lr(int epoch, double plateau_lr) const {
  const double lr0 = s_.learning_rate, lr1 = s_.learning_rate_final;
  const double t = s_.epochs > 1 ? static_cast<double>(epoch - 1) / (s_.epochs - 1) : 0.0;
  switch (s_.schedule) {
    case Schedule::Constant:
      return lr0;
    case Schedule::Exponential:
      return lr0 * std::pow(lr1 / lr0, t);
    case Schedule::Cosine:
      return lr1 + 0.5 * (lr0 - lr1) * (1.0 + std::cos(M_PI * t));
    case Schedule::Plateau:
      return plateau_lr;
  }
  return lr0;
}

std::vector<EpochRecord> Trainer::run(
    const std::function<void(const EpochRecord&, bool improved)>& on_epoch) {
  std::vector<int> train, test;
  // The fitter's data set decides the split.
  const auto& ds = fitter_.data();
  for (int k = 0; k < ds.n_structures(); ++k) (ds.structure(k).test ? test : train).push_back(k);
  if (train.empty()) fail("training: the training set is empty");
  Random rng(s_.seed ^ 0x9E3779B97F4A7C15ULL);
  std::vector<double>& p = fitter_.parameters();
  const size_t np = p.size();
  std::vector<double> m, v, grad;
  if (s_.optimizer == Optimizer::Adam) {
    m.assign(np, 0.0);
    v.assign(np, 0.0);
  }
  const bool kalman = s_.optimizer == Optimizer::Kalman;
  KalmanRun kr;
  if (kalman) {
    kalman_counts(s_, fitter_, kr.energy_updates, kr.force_updates);
    kr.kf = std::make_unique<KalmanFilter>(
        kalman_blocks(s_, fitter_), s_.kalman.filter,
        static_cast<double>(kr.energy_updates + kr.force_updates), fitter_.backend());
    kr.energy_candidates = train;
    for (int k : train) {
      const auto& st = ds.structure(k);
      if (!ds.has_jacobians() || st.forces.empty()) continue;
      for (int i = 0; i < st.n_atoms; ++i)
        for (int c = 0; c < 3; ++c) kr.force_candidates.push_back({k, i, c});
    }
    if (kr.force_candidates.empty()) kr.force_updates = 0;
    kr.h.resize(static_cast<size_t>(np) * std::max(1, s_.kalman.force_batch));
    kr.xi.resize(std::max(1, s_.kalman.force_batch));
  }
  std::vector<EpochRecord> curve;
  auto evaluate = [&](EpochRecord& rec) {
    rec.train = fitter_.loss(train, nullptr);
    rec.test = fitter_.loss(test, nullptr);
  };
  auto monitored = [&](const EpochRecord& r) {
    return test.empty() ? r.train.loss() : r.test.loss();
  };
  const auto t0 = std::chrono::steady_clock::now();
  EpochRecord rec0;
  rec0.learning_rate = kalman ? kr.kf->eta() : s_.learning_rate;
  evaluate(rec0);
  rec0.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  curve.push_back(rec0);
  double best = monitored(rec0);
  std::vector<double> best_p = p;
  best_epoch_ = 0;
  if (on_epoch) on_epoch(rec0, true);
  double plateau_lr = s_.learning_rate, plateau_best = best;
  int since_best = 0, since_plateau = 0;
  long step = 0;
  for (int epoch = 1; epoch <= s_.epochs; ++epoch) {
    const auto te = std::chrono::steady_clock::now();
    const double lr = schedule_lr(epoch, plateau_lr);
    const auto ts0 = std::chrono::steady_clock::now();
    if (kalman) {
      kalman_epoch(fitter_, s_, kr, rng, curve.back());
    } else {
      rng.shuffle(train);
    }
    for (size_t b0 = 0; !kalman && b0 < train.size(); b0 += s_.batch_size) {
      const size_t b1 = std::min(train.size(), b0 + static_cast<size_t>(s_.batch_size));
      const std::vector<int> batch(train.begin() + b0, train.begin() + b1);
      fitter_.loss(batch, &grad);
      ++step;
      const double b1c = 1.0 - std::pow(s_.adam_beta1, static_cast<double>(step));
      const double b2c = 1.0 - std::pow(s_.adam_beta2, static_cast<double>(step));
      const double beta1 = s_.adam_beta1, beta2 = s_.adam_beta2, eps = s_.adam_epsilon;
      const double wd = s_.weight_decay;
#pragma omp parallel for schedule(static) if (np > (1 << 16))
      for (long q = 0; q < static_cast<long>(np); ++q) {
        const double g = grad[q];
        m[q] = beta1 * m[q] + (1.0 - beta1) * g;
        v[q] = beta2 * v[q] + (1.0 - beta2) * g * g;
        const double mh = m[q] / b1c, vh = v[q] / b2c;
        p[q] -= lr * (mh / (std::sqrt(vh) + eps) + wd * p[q]);
      }
    }
    EpochRecord rec;
    rec.step_seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - ts0).count();
    rec.epoch = epoch;
    rec.learning_rate = kalman ? kr.kf->eta() : lr;
    evaluate(rec);
    rec.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - te).count();
    curve.push_back(rec);
    const double mon = monitored(rec);
    const bool improved = std::isfinite(mon) && mon < best;
    if (improved) {
      best = mon;
      best_p = p;
      best_epoch_ = epoch;
      since_best = 0;
    } else {
      ++since_best;
    }
    if (on_epoch) on_epoch(rec, improved);
    if (!std::isfinite(mon))
      fail("training diverged at epoch {} (loss {}): lower learning_rate", epoch, mon);
    if (s_.schedule == Schedule::Plateau) {
      if (mon < plateau_best) {
        plateau_best = mon;
        since_plateau = 0;
      } else if (++since_plateau >= s_.plateau_patience) {
        plateau_lr = std::max(s_.learning_rate_final, plateau_lr * s_.plateau_factor);
        since_plateau = 0;
      }
    }
    if (s_.early_stopping_patience > 0 && since_best >= s_.early_stopping_patience) break;
    if (s_.max_minutes > 0 &&
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() >
            60.0 * s_.max_minutes)
      break;
  }
  p = best_p;
  return curve;
}

}  // namespace vitrum::train
