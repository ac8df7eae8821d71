// LAMMPS data files: exact round trips (orthogonal, triclinic, charge style, velocities, origin),
// the type→element rules, rotation of a cell into LAMMPS's orientation (checked through the
// teacher energy, which must not change), and reader errors that name file and line.
#include "vitrum/io/lammps_data.hpp"

#include <gtest/gtest.h>

#include <sstream>

#include "teacher_test_util.hpp"
#include "vitrum/core/error.hpp"
#include "vitrum/io/structure_io.hpp"

using namespace vitrum;

namespace {

void expect_same_atoms(const Structure& a, const Structure& b) {
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    ASSERT_EQ(a.species[i], b.species[i]) << i;
    for (int d = 0; d < 3; ++d) ASSERT_EQ(a.positions[i][d], b.positions[i][d]) << i;
  }
  for (int r = 0; r < 3; ++r)
    for (int d = 0; d < 3; ++d) EXPECT_EQ(a.box.h[r][d], b.box.h[r][d]);
  EXPECT_EQ(a.box.periodic, b.box.periodic);
}

Structure round_trip(const Structure& s, const io::LammpsDataOptions& opt = {}) {
  std::ostringstream os;
  io::write_lammps_data(os, s, opt);
  return io::parse_lammps_data(os.str(), "rt.lmp", opt);
}

TEST(LammpsData, RoundTripsOrthogonalAndTriclinicExactly) {
  for (bool tilted : {false, true}) {
    const Structure s = test::sio2_cell(96, 2.2, 3, tilted);
    const Structure r = round_trip(s);
    expect_same_atoms(s, r);
    EXPECT_TRUE(r.charges.empty());
    EXPECT_EQ(r.comment, s.comment);
  }
}

TEST(LammpsData, RoundTripsChargesVelocitiesAndOrigin) {
  Structure s = test::sio2_cell(48, 2.2, 5, true);
  for (size_t i = 0; i < s.size(); ++i) {
    s.charges.push_back(s.species[i] == 14 ? 2.4 : -1.2);
    s.velocities.push_back({1e-3 * i, -2.5e-2, 3.25e-4 * i});
  }
  s.info["lammps_origin"] = "-1.5 0.25 3";
  std::ostringstream os;
  io::write_lammps_data(os, s);
  EXPECT_NE(os.str().find("Atoms # charge"), std::string::npos);
  EXPECT_NE(os.str().find("-1.5 "), std::string::npos);
  EXPECT_NE(os.str().find("Velocities"), std::string::npos);
  const Structure r = io::parse_lammps_data(os.str(), "rt.lmp");
  expect_same_atoms(s, r);
  ASSERT_EQ(r.charges, s.charges);
  EXPECT_EQ(r.info.at("lammps_origin"), "-1.5 0.25 3");
  ASSERT_EQ(r.velocities.size(), s.size());
  for (size_t i = 0; i < s.size(); ++i)
    for (int d = 0; d < 3; ++d)
      EXPECT_NEAR(r.velocities[i][d], s.velocities[i][d], 1e-15 * std::abs(s.velocities[i][d]));
  // Without the metal conversion the file holds vitrum's numbers unchanged.
  io::LammpsDataOptions raw;
  raw.metal_velocities = false;
  const Structure r2 = round_trip(s, raw);
  for (size_t i = 0; i < s.size(); ++i)
    for (int d = 0; d < 3; ++d) EXPECT_EQ(r2.velocities[i][d], s.velocities[i][d]);
}

TEST(LammpsData, ReadsByExtensionAndWritesThroughWriteStructures) {
  test::ScratchDir dir("lammps_data");
  const Structure s = test::sio2_cell(96, 2.2, 9, true);
  for (const char* name : {"cell.lmp", "cell.lammps"}) {
    io::write_structures(dir.file(name), {s});
    const auto r = io::read_structures(dir.file(name));
    ASSERT_EQ(r.size(), 1u);
    expect_same_atoms(s, r[0]);
  }
  EXPECT_THROW(io::write_structures(dir.file("two.lmp"), {s, s}), Error);
}

