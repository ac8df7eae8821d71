// Bad training data and bad configs give errors that name the file, the structure, the atom or
// the key.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>

#include "train_test_util.hpp"
#include "vitrum/core/error.hpp"
#include "vitrum/io/structure_io.hpp"
#include "vitrum/train/train_config.hpp"

namespace vitrum::train {
namespace {

/// Runs training on `data` (written to `file` in `dir`) and returns the error message.
std::string error_of(const std::string& name, const std::vector<Structure>& data,
                     const std::string& file = "data.data", const std::string& extra = "") {
  const std::string dir = test::fresh_dir("bad_" + name);
  io::write_structures(dir + "/" + file, data);
  std::ofstream(dir + "/t.toml") << "[data]\nfile = \"" << file << "\"\n"
                                 << extra
                                 << "\n[potential]\nhidden_nodes = [4]\n"
                                    "[symmetry_functions]\ncutoff = 4.5\n[training]\nepochs = 1\n"
                                    "[output]\nplots = false\ndirectory = \""
                                 << dir << "/nnp\"\n";
  try {
    run_training(read_train_config(dir + "/t.toml"), true);
  } catch (const Error& e) {
    return e.what();
  }
  return "no error";
}

std::string contains(const std::string& msg, std::initializer_list<const char*> parts) {
  for (const char* p : parts)
    if (msg.find(p) == std::string::npos) return std::string("missing '") + p + "' in: " + msg;
  return "";
}

TEST(BadData, MissingForces) {
  auto d = test::teacher_structures(3, 1);
  d[1].forces.clear();
  const std::string m = error_of("noforces", d, "data.xyz");
  EXPECT_EQ(contains(m, {"data.xyz, structure 2", "no reference forces", "force_weight = 0"}), "")
      << m;
}

TEST(BadData, UnknownElement) {
  auto d = test::teacher_structures(3, 1);
  d[2].species[5] = 1;
  const std::string dir = test::fresh_dir("bad_element");
  io::write_structures(dir + "/d.data", d);
  std::ofstream(dir + "/t.toml")
      << "[data]\nfile = \"d.data\"\n[potential]\nelements = [\"O\", \"Si\"]\nhidden_nodes = [4]\n"
         "[output]\ndirectory = \""
      << dir << "/nnp\"\n";
  std::string msg;
  try {
    run_training(read_train_config(dir + "/t.toml"), true);
  } catch (const Error& e) {
    msg = e.what();
  }
  EXPECT_EQ(contains(msg, {"d.data, structure 3", "atom 6 is H", "O, Si"}), "") << msg;
}

TEST(BadData, NonFiniteEnergyAndForce) {
  auto d = test::teacher_structures(3, 1);
  d[0].energy = std::nan("");
  std::string m = error_of("nan_energy", d);
  EXPECT_EQ(contains(m, {"data.data, structure 1", "energy is not finite"}), "") << m;
  d = test::teacher_structures(3, 1);
  d[2].forces[7].y = std::nan("");
  m = error_of("nan_force", d);
  EXPECT_EQ(contains(m, {"data.data, structure 3", "atom 8 (O)", "non-finite reference force"}), "")
      << m;
}

TEST(BadData, ErrorsNameTheLineWhereTheStructureBegins) {
  // n2p2 input.data: each 12-atom structure takes 20 lines (begin, comment, 3 lattice, 12 atom,
  // energy, charge, end), so structure 3 begins at line 41; extended XYZ: 14 lines per frame.
  auto d = test::teacher_structures(3, 1);
  d[2].forces[7].y = std::nan("");
  std::string m = error_of("line_n2p2", d);
  EXPECT_EQ(contains(m, {"data.data, structure 3 (line 41)", "atom 8 (O)"}), "") << m;
  m = error_of("line_xyz", d, "data.xyz");
  EXPECT_EQ(contains(m, {"data.xyz, structure 3 (line 29)", "atom 8 (O)"}), "") << m;
}

TEST(BadData, ForcesThatAreAllZeroMeanNoForces) {
  // input.data has force columns even without forces; n2p2 writes zeros there.
  auto d = test::teacher_structures(3, 1);
  for (auto& f : d[1].forces) f = Vec3{0, 0, 0};
  const std::string m = error_of("zero_forces", d);
  EXPECT_EQ(contains(m, {"data.data, structure 2 (line 21)", "every reference force is exactly 0",
                         "force_weight = 0"}),
            "")
      << m;
}

TEST(BadData, UnitTagsInTheCommentMustMatchTheDeclaredUnits) {
  auto d = test::teacher_structures(3, 1);
  for (auto& s : d) s.comment = "teacher energy_unit=eV length_unit=angstrom";
  d[2].comment = "teacher energy_unit=eV length_unit=bohr";
  const std::string m = error_of("unit_tags", d);
  EXPECT_EQ(contains(m, {"data.data, structure 3 (line 41)", "inconsistent units",
                         "length_unit=bohr", "[data] length_unit = \"angstrom\""}),
            "")
      << m;
  // Synonyms of the declared unit are accepted.
  for (auto& s : d) s.comment = "energy_unit=ev";
  const std::string ok = error_of("unit_tags_ok", d, "data.data", "energy_unit = \"eV\"\n");
  EXPECT_EQ(ok.find("inconsistent units"), std::string::npos) << ok;
}

TEST(BadData, MissingEnergy) {
  auto d = test::teacher_structures(3, 1);
  d[1].has_energy = false;
  const std::string m = error_of("no_energy", d, "d.xyz");
  EXPECT_EQ(contains(m, {"d.xyz, structure 2", "no reference energy"}), "") << m;
}

TEST(BadData, InconsistentUnits) {
  // One structure in Hartree among eV.
  auto d = test::teacher_structures(12, 1);
  for (auto& s : d) s.energy += -5.0 * s.size();  // realistic cohesive energies
  d[4].energy /= 27.211386245988;
  std::string m = error_of("hartree", d);
  EXPECT_EQ(contains(m, {"data.data, structure 5", "inconsistent energy units"}), "") << m;
  // Positions in nm declared as Å: atoms far too close.
  d = test::teacher_structures(3, 1);
  for (auto& p : d[1].positions) p = 0.1 * p;
  for (auto& h : d[1].box.h) h = 0.1 * h;
  m = error_of("nm", d);
  EXPECT_EQ(
      contains(m, {"data.data, structure 2", "closer than [data] min_distance", "length unit"}), "")
      << m;
}

TEST(BadConfig, UnknownKeysAndBadValuesNameFileAndKey) {
  const std::string dir = test::fresh_dir("bad_config");
  auto parse = [&](const std::string& text) -> std::string {
    try {
      parse_train_config(text, dir + "/c.toml", dir);
    } catch (const Error& e) {
      return e.what();
    }
    return "no error";
  };
  std::string m = parse("[data]\nfile = \"x.data\"\n[training]\nepoch = 3\n");
  EXPECT_EQ(contains(m, {"c.toml:4", "unknown key 'epoch' in [training]", "epochs"}), "") << m;
  m = parse("[data]\nfile = \"x.data\"\n[trainig]\n");
  EXPECT_EQ(contains(m, {"c.toml:3", "unknown key 'trainig'"}), "") << m;
  m = parse("[data]\nfile = \"x.data\"\n[potential]\nactivation = \"q\"\n");
  EXPECT_EQ(contains(m, {"c.toml:4", "[potential] activation", "unknown activation 'q'"}), "") << m;
  m = parse("[data]\nfile = \"x.data\"\n[training]\nlearning_rate = -1\n");
  EXPECT_EQ(contains(m, {"[training] learning_rate", "> 0"}), "") << m;
  m = parse("[data]\nfile = \"x.data\"\n[symmetry_functions.angular]\ntype = 4\n");
  EXPECT_EQ(contains(m, {"[symmetry_functions.angular] type"}), "") << m;
  m = parse("[data]\nfile = \"x.data\"\ntest_fraction = 1.5\n");
  EXPECT_EQ(contains(m, {"test_fraction"}), "") << m;
  m = parse("[potential]\nhidden_nodes = [4]\n");
  EXPECT_EQ(contains(m, {"missing table [data]"}), "") << m;
  m = parse(
      "[data]\nfile = \"x.data\"\n[symmetry_functions]\nlines = [\"O 2 O 1 0 5\"]\n"
      "[symmetry_functions.radial]\nn = 3\n");
  EXPECT_EQ(contains(m, {"either explicit lines"}), "") << m;
  // The documented defaults parse.
  const TrainConfig c = parse_train_config("[data]\nfile = \"x.data\"\n", dir + "/c.toml", dir);
  EXPECT_EQ(c.training.epochs, 300);
  EXPECT_EQ(c.training.force_weight, 10.0);
  EXPECT_EQ(c.files.front(), dir + "/x.data");
  EXPECT_EQ(c.hidden_nodes, (std::vector<int>{25, 25}));
}

}  // namespace
}  // namespace vitrum::train
