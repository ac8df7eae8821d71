// VITRUM_NNP_KERNELS / VITRUM_TEACHER_KERNELS select the CUDA kernels: team (default) or
// legacy; anything else is an error naming the variable and the accepted values.
#include <gtest/gtest.h>

#include <cstdlib>
#include <string>

#include "vitrum/core/error.hpp"
#include "vitrum/nnp/evaluator_backend.hpp"

using namespace vitrum::nnp;

TEST(NnpKernelChoice, DefaultIsTeamAndLegacyIsSelectable) {
  unsetenv("VITRUM_NNP_KERNELS");
  EXPECT_EQ(nnp_kernels_from_env(), NnpKernels::Team);
  setenv("VITRUM_NNP_KERNELS", "legacy", 1);
  EXPECT_EQ(nnp_kernels_from_env(), NnpKernels::Legacy);
  setenv("VITRUM_NNP_KERNELS", "team", 1);
  EXPECT_EQ(nnp_kernels_from_env(), NnpKernels::Team);
  EXPECT_STREQ(to_string(NnpKernels::Legacy), "legacy");
  unsetenv("VITRUM_NNP_KERNELS");
  setenv("VITRUM_TEACHER_KERNELS", "legacy", 1);
  EXPECT_EQ(vitrum::kernel_choice_from_env("VITRUM_TEACHER_KERNELS"), vitrum::KernelChoice::Legacy);
  setenv("VITRUM_TEACHER_KERNELS", "", 1);
  EXPECT_EQ(vitrum::kernel_choice_from_env("VITRUM_TEACHER_KERNELS"), vitrum::KernelChoice::Team);
  unsetenv("VITRUM_TEACHER_KERNELS");
}

TEST(NnpKernelChoice, UnknownValueIsAClearError) {
  setenv("VITRUM_NNP_KERNELS", "warp", 1);
  try {
    nnp_kernels_from_env();
    ADD_FAILURE() << "no error for an unknown kernel choice";
  } catch (const std::exception& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find("VITRUM_NNP_KERNELS"), std::string::npos) << m;
    EXPECT_NE(m.find("'warp'"), std::string::npos) << m;
    EXPECT_NE(m.find("legacy"), std::string::npos) << m;
  }
  unsetenv("VITRUM_NNP_KERNELS");
}
