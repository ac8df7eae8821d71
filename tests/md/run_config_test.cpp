// The campaign file of `vitrum run`: defaults, durations and ramps, and errors that name the
// table, the key and the line.
#include "vitrum/md/run_config.hpp"

#include <gtest/gtest.h>

#include <string>

#include "vitrum/core/error.hpp"
#include "vitrum/md/campaign.hpp"

namespace vitrum::md {
namespace {

const std::string kHead = R"(
[structure]
file = "cell.xyz"
[potential]
path = "pot"
)";

RunConfig parse(const std::string& text) {
  return parse_run_config_text(text, "test.toml", "/base");
}

/// Parses `text` expecting an error whose message contains every one of `parts`.
void expect_error(const std::string& text, std::initializer_list<const char*> parts) {
  try {
    parse(text);
    ADD_FAILURE() << "no error for:\n" << text;
  } catch (const Error& e) {
    const std::string msg = e.what();
    for (const char* p : parts)
      EXPECT_NE(msg.find(p), std::string::npos) << "'" << p << "' not in: " << msg;
  }
}

TEST(RunConfig, DefaultsAndResolvedPaths) {
  const RunConfig c = parse(kHead + R"(
[md]
timestep_fs = 2.0
[[stage]]
ensemble = "nvt_langevin"
temperature = 300
time_ps = 1.5
[[stage]]
ensemble = "npt_mtk"
temperature = 300
steps = 10
)");
  EXPECT_EQ(c.structure.file, "/base/cell.xyz");
  EXPECT_EQ(c.potential.path, "/base/pot");
  EXPECT_DOUBLE_EQ(c.potential.length_unit, 1.0);
  EXPECT_EQ(c.seed, 1u);
  EXPECT_DOUBLE_EQ(c.skin, 1.0);
  EXPECT_EQ(c.output.thermo_every, 100);
  ASSERT_EQ(c.stages.size(), 2u);
  EXPECT_EQ(c.stages[0].name, "stage 1");
  EXPECT_EQ(c.stages[0].steps, 750);
  EXPECT_DOUBLE_EQ(c.stages[0].integrator.tdamp, 200.0);   // 100 dt
  EXPECT_DOUBLE_EQ(c.stages[1].integrator.pdamp, 2000.0);  // 1000 dt
  EXPECT_DOUBLE_EQ(c.stages[1].pressure, 1.0);
  EXPECT_EQ(c.stages[1].integrator.coupling, BarostatCoupling::Isotropic);
  EXPECT_EQ(c.stages[1].integrator.chain_length, 3);
  EXPECT_EQ(c.stages[1].integrator.sy_order, 3);
  EXPECT_EQ(c.total_steps(), 760);
}

TEST(RunConfig, TemperatureRampFromRate) {
  // NPT at 5000 K for 20 ps, ramp to 300 K at 10 K/ps, NPT at 300 K.
  const RunConfig c = parse(kHead + R"(
[md]
timestep_fs = 1.0
[[stage]]
name = "melt"
ensemble = "npt_mtk"
temperature = 5000
time_ps = 20
[[stage]]
name = "quench"
ensemble = "npt_mtk"
temperature = { from = 5000, to = 300, rate = 10 }
barostat = "aniso"
[[stage]]
ensemble = "npt_mtk"
temperature = 300
pressure = 1.01325
timestep_fs = 0.5
time_ps = 1
)");
  ASSERT_EQ(c.stages.size(), 3u);
  EXPECT_EQ(c.stages[0].steps, 20000);
  EXPECT_EQ(c.stages[1].steps, 470000);
  EXPECT_EQ(c.stages[1].integrator.coupling, BarostatCoupling::Anisotropic);
  EXPECT_DOUBLE_EQ(c.stages[1].temperature_at(0), 5000.0);
  EXPECT_DOUBLE_EQ(c.stages[1].temperature_at(235000), 2650.0);
  EXPECT_DOUBLE_EQ(c.stages[1].temperature_at(470000), 300.0);
  EXPECT_EQ(c.stages[2].steps, 2000);
  EXPECT_DOUBLE_EQ(c.stages[2].integrator.dt, 0.5);
  EXPECT_DOUBLE_EQ(c.stages[2].integrator.tdamp, 50.0);
}

TEST(RunConfig, UnitsByNameOrNumber) {
  const RunConfig c = parse(R"(
[structure]
file = "/abs/water.data"
length_unit = "bohr"
[potential]
path = "pot"
length_unit = 0.529177210903
energy_unit = "Hartree"
[md]
masses = { H = 2.014 }
[[stage]]
ensemble = "nve"
steps = 1
)");
  EXPECT_EQ(c.structure.file, "/abs/water.data");
  EXPECT_DOUBLE_EQ(c.structure.length_unit, 0.529177210903);
  EXPECT_DOUBLE_EQ(c.potential.energy_unit, 27.211386245988);
  EXPECT_DOUBLE_EQ(c.masses.at("H"), 2.014);
}

TEST(RunConfig, UnknownKeysNameTheKeyAndTable) {
  const std::string stage = "[[stage]]\nensemble = \"nve\"\nsteps = 1\n";
  expect_error(kHead + "[md]\ntimestep = 1.0\n" + stage, {"test.toml:", "'timestep'", "[md]"});
  expect_error(kHead + stage + "tdamp = 100\n", {"'tdamp'", "[[stage]]", "tdamp_fs"});
  expect_error(kHead + "[output]\nthermo = 10\n" + stage, {"'thermo'", "[output]"});
  expect_error(kHead + "[velocity]\ntemperature = 1\n" + stage, {"'velocity'", "top level"});
  expect_error(
      "[structure]\nfile = \"a.xyz\"\nunits = \"bohr\"\n[potential]\npath = \"p\"\n" + stage,
      {"'units'", "[structure]"});
  expect_error(kHead +
                   "[[stage]]\nensemble = \"nvt_langevin\"\nsteps = 1\n"
                   "temperature = { from = 1, to = 2, speed = 3 }\n",
               {"'speed'", "[stage.temperature]"});
}

TEST(RunConfig, BadValuesNameTheKey) {
  const std::string stage = "[[stage]]\nensemble = \"nve\"\nsteps = 1\n";
  expect_error(kHead + "[md]\ntimestep_fs = \"1\"\n" + stage, {"[md] timestep_fs", "number"});
  expect_error(kHead + "[md]\ntimestep_fs = -1\n" + stage, {"[md] timestep_fs", "> 0"});
  expect_error(kHead + "[md]\nskin = -1\n" + stage, {"[md] skin"});
  expect_error(kHead + "[[stage]]\nensemble = \"nvt\"\nsteps = 1\n",
               {"ensemble", "nvt_nose_hoover", "npt_mtk"});
  expect_error(kHead + "[[stage]]\nsteps = 1\n", {"needs ensemble"});
  expect_error(kHead + "[[stage]]\nensemble = \"nve\"\nsteps = 1\ntemperature = 300\n",
               {"temperature", "nve has no thermostat"});
  expect_error(kHead + "[[stage]]\nensemble = \"nvt_langevin\"\nsteps = 1\n",
               {"needs temperature"});
  expect_error(kHead +
                   "[[stage]]\nensemble = \"nvt_langevin\"\ntemperature = 3\npressure = 1\n"
                   "steps = 1\n",
               {"pressure", "barostat"});
  expect_error(kHead + "[[stage]]\nensemble = \"nve\"\n", {"exactly one of steps"});
  expect_error(kHead + "[[stage]]\nensemble = \"nve\"\nsteps = 10\ntime_ps = 1\n",
               {"exactly one of steps"});
  expect_error(kHead +
                   "[[stage]]\nensemble = \"nvt_langevin\"\nsteps = 10\n"
                   "temperature = { from = 1, to = 2, rate = 3 }\n",
               {"exactly one of steps"});
  expect_error(kHead +
                   "[[stage]]\nensemble = \"npt_mtk\"\ntemperature = 3\nbarostat = \"tri\"\n"
                   "steps = 1\n",
               {"barostat", "\"iso\", \"aniso\""});
  expect_error(kHead +
                   "[[stage]]\nensemble = \"npt_mtk\"\ntemperature = 3\nsy_order = 4\n"
                   "steps = 1\n",
               {"sy_order"});
  expect_error(kHead + "[[stage]]\nensemble = \"nve\"\nsteps = 0\n", {"steps", "1.."});
  expect_error(kHead + "[[stage]]\nensemble = \"nve\"\nsteps = 5\nfmax = 0.01\n",
               {"fmax", "only minimize_fire has a force tolerance"});
  expect_error(kHead + "[[stage]]\nensemble = \"minimize_fire\"\nsteps = 5\nfmax = -1\n",
               {"[[stage]] fmax", ">= 0 (eV/Å)"});
  EXPECT_DOUBLE_EQ(
      parse(kHead + "[[stage]]\nensemble = \"minimize_fire\"\nsteps = 5\nfmax = 0.01\n")
          .stages[0]
          .integrator.fmax,
      0.01);
  expect_error(kHead + "[potential]\npath = \"x\"\n" + stage, {"TOML"});
  expect_error("[potential]\npath = \"p\"\n" + stage, {"missing [structure]"});
  expect_error("[structure]\nfile = \"a.xyz\"\n" + stage, {"missing [potential]"});
  expect_error(kHead, {"no [[stage]]"});
  expect_error(
      "[structure]\nfile = \"a.xyz\"\n[structure.generate]\nbuilder = \"amorphous\"\n"
      "[potential]\npath = \"p\"\n" +
          stage,
      {"exactly one of file"});
  expect_error(kHead + "[structure.x]\n" + stage, {"'x'", "[structure]"});
  expect_error(kHead + "[potential.units]\n" + stage, {"'units'", "[potential]"});
  expect_error(kHead + "[md]\nmasses = { H = \"heavy\" }\n" + stage, {"masses", "H"});
  expect_error(kHead + "[potential]\n" + stage, {"TOML"});
}

TEST(RunConfig, BuilderKeysAreChecked) {
  const std::string gen = R"(
[structure.generate]
builder = "%s"
composition = { Si = 1, O = 2 }
n_atoms = 24
density = 2.2
min_distance = 1.2
%s
[potential]
path = "p"
[[stage]]
ensemble = "nve"
steps = 1
)";
  auto config = [&](const char* builder, const char* extra) {
    std::string s = gen;
    s.replace(s.find("%s"), 2, builder);
    s.replace(s.find("%s"), 2, extra);
    return s;
  };
  // A good builder table makes a structure.
  const RunConfig ok = parse(config("amorphous", "seed = 4"));
  const Structure s = load_initial_structure(ok);
  EXPECT_EQ(s.size(), 24u);
  EXPECT_TRUE(s.box.periodic);
  // An unknown builder names the known ones; an unknown key names the key.
  try {
    load_initial_structure(parse(config("crystal", "")));
    ADD_FAILURE() << "no error for an unknown builder";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("amorphous"), std::string::npos) << e.what();
  }
  try {
    load_initial_structure(parse(config("amorphous", "densty = 3")));
    ADD_FAILURE() << "no error for an unknown builder key";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("[structure.generate] densty"), std::string::npos)
        << e.what();
  }
  // Builder extension point: a registered builder is found by name.
  register_structure_builder("two_atoms", "two argon atoms in a 10 Å cube",
                             [](const BuilderArgs& a) {
                               Structure t;
                               t.box.periodic = true;
                               const double l = a.number("length", 10.0);
                               t.box.h[0] = {l, 0, 0};
                               t.box.h[1] = {0, l, 0};
                               t.box.h[2] = {0, 0, l};
                               t.species = {18, 18};
                               t.positions = {{0, 0, 0}, {5, 5, 5}};
                               return t;
                             });
  const RunConfig two = parse(
      "[structure.generate]\nbuilder = \"two_atoms\"\nlength = 12.0\n[potential]\npath = \"p\"\n"
      "[[stage]]\nensemble = \"nve\"\nsteps = 1\n");
  EXPECT_DOUBLE_EQ(load_initial_structure(two).box.h[0].x, 12.0);
  EXPECT_EQ(structure_builders().count("two_atoms"), 1u);
}

