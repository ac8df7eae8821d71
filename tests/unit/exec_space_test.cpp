// The emulated device space, its transfer ledger, mirrored arrays and the fixed-order block
// reductions: copies happen only for a stale side and are counted by name; the emulated device's
// memory is never the host array; the reduction gives the same bits on the host, on the emulated
// device and for any thread count, and its order is the halving tree of block_reduce.hpp.
#include "vitrum/core/exec_space.hpp"

#include <gtest/gtest.h>
#include <omp.h>

#include <cmath>
#include <cstring>
#include <numeric>
#include <vector>

#include "vitrum/core/error.hpp"
#include "vitrum/core/launch_host.hpp"
#include "vitrum/core/math/block_reduce.hpp"
#include "vitrum/core/mirrored_array.hpp"

namespace vitrum::exec {
namespace {

TEST(ExecSpace, LedgerCountsEveryCopyByName) {
  auto space = make_emulated_space();
  std::vector<double> host(100, 1.5), back(100, 0.0);
  DeviceBuffer<double> d(*space);
  d.upload(host.data(), host.size(), "a");
  d.upload(host.data(), 10, "b");
  d.download(back.data(), 10, "b");
  const TransferLedger& l = space->ledger();
  EXPECT_EQ(l.to_device().count, 2);
  EXPECT_EQ(l.to_device().bytes, 110 * sizeof(double));
  EXPECT_EQ(l.to_host().count, 1);
  EXPECT_EQ(l.to_host().bytes, 10 * sizeof(double));
  EXPECT_EQ(l.entries().at("a").to_device.bytes, 100 * sizeof(double));
  EXPECT_EQ(l.entries().at("b").to_host.count, 1);
  EXPECT_EQ(back[9], 1.5);
  EXPECT_EQ(back[10], 0.0);
  EXPECT_NE(l.report().find("b"), std::string::npos);
  space->ledger().reset();
  EXPECT_EQ(space->ledger().total_bytes(), 0u);
}

TEST(ExecSpace, CudaSpaceIsRefusedWithoutADevice) {
#ifndef VITRUM_HAVE_CUDA
  EXPECT_THROW(make_cuda_space(), Error);
#endif
  EXPECT_THROW(parse_space_kind("gpu"), Error);
  EXPECT_EQ(parse_space_kind("emulated"), SpaceKind::Emulated);
}

TEST(MirroredArray, CopiesOnlyTheStaleSideWhenAsked) {
  auto space = make_emulated_space();
  MirroredArray<int> a(*space, "ids");
  a.assign({1, 2, 3, 4});
  EXPECT_TRUE(a.host_current());
  EXPECT_FALSE(a.device_current());
  const int* d = a.device_read();      // one upload
  EXPECT_NE(d, a.host_read().data());  // device memory is not the host array
  EXPECT_EQ(d[2], 3);
  a.device_read();
  a.host_read();  // both current: no copy
  EXPECT_EQ(space->ledger().to_device().count, 1);
  EXPECT_EQ(space->ledger().to_host().count, 0);

  int* w = a.device(Access::ReadWrite);  // a kernel writes on the device
  w[0] = 10;
  EXPECT_FALSE(a.host_current());
  EXPECT_EQ(a.host_read()[0], 10);  // one download
  EXPECT_EQ(space->ledger().to_host().count, 1);
  EXPECT_EQ(space->ledger().entries().at("ids").to_host.bytes, 4 * sizeof(int));

  a.device(Access::Overwrite)[1] = 20;  // overwrite: no upload
  EXPECT_EQ(space->ledger().to_device().count, 1);
  a.host(Access::Overwrite)[3] = 40;  // overwrite on the host: no download, device stale
  EXPECT_EQ(space->ledger().to_host().count, 1);
  EXPECT_FALSE(a.device_current());
  EXPECT_EQ(a.device_read()[3], 40);  // the host's write reaches the device
  EXPECT_EQ(space->ledger().to_device().count, 2);
}

/// The reduction of `values` (W = 1) on the emulated device.
double device_sum(Space& space, const std::vector<double>& values) {
  DeviceBuffer<double> v(space), a(space), b(space);
  v.upload(values.data(), values.size(), "values");
  const long n = static_cast<long>(values.size());
  a.resize(math::reduce_blocks(n) + 1);
  b.resize(math::reduce_blocks(n) + 1);
  const double* pv = v.data();
  double out = 0;
  HostLauncher{&space}.reduce<1>(
      n, [pv](long i, double* o) { o[0] = pv[i]; }, math::SumOp{}, a.data(), b.data(), &out, "sum");
  return out;
}

// Atoms migrating between ranks change an array's length on the device: the kept entries stay
// on the device (no host copy), the host copy becomes stale and is brought back when asked.
TEST(MirroredArray, ResizesOnTheDeviceKeepingTheFirstEntries) {
  auto space = make_emulated_space();
  MirroredArray<int> a(*space, "x");
  a.assign({1, 2, 3});
  a.device_read();
  const std::size_t up = space->ledger().to_device().bytes;
  a.resize_on_device(5);
  EXPECT_EQ(a.size(), 5u);
  EXPECT_FALSE(a.host_current());
  EXPECT_EQ(space->ledger().to_device().bytes, up);  // device-side copies only
  EXPECT_EQ(space->ledger().to_host().bytes, 0u);
  int* d = a.device(Access::ReadWrite);
  d[3] = 4;
  d[4] = 5;
  EXPECT_EQ(a.host_read(), (std::vector<int>{1, 2, 3, 4, 5}));
  a.resize_on_device(2);  // the device copy is current: nothing goes up
  EXPECT_EQ(space->ledger().to_device().bytes, up);
  EXPECT_EQ(a.host_read(), (std::vector<int>{1, 2}));
}

TEST(BlockReduce, FixedOrderOnHostDeviceAndAnyThreads) {
  // Values of wildly different magnitudes: any change of order changes the rounding.
  const long n = 3 * math::kReduceBlock * math::kReduceBlock + 77;  // three passes
  std::vector<double> x(n);
  for (long i = 0; i < n; ++i) x[i] = std::sin(0.37 * i) * std::pow(10.0, (i * 7919) % 17 - 8);
  auto term = [&](long i, double* o) { o[0] = x[i]; };
  double one = 0, many = 0;
  const int threads = omp_get_max_threads();
  omp_set_num_threads(1);
  math::block_reduce_host<1>(n, term, math::SumOp{}, &one);
  omp_set_num_threads(4);
  math::block_reduce_host<1>(n, term, math::SumOp{}, &many);
  omp_set_num_threads(threads);
  auto space = make_emulated_space();
  const double dev = device_sum(*space, x);
  EXPECT_EQ(std::memcmp(&one, &many, sizeof(double)), 0);
  EXPECT_EQ(std::memcmp(&one, &dev, sizeof(double)), 0);
  EXPECT_EQ(space->ledger().entries().at("sum").to_host.bytes, sizeof(double));
  // The order is the halving tree, not a left-to-right sum: an explicit recursion over the same
  // blocks gives the same bits.
  std::vector<double> level = x;
  while (level.size() > 1) {
    const long m = static_cast<long>(level.size());
    std::vector<double> next(math::reduce_blocks(m));
    for (std::size_t b = 0; b < next.size(); ++b) {
      std::vector<double> s(math::kReduceBlock, 0.0);
      for (int t = 0; t < math::kReduceBlock; ++t) {
        const long i = static_cast<long>(b) * math::kReduceBlock + t;
        if (i < m) s[t] = level[i];
      }
      for (int h = math::kReduceBlock / 2; h > 0; h >>= 1)
        for (int t = 0; t < h; ++t) s[t] += s[t + h];
      next[b] = s[0];
    }
    level.swap(next);
  }
  EXPECT_EQ(std::memcmp(&one, &level[0], sizeof(double)), 0);
  // And it is a sum: integers add exactly.
  std::vector<double> ints(n);
  std::iota(ints.begin(), ints.end(), 0.0);
  EXPECT_EQ(device_sum(*space, ints), 0.5 * static_cast<double>(n) * (n - 1));
}

TEST(BlockReduce, MaxAndEmpty) {
  std::vector<double> x = {3.0, -1.0, 7.5, 2.0};
  double out = 0;
  math::block_reduce_host<1>(
      4, [&](long i, double* o) { o[0] = x[i]; }, math::MaxOp{}, &out);
  EXPECT_EQ(out, 7.5);
  math::block_reduce_host<1>(
      0, [&](long i, double* o) { o[0] = x[i]; }, math::SumOp{}, &out);
  EXPECT_EQ(out, 0.0);
}

}  // namespace
}  // namespace vitrum::exec
