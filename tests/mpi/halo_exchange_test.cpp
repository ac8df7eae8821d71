// Halo exchange under MPI domain decomposition: the halo plan against the serial ghost shell,
// the shared swap sequence with staged transport and on the emulated device (SpaceHalo), bit for
// bit. ctest runs this (in test_mpi) under mpiexec at 1, 2, 4 and 8 ranks.
#include "domain_test_util.hpp"

namespace vitrum {
namespace {

TEST(HaloPlan, ForwardAndReverseMatchTheSerialGhostShell) {
  // Every ghost is a periodic image of an atom, at the position the serial shell gives it, and
  // the reverse exchange returns each ghost's force to the atom it is an image of.
  const Structure s = skewed(sio2_cell(96, true, 5));
  for (const auto& g : grids_for(s.box)) {
    Domain domain(world(), s.box, g);
    const double width = 7.5;  // more than a 96-atom cell's height: several image layers
    BuiltHalo h;
    build_halo(domain, s, width, h);
    neighbor::GhostShell& shell = h.shell;
    std::vector<int>& ids = h.ids;
    std::vector<std::array<int, 3>>& images = h.images;
    parallel::HaloPlan& plan = h.plan;
    // Positions: ghost = wrapped owner + Σ image h.
    std::vector<Vec3> wrapped(s.size());
    for (std::size_t i = 0; i < s.size(); ++i) wrapped[i] = s.box.wrap(s.positions[i]);
    double worst = 0;
    for (int gi = shell.n_local; gi < shell.size(); ++gi) {
      Vec3 expect = wrapped[ids[gi]];
      for (int d = 0; d < 3; ++d) expect += static_cast<double>(images[gi][d]) * s.box.h[d];
      worst = std::max(worst, max_diff({shell.positions[gi]}, {expect}));
    }
    EXPECT_LE(worst, 1e-12);
    // Moving the locals moves the ghosts.
    std::vector<Vec3> moved = shell.positions;
    for (int i = 0; i < shell.n_local; ++i) moved[i] += Vec3{0.01 * ids[i], -0.02, 0.03};
    plan.forward(s.box, moved);
    for (int gi = shell.n_local; gi < shell.size(); ++gi) {
      const Vec3 expect = shell.positions[gi] + Vec3{0.01 * ids[gi], -0.02, 0.03};
      EXPECT_LE(max_diff({moved[gi]}, {expect}), 1e-12);
    }
    // Every image within `width` of a local atom is present exactly once.
    std::int64_t pairs = 0;
    for (int i = 0; i < shell.n_local; ++i)
      for (int j = 0; j < shell.size(); ++j) {
        const Vec3 d = shell.positions[j] - shell.positions[i];
        if (j != i && dot(d, d) < width * width) ++pairs;
      }
    world().sum(&pairs, 1);
    const neighbor::GhostShell serial =
        neighbor::build_ghost_shell(s.box, s.positions, s.species, width);
    std::int64_t serial_pairs = 0;
    for (int i = 0; i < serial.n_local; ++i)
      for (int j = 0; j < serial.size(); ++j) {
        const Vec3 d = serial.positions[j] - serial.positions[i];
        if (j != i && dot(d, d) < width * width) ++serial_pairs;
      }
    EXPECT_EQ(pairs, serial_pairs);
    // Reverse: a unit force on every ghost lands on its atom, once per image.
    std::vector<Vec3> force(shell.size(), Vec3{0, 0, 0});
    for (int gi = shell.n_local; gi < shell.size(); ++gi) force[gi] = Vec3{1, 0, 0};
    plan.reverse(force);
    std::vector<double> landed(s.size(), 0.0), images_of(s.size(), 0.0);
    for (int i = 0; i < shell.n_local; ++i) landed[ids[i]] = force[i].x;
    for (int gi = shell.n_local; gi < shell.size(); ++gi) images_of[ids[gi]] += 1.0;
    world().sum(landed.data(), static_cast<int>(landed.size()));
    world().sum(images_of.data(), static_cast<int>(images_of.size()));
    for (std::size_t i = 0; i < s.size(); ++i) EXPECT_EQ(landed[i], images_of[i]) << "atom " << i;
  }
}

/// halo_exec.hpp's memory space on host arrays with every MPI transfer staged through separate
/// host buffers, as the device halo does without a CUDA-aware MPI: the same swap sequence and
/// the same staged_sendrecv, with memcpy for the device copies (counted).
struct StagedHostSpace {
  const std::vector<parallel::HaloSwap>& swaps;
  std::vector<Vec3> scratch, host_send, host_recv;
  long copies = 0, waits = 0;

