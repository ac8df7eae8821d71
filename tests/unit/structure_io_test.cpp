#include "vitrum/io/structure_io.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>
#include <random>
#include <sstream>

#include "../test_paths.hpp"
#include "vitrum/core/elements.hpp"
#include "vitrum/core/error.hpp"
#include "vitrum/core/structure.hpp"

using namespace vitrum;
namespace fs = std::filesystem;

namespace {

/// A fresh empty directory per test, removed afterwards.
class TempDir {
 public:
  TempDir() {
    static int counter = 0;
    path_ = fs::temp_directory_path() /
            ("vitrum_structure_io_" + std::to_string(::getpid()) + "_" + std::to_string(counter++));
    fs::remove_all(path_);
    fs::create_directories(path_);
  }
  ~TempDir() { fs::remove_all(path_); }
  std::string file(const std::string& name) const { return (path_ / name).string(); }
  std::size_t count() const {
    return static_cast<std::size_t>(std::distance(fs::directory_iterator(path_), {}));
  }

 private:
  fs::path path_;
};

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

/// Random doubles spanning many magnitudes, so that any loss of precision shows.
double random_value(std::mt19937_64& rng) {
  std::uniform_real_distribution<double> u(-1.0, 1.0);
  std::uniform_int_distribution<int> e(-30, 30);
  return u(rng) * std::pow(10.0, e(rng) / 3.0);
}

std::vector<Structure> random_structures(bool with_velocities) {
  std::mt19937_64 rng(42);
  std::vector<Structure> out;
  for (int k = 0; k < 3; ++k) {
    Structure s;
    s.comment = k == 0 ? "" : "random structure " + std::to_string(k) + " with spaces";
    s.set = k == 1 ? "train" : (k == 2 ? "test" : "");
    s.box.periodic = k != 2;
    if (s.box.periodic) {
      s.box.h[0] = {10.0 + random_value(rng), 0.0, 0.0};
      s.box.h[1] = {random_value(rng), 9.0 + random_value(rng), 0.0};
      s.box.h[2] = {random_value(rng), random_value(rng), 11.0 + random_value(rng)};
    }
    const int n = 5 + 7 * k;
    const int zs[] = {1, 8, 14, 29, 16};
    for (int i = 0; i < n; ++i) {
      s.species.push_back(zs[i % 5]);
      // Some atoms deliberately outside the cell: readers must not wrap.
      s.positions.push_back({20 * random_value(rng), random_value(rng) - 12.0, random_value(rng)});
      s.forces.push_back({random_value(rng), random_value(rng), random_value(rng)});
      s.charges.push_back(random_value(rng));
      if (with_velocities) {
        s.velocities.push_back({random_value(rng), random_value(rng), random_value(rng)});
      }
    }
    s.has_energy = k != 1;
    s.energy = s.has_energy ? random_value(rng) * 1e4 : 0.0;
    s.charge = k == 2 ? random_value(rng) : 0.0;
    out.push_back(s);
  }
  return out;
}

void expect_vec_eq(const std::vector<Vec3>& a, const std::vector<Vec3>& b, const char* what) {
  ASSERT_EQ(a.size(), b.size()) << what;
  for (std::size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].x, b[i].x) << what << " " << i;
    EXPECT_EQ(a[i].y, b[i].y) << what << " " << i;
    EXPECT_EQ(a[i].z, b[i].z) << what << " " << i;
  }
}

void expect_same_structure(const Structure& a, const Structure& b) {
  EXPECT_EQ(a.comment, b.comment);
  EXPECT_EQ(a.set, b.set);
  EXPECT_EQ(a.box.periodic, b.box.periodic);
  for (int d = 0; d < 3; ++d) {
    EXPECT_EQ(a.box.h[d].x, b.box.h[d].x);
    EXPECT_EQ(a.box.h[d].y, b.box.h[d].y);
    EXPECT_EQ(a.box.h[d].z, b.box.h[d].z);
  }
  EXPECT_EQ(a.species, b.species);
  expect_vec_eq(a.positions, b.positions, "positions");
  expect_vec_eq(a.forces, b.forces, "forces");
  expect_vec_eq(a.velocities, b.velocities, "velocities");
  EXPECT_EQ(a.charges, b.charges);
  EXPECT_EQ(a.has_energy, b.has_energy);
  EXPECT_EQ(a.energy, b.energy);
  EXPECT_EQ(a.charge, b.charge);
  EXPECT_EQ(a.has_virial, b.has_virial);
  for (int r = 0; r < 3; ++r) {
    for (int c = 0; c < 3; ++c) EXPECT_EQ(a.virial[r][c], b.virial[r][c]);
  }
  EXPECT_EQ(a.info, b.info);
}

