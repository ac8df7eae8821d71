#pragma once
/// \file block_reduce.hpp
/// Fixed-order block reductions, single source for the host, the emulated device and CUDA.
///
/// The n values of a sum (each a tuple of W doubles) are cut into blocks of kReduceBlock
/// entries; a block is reduced by the halving tree
///   for h = kReduceBlock/2, ..., 1:   s[t] <- op(s[t], s[t + h])  for t < h
/// (out-of-range entries are the identity), which is what a CUDA block of kReduceBlock threads
/// does in shared memory. The block results form a new array that is reduced the same way until
/// one block remains. The order of every operation is fixed by n alone, so the result is the
/// same bits on any thread count and in every space (a GPU gives the same bits as its emulation
/// where its compiler contracts the same expressions).
///
/// A term is a functor `void operator()(long i, double* out) const` writing the W values of
/// entry i; an operation is `double operator()(double a, double b) const` with an identity.

#include <algorithm>
#include <vector>

#include "vitrum/core/hd.hpp"

namespace vitrum::math {

/// Entries per block (threads per CUDA block).
constexpr int kReduceBlock = 256;

struct SumOp {
  static constexpr double identity() { return 0.0; }
  VITRUM_HD double operator()(double a, double b) const { return a + b; }
};

struct MaxOp {
  static constexpr double identity() { return -1.7976931348623157e308; }  ///< lowest double
  VITRUM_HD double operator()(double a, double b) const { return a > b ? a : b; }
};

/// Blocks needed for n entries.
VITRUM_HD long reduce_blocks(long n) {
  return (n + kReduceBlock - 1) / kReduceBlock;
}

/// The tree over one block held in s[t * W + k] (t < kReduceBlock), run by one thread: the
/// result ends in s[0 .. W). The CUDA kernel runs the same steps with one thread per t.
template <int W, class Op>
inline void block_tree_serial(double* s, const Op& op) {
  for (int h = kReduceBlock / 2; h > 0; h >>= 1)
    for (int t = 0; t < h; ++t)
      for (int k = 0; k < W; ++k) s[t * W + k] = op(s[t * W + k], s[(t + h) * W + k]);
}

/// The term of a later pass: entry i is the block result partial[i].
template <int W>
struct PartialTerm {
  const double* partial;
  VITRUM_HD void operator()(long i, double* out) const {
    for (int k = 0; k < W; ++k) out[k] = partial[i * W + k];
  }
};

/// One pass on the host: partial[b] = tree over block b of `term` (n entries), for every block.
template <int W, class Op, class Term>
void block_pass_host(long n, const Term& term, const Op& op, double* partial) {
  const long nb = reduce_blocks(n);
#pragma omp parallel for schedule(static) if (nb > 16)
  for (long b = 0; b < nb; ++b) {
    double s[kReduceBlock * W];
    for (int t = 0; t < kReduceBlock; ++t) {
      const long i = b * kReduceBlock + t;
      if (i < n) {
        term(i, s + t * W);
      } else {
        for (int k = 0; k < W; ++k) s[t * W + k] = Op::identity();
      }
    }
    block_tree_serial<W>(s, op);
    for (int k = 0; k < W; ++k) partial[b * W + k] = s[k];
  }
}

/// The whole reduction on the host: passes until one block remains; out[k] (identity for n=0).
template <int W, class Op, class Term>
void block_reduce_host(long n, const Term& term, const Op& op, double* out) {
  if (n <= 0) {
    for (int k = 0; k < W; ++k) out[k] = Op::identity();
    return;
  }
  std::vector<double> a(static_cast<std::size_t>(reduce_blocks(n)) * W);
  block_pass_host<W>(n, term, op, a.data());
  long m = reduce_blocks(n);
  std::vector<double> b;
  while (m > 1) {
    b.assign(static_cast<std::size_t>(reduce_blocks(m)) * W, 0.0);
    block_pass_host<W>(m, PartialTerm<W>{a.data()}, op, b.data());
    a.swap(b);
    m = reduce_blocks(m);
  }
  std::copy(a.begin(), a.begin() + W, out);
}

}  // namespace vitrum::math
