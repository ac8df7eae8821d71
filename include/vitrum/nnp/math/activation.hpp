#pragma once
/// \file activation.hpp
/// Neuron activation functions of n2p2 (NeuralNetwork.cpp), with derivatives; single source.
/// Codes: l identity, t tanh, s logistic, p softplus, r ReLU, g Gaussian exp(-x^2/2), c cos,
/// S reverse logistic 1 - 1/(1+e^-x), e exp(-x), h x^2.

#include <cmath>

#include "vitrum/core/hd.hpp"
#include "vitrum/nnp/math/cutoff.hpp"  // host float overloads of the math functions

namespace vitrum::nnp {

enum Activation : int {
  kActIdentity = 0,
  kActTanh,
  kActLogistic,
  kActSoftplus,
  kActRelu,
  kActGaussian,
  kActCos,
  kActRevLogistic,
  kActExp,
  kActHarmonic
};

/// y = f(x) and dy/dx.
template <typename T>
VITRUM_HD void activate(int a, T x, T& y, T& dy) {
  switch (a) {
    case kActTanh: {
      const T t = tanh(x);
      y = t;
      dy = T(1) - t * t;
      return;
    }
    case kActLogistic: {
      if (x > T(35)) {
        y = T(1);
        dy = T(0);
      } else if (x < T(-35)) {
        y = T(0);
        dy = T(0);
      } else {
        const T s = T(1) / (T(1) + exp(-x));
        y = s;
        dy = s * (T(1) - s);
      }
      return;
    }
    case kActSoftplus: {
      if (x > T(35)) {
        y = x;
        dy = T(1);
      } else if (x < T(-35)) {
        y = T(0);
        dy = T(0);
      } else {
        y = log(T(1) + exp(x));
        dy = T(1) / (T(1) + exp(-x));
      }
      return;
    }
    case kActRelu:
      y = x > T(0) ? x : T(0);
      dy = x > T(0) ? T(1) : T(0);
      return;
    case kActGaussian: {
      const T g = exp(-T(0.5) * x * x);
      y = g;
      dy = -x * g;
      return;
    }
    case kActCos:
      y = cos(x);
      dy = -sin(x);
      return;
    case kActRevLogistic: {
      const T s = T(1) / (T(1) + exp(-x));
      y = T(1) - s;
      dy = s * (s - T(1));
      return;
    }
    case kActExp: {
      const T e = exp(-x);
      y = e;
      dy = -e;
      return;
    }
    case kActHarmonic:
      y = x * x;
      dy = T(2) * x;
      return;
    default:  // identity
      y = x;
      dy = T(1);
      return;
  }
}

}  // namespace vitrum::nnp