TEST(RunConfig, ParallelGpuAwareMpi) {
  const std::string stage = "[[stage]]\nensemble = \"nve\"\nsteps = 1\n";
  // Default: auto, not set.
  RunConfig c = parse(kHead + stage);
  EXPECT_EQ(c.gpu_mpi, parallel::GpuMpiMode::Auto);
  EXPECT_FALSE(c.gpu_mpi_set);
  c = parse(kHead + "[parallel]\n" + stage);
  EXPECT_EQ(c.gpu_mpi, parallel::GpuMpiMode::Auto);
  EXPECT_FALSE(c.gpu_mpi_set);
  c = parse(kHead + "[parallel]\ngpu_aware_mpi = \"off\"\n" + stage);
  EXPECT_EQ(c.gpu_mpi, parallel::GpuMpiMode::Off);
  EXPECT_TRUE(c.gpu_mpi_set);
  c = parse(kHead + "[parallel]\ngpu_aware_mpi = \"on\"\n" + stage);
  EXPECT_EQ(c.gpu_mpi, parallel::GpuMpiMode::On);
  // kHead is 5 lines (after a leading newline): [parallel] on 6, the key on 7.
  expect_error(
      kHead + "[parallel]\ngpu_aware_mpi = \"yes\"\n" + stage,
      {"test.toml:7:", "[parallel] gpu_aware_mpi", "\"yes\"", "\"auto\"", "\"on\"", "\"off\""});
  expect_error(kHead + "[parallel]\ngpu_aware_mpi = true\n" + stage,
               {"test.toml:7:", "[parallel] gpu_aware_mpi", "string"});
  expect_error(kHead + "[parallel]\ngpu_aware = \"on\"\n" + stage,
               {"test.toml:7:", "'gpu_aware'", "[parallel]"});
  // [parallel] is a known top-level table, listed when an unknown one is met.
  expect_error(kHead + "[paralel]\n" + stage, {"'paralel'", "[parallel]"});
}

TEST(RunConfig, HelpDocumentsParallel) {
  const std::string h = run_config_help();
  EXPECT_NE(h.find("[parallel]"), std::string::npos);
  EXPECT_NE(h.find("gpu_aware_mpi = \"auto\""), std::string::npos);
}

}  // namespace
}  // namespace vitrum::md
