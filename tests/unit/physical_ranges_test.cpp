// Inputs with a physical range are checked when read, with the file, line and key (issue 19):
// n2p2 symmetry functions and architectures, campaign stage lengths (checked integer
// arithmetic), temperatures and masses, teacher pair coverage, the memory of image shells and
// networks estimated before allocating, VAMAS header counts at the faulty line; and the output
// guard and message helpers of vitrum/core.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "../test_paths.hpp"
#include "vitrum/core/error.hpp"
#include "vitrum/core/output_guard.hpp"
#include "vitrum/core/resource_guard.hpp"
#include "vitrum/io/structure_io.hpp"
#include "vitrum/md/run_config.hpp"
#include "vitrum/neighbor/ghosts.hpp"
#include "vitrum/neighbor/neighbor_list.hpp"
#include "vitrum/nnp/potential.hpp"
#include "vitrum/spectra/spectrum_io.hpp"
#include "vitrum/teacher/teacher.hpp"

using namespace vitrum;
namespace fs = std::filesystem;

namespace {

fs::path scratch() {
  const fs::path d =
      fs::temp_directory_path() / ("vitrum_ranges_" + std::to_string(::getpid()) + "_" +
                                   ::testing::UnitTest::GetInstance()->current_test_info()->name());
  fs::remove_all(d);
  fs::create_directories(d);
  return d;
}

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

/// The message of the vitrum::Error `f` throws ("" when it throws none).
template <typename F>
std::string error_of(F&& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

// ---------------------------------------------------------------- n2p2 potentials

/// The shipped water potential with one line of input.nn replaced; returns the load error.
std::string water_with(const std::string& from, const std::string& to) {
  const fs::path d = scratch();
  for (const auto& f :
       fs::directory_iterator(test::source_dir() + "/configs/potentials/H2O_RPBE-D3")) {
    fs::copy_file(f.path(), d / f.path().filename());
    fs::permissions(d / f.path().filename(), fs::perms::owner_write, fs::perm_options::add);
  }
  std::string nn = slurp(d / "input.nn");
  const auto at = nn.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  nn.replace(at, from.size(), to);
  std::ofstream(d / "input.nn") << nn;
  const std::string msg = error_of([&] { nnp::Potential::load_n2p2(d.string()); });
  fs::remove_all(d);
  return msg;
}

void expect_has(const std::string& msg, std::initializer_list<const char*> needles) {
  EXPECT_FALSE(msg.empty());
  for (const char* n : needles) EXPECT_NE(msg.find(n), std::string::npos) << n << "\n" << msg;
}

TEST(N2p2Ranges, NegativeWidthIsRejectedAtItsLine) {
  expect_has(water_with("symfunction_short H 2 H 0.01  0.0 12.00",
                        "symfunction_short H 2 H -1  0.0 12.00"),
             {"input.nn:107:", "eta = -1 is invalid", ">= 0"});
}

TEST(N2p2Ranges, CutoffsLambdaAndZeta) {
  expect_has(water_with("symfunction_short H 2 H 0.01  0.0 12.00",
                        "symfunction_short H 2 H 0.01  0.0 inf"),
             {"input.nn:107:", "rc = inf is invalid"});
  expect_has(
      water_with("symfunction_short H 2 H 0.01  0.0 12.00", "symfunction_short H 2 H 0.01  0.0 -3"),
      {"input.nn:107:", "rc = -3 is invalid"});
  const std::string water = slurp(test::source_dir() + "/configs/potentials/H2O_RPBE-D3/input.nn");
  const auto a = water.find("symfunction_short H 3 ");
  ASSERT_NE(a, std::string::npos);
  const std::string line = water.substr(a, water.find('\n', a) - a);
  std::istringstream ss(line);
  std::vector<std::string> t;
  for (std::string x; ss >> x;) t.push_back(x);
  ASSERT_EQ(t.size(), 9u);  // symfunction_short H 3 e1 e2 eta lambda zeta rc
  auto with = [&](int k, const std::string& v) {
    auto u = t;
    u[k] = v;
    std::string s;
    for (const auto& x : u) s += x + " ";
    return water_with(line, s);
  };
  expect_has(with(6, "0.5"), {"lambda = 0.5 is invalid", "1 or -1"});
  expect_has(with(7, "0.5"), {"zeta = 0.5 is invalid", ">= 1"});
  expect_has(with(5, "nan"), {"eta = nan is invalid"});
}

TEST(N2p2Ranges, ArchitectureErrorsSayWhatIsWrong) {
  // -1 hidden layers: invalid, not "missing".
  const std::string hidden =
      water_with("global_hidden_layers_short      2", "global_hidden_layers_short      -1");
  expect_has(hidden, {"input.nn:31:", "global_hidden_layers_short = -1 is invalid"});
  EXPECT_EQ(hidden.find("missing"), std::string::npos) << hidden;
  // A layer of 0 nodes: input.nn's line, not the weights file.
  const std::string zero =
      water_with("global_nodes_short              25 25", "global_nodes_short              25 0");
  expect_has(zero, {"input.nn:32:", "hidden layer 2 has 0 nodes"});
  EXPECT_EQ(zero.find("weights"), std::string::npos) << zero;
  // Two billion nodes: a clear error before anything is allocated.
  const std::string huge = water_with("global_nodes_short              25 25",
                                      "global_nodes_short              25 2000000000");
  expect_has(huge, {"input.nn:32:", "global_nodes_short", "GiB of memory"});
  // More than an int holds.
  expect_has(water_with("global_nodes_short              25 25",
                        "global_nodes_short              25 20000000000"),
             {"input.nn:32:", "out of range"});
}

TEST(N2p2Ranges, ShippedPotentialsStillLoad) {
  for (const char* p : {"H2O_RPBE-D3", "SiO2-BKS"})
    EXPECT_NO_THROW(nnp::Potential::load_n2p2(test::source_dir() + "/configs/potentials/" + p));
  for (const auto& e : fs::directory_iterator(test::n2p2_dir() + "/potentials"))
    if (fs::exists(e.path() / "input.nn"))
      EXPECT_NO_THROW(nnp::Potential::load_n2p2(e.path().string())) << e.path();
}

// ---------------------------------------------------------------- campaign configuration

std::string campaign(const std::string& md, const std::string& stage,
                     const std::string& velocities = "") {
  return "[structure]\nfile = \"x.xyz\"\n[potential]\npath = \"p\"\n" + md + velocities +
         "[[stage]]\nensemble = \"nvt_langevin\"\n" + stage + "\n";
}

std::string config_error(const std::string& text) {
  return error_of([&] { md::parse_run_config_text(text, "c.toml", "."); });
}

TEST(RunConfigRanges, StageLengthsAreCheckedNotClamped) {
  for (const char* t : {"1e30", "1e16"}) {
    const std::string msg =
        config_error(campaign("", std::string("temperature = 300\ntime_ps = ") + t));
    expect_has(msg, {"c.toml:8:", "time_ps", "more than the step counter holds"});
  }
  expect_has(config_error(campaign("", "temperature = { from = 300, to = 400, rate = 1e-30 }")),
             {"c.toml:", "rate = 1e-30", "more than the step counter holds"});
  expect_has(config_error(campaign("", "temperature = 300\ntime_ps = 1e-9")),
             {"time_ps", "shorter than one time step"});
  // Two stages whose sum overflows.
  const std::string two = campaign("", "temperature = 300\nsteps = 9223372036854775000") +
                          "[[stage]]\nensemble = \"nve\"\nsteps = 9223372036854775000\n";
  expect_has(config_error(two), {"more steps than the step counter holds"});
  // A sound length still gives its steps.
  const auto c =
      md::parse_run_config_text(campaign("", "temperature = 300\ntime_ps = 2.5"), "c.toml", ".");
  EXPECT_EQ(c.stages[0].steps, 2500);
}

TEST(RunConfigRanges, TemperaturesAndMasses) {
  expect_has(config_error(campaign("", "temperature = 300\nsteps = 1",
                                   "[velocities]\ntemperature = 1e30\n")),
             {"c.toml:", "[velocities] temperature", "above [md] max_temperature"});
  expect_has(config_error(campaign("", "temperature = 2e5\nsteps = 1")),
             {"temperature", "above [md] max_temperature"});
  expect_has(config_error(campaign("[md]\nmasses = { Xx = 1.0 }\n", "temperature = 1\nsteps = 1")),
             {"c.toml:6:", "[md] masses", "'Xx' is not an element symbol"});
  expect_has(config_error(campaign("[md]\nmasses = { O = -1.0 }\n", "temperature = 1\nsteps = 1")),
             {"c.toml:6:", "the mass of O must be a positive number"});
}

// ---------------------------------------------------------------- teacher parameters

std::string bks_without(const std::string& table) {
  std::string text = slurp(test::source_dir() + "/configs/potentials/SiO2-BKS.toml");
  const auto at = text.find(table);
  EXPECT_NE(at, std::string::npos);
  const auto end = text.find("\n[", at + 1);
  text.erase(at, end == std::string::npos ? std::string::npos : end + 1 - at);
  return text;
}

TEST(TeacherCoverage, EveryElementPairNeedsItsTable) {
  // [pair.Si-O] deleted: an error, not a potential without Si-O repulsion.
  const std::string msg =
      error_of([&] { teacher::parse_teacher_params(bks_without("[pair.Si-O]"), "bks.toml"); });
  expect_has(msg, {"bks.toml", "no [pair.Si-O] table", "none = true"});
  // BKS has no Si-Si term: said explicitly, and it loads with Coulomb only for Si-Si.
  const auto bks =
      teacher::read_teacher_params(test::source_dir() + "/configs/potentials/SiO2-BKS.toml");
  ASSERT_EQ(bks.no_short_range.size(), 1u);
  EXPECT_EQ(bks.no_short_range[0].first + "-" + bks.no_short_range[0].second, "Si-Si");
  EXPECT_EQ(bks.pairs.size(), 2u);
  // ... and without that line it is an error too.
  expect_has(
      error_of([&] { teacher::parse_teacher_params(bks_without("[pair.Si-Si]"), "bks.toml"); }),
      {"no [pair.Si-Si] table"});
  // none = false, or none with parameters, is not a way to say it.
  std::string both = slurp(test::source_dir() + "/configs/potentials/SiO2-BKS.toml");
  both.replace(both.find("none = true"), 11, "none = true\nA = 1.0");
  expect_has(error_of([&] { teacher::parse_teacher_params(both, "bks.toml"); }),
             {"bks.toml:", "[pair.Si-Si]"});
}

// ---------------------------------------------------------------- memory estimates

TEST(MemoryEstimates, ImageShellOfATinyCellIsRefusedBeforeAllocating) {
  Box box;
  box.periodic = true;
  box.h[0] = Vec3{0.001, 0, 0};
  box.h[1] = Vec3{0, 0.001, 0};
  box.h[2] = Vec3{0, 0, 0.001};
  const std::string msg = error_of([&] {
    neighbor::build_ghost_shell(box, {Vec3{0, 0, 0}, Vec3{0.0005, 0.0005, 0.0005}}, {8, 14}, 10.0);
  });
  expect_has(msg, {"periodic images of a cell with heights 0.001, 0.001, 0.001", "GiB of memory"});
}

TEST(MemoryEstimates, NeighborListOfAHugeCutoffIsRefused) {
  // 1000 atoms in a 10 Å cube with a 1e4 Å list radius: every atom pairs with every atom of a
  // huge shell; the estimate stops it (with a small budget, so that the test allocates little).
  Box box;
  std::vector<Vec3> pos;
  std::vector<int> species;
  for (int i = 0; i < 1000; ++i) {
    pos.push_back(Vec3{(i % 10) * 1.0, (i / 10 % 10) * 1.0, (i / 100) * 1.0});
    species.push_back(8);
  }
  const neighbor::GhostShell shell =
      neighbor::build_ghost_shell(box, pos, species, 50.0);  // not periodic
  ::setenv("VITRUM_MEMORY_LIMIT_BYTES", "100000", 1);
  expect_has(error_of([&] { neighbor::build_neighbor_list(shell, 50.0, 0.0); }),
             {"the neighbor list of 1000 atoms within 50", "pairs", "GiB of memory"});
  ::unsetenv("VITRUM_MEMORY_LIMIT_BYTES");
  EXPECT_EQ(neighbor::build_neighbor_list(shell, 1.5, 0.0).offsets.size(), 1001u);
}

TEST(MemoryEstimates, BudgetFromTheEnvironment) {
  ::setenv("VITRUM_MEMORY_LIMIT_BYTES", "1048576", 1);
  expect_has(error_of([] { check_memory(2e6, "the thing"); }), {"the thing needs about"});
  EXPECT_NO_THROW(check_memory(1e5, "the thing"));
  ::unsetenv("VITRUM_MEMORY_LIMIT_BYTES");
  EXPECT_GT(memory_budget_bytes(), 1e8);
  EXPECT_THROW(check_memory(NAN, "overflowed"), Error);
}

// ---------------------------------------------------------------- messages

TEST(Messages, PrintableEscapesBinaryKeepsUtf8) {
  EXPECT_EQ(printable("a\x01"
                      "b\xff"
                      "c"),
            "a\\x01b\\xffc");
  EXPECT_EQ(printable("\x1b[31mred"), "\\x1b[31mred");
  EXPECT_EQ(printable("Å³ ok"), "Å³ ok");
  EXPECT_EQ(printable("line\nnext"), "line\\nnext");
  EXPECT_EQ(printable_message("line\nnext\x07"), "line\nnext\\x07");
  EXPECT_EQ(printable(std::string(500, 'x'), 10), std::string(10, 'x') + "...");
  EXPECT_EQ(printable("\xe2\x82"), "\\xe2\\x82");  // a cut UTF-8 sequence
}

TEST(Messages, VamasCommentCountErrorAtItsLine) {
  const fs::path d = scratch();
  std::string text = slurp(test::shared_dir() + "/spectra/vamas/casa_Pt4f_doublet.vms");
  // Line 6 holds the number of comment lines (4); 6 swallows the experiment and scan modes.
  const auto l6 = [&] {
    std::size_t p = 0;
    for (int i = 0; i < 5; ++i) p = text.find('\n', p) + 1;
    return p;
  }();
  ASSERT_EQ(text.substr(l6, 2), "4\n");
  text[l6] = '6';
  std::ofstream(d / "bad.vms", std::ios::binary) << text;
  try {
    spectra::read_vamas((d / "bad.vms").string());
    ADD_FAILURE() << "no error";
  } catch (const InputError& e) {
    EXPECT_EQ(e.line(), 6) << e.what();
    expect_has(e.what(), {"number of lines in comment is 6", "line 11", "'NORM'", "has 4 line(s)"});
  }
  fs::remove_all(d);
}

// ---------------------------------------------------------------- output guard

TEST(OutputGuard, TargetsOfLinksSpecialFilesAndDirectories) {
  const fs::path d = scratch();
  std::ofstream(d / "real.xyz") << "x";
  fs::create_symlink("real.xyz", d / "rel.xyz");       // relative link
  fs::create_symlink(d / "rel.xyz", d / "chain.xyz");  // link to a link
  EXPECT_EQ(checked_output_target((d / "chain.xyz").string()), (d / "real.xyz").string());
  fs::create_symlink(d / "loop2", d / "loop1");
  fs::create_symlink(d / "loop1", d / "loop2");
  expect_has(error_of([&] { checked_output_target((d / "loop1").string()); }),
             {"too many levels of symbolic links"});
  ASSERT_EQ(::mkfifo((d / "pipe").c_str(), 0600), 0);
  expect_has(error_of([&] { checked_output_target((d / "pipe").string()); }), {"is a FIFO"});
  fs::create_symlink("/dev/null", d / "null.xyz");
  expect_has(error_of([&] { checked_output_target((d / "null.xyz").string()); }),
             {"/dev/null", "the target of the symbolic link", "character device"});
  expect_has(error_of([&] { checked_output_target(d.string()); }), {"is a directory"});
  expect_has(error_of([&] { checked_output_target((d / "none/x.xyz").string()); }),
             {"does not exist"});
  expect_has(error_of([&] { checked_output_target((d / "real.xyz/x.xyz").string()); }),
             {"real.xyz", "not a directory"});
  // The guard lists what exists and refuses; --overwrite lets it pass.
  const std::vector<std::string> outs = {(d / "real.xyz").string(), (d / "new.xyz").string()};
  expect_has(error_of([&] { guard_existing_outputs(outs, false, "give --overwrite"); }),
             {"refusing to replace 1 existing output file", "real.xyz", "give --overwrite"});
  EXPECT_NO_THROW(guard_existing_outputs(outs, true, ""));
  // write_structures writes through a link: the link stays a link.
  Structure s;
  s.species = {8};
  s.positions = {Vec3{0, 0, 0}};
  io::write_structures((d / "chain.xyz").string(), {s});
  EXPECT_TRUE(fs::is_symlink(d / "chain.xyz"));
  EXPECT_EQ(io::read_structures((d / "real.xyz").string()).size(), 1u);
  fs::remove_all(d);
}

}  // namespace
