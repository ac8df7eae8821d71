// The extended Kalman filter of the trainer (formulas in kalman_filter.hpp).
#include "vitrum/train/kalman_filter.hpp"

#include <cblas.h>
#include <omp.h>

#include <cmath>

#include "vitrum/core/error.hpp"

namespace vitrum::train {

namespace {

/// C(r x c) = alpha A op(B) + beta C (row-major; A is r x k, B is c x k when transposed), split
/// over the rows of C into one BLAS call per OpenMP thread: each element of C comes from one
/// call, and the split is fixed for a thread count.
void gemm_rows(int r, int c, int k, double alpha, const double* a, int lda, bool tb,
               const double* b, int ldb, double beta, double* out, int ldc) {
  const auto TB = tb ? CblasTrans : CblasNoTrans;
  const int threads = omp_in_parallel() ? 1 : omp_get_max_threads();
  if (threads > 1 && r >= 4 * threads && static_cast<double>(r) * c * k > 4e6) {
#pragma omp parallel for schedule(static)
    for (int t = 0; t < threads; ++t) {
      const int r0 = static_cast<int>(static_cast<long>(r) * t / threads);
      const int r1 = static_cast<int>(static_cast<long>(r) * (t + 1) / threads);
      if (r1 > r0)
        cblas_dgemm(CblasRowMajor, CblasNoTrans, TB, r1 - r0, c, k, alpha,
                    a + static_cast<long>(r0) * lda, lda, b, ldb, beta,
                    out + static_cast<long>(r0) * ldc, ldc);
    }
    return;
  }
  cblas_dgemm(CblasRowMajor, CblasNoTrans, TB, r, c, k, alpha, a, lda, b, ldb, beta, out, ldc);
}

/// The CPU backend of the covariance: P_b on the host, BLAS products split over the threads.
class CpuKalmanCovariance final : public KalmanCovariance {
 public:
  CpuKalmanCovariance(const std::vector<long>& blocks, double epsilon) : blocks_(blocks) {
    offsets_ = block_offsets(blocks_, n_);
    p_.resize(blocks_.size());
    for (size_t b = 0; b < blocks_.size(); ++b) {
      const long nb = blocks_[b];
      p_[b].assign(static_cast<size_t>(nb) * nb, 0.0);
      for (long i = 0; i < nb; ++i) p_[b][i * nb + i] = 1.0 / epsilon;
    }
  }

  void multiply(int m, const double* h, double* x) override {
    // X_b = P_b H_b^T (one GEMM per block, rows split over the threads).
    for (size_t b = 0; b < blocks_.size(); ++b) {
      const long nb = blocks_[b], o = offsets_[b];
      gemm_rows(static_cast<int>(nb), m, static_cast<int>(nb), 1.0, p_[b].data(),
                static_cast<int>(nb), true, h + o, static_cast<int>(n_), 0.0, x + o * m, m);
    }
  }

  void downdate(int m, const double* k, const double* x, double scale, double q) override {
    for (size_t b = 0; b < blocks_.size(); ++b) {
      const long nb = blocks_[b], o = offsets_[b];
      double* pb = p_[b].data();
      gemm_rows(static_cast<int>(nb), static_cast<int>(nb), m, -1.0, k + o * m, m, true, x + o * m,
                m, 1.0, pb, static_cast<int>(nb));
#pragma omp parallel for schedule(static) if (nb * nb > (1 << 22))
      for (long i = 0; i < nb; ++i) {
        double* row = pb + i * nb;
        if (scale != 1.0)
          for (long j = 0; j < nb; ++j) row[j] *= scale;
        row[i] += q;
      }
    }
  }

  double trace() const override {
    double s = 0;
    for (size_t b = 0; b < blocks_.size(); ++b)
      for (long i = 0; i < blocks_[b]; ++i) s += p_[b][i * blocks_[b] + i];
    return s;
  }