/// Expects `fn` to throw InputError at `line` with `needle` in the message.
template <typename Fn>
void expect_input_error(Fn fn, long line, const std::string& needle) {
  try {
    fn();
    ADD_FAILURE() << "no InputError thrown (expected line " << line << ", '" << needle << "')";
  } catch (const InputError& e) {
    EXPECT_EQ(e.line(), line) << e.what();
    EXPECT_NE(std::string(e.what()).find(needle), std::string::npos)
        << "message '" << e.what() << "' lacks '" << needle << "'";
  }
}

/// Independent count of the atom lines and lattice lines per block of an input.data file.
struct BlockCounts {
  std::vector<int> atoms, lattices;
};
BlockCounts count_blocks(const std::string& text) {
  BlockCounts c;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream ls(line);
    std::string key;
    ls >> key;
    if (key == "begin") {
      c.atoms.push_back(0);
      c.lattices.push_back(0);
    } else if (key == "atom") {
      ++c.atoms.back();
    } else if (key == "lattice") {
      ++c.lattices.back();
    }
  }
  return c;
}

}  // namespace

// ------------------------------------------------------------------------------------ Box

TEST(Box, VolumeHeightsAndFractionalCoordinates) {
  Box b;
  b.periodic = true;
  b.h[0] = {4.0, 0.0, 0.0};
  b.h[1] = {1.0, 5.0, 0.0};
  b.h[2] = {0.5, -1.0, 6.0};
  EXPECT_NEAR(b.volume(), 120.0, 1e-12);
  const Vec3 h = b.heights();
  // Height along a = V / |b x c|, etc.
  const Vec3 bc = cross(b.h[1], b.h[2]);
  EXPECT_NEAR(h.x, 120.0 / std::sqrt(dot(bc, bc)), 1e-12);
  EXPECT_NEAR(h.z, 6.0, 1e-12);
  const Vec3 s{0.25, -1.5, 2.75};
  const Vec3 r = b.to_cartesian(s);
  const Vec3 s2 = b.to_fractional(r);
  EXPECT_NEAR(s2.x, s.x, 1e-14);
  EXPECT_NEAR(s2.y, s.y, 1e-14);
  EXPECT_NEAR(s2.z, s.z, 1e-14);
  const Vec3 w = b.to_fractional(b.wrap(r));
  EXPECT_NEAR(w.x, 0.25, 1e-14);
  EXPECT_NEAR(w.y, 0.5, 1e-14);
  EXPECT_NEAR(w.z, 0.75, 1e-14);
  // An atom already inside keeps its exact coordinates.
  const Vec3 inside = b.to_cartesian({0.1, 0.2, 0.3});
  EXPECT_EQ(b.wrap(inside).x, inside.x);
  EXPECT_EQ(b.wrap(inside).y, inside.y);
  EXPECT_EQ(b.wrap(inside).z, inside.z);

  Box open;
  EXPECT_EQ(open.volume(), 0.0);
  EXPECT_EQ(open.wrap({100.0, -3.0, 2.0}).x, 100.0);
}

// ------------------------------------------------------------------------------------ n2p2

TEST(N2p2Data, RoundTripKeepsFullPrecision) {
  const auto structures = random_structures(false);
  std::ostringstream os;
  io::write_n2p2_data(os, structures);
  const auto back = io::parse_n2p2_data(os.str(), "memory");
  ASSERT_EQ(back.size(), structures.size());
  for (std::size_t k = 0; k < back.size(); ++k) expect_same_structure(structures[k], back[k]);
}

TEST(N2p2Data, WriterReproducesN2p2OutputByteForByte) {
  for (const char* name : {"H2O_RPBE-D3", "LJ_Ne", "DMABN_SCAN", "Ethylbenzene_SCAN"}) {
    const std::string path = test::n2p2_dir() + "/outputs/" + name + "/output.data";
    if (!fs::exists(path)) GTEST_SKIP() << "missing " << path;
    std::ostringstream os;
    io::write_n2p2_data(os, io::read_n2p2_data(path));
    EXPECT_EQ(os.str(), slurp(path)) << path;
  }
}

