// The checkpoint file itself: everything written is read back exactly, in blocks of ids as a
// restart on another rank count reads it; truncated, corrupt (checksums), foreign and newer files
// give an error naming the file, never a crash; the H5MD trajectory is continued after a restart
// (frames past the checkpoint dropped) and a corrupt one is refused clearly; batch-control
// decisions and the new config keys.
#include <gtest/gtest.h>
#include <hdf5.h>

#include <csignal>
#include <cstring>
#include <fstream>
#include <random>

#include "restart_test_util.hpp"
#include "vitrum/core/error.hpp"
#include "vitrum/io/h5md.hpp"
#include "vitrum/md/batch_control.hpp"
#include "vitrum/md/checkpoint.hpp"

namespace vitrum::md {
namespace {

using test::RestartScratch;

/// A checkpoint of `n` atoms with distinct, non-trivial values everywhere.
Checkpoint sample_checkpoint(int n) {
  Checkpoint ck;
  std::mt19937_64 rng(11);
  std::uniform_real_distribution<double> u(-5.0, 5.0);
  MdSystem& s = ck.system;
  s.box.periodic = true;
  s.box.h[0] = {11.0, 0, 0};
  s.box.h[1] = {0.5, 12.0, 0};
  s.box.h[2] = {-0.25, 0.75, 13.0};
  for (int i = 0; i < n; ++i) {
    s.species.push_back(i % 3 == 0 ? 14 : 8);
    s.mass.push_back(i % 3 == 0 ? 28.0855 : 15.9994);
    s.positions.push_back({u(rng), u(rng), u(rng)});
    s.velocities.push_back({u(rng) * 1e-2, u(rng) * 1e-2, u(rng) * 1e-2});
    s.forces.push_back({u(rng), u(rng), u(rng)});
    s.image.push_back({i % 5 - 2, -(i % 3), i % 7});
    ck.rebuild.positions.push_back({u(rng), u(rng), u(rng)});
  }
  s.step = 12345;
  s.time_fs = 6172.5;
  s.potential_energy = -1234.5678901234567;
  for (int a = 0; a < 3; ++a)
    for (int b = 0; b < 3; ++b) s.virial[a][b] = u(rng);
  ck.rebuild.box = s.box;
  ck.rebuild.box.h[0].x = 10.9;
  ck.rebuild.rebuilds = 77;
  ck.stage = 1;
  ck.step_in_stage = 345;
  ck.conserved_offset = 0.125;
  ck.stage_name = "quench";
  ck.n_stages = 3;
  ck.ensemble = "npt_mtk";
  ck.integrator = {{"kt", {0.25}}, {"omega_dot", {1e-5, -2e-5, 3e-5}}, {"chain_t_xi", {}}};
  ck.md_seed = 7;
  ck.velocity_seed = 8;
  ck.stage_seed = 1ull << 62;
  ck.thermo_csv_bytes = 4096;
  ck.trajectory_bytes = -1;
  ck.h5md_frames = 42;
  ck.config_file = "campaign.toml";
  ck.config_fingerprint = "md.seed = 7\nstage[1].ensemble = nve\n";
  ck.config_hash = fingerprint_hash(ck.config_fingerprint);
  return ck;
}

void expect_equal(const Checkpoint& a, const Checkpoint& b, long first = 0) {
  const long m = b.system.size();
  for (long k = 0; k < m; ++k) {
    const long i = first + k;
    for (int d = 0; d < 3; ++d) {
      ASSERT_EQ(a.system.positions[i][d], b.system.positions[k][d]) << i;
      ASSERT_EQ(a.system.velocities[i][d], b.system.velocities[k][d]) << i;
      ASSERT_EQ(a.system.forces[i][d], b.system.forces[k][d]) << i;
      ASSERT_EQ(a.rebuild.positions[i][d], b.rebuild.positions[k][d]) << i;
    }
    ASSERT_EQ(a.system.image[i], b.system.image[k]) << i;
    ASSERT_EQ(a.system.species[i], b.system.species[k]) << i;
    ASSERT_EQ(a.system.mass[i], b.system.mass[k]) << i;
  }
  EXPECT_EQ(a.system.step, b.system.step);
  EXPECT_EQ(a.system.time_fs, b.system.time_fs);
  EXPECT_EQ(a.system.potential_energy, b.system.potential_energy);
  for (int r = 0; r < 3; ++r)
    for (int c = 0; c < 3; ++c) {
      EXPECT_EQ(a.system.box.h[r][c], b.system.box.h[r][c]);
      EXPECT_EQ(a.rebuild.box.h[r][c], b.rebuild.box.h[r][c]);
      EXPECT_EQ(a.system.virial[r][c], b.system.virial[r][c]);
    }
  EXPECT_EQ(a.system.box.periodic, b.system.box.periodic);
  EXPECT_EQ(a.rebuild.rebuilds, b.rebuild.rebuilds);
  EXPECT_EQ(a.stage, b.stage);
  EXPECT_EQ(a.step_in_stage, b.step_in_stage);
  EXPECT_EQ(a.conserved_offset, b.conserved_offset);
  EXPECT_EQ(a.stage_name, b.stage_name);
  EXPECT_EQ(a.n_stages, b.n_stages);
  EXPECT_EQ(a.ensemble, b.ensemble);
  EXPECT_EQ(a.integrator, b.integrator);
  EXPECT_EQ(a.md_seed, b.md_seed);
  EXPECT_EQ(a.velocity_seed, b.velocity_seed);
  EXPECT_EQ(a.stage_seed, b.stage_seed);
  EXPECT_EQ(a.thermo_csv_bytes, b.thermo_csv_bytes);
  EXPECT_EQ(a.trajectory_bytes, b.trajectory_bytes);
  EXPECT_EQ(a.h5md_frames, b.h5md_frames);
  EXPECT_EQ(a.config_fingerprint, b.config_fingerprint);
  EXPECT_EQ(a.config_hash, b.config_hash);
}

/// Runs `f`, which must throw vitrum::Error whose message contains every string of `expected`.
template <typename F>
void expect_error(F f, const std::vector<std::string>& expected, const std::string& what) {
  try {
    f();
    ADD_FAILURE() << what << ": no error";
  } catch (const Error& e) {
    for (const auto& x : expected)
      EXPECT_NE(std::string(e.what()).find(x), std::string::npos)
          << what << ": '" << x << "' not in: " << e.what();
  }
}

TEST(CheckpointFile, RoundTripExactAndAtomic) {
  RestartScratch dir("roundtrip");
  const auto ck = sample_checkpoint(300);
  const std::string path = dir.file("ck.h5");
  write_checkpoint(path, ck);
  EXPECT_FALSE(std::filesystem::exists(path + ".tmp"));  // renamed into place
  const Checkpoint back = read_checkpoint(path);
  EXPECT_EQ(back.n_atoms_total, 300);
  EXPECT_EQ(back.format_version, kCheckpointFormatVersion);
  EXPECT_EQ(back.writer_ranks, 1);
  EXPECT_FALSE(back.created.empty());
  expect_equal(ck, back);
  // Blocks of ids, as ranks of a restart on another rank count read them.
  for (const auto& [first, count] : {std::pair<long, long>{0, 100}, {100, 101}, {201, 99}}) {
    const Checkpoint part = read_checkpoint(path, first, count);
    ASSERT_EQ(part.system.size(), count);
    ASSERT_EQ(part.ids.front(), first);
    ASSERT_EQ(part.ids.back(), first + count - 1);
    expect_equal(ck, part, first);
  }
  expect_error([&] { read_checkpoint(path, 250, 100); }, {path, "holds 300"}, "block past the end");
  // Overwriting keeps one valid file at every moment: a failed write leaves the old one.
  std::filesystem::create_directory(path + ".tmp");  // the temporary name cannot be created
  expect_error([&] { write_checkpoint(path, sample_checkpoint(10)); },
               {path, "previous checkpoint, if any, is unchanged"}, "blocked write");
  std::filesystem::remove(path + ".tmp");
  EXPECT_EQ(read_checkpoint(path).n_atoms_total, 300);
}

TEST(CheckpointFile, TruncatedCorruptForeignAndNewerFilesGiveClearErrors) {
  RestartScratch dir("corrupt");
  const std::string good = dir.file("good.h5");
  write_checkpoint(good, sample_checkpoint(2000));
  const auto size = static_cast<long>(std::filesystem::file_size(good));
  const std::string bad = dir.file("bad.h5");

  // Truncated at many lengths: always an error naming the file.
  for (long cut : {0L, 7L, 100L, 512L, 2048L, size / 10, size / 4, size / 2, 3 * size / 4,
                   size - 4096, size - 100, size - 1}) {
    if (cut < 0) continue;
    std::filesystem::copy_file(good, bad, std::filesystem::copy_options::overwrite_existing);
    std::filesystem::resize_file(bad, cut);
    expect_error([&] { read_checkpoint(bad); }, {bad}, "truncated to " + std::to_string(cut));
  }
  // Bytes flipped inside the raw data of /atoms/position: the Fletcher-32 checksum catches it.
  {
    std::filesystem::copy_file(good, bad, std::filesystem::copy_options::overwrite_existing);
    haddr_t offset = 0;
    {
      hid_t f = H5Fopen(good.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
      hid_t d = H5Dopen2(f, "/atoms/position", H5P_DEFAULT);
      const hsize_t origin[2] = {0, 0};
      unsigned mask = 0;
      hsize_t chunk_size = 0;
      ASSERT_GE(H5Dget_chunk_info_by_coord(d, origin, &mask, &offset, &chunk_size), 0);
      H5Dclose(d);
      H5Fclose(f);
    }
    std::fstream io(bad, std::ios::in | std::ios::out | std::ios::binary);
    io.seekp(static_cast<std::streamoff>(offset + 1000));
    const char junk[4] = {'\x5a', '\x5a', '\x5a', '\x5a'};
    io.write(junk, 4);
    io.close();
    expect_error([&] { read_checkpoint(bad); }, {bad, "/atoms/position", "checksum"},
                 "flipped data bytes");
  }
  // Flipped bytes all over the file: an error naming the file, or (bytes in unused space) the
  // same contents — never a crash or silently different data.
  const auto original = read_checkpoint(good);
  const char* more = std::getenv("VITRUM_FUZZ_TRIALS");  // longer fuzzing on demand
  const int trials = more != nullptr ? std::atoi(more) : 20;
  for (int trial = 0; trial < trials; ++trial) {
    std::filesystem::copy_file(good, bad, std::filesystem::copy_options::overwrite_existing);
    std::fstream io(bad, std::ios::in | std::ios::out | std::ios::binary);
    std::mt19937 rng(trial);
    for (int k = 0; k < 8; ++k) {
      io.seekp(static_cast<std::streamoff>(rng() % static_cast<unsigned>(size)));
      const char x = static_cast<char>(rng());
      io.write(&x, 1);
    }
    io.close();
    try {
      const Checkpoint c = read_checkpoint(bad);
      expect_equal(original, c);
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find(bad), std::string::npos) << e.what();
    }
    EXPECT_EQ(H5Fget_obj_count(H5F_OBJ_ALL, H5F_OBJ_ALL), 0)
        << "HDF5 objects left open, trial " << trial;
  }
  // Not HDF5, empty, a directory, missing.
  test::write_text(bad, "step,time\n1,2\n");
  expect_error([&] { read_checkpoint(bad); }, {bad, "not an HDF5 file"}, "text file");
  test::write_text(bad, "");
  expect_error([&] { read_checkpoint(bad); }, {bad, "not an HDF5 file"}, "empty file");
  expect_error([&] { read_checkpoint(dir.path()); }, {"is a directory"}, "directory");
  expect_error([&] { read_checkpoint(dir.file("missing.h5")); }, {"not found"}, "missing");
  // An H5MD trajectory passed as checkpoint.
  {
    const std::string traj = dir.file("traj.h5");
    io::H5mdWriter w(traj, {14, 8}, io::H5mdOptions{});
    Box box;
    box.periodic = true;
    box.h[0] = {5, 0, 0};
    box.h[1] = {0, 5, 0};
    box.h[2] = {0, 0, 5};
    w.write_frame(0, 0.0, box, {0, 1}, {{0, 0, 0}, {1, 1, 1}}, {{0, 0, 0}, {0, 0, 0}}, {});
    w.close();
    expect_error([&] { read_checkpoint(traj); }, {traj, "not a vitrum checkpoint", "H5MD"},
                 "trajectory");
  }
  // A newer format version.
  {
    std::filesystem::copy_file(good, bad, std::filesystem::copy_options::overwrite_existing);
    hid_t f = H5Fopen(bad.c_str(), H5F_ACC_RDWR, H5P_DEFAULT);
    hid_t a = H5Aopen(f, "format_version", H5P_DEFAULT);
    const long long v = kCheckpointFormatVersion + 1;
    H5Awrite(a, H5T_NATIVE_LLONG, &v);
    H5Aclose(a);
    H5Fclose(f);
    expect_error([&] { read_checkpoint(bad); }, {bad, "newer than this vitrum reads"}, "version");
  }
}

TEST(H5mdContinue, ReopenDropsFramesAfterTheCheckpointAndAppends) {
  RestartScratch dir("h5md_reopen");
  const std::string path = dir.file("traj.h5");
  const std::vector<int> species = {14, 8, 8};
  Box box;
  box.periodic = true;
  box.h[0] = {5, 0, 0};
  box.h[1] = {0, 6, 0};
  box.h[2] = {0, 0, 7};
  const std::vector<int> ids = {0, 1, 2};
  auto pos = [](long step) {
    const double x = 0.001 * static_cast<double>(step);
    return std::vector<Vec3>{{x, 0, 0}, {0, x, 0}, {0, 0, x}};
  };
  {
    io::H5mdWriter w(path, species, io::H5mdOptions{});
    for (long step = 0; step <= 50; step += 10)
      w.write_frame(step, 0.5 * step, box, ids, pos(step), pos(step), {});
  }
  {
    auto w = io::H5mdWriter::reopen(path, species, io::H5mdOptions{}, 30);  // checkpoint at step 30
    EXPECT_EQ(w->frames_dropped(), 2);
    EXPECT_EQ(w->frames(), 4);
    for (long step = 40; step <= 60; step += 10)
      w->write_frame(step, 0.5 * step, box, ids, pos(step), pos(step), {});
  }
  const auto frames = io::read_h5md(path);
  ASSERT_EQ(frames.size(), 7u);
  for (long t = 0; t < 7; ++t) {
    EXPECT_EQ(frames[t].step, 10 * t);
    EXPECT_EQ(frames[t].positions[1].y, pos(10 * t)[1].y);
  }
  // Other atoms, other series, or a corrupt file: refused with the file's name.
  expect_error(
      [&] {
        io::H5mdWriter::reopen(path, {14, 8}, io::H5mdOptions{}, 60);
      },
      {path, "other atoms"}, "atom count");
  expect_error(
      [&] {
        io::H5mdWriter::reopen(path, species, io::H5mdOptions{true, true, 4}, 60);
      },
      {path, "force"}, "series");
  std::filesystem::resize_file(path, std::filesystem::file_size(path) / 2);
  expect_error([&] { io::H5mdWriter::reopen(path, species, io::H5mdOptions{}, 60); }, {path},
               "truncated");
  expect_error([&] { io::read_h5md(path); }, {path}, "truncated read");
}

// Corrupt trajectories: bytes flipped anywhere give an error naming the file (checksummed
// metadata and Fletcher-32 chunks) or, for bytes in unused space, the same frames.
TEST(H5mdContinue, CorruptTrajectoriesGiveClearErrors) {
  RestartScratch dir("h5md_corrupt");
  const std::string good = dir.file("good.h5"), bad = dir.file("bad.h5");
  const int n = 500;
  std::vector<int> species(n, 8), ids(n);
  std::vector<Vec3> pos(n), vel(n), frc(n);
  for (int i = 0; i < n; ++i) {
    ids[i] = i;
    pos[i] = {0.01 * i, 0.02 * i, 0.03 * i};
    vel[i] = {1e-3 * i, 0, 0};
    frc[i] = {0.5, -0.25 * i, 1.0};
  }
  Box box;
  box.periodic = true;
  box.h[0] = {9, 0, 0};
  box.h[1] = {0, 9, 0};
  box.h[2] = {0, 0, 9};
  {
    io::H5mdWriter w(good, species, io::H5mdOptions{true, true, 4});
    for (long t = 0; t < 5; ++t) w.write_frame(10 * t, 5.0 * t, box, ids, pos, vel, frc);
  }
  const auto original = io::read_h5md(good);
  ASSERT_EQ(original.size(), 5u);
  EXPECT_NEAR(original[2].forces[7].y, -1.75, 1e-14);  // eV/Å back from kJ/(mol Å)
  const auto size = static_cast<long>(std::filesystem::file_size(good));
  const char* more = std::getenv("VITRUM_FUZZ_TRIALS");
  const int trials = more != nullptr ? std::atoi(more) : 20;
  for (int trial = 0; trial < trials; ++trial) {
    std::filesystem::copy_file(good, bad, std::filesystem::copy_options::overwrite_existing);
    std::fstream io(bad, std::ios::in | std::ios::out | std::ios::binary);
    std::mt19937 rng(1000 + trial);
    for (int k = 0; k < 8; ++k) {
      io.seekp(static_cast<std::streamoff>(rng() % static_cast<unsigned>(size)));
      const char x = static_cast<char>(rng());
      io.write(&x, 1);
    }
    io.close();
    try {
      const auto frames = io::read_h5md(bad);
      ASSERT_EQ(frames.size(), original.size()) << "trial " << trial;
      for (std::size_t t = 0; t < frames.size(); ++t) {
        EXPECT_EQ(frames[t].step, original[t].step);
        for (int i = 0; i < n; ++i)
          for (int d = 0; d < 3; ++d) {
            ASSERT_EQ(frames[t].positions[i][d], original[t].positions[i][d]) << trial;
            ASSERT_EQ(frames[t].velocities[i][d], original[t].velocities[i][d]) << trial;
          }
      }
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find(bad), std::string::npos) << e.what();
    }
    EXPECT_EQ(H5Fget_obj_count(H5F_OBJ_ALL, H5F_OBJ_ALL), 0)
        << "HDF5 objects left open, trial " << trial;
  }
}

TEST(BatchControl, ParsesSlurmWallTimes) {
  EXPECT_EQ(BatchControl::parse_walltime("90"), 90.0);
  EXPECT_EQ(BatchControl::parse_walltime("05:30"), 330.0);
  EXPECT_EQ(BatchControl::parse_walltime("01:00:00"), 3600.0);
  EXPECT_EQ(BatchControl::parse_walltime("2-12:00:00"), 216000.0);
  for (const char* bad : {"", "abc", "1:2:3:4", "1-02:00", "-5", "00:00:00", "1h"})
    expect_error([&] { BatchControl::parse_walltime(bad); }, {"--max-walltime"}, bad);
  EXPECT_EQ(BatchControl::format_walltime(3725), "01:02:05");
}

TEST(BatchControl, StopsForSignalsBudgetsAndSchedulesCheckpoints) {
  using Clock = BatchControl::Clock;
  {
    BatchLimits lim;
    lim.max_steps = 3;
    lim.checkpoint_every_steps = 2;
    BatchControl b(lim, Clock::now());
    auto d = b.after_step(1);
    EXPECT_FALSE(d.checkpoint);
    EXPECT_EQ(d.stop, StopReason::None);
    d = b.after_step(2);
    EXPECT_TRUE(d.checkpoint);
    EXPECT_EQ(b.after_step(3).stop, StopReason::MaxSteps);
  }
  {
    BatchLimits lim;
    lim.max_walltime_s = 100.0;
    BatchControl fresh(lim, Clock::now());
    EXPECT_EQ(fresh.after_step(1).stop, StopReason::None);
    // 99 s of the 100 s spent: less than the reserve is left.
    BatchControl late(lim, Clock::now() - std::chrono::seconds(99));
    EXPECT_EQ(late.after_step(1).stop, StopReason::Walltime);
    EXPECT_NE(late.describe(StopReason::Walltime).find("00:01:40"), std::string::npos);
  }
  {
    SignalGuard guard;
    BatchControl b(BatchLimits{}, Clock::now());
    EXPECT_EQ(b.after_step(1).stop, StopReason::None);
    std::raise(SIGUSR1);  // the handler only records it
    const auto d = b.after_step(2);
    EXPECT_EQ(d.stop, StopReason::Signal);
    EXPECT_EQ(b.describe(d.stop), "SIGUSR1");
  }
  EXPECT_EQ(stop_signal(), SIGUSR1);  // the guard is gone; a new one clears it
  SignalGuard again;
  EXPECT_EQ(stop_signal(), 0);
}

TEST(RestartConfig, NewKeysAreCheckedAndUnknownKeysRejected) {
  RestartScratch dir("keys");
  auto parse = [&](const std::string& extra) {
    const std::string text = "[structure]\nfile = \"x.xyz\"\n[potential]\npath = \"p\"\n" + extra +
                             "[[stage]]\nensemble = \"nve\"\nsteps = 10\nh5md_every = 5\n";
    return parse_run_config_text(text, "c.toml", dir.path());
  };
  const RunConfig d = parse("");
  EXPECT_EQ(d.output.h5md.every, 0);
  EXPECT_EQ(d.output.h5md.file, "trajectory.h5");
  EXPECT_TRUE(d.output.h5md.velocities);
  EXPECT_FALSE(d.output.h5md.forces);
  EXPECT_EQ(d.checkpoint.file, "checkpoint.h5");
  EXPECT_EQ(d.checkpoint.every_steps, 0);
  EXPECT_EQ(d.checkpoint.every_minutes, 30.0);
  EXPECT_TRUE(d.checkpoint.at_end);
  EXPECT_EQ(d.stages[0].h5md_every, 5);
  const RunConfig c = parse(
      "[output]\nh5md = { every = 20, file = \"t.h5\", velocities = false, forces = true, "
      "unwrapped = false, compression = 0 }\n[checkpoint]\nfile = \"r.h5\"\nevery_steps = 500\n"
      "every_minutes = 15\nat_end = false\n");
  EXPECT_EQ(c.output.h5md.every, 20);
  EXPECT_EQ(c.output.h5md.file, "t.h5");
  EXPECT_FALSE(c.output.h5md.velocities);
  EXPECT_TRUE(c.output.h5md.forces);
  EXPECT_FALSE(c.output.h5md.unwrapped);
  EXPECT_EQ(c.output.h5md.compression, 0);
  EXPECT_EQ(c.checkpoint.file, "r.h5");
  EXPECT_EQ(c.checkpoint.every_steps, 500);
  EXPECT_EQ(c.checkpoint.every_minutes, 15.0);
  EXPECT_FALSE(c.checkpoint.at_end);
  expect_error([&] { parse("[output]\nh5md = { every = 10, velocity = true }\n"); },
               {"c.toml:6", "unknown key 'velocity'", "[output.h5md]"}, "h5md typo");
  expect_error([&] { parse("[checkpoint]\nevery_step = 10\n"); },
               {"c.toml:6", "unknown key 'every_step'", "[checkpoint]"}, "checkpoint typo");
  expect_error([&] { parse("[output]\nh5md = { file = \"t.h5\" }\n"); }, {"every"},
               "h5md without every");
  expect_error([&] { parse("[checkpoint]\nevery_minutes = -1\n"); }, {"every_minutes"},
               "negative minutes");
}

}  // namespace
}  // namespace vitrum::md
