// `vitrum predict` with the teacher: a LAMMPS data file in, energies/forces/virial out that
// match the library's evaluation; bad option combinations are clear errors.
#include <gtest/gtest.h>

#include <array>
#include <cstdio>
#include <memory>

#include "teacher_test_util.hpp"
#include "vitrum/io/structure_io.hpp"

using namespace vitrum;

namespace {

struct Run {
  int status;
  std::string output;
};

Run run(const std::string& args) {
  const std::string cmd = test::vitrum_binary() + " " + args + " 2>&1";
  std::unique_ptr<FILE, int (*)(FILE*)> p(popen(cmd.c_str(), "r"), pclose);
  std::string out;
  std::array<char, 4096> buf;
  size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), p.get())) > 0) out.append(buf.data(), n);
  const int st = pclose(p.release());
  return {WIFEXITED(st) ? WEXITSTATUS(st) : -1, out};
}

TEST(TeacherCli, PredictWithBksMatchesTheLibrary) {
  test::ScratchDir dir("teacher_cli");
  const Structure s = test::sio2_cell(192, 2.2, 77, true);
  io::write_structures(dir.file("cell.lmp"), {s});
  const auto r = run("predict --potential " + test::bks_path() + " --input " +
                     dir.file("cell.lmp") + " --output " + dir.file("out.xyz"));
  ASSERT_EQ(r.status, 0) << r.output;
  EXPECT_NE(r.output.find("BKS"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("atoms/s"), std::string::npos) << r.output;
  const auto got = io::read_structures(dir.file("out.xyz"));
  ASSERT_EQ(got.size(), 1u);
  auto ff = teacher::load_teacher(test::bks_path(), Backend::Cpu);
  const auto ref = test::evaluate(*ff, s);
  ASSERT_TRUE(got[0].has_energy);
  EXPECT_NEAR(got[0].energy, ref.energy, 1e-12 * std::abs(ref.energy));
  ASSERT_EQ(got[0].forces.size(), s.size());
  for (size_t i = 0; i < s.size(); ++i)
    for (int d = 0; d < 3; ++d) ASSERT_NEAR(got[0].forces[i][d], ref.forces[i][d], 1e-12);
  ASSERT_TRUE(got[0].has_virial);
  for (int a = 0; a < 3; ++a)
    for (int b = 0; b < 3; ++b) EXPECT_NEAR(got[0].virial[a][b], ref.virial[a][b], 1e-9);
}

TEST(TeacherCli, UnitOptionsAreForHdnnps) {
  test::ScratchDir dir("teacher_cli");
  io::write_structures(dir.file("cell.lmp"), {test::sio2_cell(48, 2.2, 1, false)});
  auto r = run("predict --potential " + test::bks_path() + " --input " + dir.file("cell.lmp") +
               " --output " + dir.file("o.xyz") + " --length-unit bohr");
  EXPECT_EQ(r.status, 1) << r.output;
  EXPECT_NE(r.output.find("n2p2 potentials only"), std::string::npos) << r.output;
  r = run("predict --potential " + test::bks_path() + " --input " + dir.file("cell.lmp") +
          " --output " + dir.file("o.xyz") + " --energy-unit parsec");
  EXPECT_EQ(r.status, 1) << r.output;
  EXPECT_NE(r.output.find("parsec"), std::string::npos) << r.output;
  // A structure with an element the teacher has no charge for.
  Structure h = test::sio2_cell(48, 2.2, 1, false);
  h.species[3] = 1;
  io::write_structures(dir.file("h.lmp"), {h});
  r = run("predict --potential " + test::bks_path() + " --input " + dir.file("h.lmp") +
          " --output " + dir.file("o.xyz"));
  EXPECT_EQ(r.status, 1) << r.output;
  EXPECT_NE(r.output.find("structure 1"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("atom 3"), std::string::npos) << r.output;
}

}  // namespace