TEST(N2p2Data, ReadsEveryReferenceInputData) {
  const fs::path root = test::n2p2_dir();
  if (!fs::exists(root)) GTEST_SKIP() << "no reference data at " << root;
  int files = 0;
  for (const auto& entry : fs::recursive_directory_iterator(root)) {
    const std::string name = entry.path().filename().string();
    if (name != "input.data" && name != "input.data.gz") continue;
    const std::string path = entry.path().string();
    SCOPED_TRACE(path);
    const auto structures = io::read_structures(path);
    if (name == "input.data") {
      const BlockCounts c = count_blocks(slurp(path));
      ASSERT_EQ(structures.size(), c.atoms.size());
      for (std::size_t k = 0; k < structures.size(); ++k) {
        EXPECT_EQ(static_cast<int>(structures[k].size()), c.atoms[k]);
        EXPECT_TRUE(c.lattices[k] == 0 || c.lattices[k] == 3);
        EXPECT_EQ(structures[k].box.periodic, c.lattices[k] == 3);
        EXPECT_EQ(structures[k].forces.size(), structures[k].size());
        EXPECT_EQ(structures[k].charges.size(), structures[k].size());
        EXPECT_NO_THROW(validate_structure(structures[k], path));
      }
    } else {
      ASSERT_EQ(structures.size(), 1u);
      EXPECT_EQ(structures[0].size(), 8640u);  // the gzipped liquid water box
    }
    ++files;
  }
  EXPECT_GE(files, 20);

  const auto water = io::read_n2p2_data(test::n2p2_dir() + "/outputs/H2O_RPBE-D3/input.data");
  ASSERT_EQ(water.size(), 1u);
  EXPECT_EQ(water[0].size(), 1080u);
  EXPECT_EQ(water[0].species[0], 8);
  EXPECT_EQ(water[0].species[1], 1);
  EXPECT_EQ(water[0].positions[0].x, 3.3161137848673654E+01);
  EXPECT_EQ(water[0].box.h[1].y, 4.4571144109503649E+01);
  EXPECT_EQ(water[0].comment, "Generated from -, TIMESTEP: 20000000");

  // LJ example: `comment` after `energy`, 8-digit numbers, no lattice.
  const auto lj = io::read_n2p2_data(test::n2p2_dir() + "/outputs/LJ_Ne/input.data");
  ASSERT_EQ(lj.size(), 1u);
  EXPECT_FALSE(lj[0].box.periodic);
  EXPECT_EQ(lj[0].forces[1].y, 1.38564065E+01);
  EXPECT_TRUE(lj[0].has_energy);
  EXPECT_EQ(lj[0].comment, "r =   1.00000000E+00, E =   0.00000000E+00, dEdr =  -2.40000000E+01");
}

TEST(N2p2Data, AcceptsAnyOrderLeadingWhitespaceAndSets) {
  const std::string text =
      "  begin set=test\n"
      "energy -1.5\n"
      "\tatom 1 2 3 Si 0.1 0 0.5 0.6 0.7\n"
      "lattice 5 0 0\n"
      "comment   hello   world  \n"
      "lattice 0 5 0\n"
      "charge 0\n"
      "lattice 0 0 5\n"
      "atom 6 -1 +2.5e0 O -0.1 0.0 0 0 0\n"
      "end\n"
      "\n"
      "begin\n"
      "atom 0 0 0 H 0 0 0 0 0\n"
      "end\n";
  const auto s = io::parse_n2p2_data(text, "t.data");
  ASSERT_EQ(s.size(), 2u);
  EXPECT_EQ(s[0].set, "test");
  EXPECT_EQ(s[0].comment, "  hello   world  ");  // as n2p2: only one separator is removed
  EXPECT_TRUE(s[0].box.periodic);
  EXPECT_EQ(s[0].box.h[2].z, 5.0);
  ASSERT_EQ(s[0].size(), 2u);
  EXPECT_EQ(s[0].species[0], 14);
  EXPECT_EQ(s[0].positions[1].x, 6.0);  // outside the cell, kept as written
  EXPECT_EQ(s[0].positions[1].z, 2.5);
  EXPECT_EQ(s[0].forces[0].z, 0.7);
  EXPECT_EQ(s[0].charges[1], -0.1);
  EXPECT_EQ(s[0].energy, -1.5);
  EXPECT_FALSE(s[1].box.periodic);
  EXPECT_FALSE(s[1].has_energy);
  EXPECT_EQ(s[1].set, "");
}

