#pragma once
// GPU tests run wherever a CUDA device is present; without one they skip and say so, unless
// VITRUM_REQUIRE_GPU=1, which turns the missing device into a failure (for GPU machines in CI).
#include <gtest/gtest.h>

#include <cstdlib>
#include <string>

#include "vitrum/core/backend.hpp"

#define VITRUM_REQUIRE_CUDA_DEVICE()                                                        \
  do {                                                                                      \
    if (vitrum::cuda_device_count() == 0) {                                                 \
      const char* req = std::getenv("VITRUM_REQUIRE_GPU");                                  \
      if (req && std::string(req) == "1")                                                   \
        FAIL() << "VITRUM_REQUIRE_GPU=1 but no CUDA device is usable (compiled with CUDA: " \
               << (vitrum::cuda_compiled() ? "yes" : "no") << ")";                          \
      GTEST_SKIP() << "no CUDA device on this machine: GPU test skipped";                   \
    }                                                                                       \
  } while (0)