TEST(LammpsData, TypeElementsFromCommentsMassesOrOption) {
  const std::string body =
      "\n3 atoms\n2 atom types\n0 10 xlo xhi\n0 10 ylo yhi\n0 10 zlo zhi\n\nMasses\n\n";
  const std::string atoms = "\nAtoms\n\n1 1 0 0 0\n2 2 1.6 0 0\n3 2 0 1.6 0 0 1 0\n";
  // Comments win over masses.
  auto s = io::parse_lammps_data("t\n" + body + "1 28.0855 # Si\n2 99.0 # O oxygen\n" + atoms, "a");
  EXPECT_EQ(s.species, (std::vector<int>{14, 8, 8}));
  // Image flags unwrap: atom 3 is at y = 1.6 + 10.
  EXPECT_EQ(s.positions[2].y, 11.6);
  // Standard masses without comments.
  s = io::parse_lammps_data("t\n" + body + "1 28.0855\n2 15.999\n" + atoms, "b");
  EXPECT_EQ(s.species, (std::vector<int>{14, 8, 8}));
  // The option overrides both.
  io::LammpsDataOptions opt;
  opt.type_elements = {"Ge", "O"};
  s = io::parse_lammps_data("t\n" + body + "1 28.0855 # Si\n2 15.999\n" + atoms, "c", opt);
  EXPECT_EQ(s.species, (std::vector<int>{32, 8, 8}));
  // No way to tell: an error naming the Masses line.
  try {
    io::parse_lammps_data("t\n" + body + "1 3.5\n2 15.999\n" + atoms, "d.lmp");
    ADD_FAILURE();
  } catch (const InputError& e) {
    EXPECT_EQ(e.line(), 11);
    EXPECT_NE(std::string(e.what()).find("atom type 1"), std::string::npos) << e.what();
  }
  // Writing numbers types by first appearance unless told; the Masses comments name them.
  std::ostringstream os;
  io::write_lammps_data(os, s);
  EXPECT_NE(os.str().find("1 72.63 # Ge"), std::string::npos) << os.str();
  opt.type_elements = {"O", "Ge"};
  std::ostringstream os2;
  io::write_lammps_data(os2, s, opt);
  EXPECT_NE(os2.str().find("1 15.999 # O"), std::string::npos) << os2.str();
  EXPECT_EQ(io::parse_lammps_data(os2.str(), "e").species, s.species);
}

TEST(LammpsData, RotatesGeneralCellsWithoutChangingPhysics) {
  Structure s = test::sio2_cell(96, 2.2, 13, true);
  // Rotate the whole configuration out of LAMMPS's orientation.
  const double c = std::cos(0.7), sn = std::sin(0.7), c2 = std::cos(-0.4), s2 = std::sin(-0.4);
  auto rot = [&](Vec3 v) {
    v = Vec3{c * v.x - sn * v.y, sn * v.x + c * v.y, v.z};
    return Vec3{c2 * v.x + s2 * v.z, v.y, -s2 * v.x + c2 * v.z};
  };
  Structure g = s;
  for (auto& r : g.positions) r = rot(r);
  for (auto& h : g.box.h) h = rot(h);
  const io::LammpsCell cell = io::lammps_cell(g.box);
  EXPECT_TRUE(cell.rotated);
  EXPECT_NEAR(cell.lx, s.box.h[0].x, 1e-12);
  EXPECT_NEAR(cell.xy, s.box.h[1].x, 1e-12);
  EXPECT_NEAR(cell.yz, s.box.h[2].y, 1e-12);
  const Structure r = round_trip(g);
  EXPECT_EQ(r.box.h[0].y, 0.0);
  EXPECT_EQ(r.box.h[0].z, 0.0);
  EXPECT_EQ(r.box.h[1].z, 0.0);
  auto ff = teacher::load_teacher(test::bks_path(), Backend::Cpu);
  const double e0 = test::evaluate(*ff, s).energy, e1 = test::evaluate(*ff, r).energy;
  EXPECT_NEAR(e1, e0, 1e-10 * std::abs(e0));
  // A left-handed cell cannot be written.
  Structure left = s;
  std::swap(left.box.h[0], left.box.h[1]);
  std::ostringstream os;
  EXPECT_THROW(io::write_lammps_data(os, left), Error);
  Structure open = s;
  open.box.periodic = false;
  EXPECT_THROW(io::write_lammps_data(os, open), Error);
}

