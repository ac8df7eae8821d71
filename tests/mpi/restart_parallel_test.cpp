// Checkpoint/restart under MPI domain decomposition, in process on a 192-atom BKS silica cell:
// on 2 and 4 ranks, 200 steps uninterrupted equal 100 steps + checkpoint + restart + 100 steps
// bit for bit (positions, velocities, forces, image counts, cell, energy, virial, integrator
// state, the thermo CSV and the extxyz files) for NVE, Langevin NVT and MTK NPT (isotropic and
// anisotropic). Run by ctest under mpiexec at 1, 2, 4 and 8 ranks; it runs at 2 and 4 ranks only
// (one rank is the serial restart of tests/restart). Restarts on another rank count:
// tests/mpi/restart_ranks.sh. Each rank reads only its block of the checkpoint, and restoring
// from the blocks equals restoring from the whole file (EachRankReadsItsBlock...).
#include <gtest/gtest.h>
#include <mpi.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>

#include "../restart/restart_compare.hpp"
#include "../restart/restart_test_util.hpp"
#include "mpi_campaign_util.hpp"
#include "vitrum/io/h5md.hpp"
#include "vitrum/md/checkpoint.hpp"
#include "vitrum/md/distribute.hpp"
#include "vitrum/md/force_field.hpp"
#include "vitrum/parallel/domain.hpp"

