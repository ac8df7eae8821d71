// The teacher's parameter files: the shipped sets load with the values of their papers, bad
// files fail with the file, the line and the offending key, and load_force_field dispatches
// *.toml to the teacher.
#include <gtest/gtest.h>

#include <fstream>

#include "teacher_test_util.hpp"
#include "vitrum/core/error.hpp"

using namespace vitrum;

namespace {

const std::string kGood = R"([potential]
name = "test"

[charges]
Si = 2.4
O = -1.2

[coulomb]
alpha = 0.2
cutoff = 10.0

[short_range]
cutoff = 5.5

[pair.Si-Si]
none = true

[pair.O-O]
none = true

[pair.Si-O]
A = 18003.7572
b = 4.87318
C = 133.5381
)";

/// Replaces the first occurrence of `from` in kGood.
std::string edit(const std::string& from, const std::string& to) {
  std::string s = kGood;
  const auto at = s.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  return s.replace(at, from.size(), to);
}

void expect_error(const std::string& text, long line, const std::string& needle) {
  try {
    teacher::parse_teacher_params(text, "bad.toml");
    ADD_FAILURE() << "no error for:\n" << text;
  } catch (const InputError& e) {
    const std::string what = e.what();
    EXPECT_EQ(e.file(), "bad.toml") << what;
    if (line >= 0) EXPECT_EQ(e.line(), line) << what;
    EXPECT_NE(what.find(needle), std::string::npos) << what;
  } catch (const Error& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("bad.toml"), std::string::npos) << what;
    EXPECT_NE(what.find(needle), std::string::npos) << what;
  }
}

TEST(TeacherParams, ShippedSetsLoad) {
  const auto bks = teacher::read_teacher_params(test::bks_path());
  EXPECT_EQ(bks.name, "BKS");
  ASSERT_EQ(bks.elements, (std::vector<std::string>{"Si", "O"}));
  EXPECT_EQ(bks.charges[0], 2.4);
  EXPECT_EQ(bks.charges[1], -1.2);
  EXPECT_EQ(bks.alpha, 0.2);
  EXPECT_EQ(bks.coulomb_cutoff, 10.0);
  EXPECT_EQ(bks.coulomb_constant, 14.399645);
  EXPECT_TRUE(bks.shift);
  ASSERT_EQ(bks.pairs.size(), 2u);
  const auto& sio = bks.pairs[1];
  EXPECT_EQ(sio.a + "-" + sio.b, "Si-O");
  EXPECT_EQ(sio.A, 18003.7572);
  EXPECT_DOUBLE_EQ(sio.rho, 1 / 4.87318);
  EXPECT_EQ(sio.C, 133.5381);
  EXPECT_TRUE(sio.has_wall);
  EXPECT_EQ(bks.cutoff(), 10.0);
  const auto ttam = teacher::read_teacher_params(test::ttam_path());
  EXPECT_EQ(ttam.name, "TTAM");
  EXPECT_EQ(ttam.pairs.size(), 3u);
  // The TTAM A from its atomic parameters: f0 (b_Si + b_O) exp((a_Si + a_O)/(b_Si + b_O)).
  const double rho = 0.03285 + 0.17566;
  EXPECT_NEAR(ttam.pairs[1].A, 0.0433641043 * rho * std::exp((0.8688 + 2.0474) / rho), 1e-6);
  EXPECT_EQ(ttam.pairs[1].rho, rho);
}

TEST(TeacherParams, GoodTextParsesAndDescribes) {
  const auto p = teacher::parse_teacher_params(kGood, "good.toml");
  EXPECT_EQ(p.pairs.size(), 1u);
  EXPECT_FALSE(p.shift);
  EXPECT_FALSE(p.pairs[0].has_wall);
  EXPECT_EQ(p.pairs[0].cutoff, 5.5);
  auto ff = teacher::make_teacher(p, Backend::Cpu);
  EXPECT_EQ(ff->cutoff(), 10.0);
  EXPECT_NE(ff->describe().find("good.toml"), std::string::npos) << ff->describe();
}