TEST(N2p2Data, MalformedInputsNameTheLine) {
  const std::string ok_atom = "atom 0 0 0 H 0 0 0 0 0\n";
  auto parse = [](const std::string& text) {
    return [text] { io::parse_n2p2_data(text, "bad.data"); };
  };
  expect_input_error(parse("begin\natom 1 2 3 H 0 0\nend\n"), 2,
                     "atom line needs 10 tokens: x y z element charge n fx fy fz, got 7");
  expect_input_error(parse("begin\n" + ok_atom + "atom 1 2 3 Xx 0 0 0 0 0\nend\n"), 3,
                     "unknown element symbol 'Xx'");
  expect_input_error(parse("begin\nlattice 1 0 0\n" + ok_atom + "end\n"), 4,
                     "1 lattice line(s); expected exactly 0 (isolated) or 3");
  expect_input_error(parse("begin\nlattice 1 0 0\nlattice 0 1 0\n" + ok_atom + "end\n"), 5,
                     "2 lattice line(s)");
  expect_input_error(parse("begin\nlattice 1 0 0\nlattice 0 1 0\nlattice 0 0 1\nlattice 1 1 1\n" +
                           ok_atom + "end\n"),
                     5, "fourth lattice line");
  expect_input_error(parse("begin\n" + ok_atom + "end\nbegin\n" + ok_atom + ok_atom), 4,
                     "missing `end`");
  expect_input_error(parse("begin\n" + ok_atom + "begin\n" + ok_atom + "end\n"), 3,
                     "missing `end`");
  expect_input_error(parse("begin\natom 0 0 0 H 0 0 0 0 1.0abc\nend\n"), 2,
                     "non-numeric token '1.0abc'");
  expect_input_error(parse("begin\n" + ok_atom + "energy twelve\nend\n"), 3,
                     "non-numeric token 'twelve'");
  expect_input_error(parse("begin\n" + ok_atom + "stress 1 2 3\nend\n"), 3,
                     "unknown keyword `stress`");
  expect_input_error(parse("\n\natom 0 0 0 H 0 0 0 0 0\n"), 3, "expected `begin`");
  expect_input_error(parse("begin set=valid\n" + ok_atom + "end\n"), 1, "set=train");
  expect_input_error(parse("begin\nend\n"), 2, "no `atom` lines");
  expect_input_error(parse("begin\nlattice 1 0\n"), 2, "lattice line needs 4 tokens");
  expect_input_error(parse("begin\n" + ok_atom + "energy 1\nenergy 2\nend\n"), 4,
                     "second `energy`");

  TempDir dir;
  expect_input_error([&] { io::read_n2p2_data(dir.file("missing.data")); }, 0, "cannot open file");
  try {
    io::read_structures(dir.file("missing.data"));
    ADD_FAILURE();
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("missing.data"), std::string::npos);
  }
  const std::string bad = dir.file("bad.data");
  std::ofstream(bad) << "begin\n" << ok_atom << ok_atom << "atom 1 2 3 H\nend\n";
  try {
    io::read_structures(bad);
    ADD_FAILURE();
  } catch (const InputError& e) {
    EXPECT_EQ(e.file(), bad);
    EXPECT_EQ(e.line(), 4);
    EXPECT_NE(std::string(e.what()).find(bad + ":4: atom line needs 10 tokens"), std::string::npos)
        << e.what();
  }
}

// ------------------------------------------------------------------------------------ extxyz

TEST(ExtXyz, RoundTripKeepsFullPrecisionAndInfo) {
  auto structures = random_structures(true);
  structures[0].info["config_type"] = "bulk amorphous";
  structures[0].info["temperature"] = "300";
  structures[0].info["quote"] = "say \"hi\"";
  structures[1].has_virial = true;
  for (int r = 0; r < 3; ++r) {
    for (int c = 0; c < 3; ++c) structures[1].virial[r][c] = 0.1 * (3 * r + c) + 1e-17;
  }
  std::ostringstream os;
  io::write_extxyz(os, structures);
  const auto back = io::parse_extxyz(os.str(), "memory.xyz");
  ASSERT_EQ(back.size(), structures.size());
  for (std::size_t k = 0; k < back.size(); ++k) expect_same_structure(structures[k], back[k]);
}