namespace vitrum::md {
namespace {

constexpr int kAtoms = 192;  // a 14.3 Å cell: several subdomains thinner than the 11 Å halo

/// The BKS campaign of tests/restart on kAtoms atoms (with its H5MD trajectory, which the ranks
/// write collectively, a frame every 10 steps).
std::string dd_campaign(const std::string& out_dir, const std::string& stages) {
  return test::bks_campaign(out_dir, stages, "every_minutes = 0\n", kAtoms);
}

struct EnsembleCase {
  const char* name;
  const char* stage;
};
void PrintTo(const EnsembleCase& c, std::ostream* os) {
  *os << c.name;
}

class RestartUnderDomainDecomposition : public ::testing::TestWithParam<EnsembleCase> {};

TEST_P(RestartUnderDomainDecomposition, TwoHundredStepsEqualHundredPlusRestartPlusHundred) {
  const int ranks = world_size();
  if (ranks != 2 && ranks != 4) GTEST_SKIP() << "runs on 2 and 4 ranks (this is " << ranks << ")";
  const std::string stage = std::string("[[stage]]\n") + GetParam().stage + "steps = 200\n";
  SharedScratch dir(GetParam().name);
  const std::string a = dir.file("a"), b = dir.file("b");

  const RunSummary ra = run_collective(dd_campaign(a, stage), dir.file("a.toml"));
  ASSERT_TRUE(ra.completed);
  ASSERT_EQ(ra.steps, 200);

  const std::string cfg_b = dd_campaign(b, stage);
  RunOptions first;
  first.max_steps = 100;
  const RunSummary rb1 = run_collective(cfg_b, dir.file("b.toml"), first);
  ASSERT_FALSE(rb1.completed);
  ASSERT_EQ(rb1.steps, 100);
  const Checkpoint mid = read_checkpoint(b + "/checkpoint.h5");
  ASSERT_EQ(mid.system.step, 100);
  ASSERT_EQ(mid.writer_ranks, ranks);  // written collectively by the domains
  // The writer's rank grid, which the restart on as many ranks takes over.
  EXPECT_EQ(mid.domain_grid[0] * mid.domain_grid[1] * mid.domain_grid[2], ranks);

  RunOptions second;
  second.restart_file = b + "/checkpoint.h5";
  const RunSummary rb2 = run_collective(cfg_b, dir.file("b.toml"), second);
  ASSERT_TRUE(rb2.completed);
  ASSERT_EQ(rb2.steps, 100);

  // The final states (whole systems, rows = ids), bit for bit.
  const Checkpoint ca = read_checkpoint(a + "/checkpoint.h5");
  const Checkpoint cb = read_checkpoint(b + "/checkpoint.h5");
  ASSERT_EQ(ca.system.size(), kAtoms);
  ASSERT_EQ(cb.system.size(), ca.system.size());
  EXPECT_EQ(ca.system.step, 200);
  EXPECT_EQ(cb.system.step, 200);
  EXPECT_EQ(ca.system.species, cb.system.species);
  EXPECT_EQ(ca.system.image, cb.system.image);
  test::expect_same_state(ca, cb);
  EXPECT_EQ(test::thermo_without_rate(a + "/thermo.csv"),
            test::thermo_without_rate(b + "/thermo.csv"));
  EXPECT_EQ(test::read_text(a + "/trajectory.xyz"), test::read_text(b + "/trajectory.xyz"));
  EXPECT_EQ(test::read_text(a + "/final.xyz"), test::read_text(b + "/final.xyz"));
  // The H5MD trajectories (written collectively; the restart reopened b's and appended), frame by
  // frame, bit for bit.
  test::expect_same_h5md(a + "/trajectory.h5", b + "/trajectory.h5", 21);
}

/// The values hold the same bits (sizes included).
template <typename T>
bool same_bits(const std::vector<T>& a, const std::vector<T>& b) {
  return a.size() == b.size() &&
         (a.empty() || std::memcmp(a.data(), b.data(), a.size() * sizeof(T)) == 0);
}

// A restart under MPI reads a block of ids per rank (read_checkpoint(path, comm)): rows
// [r N / P, (r + 1) N / P) with the scalars, never the whole file. Engine::restore from those
// blocks (RestoreInput::Share) gives every rank the same atoms, state and forces, bit for bit, as
// the restore from the whole checkpoint on every rank, and reproduces the run's forces.
TEST(RestartUnderDomainDecompositionBlocks, EachRankReadsItsBlockAndRestoresExactly) {
  const int ranks = world_size(), rank = world_rank();
  if (ranks != 2 && ranks != 4) GTEST_SKIP() << "runs on 2 and 4 ranks (this is " << ranks << ")";
  SharedScratch dir("blocks");
  const std::string out = dir.file("out");
  RunOptions stop;
  stop.max_steps = 37;  // the last rebuild was some steps before
  const RunSummary r = run_collective(
      dd_campaign(out, "[[stage]]\nensemble = \"nve\"\nsteps = 100\n"), dir.file("c.toml"), stop);
  ASSERT_FALSE(r.completed);
  const std::string path = out + "/checkpoint.h5";
  const parallel::Comm comm = parallel::Comm::world();

  const Checkpoint whole = read_checkpoint(path);
  const Checkpoint block = read_checkpoint(path, comm);
  const long first = static_cast<long>(kAtoms) * rank / ranks;
  const long last = static_cast<long>(kAtoms) * (rank + 1) / ranks;
  EXPECT_EQ(block.n_atoms_total, kAtoms);
  ASSERT_EQ(block.system.size(), last - first);  // this rank's rows only
  EXPECT_LE(block.system.size(), kAtoms / ranks + 1);
  ASSERT_EQ(static_cast<long>(block.ids.size()), last - first);
  ASSERT_EQ(static_cast<long>(block.rebuild.positions.size()), last - first);
  for (long k = 0; k < last - first; ++k) ASSERT_EQ(block.ids[k], first + k);
  auto rows = [&](const auto& v) {
    return std::decay_t<decltype(v)>(v.begin() + first, v.begin() + last);
  };
  EXPECT_TRUE(same_bits(block.system.positions, rows(whole.system.positions)));
  EXPECT_TRUE(same_bits(block.system.velocities, rows(whole.system.velocities)));
  EXPECT_TRUE(same_bits(block.system.forces, rows(whole.system.forces)));
  EXPECT_TRUE(same_bits(block.rebuild.positions, rows(whole.rebuild.positions)));
  EXPECT_EQ(block.system.step, whole.system.step);
  EXPECT_EQ(block.domain_grid, whole.domain_grid);
  EXPECT_EQ(block.stage, whole.stage);
  EXPECT_EQ(block.step_in_stage, whole.step_in_stage);

  auto ff = load_force_field(test::source_dir() + "/configs/potentials/SiO2-BKS.toml", Backend::Cpu,
                             Precision::Double, 1.0, 1.0);
  const EngineOptions opt{1.0, 1e5, 0.3};  // the campaign's skin and limits
  parallel::Domain domain(comm, whole.system.box, whole.domain_grid);
  Engine from_whole(distribute_system(whole.system, domain), *ff, opt, &domain);
  const std::vector<Vec3> f_whole = from_whole.restore(whole.system, whole.rebuild);
  MdSystem share = block.system;
  share.id.assign(block.ids.begin(), block.ids.end());
  Engine from_block(share, *ff, opt, &domain);
  const std::vector<Vec3> f_block = from_block.restore(share, block.rebuild, RestoreInput::Share);

  const MdSystem& a = from_whole.system();
  const MdSystem& b = from_block.system();
  EXPECT_EQ(a.id, b.id);
  EXPECT_EQ(a.species, b.species);
  EXPECT_EQ(a.image, b.image);
  EXPECT_TRUE(same_bits(a.mass, b.mass));
  EXPECT_TRUE(same_bits(a.positions, b.positions));
  EXPECT_TRUE(same_bits(a.velocities, b.velocities));
  EXPECT_TRUE(same_bits(a.forces, b.forces));
  EXPECT_TRUE(same_bits(f_whole, f_block));
  EXPECT_EQ(std::memcmp(&a.potential_energy, &b.potential_energy, sizeof(double)), 0);
  EXPECT_EQ(std::memcmp(&a.virial, &b.virial, sizeof(a.virial)), 0);
  EXPECT_EQ(from_whole.rebuilds(), from_block.rebuilds());
  // The state is the checkpoint's, by id, and the replay reproduces the run's forces exactly.
  std::vector<Vec3> pos_by_id, frc_by_id;
  for (const int id : b.id) {
    pos_by_id.push_back(whole.system.positions[id]);
    frc_by_id.push_back(whole.system.forces[id]);
  }
  EXPECT_TRUE(same_bits(b.positions, pos_by_id));
  EXPECT_TRUE(same_bits(f_block, frc_by_id));
  EXPECT_TRUE(same_bits(b.forces, frc_by_id));
  std::int64_t held = b.size();
  comm.sum(&held, 1);
  EXPECT_EQ(held, kAtoms);

  // An error in one rank's read (here a missing file) is raised on every rank, with its message.
  const std::string one_bad = rank == ranks - 1 ? dir.file("missing.h5") : path;
  try {
    read_checkpoint(one_bad, comm);
    ADD_FAILURE() << "rank " << rank << ": no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("missing.h5"), std::string::npos) << e.what();
  }

  // Shares that are not a partition are refused on every rank.
  MdSystem dup = share;
  if (rank == 0 && !dup.id.empty()) dup.id[0] = dup.id.size() > 1 ? dup.id[1] : kAtoms - 1;
  EXPECT_THROW(from_block.restore(dup, block.rebuild, RestoreInput::Share), Error);
}

INSTANTIATE_TEST_SUITE_P(
    Ensembles, RestartUnderDomainDecomposition,
    ::testing::Values(
        EnsembleCase{"nve", "ensemble = \"nve\"\n"},
        EnsembleCase{"nvt_langevin",
                     "ensemble = \"nvt_langevin\"\ntemperature = 2500\ntdamp_fs = 50\n"},
        EnsembleCase{"npt_mtk_iso",
                     "ensemble = \"npt_mtk\"\ntemperature = 2500\npressure = 5000\n"
                     "tdamp_fs = 50\npdamp_fs = 200\n"},
        // The cell's heights change independently: the grid chosen for the cell at the restart
        // can differ from the writer's, so this needs the grid stored in the checkpoint.
        EnsembleCase{"npt_mtk_aniso",
                     "ensemble = \"npt_mtk\"\ntemperature = 2500\npressure = 5000\n"
                     "barostat = \"aniso\"\ntdamp_fs = 50\npdamp_fs = 200\n"}),
    [](const auto& info) { return std::string(info.param.name); });

}  // namespace
}  // namespace vitrum::md
