// The BLAS thread control found at run time (core/blas_threads.hpp): after the call, a BLAS that
// reports its thread count (OpenBLAS, BLIS, FlexiBLAS) reports one, whatever OMP_NUM_THREADS or
// the core count, and repeated calls give the same answer.
#include "vitrum/core/blas_threads.hpp"

#include <dlfcn.h>
#include <gtest/gtest.h>

#include <string>

TEST(BlasThreads, ThreadedBlasIsSetToOneThread) {
  const std::string found = vitrum::single_threaded_blas();
  EXPECT_EQ(found, vitrum::single_threaded_blas());
  // This build links the BLAS found by CMake (OpenBLAS on Debian, scripts/setup.sh): its
  // control must have been found and called.
  using GetInt = int (*)();
  void* get = dlsym(RTLD_DEFAULT, "openblas_get_num_threads");
  if (get == nullptr) get = dlsym(RTLD_DEFAULT, "flexiblas_get_num_threads");
  if (get == nullptr) get = dlsym(RTLD_DEFAULT, "bli_thread_get_num_threads");
  if (get != nullptr) {
    EXPECT_NE(found, "none");
    EXPECT_EQ(reinterpret_cast<GetInt>(get)(), 1) << found;
  } else {
    EXPECT_EQ(found, "none");
  }
}