TEST(ExtXyz, ReadsAseStyleFrames) {
  const std::string text =
      "3\n"
      "Lattice=\"5.0 0.0 0.0 1.0 6.0 0.0 0.0 0.0 7.0\" "
      "Properties=species:S:1:pos:R:3:tags:I:1:forces:R:3:initial_charges:R:1 energy=-12.5 "
      "config_type=liquid stress=\"1 2 3 4 5 6 7 8 9\" is_ok pbc=\"T T T\"\n"
      "Si 0.0 0.0 0.0 7 0.1 0.2 0.3 1.5\n"
      "O  1.0 2.0 -3.0 7 -0.1 -0.2 -0.3 -0.75\n"
      "O  9.0 2.5 3.0 1 0 0 0 -0.75\n"
      "2\n"
      "just a plain xyz comment\n"
      "H 0 0 0\n"
      "H 0 0 0.74\n";
  const auto s = io::parse_extxyz(text, "ase.xyz");
  ASSERT_EQ(s.size(), 2u);
  EXPECT_TRUE(s[0].box.periodic);
  EXPECT_EQ(s[0].box.h[1].x, 1.0);
  EXPECT_EQ(s[0].species, (std::vector<int>{14, 8, 8}));
  EXPECT_EQ(s[0].positions[2].x, 9.0);  // outside the cell, kept
  EXPECT_EQ(s[0].forces[1].z, -0.3);
  EXPECT_EQ(s[0].charges[0], 1.5);
  EXPECT_TRUE(s[0].has_energy);
  EXPECT_EQ(s[0].energy, -12.5);
  EXPECT_EQ(s[0].info.at("config_type"), "liquid");
  EXPECT_EQ(s[0].info.at("stress"), "1 2 3 4 5 6 7 8 9");
  EXPECT_EQ(s[0].info.at("is_ok"), "T");
  EXPECT_FALSE(s[1].box.periodic);
  EXPECT_EQ(s[1].comment, "just a plain xyz comment");
  EXPECT_EQ(s[1].positions[1].z, 0.74);
  EXPECT_TRUE(s[1].forces.empty());
}

TEST(ExtXyz, MalformedInputsNameTheLine) {
  auto parse = [](const std::string& text) {
    return [text] { io::parse_extxyz(text, "bad.xyz"); };
  };
  const std::string hdr =
      "Lattice=\"5 0 0 0 5 0 0 0 5\" Properties=species:S:1:pos:R:3 pbc=\"T T T\"\n";
  expect_input_error(parse("2\n" + hdr + "H 0 0 0\nH 0 0\n"), 4, "atom line needs 4 columns");
  expect_input_error(parse("1\n" + hdr + "Qq 0 0 0\n"), 3, "unknown element symbol 'Qq'");
  expect_input_error(parse("1\n" + hdr + "H 0 zero 0\n"), 3, "non-numeric token 'zero'");
  expect_input_error(parse("1\nLattice=\"5 0 0 0 5 0 0 0\"\nH 0 0 0\n"), 2,
                     "Lattice needs 9 numbers");
  expect_input_error(parse("1\nLattice=\"5 0 0 0 5 0 0 0 5\" pbc=\"T T F\"\nH 0 0 0\n"), 2,
                     "partial periodicity");
  expect_input_error(parse("1\nLattice=\"5 0 0 0 5 0 0 0 5\nH 0 0 0\n"), 2,
                     "unterminated quoted string");
  expect_input_error(parse("3\n" + hdr + "H 0 0 0\nH 1 0 0\n"), 5, "declares 3 atoms");
  expect_input_error(parse("1\n" + hdr + "H 0 0 0\nfoo\n" + hdr), 4, "the number of atoms");
  expect_input_error(parse("1\nProperties=pos:R:3\n0 0 0\n"), 2, "needs species");
}

// ------------------------------------------------------------------------------------ files

