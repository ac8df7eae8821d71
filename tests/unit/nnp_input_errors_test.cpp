// Bad potentials and structures get a clear error naming the file, the line and what was
// expected — never a crash or a silently wrong number.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "../test_paths.hpp"
#include "vitrum/core/error.hpp"
#include "vitrum/io/structure_io.hpp"
#include "vitrum/nnp/evaluator.hpp"

using namespace vitrum;
namespace fs = std::filesystem;

namespace {

// A writable copy of the shipped water potential in a fresh temporary directory.
class BrokenPotential : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("vitrum_pot_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    for (const auto& f :
         fs::directory_iterator(vitrum::test::source_dir() + "/configs/potentials/H2O_RPBE-D3"))
      fs::copy_file(f.path(), dir_ / f.path().filename());
    for (const auto& f : fs::directory_iterator(dir_))
      fs::permissions(f.path(), fs::perms::owner_write, fs::perm_options::add);
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::vector<std::string> lines(const std::string& name) {
    std::ifstream in(dir_ / name);
    std::vector<std::string> out;
    std::string l;
    while (std::getline(in, l)) out.push_back(l);
    return out;
  }
  void write(const std::string& name, const std::vector<std::string>& ls) {
    std::ofstream out(dir_ / name);
    for (const auto& l : ls) out << l << "\n";
  }
  std::string load_error() {
    try {
      nnp::Potential::load_n2p2(dir_.string());
    } catch (const Error& e) {
      return e.what();
    }
    return "";
  }
  fs::path dir_;
};

}  // namespace

TEST_F(BrokenPotential, TruncatedWeightsFileIsCounted) {
  auto w = lines("weights.008.data");
  w.resize(w.size() - 10);
  write("weights.008.data", w);
  const std::string msg = load_error();
  EXPECT_NE(msg.find("weights.008.data"), std::string::npos) << msg;
  EXPECT_NE(msg.find("expected 1451"), std::string::npos) << msg;  // 30-25-25-1 network
  EXPECT_NE(msg.find("found 1441"), std::string::npos) << msg;
}

TEST_F(BrokenPotential, MissingWeightsFile) {
  fs::remove(dir_ / "weights.001.data");
  const std::string msg = load_error();
  EXPECT_NE(msg.find("weights.001.data"), std::string::npos) << msg;
  EXPECT_NE(msg.find("cannot open"), std::string::npos) << msg;
}

TEST_F(BrokenPotential, NonNumericWeightNamesTheLine) {
  auto w = lines("weights.001.data");
  size_t k = 0;
  while (w[k][0] == '#') ++k;
  w[k + 4] = "  1.0x3 a 5 0 1 1 5";
  write("weights.001.data", w);
  const std::string msg = load_error();
  EXPECT_NE(msg.find(fmt::format("weights.001.data:{}", k + 5)), std::string::npos) << msg;
  EXPECT_NE(msg.find("1.0x3"), std::string::npos) << msg;
}

TEST_F(BrokenPotential, UnknownSymmetryFunctionTypeNamesTheLine) {
  auto nn = lines("input.nn");
  size_t k = 0;
  while (nn[k].rfind("symfunction_short", 0) != 0) ++k;
  nn[k] = "symfunction_short H 7 H 0.001 0.0 12.0";
  write("input.nn", nn);
  const std::string msg = load_error();
  EXPECT_NE(msg.find(fmt::format("input.nn:{}", k + 1)), std::string::npos) << msg;
  EXPECT_NE(msg.find("unknown symmetry function type 7"), std::string::npos) << msg;
}

TEST_F(BrokenPotential, TypeAboveTheCompactRangeIsUnknownNotReadPastTheLine) {
  // Found by fuzzing: types above 25 were taken for compact ones and read past the line's end.
  auto nn = lines("input.nn");
  size_t k = 0;
  while (nn[k].rfind("symfunction_short", 0) != 0) ++k;
  nn[k] = "symfunction_short H 671 0 27 1 21";
  write("input.nn", nn);
  const std::string msg = load_error();
  EXPECT_NE(msg.find(fmt::format("input.nn:{}", k + 1)), std::string::npos) << msg;
  EXPECT_NE(msg.find("unknown symmetry function type 671"), std::string::npos) << msg;
}

