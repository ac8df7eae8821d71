// One rank per GPU: the device a rank takes from its place on the node (round robin over the
// visible devices, or VITRUM_CUDA_DEVICE), and the errors for impossible choices.
#include "vitrum/parallel/device_binding.hpp"

#include <gtest/gtest.h>

#include <set>

#include "vitrum/core/backend.hpp"
#include "vitrum/core/error.hpp"

using namespace vitrum;
using parallel::choose_device;
using parallel::NodePlacement;

TEST(DeviceBinding, RanksOfANodeSpreadOverItsDevices) {
  // 4 ranks on a 4-GPU node: one GPU each.
  std::set<int> used;
  for (int r = 0; r < 4; ++r) used.insert(choose_device(NodePlacement{r, 4}, 4));
  EXPECT_EQ(used, (std::set<int>{0, 1, 2, 3}));
  // 8 ranks on 4 GPUs: two ranks per GPU, neighbours on different GPUs.
  int per[4] = {0, 0, 0, 0};
  for (int r = 0; r < 8; ++r) ++per[choose_device(NodePlacement{r, 8}, 4)];
  for (int d = 0; d < 4; ++d) EXPECT_EQ(per[d], 2) << "device " << d;
  EXPECT_NE(choose_device(NodePlacement{0, 8}, 4), choose_device(NodePlacement{1, 8}, 4));
  // The job script gave each rank its own GPU (one visible device): every rank takes it.
  for (int r = 0; r < 4; ++r) EXPECT_EQ(choose_device(NodePlacement{r, 4}, 1), 0);
}

TEST(DeviceBinding, ForcedDeviceAndErrors) {
  EXPECT_EQ(choose_device(NodePlacement{3, 4}, 4, 1), 1);
  EXPECT_EQ(parallel::parse_forced_device(nullptr), -1);
  EXPECT_EQ(parallel::parse_forced_device(""), -1);
  EXPECT_EQ(parallel::parse_forced_device("2"), 2);
  for (const char* bad : {"-1", "gpu0", "1.5", "2x"}) {
    try {
      parallel::parse_forced_device(bad);
      ADD_FAILURE() << "accepted VITRUM_CUDA_DEVICE=" << bad;
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find("VITRUM_CUDA_DEVICE"), std::string::npos) << e.what();
    }
  }
  try {
    choose_device(NodePlacement{0, 1}, 2, 5);
    ADD_FAILURE() << "accepted device 5 of 2";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("sees 2 CUDA device(s)"), std::string::npos) << e.what();
  }
  EXPECT_THROW(choose_device(NodePlacement{0, 1}, 0), Error);
}

TEST(DeviceBinding, DescribeSaysWhenRanksShareADevice) {
  parallel::DeviceBinding b;
  b.device = 1;
  b.device_count = 2;
  b.place = NodePlacement{3, 4};
  const std::string s = b.describe();
  EXPECT_NE(s.find("CUDA device 1 of 2"), std::string::npos) << s;
  EXPECT_NE(s.find("4 ranks share 2 device(s)"), std::string::npos) << s;
}

TEST(DeviceBinding, BindingWithoutADeviceIsAClearError) {
  if (cuda_device_count() > 0) GTEST_SKIP() << "a CUDA device is visible: binding would succeed";
  try {
    parallel::bind_cuda_device();
    ADD_FAILURE() << "bound a CUDA device on a machine without one";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("CUDA"), std::string::npos) << e.what();
  }
}