  const int* send_list(std::size_t s) const { return swaps[s].send_index.data(); }
  Vec3* buffer() { return scratch.data(); }
  void pack(const int* idx, int n, const Vec3* src, Vec3 shift, Vec3* dst) {
    for (int k = 0; k < n; ++k) parallel::pack_shifted(k, idx, src, shift, dst);
  }
  void unpack_add(const int* idx, int n, const Vec3* src, Vec3* dst) {
    for (int k = 0; k < n; ++k) parallel::unpack_add(k, idx, src, dst);
  }
  void to_host(Vec3* dst, const Vec3* src, int n) {
    std::copy(src, src + n, dst);
    ++copies;
  }
  void to_device(Vec3* dst, const Vec3* src, int n) {
    std::copy(src, src + n, dst);
    ++copies;
  }
  void wait() { ++waits; }
  void sendrecv(const Vec3* send, int n_send, int dest, Vec3* recv, int n_recv, int source,
                int tag) {
    // Stale staging data must never reach a receiver.
    std::fill(host_send.begin(), host_send.end(), Vec3{NAN, NAN, NAN});
    std::fill(host_recv.begin(), host_recv.end(), Vec3{NAN, NAN, NAN});
    parallel::staged_sendrecv(world(), *this, host_send.data(), host_recv.data(), send, n_send,
                              dest, recv, n_recv, source, tag);
  }
};

TEST(HaloExec, SpaceHaloOnTheEmulatedDeviceGivesThePlansBits) {
  // SpaceHalo (parallel/space_halo.hpp) on the emulated device, with device buffers handed to
  // MPI (direct) and staged through host buffers: the plan's ghost positions and reverse-summed
  // forces bit for bit on every grid, and the ledger counts exactly the staged copies (none for
  // direct transport or for periodic self-exchanges).
  const Structure s = skewed(sio2_cell(96, true, 5));
  for (const auto& g : grids_for(s.box)) {
    Domain domain(world(), s.box, g);
    BuiltHalo h;
    build_halo(domain, s, 7.5, h);
    const neighbor::GhostShell& shell = h.shell;
    const std::vector<int>& ids = h.ids;
    parallel::HaloPlan& plan = h.plan;
    Box moved_box = s.box;
    moved_box.h[2] += Vec3{0.05, -0.03, 0.02};
    std::vector<Vec3> host(shell.size(), Vec3{NAN, NAN, NAN});
    for (int i = 0; i < shell.n_local; ++i)
      host[i] = shell.positions[i] + Vec3{0.003 * ids[i], -0.002, 0.001 * i};
    std::vector<Vec3> fh(shell.size());
    for (int i = 0; i < shell.size(); ++i)
      fh[i] = Vec3{std::sin(0.1 * ids[i] + i), std::cos(0.3 * i), 0.01 * ids[i]};
    std::vector<Vec3> f_in = fh;
    std::vector<Vec3> x_in = host;
    plan.forward(moved_box, host);
    plan.reverse(fh);
    std::size_t remote_atoms = 0;
    for (const auto& sw : plan.swaps())
      if (!(sw.send_rank == domain.comm().rank() && sw.recv_rank == domain.comm().rank()))
        remote_atoms += sw.send_index.size() + static_cast<std::size_t>(sw.recv_count);
    for (bool direct : {true, false}) {
      auto space = exec::make_emulated_space();
      parallel::SpaceHalo halo(*space, domain.comm(), direct);
      halo.attach(plan);
      exec::MirroredArray<Vec3> x(*space, "positions"), f(*space, "forces");
      x.assign(x_in);
      f.assign(f_in);
      halo.forward(moved_box, x.device(exec::Access::ReadWrite));
      halo.reverse(f.device(exec::Access::ReadWrite));
      const std::vector<Vec3>& xd = x.host_read();
      const std::vector<Vec3>& fd = f.host_read();
      long differ = 0;
      for (int i = 0; i < shell.size(); ++i)
        differ += std::memcmp(&host[i], &xd[i], sizeof(Vec3)) != 0;
      for (int i = 0; i < shell.n_local; ++i)
        differ += std::memcmp(&fh[i], &fd[i], sizeof(Vec3)) != 0;
      EXPECT_EQ(differ, 0) << "grid " << g[0] << "x" << g[1] << "x" << g[2] << " direct " << direct;
      const auto& e = space->ledger().entries();
      const std::size_t staged =
          e.count("halo:staging") == 0
              ? 0
              : e.at("halo:staging").to_host.bytes + e.at("halo:staging").to_device.bytes;
      EXPECT_EQ(staged, direct ? 0 : 2 * remote_atoms * sizeof(Vec3));
    }
  }
}

TEST(HaloExec, StagedTransportGivesThePlansBits) {
  // The device halo's sequence (halo_exec.hpp) with staged transfers against HaloPlan's host
  // exchange: forward positions and reverse forces equal bit for bit, on every grid (thin
  // subdomains: several hops) of a triclinic cell.
  const Structure s = skewed(sio2_cell(96, true, 5));
  for (const auto& g : grids_for(s.box)) {
    Domain domain(world(), s.box, g);
    BuiltHalo h;
    build_halo(domain, s, 7.5, h);
    const neighbor::GhostShell& shell = h.shell;
    const std::vector<int>& ids = h.ids;
    parallel::HaloPlan& plan = h.plan;
    std::size_t largest = 1;
    for (const auto& sw : plan.swaps())
      largest = std::max({largest, sw.send_index.size(), static_cast<std::size_t>(sw.recv_count)});
    StagedHostSpace space{plan.swaps(), std::vector<Vec3>(largest), std::vector<Vec3>(largest),
                          std::vector<Vec3>(largest)};
    // A sheared cell, so that the image shifts differ from those of the build.
    Box moved_box = s.box;
    moved_box.h[2] += Vec3{0.05, -0.03, 0.02};
    std::vector<Vec3> host(shell.size(), Vec3{NAN, NAN, NAN}), staged(shell.size(), host[0]);
    for (int i = 0; i < shell.n_local; ++i)
      host[i] = staged[i] = shell.positions[i] + Vec3{0.003 * ids[i], -0.002, 0.001 * i};
    plan.forward(moved_box, host);
    parallel::halo_forward(plan.swaps(), domain.comm().rank(), moved_box, staged.data(), space);
    long differ = 0;
    for (int i = 0; i < shell.size(); ++i)
      differ += std::memcmp(&host[i], &staged[i], sizeof(Vec3)) != 0;
    EXPECT_EQ(differ, 0) << "grid " << g[0] << "x" << g[1] << "x" << g[2];
    std::vector<Vec3> fh(shell.size()), fs;
    for (int i = 0; i < shell.size(); ++i)
      fh[i] = Vec3{std::sin(0.1 * ids[i] + i), std::cos(0.3 * i), 0.01 * ids[i]};
    fs = fh;
    plan.reverse(fh);
    parallel::halo_reverse(plan.swaps(), domain.comm().rank(), fs.data(), space);
    differ = 0;
    for (int i = 0; i < shell.n_local; ++i)
      differ += std::memcmp(&fh[i], &fs[i], sizeof(Vec3)) != 0;
    EXPECT_EQ(differ, 0) << "grid " << g[0] << "x" << g[1] << "x" << g[2];
    // Every exchange with another rank went through the staging buffers (two copies each way).
    long remote = 0;
    for (const auto& sw : plan.swaps())
      remote += !(sw.send_rank == domain.comm().rank() && sw.recv_rank == domain.comm().rank());
    EXPECT_EQ(space.waits, 2 * remote);
  }
}

}  // namespace
}  // namespace vitrum