TEST(StructureFiles, FormatFromExtension) {
  EXPECT_EQ(io::structure_format_from_path("a/input.data"), io::StructureFormat::N2p2);
  EXPECT_EQ(io::structure_format_from_path("input.data.gz"), io::StructureFormat::N2p2);
  EXPECT_EQ(io::structure_format_from_path("x.xyz"), io::StructureFormat::ExtXyz);
  EXPECT_EQ(io::structure_format_from_path("x.EXTXYZ"), io::StructureFormat::ExtXyz);
  EXPECT_EQ(io::structure_format_from_path("cell.lmp"), io::StructureFormat::LammpsData);
  EXPECT_THROW(io::structure_format_from_path("x.pdb"), Error);
  EXPECT_THROW(io::structure_format_from_path("dir.data/noext"), Error);
  // LAMMPS data files dispatch to their reader: a missing file is named in the error.
  try {
    io::read_structures("cell.lmp");
    ADD_FAILURE();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("cell.lmp"), std::string::npos) << e.what();
  }
  EXPECT_THROW(io::write_structures("cell.lammps", {}), Error);  // nothing to write
}

TEST(StructureFiles, WriteIsAtomicAndRoundTripsThroughBothFormats) {
  TempDir dir;
  const auto structures = random_structures(false);
  for (const char* name : {"out.data", "out.xyz", "out.extxyz"}) {
    const std::string path = dir.file(name);
    io::write_structures(path, structures);
    io::write_structures(path, structures);  // overwriting an existing file
    const auto back = io::read_structures(path);
    ASSERT_EQ(back.size(), structures.size());
    for (std::size_t k = 0; k < back.size(); ++k) expect_same_structure(structures[k], back[k]);
  }
  EXPECT_EQ(dir.count(), 3u);  // no temporary files left behind
  EXPECT_THROW(io::write_structures(dir.file("no/such/dir/out.data"), structures), Error);
  EXPECT_EQ(dir.count(), 3u);
}

TEST(StructureFiles, ReferenceWaterRoundTripsExactly) {
  const std::string path = test::n2p2_dir() + "/outputs/H2O_RPBE-D3/dataset/input.data";
  if (!fs::exists(path)) GTEST_SKIP() << "missing " << path;
  TempDir dir;
  const auto original = io::read_structures(path);
  ASSERT_EQ(original.size(), 20u);
  for (const char* name : {"w.data", "w.xyz"}) {
    io::write_structures(dir.file(name), original);
    const auto back = io::read_structures(dir.file(name));
    ASSERT_EQ(back.size(), original.size());
    for (std::size_t k = 0; k < back.size(); ++k) expect_same_structure(original[k], back[k]);
  }
}

// ------------------------------------------------------------------------------------ validation

TEST(ValidateStructure, RejectsNonFiniteUnknownSpeciesAndFlatBoxes) {
  Structure s;
  s.box.periodic = true;
  s.box.h[0] = {5, 0, 0};
  s.box.h[1] = {0, 5, 0};
  s.box.h[2] = {0, 0, 5};
  s.species = {8, 1, 1};
  s.positions = {{0, 0, 0}, {1, 0, 0}, {0, 1, 0}};
  EXPECT_NO_THROW(validate_structure(s, "w.data, structure 3"));

  auto expect_message = [](const Structure& bad, const std::string& needle) {
    try {
      validate_structure(bad, "w.data, structure 3");
      ADD_FAILURE() << "no error for " << needle;
    } catch (const Error& e) {
      const std::string msg = e.what();
      EXPECT_NE(msg.find("w.data, structure 3"), std::string::npos) << msg;
      EXPECT_NE(msg.find(needle), std::string::npos) << msg;
    }
  };
  Structure nan = s;
  nan.positions[2].y = std::numeric_limits<double>::quiet_NaN();
  expect_message(nan, "atom 2 (H) has a non-finite position");
  Structure inf = s;
  inf.positions[1].z = std::numeric_limits<double>::infinity();
  expect_message(inf, "atom 1 (H)");
  Structure unknown = s;
  unknown.species[1] = 0;
  expect_message(unknown, "atom 1 has unknown species");
  unknown.species[1] = 200;
  expect_message(unknown, "atom 1 has unknown species");
  Structure flat = s;
  flat.box.h[2] = {5, 5, 0};  // in the plane of a and b
  expect_message(flat, "zero volume");
  Structure open = flat;
  open.box.periodic = false;  // an isolated molecule ignores the cell
  EXPECT_NO_THROW(validate_structure(open, "molecule"));
}