TEST(TeacherParams, BadFilesNameFileLineAndKey) {
  expect_error(edit("alpha = 0.2", "alpha = 0.2\nalhpa = 0.3"), 10, "unknown key 'alhpa'");
  expect_error(edit("[potential]", "[potentail]"), 1, "unknown key 'potentail'");
  expect_error(edit("b = 4.87318", "b = 4.87318\nrho = 0.2"), -1, "exactly one of 'rho'");
  expect_error(edit("b = 4.87318", "B = 4.87318"), 23, "unknown key 'B'");
  expect_error(edit("[pair.Si-O]", "[pair.SiO]"), 21, "two element symbols");
  expect_error(edit("[pair.Si-O]", "[pair.Si-Al]"), 21, "'Al' has no entry in [charges]");
  expect_error(edit("Si = 2.4", "Xx = 2.4"), 5, "not an element symbol");
  expect_error(edit("cutoff = 10.0", "cutoff = -1"), 10, "cutoff must be > 0");
  expect_error(edit("cutoff = 10.0", "cutoff = \"ten\""), 10, "must be a number");
  expect_error(edit("alpha = 0.2\n", ""), -1, "needs 'alpha'");
  expect_error(edit("[short_range]\ncutoff = 5.5\n", ""), 0, "[short_range]");
  expect_error(kGood + "\n[pair.O-Si]\nA = 1\nrho = 1\nC = 0\n", 26, "repeats the pair");
  expect_error(kGood + "wall = { epsilon = 1, radius = 1.2, exponent = 99 }\n", 25,
               "outside 1..64");
  expect_error(kGood + "wall = { epsilon = 1, radius = 1.2, n = 12 }\n", 25, "unknown key 'n'");
  expect_error(edit("A = 18003.7572", "A = 18003.7572.5"), 22, "TOML syntax error");
}

TEST(TeacherParams, MissingFileIsAnInputError) {
  EXPECT_THROW(teacher::read_teacher_params("/nonexistent/teacher.toml"), InputError);
  EXPECT_THROW(
      md::load_force_field("/nonexistent/teacher.toml", Backend::Cpu, Precision::Double, 1.0, 1.0),
      Error);
}

TEST(TeacherParams, LoadForceFieldDispatchesToml) {
  auto ff = md::load_force_field(test::bks_path(), Backend::Cpu, Precision::Double, 1.0, 1.0);
  EXPECT_NE(ff->describe().find("BKS"), std::string::npos) << ff->describe();
  EXPECT_EQ(ff->cutoff(), 10.0);
  // Units and precision options are for HDNNPs.
  EXPECT_THROW(md::load_force_field(test::bks_path(), Backend::Cpu, Precision::Double, 0.5, 1.0),
               Error);
  EXPECT_THROW(md::load_force_field(test::bks_path(), Backend::Cpu, Precision::Mixed, 1.0, 1.0),
               Error);
}

TEST(TeacherParams, UnknownElementInStructureIsAClearError) {
  auto ff = teacher::load_teacher(test::bks_path(), Backend::Cpu);
  Structure s;
  s.species = {14, 1};
  s.positions = {{0, 0, 0}, {2, 0, 0}};
  try {
    test::evaluate(*ff, s);
    ADD_FAILURE();
  } catch (const Error& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("atom 1"), std::string::npos) << what;
    EXPECT_NE(what.find("(H)"), std::string::npos) << what;
    EXPECT_NE(what.find("Si, O"), std::string::npos) << what;
  }
}

TEST(TeacherParams, LammpsCommands) {
  auto p = teacher::parse_teacher_params(kGood, "good.toml");
  const std::string cmds = teacher::lammps_pair_commands(p, {"Si", "O"});
  EXPECT_NE(cmds.find("pair_style born/coul/dsf 0.2 5.5 10"), std::string::npos) << cmds;
  EXPECT_NE(cmds.find("pair_coeff 1 1 0 1 0 0 0 5.5"), std::string::npos) << cmds;
  EXPECT_NE(cmds.find("pair_coeff 1 2 18003.7572"), std::string::npos) << cmds;
  EXPECT_NE(cmds.find("pair_modify shift no"), std::string::npos) << cmds;
  EXPECT_NE(cmds.find("set type 2 charge -1.2"), std::string::npos) << cmds;
  // Walls have no LAMMPS equivalent.
  EXPECT_THROW(
      teacher::lammps_pair_commands(teacher::read_teacher_params(test::bks_path()), {"Si", "O"}),
      Error);
}

}  // namespace
