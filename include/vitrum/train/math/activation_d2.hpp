#pragma once
/// \file activation_d2.hpp
/// Second derivatives of n2p2's activation functions, needed by the force term of the training
/// loss: d/dw of dE/dG goes through f''. f and f' come from the single-source activate() in
/// vitrum/nnp/math/activation.hpp; f'' is written here once, in terms of x, f and f':
///
///   l  x                 f'' = 0
///   t  tanh x            f'' = -2 f f'
///   s  1/(1+e^-x)        f'' = f' (1 - 2 f)        (0 where n2p2 clamps |x| > 35)
///   p  ln(1+e^x)         f'' = f' (1 - f')         (f' = logistic; 0 where clamped)
///   r  max(0, x)         f'' = 0
///   g  exp(-x^2/2)       f'' = (x^2 - 1) f
///   c  cos x             f'' = -f
///   S  1 - 1/(1+e^-x)    f'' = f' (2 f - 1)
///   e  exp(-x)           f'' = f
///   h  x^2               f'' = 2

#include "vitrum/core/hd.hpp"
#include "vitrum/nnp/math/activation.hpp"

namespace vitrum::train {

/// y = f(x), dy = f'(x), d2y = f''(x) for the n2p2 activation code `a` (nnp::Activation).
template <typename T>
VITRUM_HD void activate_d2(int a, T x, T& y, T& dy, T& d2y) {
  nnp::activate<T>(a, x, y, dy);
  switch (a) {
    case nnp::kActTanh:
      d2y = T(-2) * y * dy;
      return;
    case nnp::kActLogistic:
      d2y = dy * (T(1) - T(2) * y);
      return;
    case nnp::kActSoftplus:
      d2y = dy * (T(1) - dy);
      return;
    case nnp::kActGaussian:
      d2y = (x * x - T(1)) * y;
      return;
    case nnp::kActCos:
      d2y = -y;
      return;
    case nnp::kActRevLogistic:
      d2y = dy * (T(2) * y - T(1));
      return;
    case nnp::kActExp:
      d2y = y;
      return;
    case nnp::kActHarmonic:
      d2y = T(2);
      return;
    default:  // identity, ReLU
      d2y = T(0);
      return;
  }
}

}  // namespace vitrum::train