TEST_F(BrokenPotential, WrongParameterCount) {
  auto nn = lines("input.nn");
  size_t k = 0;
  while (nn[k].rfind("symfunction_short", 0) != 0) ++k;
  nn[k] = "symfunction_short H 2 H 0.001 12.0";
  write("input.nn", nn);
  const std::string msg = load_error();
  EXPECT_NE(msg.find(fmt::format("input.nn:{}", k + 1)), std::string::npos) << msg;
  EXPECT_NE(msg.find("e1 eta rs rc"), std::string::npos) << msg;
}

TEST_F(BrokenPotential, ScalingFileEndsEarly) {
  auto sc = lines("scaling.data");
  sc.resize(sc.size() - 5);
  write("scaling.data", sc);
  const std::string msg = load_error();
  EXPECT_NE(msg.find("scaling.data"), std::string::npos) << msg;
  EXPECT_NE(msg.find("ends early"), std::string::npos) << msg;
}

TEST_F(BrokenPotential, UnknownActivation) {
  auto nn = lines("input.nn");
  for (auto& l : nn)
    if (l.rfind("global_activation_short", 0) == 0) l = "global_activation_short t q l";
  write("input.nn", nn);
  const std::string msg = load_error();
  EXPECT_NE(msg.find("unknown activation 'q'"), std::string::npos) << msg;
}

TEST_F(BrokenPotential, PartialNormalizationIsRejected) {
  auto nn = lines("input.nn");
  for (auto& l : nn)
    if (l.rfind("conv_length", 0) == 0) l = "";
  write("input.nn", nn);
  EXPECT_NE(load_error().find("all three or none"), std::string::npos);
}

class BadStructure : public ::testing::Test {
 protected:
  BadStructure()
      : pot_(nnp::Potential::load_n2p2(vitrum::test::source_dir() +
                                       "/configs/potentials/H2O_RPBE-D3")),
        water_(io::read_structures(vitrum::test::n2p2_dir() +
                                   "/outputs/H2O_RPBE-D3/dataset/input.data")
                   .front()) {}
  std::string eval_error(const Structure& s) {
    nnp::Evaluator ev(pot_, {});
    try {
      ev.evaluate(s, "test.data, structure 1");
    } catch (const Error& e) {
      return e.what();
    }
    return "";
  }
  nnp::Potential pot_;
  Structure water_;
};

TEST_F(BadStructure, ElementThePotentialLacks) {
  Structure s = water_;
  s.species[5] = 14;  // Si
  const std::string msg = eval_error(s);
  EXPECT_NE(msg.find("atom 5"), std::string::npos) << msg;
  EXPECT_NE(msg.find("Z=14"), std::string::npos) << msg;
}

TEST_F(BadStructure, NanCoordinates) {
  Structure s = water_;
  s.positions[3].y = std::nan("");
  const std::string msg = eval_error(s);
  EXPECT_NE(msg.find("test.data, structure 1"), std::string::npos) << msg;
  EXPECT_NE(msg.find("3"), std::string::npos) << msg;
}

TEST_F(BadStructure, OverlappingAtoms) {
  Structure s = water_;
  s.positions[1] = s.positions[0];
  const std::string msg = eval_error(s);
  EXPECT_NE(msg.find("closer than"), std::string::npos) << msg;
}

TEST_F(BadStructure, MinimumDistanceFromThePotential) {
  Structure s = water_;
  pot_.set_min_distance(1.5);  // bohr; O-H bonds are ~1.8 bohr
  s.positions[1] = s.positions[0] + Vec3{1.2, 0, 0};
  const std::string msg = eval_error(s);
  EXPECT_NE(msg.find("closer than"), std::string::npos) << msg;
  EXPECT_NE(msg.find("1.5"), std::string::npos) << msg;
}

TEST_F(BadStructure, ExtrapolationIsCountedNotFatal) {
  nnp::Evaluator ev(pot_, {});
  EXPECT_EQ(ev.evaluate(water_).extrapolations, 0);
  Structure s = water_;
  for (auto& p : s.positions) p = 0.8 * p;  // compressed by 20%: far outside training
  for (auto& row : s.box.h) row = 0.8 * row;
  const auto r = ev.evaluate(s);
  EXPECT_GT(r.extrapolations, 0);
  EXPECT_TRUE(std::isfinite(r.energy));
}