 private:
  std::vector<long> blocks_, offsets_;
  long n_ = 0;
  std::vector<std::vector<double>> p_;  // per block, row-major n_b x n_b
};

}  // namespace

std::unique_ptr<KalmanCovariance> make_cpu_kalman_covariance(const std::vector<long>& blocks,
                                                             double epsilon) {
  return std::make_unique<CpuKalmanCovariance>(blocks, epsilon);
}

KalmanFilter::KalmanFilter(std::vector<long> blocks, const KalmanSettings& s,
                           double updates_per_epoch, Backend backend)
    : s_(s), blocks_(std::move(blocks)) {
  if (blocks_.empty()) fail("Kalman filter: no weights");
  for (long b : blocks_) {
    if (b < 1) fail("Kalman filter: a weight block of size {}", b);
    offsets_.push_back(n_);
    n_ += b;
  }
  if (!(s_.epsilon > 0)) fail("Kalman filter: epsilon must be > 0, got {}", s_.epsilon);
  if (!(s_.q0 >= 0) || !(s_.qmin >= 0) || !(s_.qtau >= 0))
    fail("Kalman filter: q0, qmin and qtau must be >= 0");
  if (!s_.fading_memory && (!(s_.eta0 > 0) || !(s_.etamax >= s_.eta0) || !(s_.etatau >= 0)))
    fail("Kalman filter: need eta0 > 0, etamax >= eta0 and etatau >= 0 (got {}, {}, {})", s_.eta0,
         s_.etamax, s_.etatau);
  if (s_.fading_memory && (!(s_.lambda > 0 && s_.lambda <= 1) || !(s_.nu > 0 && s_.nu <= 1)))
    fail("Kalman filter: fading memory needs 0 < lambda <= 1 and 0 < nu <= 1 (got {}, {})",
         s_.lambda, s_.nu);
  if (!(updates_per_epoch > 0)) fail("Kalman filter: no updates per epoch");
  q_ = s_.q0;
  eta_ = s_.eta0;
  lambda_ = s_.lambda;
  qdecay_ = std::exp(-s_.qtau / updates_per_epoch);
  etagrow_ = std::exp(s_.etatau / updates_per_epoch);
  p_ = make_kalman_covariance(blocks_, s_.epsilon, backend);
}

double KalmanFilter::memory_bytes(const std::vector<long>& blocks) {
  double b = 0;
  for (long n : blocks) b += 8.0 * static_cast<double>(n) * n;
  return b;
}

double KalmanFilter::memory_bytes() const {
  return memory_bytes(blocks_);
}

double KalmanFilter::mean_diagonal() const {
  return p_->trace() / static_cast<double>(n_);
}

void KalmanFilter::update(int m, const double* h, const double* xi, double* w) {
  if (m < 1) return;
  const long n = n_;
  x_.assign(static_cast<size_t>(n) * m, 0.0);
  k_.assign(static_cast<size_t>(n) * m, 0.0);
  a_.assign(static_cast<size_t>(m) * m, 0.0);
  if (!s_.fading_memory) eta_ = std::min(eta_ * etagrow_, s_.etamax);

  // X_b = P_b H_b^T.
  p_->multiply(m, h, x_.data());
  // A = H X + R (fixed summation order).
  for (int k = 0; k < m; ++k)
    for (int l = 0; l < m; ++l) {
      double s = 0.0;
      const double* hk = h + static_cast<long>(k) * n;
      for (long i = 0; i < n; ++i) s += hk[i] * x_[i * m + l];
      a_[k * m + l] = s;
    }
  for (int k = 0; k < m; ++k) a_[k * m + k] += s_.fading_memory ? lambda_ : 1.0 / eta_;
  // A^{-1} by Cholesky (A is symmetric positive definite when P is).
  std::vector<double> L(static_cast<size_t>(m) * m, 0.0), inv(static_cast<size_t>(m) * m, 0.0);
  for (int i = 0; i < m; ++i)
    for (int j = 0; j <= i; ++j) {
      double s = 0.5 * (a_[i * m + j] + a_[j * m + i]);
      for (int k = 0; k < j; ++k) s -= L[i * m + k] * L[j * m + k];
      if (i == j) {
        if (!(s > 0))
          fail(
              "Kalman filter: the innovation covariance is not positive definite after {} "
              "updates (P has lost positive definiteness); raise [training.kalman] epsilon or "
              "lower eta0",
              updates_);
        L[i * m + i] = std::sqrt(s);
      } else {
        L[i * m + j] = s / L[j * m + j];
      }
    }
  for (int c = 0; c < m; ++c) {  // solve L L^T x = e_c
    std::vector<double> y(m, 0.0);
    for (int i = 0; i < m; ++i) {
      double s = i == c ? 1.0 : 0.0;
      for (int k = 0; k < i; ++k) s -= L[i * m + k] * y[k];
      y[i] = s / L[i * m + i];
    }
    for (int i = m - 1; i >= 0; --i) {
      double s = y[i];
      for (int k = i + 1; k < m; ++k) s -= L[k * m + i] * inv[k * m + c];
      inv[i * m + c] = s / L[i * m + i];
    }
  }
  // K = X A^{-1}.
  for (long i = 0; i < n; ++i)
    for (int k = 0; k < m; ++k) {
      double s = 0.0;
      for (int l = 0; l < m; ++l) s += x_[i * m + l] * inv[l * m + k];
      k_[i * m + k] = s;
    }
  // P_b <- (P_b - K_b X_b^T) [/ lambda] + q I.
  p_->downdate(m, k_.data(), x_.data(), s_.fading_memory ? 1.0 / lambda_ : 1.0, q_);
  // w <- w + K xi.
  for (long i = 0; i < n; ++i) {
    double s = 0.0;
    for (int k = 0; k < m; ++k) s += k_[i * m + k] * xi[k];
    w[i] += s;
  }
  q_ = std::max(q_ * qdecay_, s_.qmin);
  if (s_.fading_memory) lambda_ = s_.nu * lambda_ + 1.0 - s_.nu;
  ++updates_;
}

}  // namespace vitrum::train
