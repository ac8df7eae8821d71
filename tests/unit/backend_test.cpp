#include "vitrum/core/backend.hpp"

#include <gtest/gtest.h>

#include "vitrum/core/error.hpp"

TEST(Backend, ParsesNamesAndRejectsUnknown) {
  EXPECT_EQ(vitrum::parse_backend("cpu"), vitrum::Backend::Cpu);
  EXPECT_EQ(vitrum::parse_backend("cuda"), vitrum::Backend::Cuda);
  EXPECT_EQ(vitrum::parse_precision("mixed"), vitrum::Precision::Mixed);
  EXPECT_THROW(vitrum::parse_backend("tpu"), vitrum::Error);
  EXPECT_THROW(vitrum::parse_precision("half"), vitrum::Error);
}

TEST(Backend, CudaRequestFailsCleanlyWithoutDevice) {
  if (vitrum::cuda_device_count() > 0) GTEST_SKIP() << "a CUDA device is present";
  EXPECT_THROW(vitrum::require_backend(vitrum::Backend::Cuda), vitrum::Error);
}