void expect_read_error(const std::string& text, long line, const std::string& needle) {
  try {
    io::parse_lammps_data(text, "bad.lmp");
    ADD_FAILURE() << text;
  } catch (const InputError& e) {
    EXPECT_EQ(e.file(), "bad.lmp");
    EXPECT_EQ(e.line(), line) << e.what();
    EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
  }
}

TEST(LammpsData, ReaderErrorsNameFileAndLine) {
  const std::string head =
      "title\n\n2 atoms\n1 atom types\n0 5 xlo xhi\n0 5 ylo yhi\n0 5 zlo zhi\n";
  const std::string masses = "\nMasses\n\n1 15.999\n";
  const std::string good_atoms = "\nAtoms # atomic\n\n1 1 0 0 0\n2 1 1 1 1\n";
  EXPECT_NO_THROW(io::parse_lammps_data(head + masses + good_atoms, "ok.lmp"));
  expect_read_error(head + "5 bonds\n" + masses + good_atoms, 8, "atomic and charge styles");
  expect_read_error(head + "3 frobs\n" + masses + good_atoms, 8, "unknown header line");
  expect_read_error(head + masses + "\nAtoms # full\n\n1 1 1 0 0 0 0\n2 1 1 0 1 1 1\n", 13,
                    "atom style 'full'");
  expect_read_error(head + masses + "\nAtoms\n\n1 1 0 0\n2 1 1 1 1\n", 15, "has 4 columns");
  expect_read_error(head + masses + "\nAtoms\n\n1 1 0 0 zero\n2 1 1 1 1\n", 15, "'zero'");
  expect_read_error(head + masses + "\nAtoms\n\n1 3 0 0 0\n2 1 1 1 1\n", 15, "outside 1..1");
  expect_read_error(head + masses + "\nAtoms\n\n1 1 0 0 0\n1 1 1 1 1\n", 16, "appears twice");
  expect_read_error(head + masses + "\nAtoms\n\n1 1 0 0 0\n", 13, "header says 2 atoms");
  expect_read_error(head + masses + good_atoms + "\nBonds\n\n1 1 1 2\n", 18, "not supported");
  expect_read_error(head + masses + good_atoms + "\nVelocities\n\n1 0 0 0\n7 0 0 0\n", 21,
                    "atom id 7");
  expect_read_error("t\n\n2 atoms\n1 atom types\n5 0 xlo xhi\n", 5, "larger than");
  expect_read_error(
      "t\n\n1 atom types\n0 1 xlo xhi\n0 1 ylo yhi\n0 1 zlo zhi\n" + masses + good_atoms, 0,
      "'N atoms'");
  EXPECT_THROW(io::read_lammps_data("/nonexistent/cell.lmp"), InputError);
}

TEST(LammpsData, AnAtomTypeCountNoMachineHoldsIsRefusedBeforeAllocating) {
  // Found by fuzzing: "8617024312 atom types" allocated ~400 GB before anything else was read.
  const std::string text =
      "t\n\n2 atoms\n8617024312 atom types\n0 5 xlo xhi\n0 5 ylo yhi\n0 5 zlo zhi\n"
      "\nAtoms\n\n1 1 0 0 0\n2 1 1 1 1\n";
  try {
    io::parse_lammps_data(text, "huge.lmp");
    ADD_FAILURE() << "accepted";
  } catch (const Error& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("huge.lmp:4"), std::string::npos) << msg;
    EXPECT_NE(msg.find("8617024312 atom types"), std::string::npos) << msg;
    EXPECT_NE(msg.find("GiB"), std::string::npos) << msg;
  }
}

}  // namespace
