// The "lennard_jones" force-field kind, selected from a `vitrum run` TOML config: forces against
// central finite differences of its energy, Newton's third law, an NVE run through the CLI that
// conserves the total energy while kinetic and potential energy trade, and the config errors.
#include "lj_force_field.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <random>
#include <sstream>

#include "md_test_util.hpp"
#include "vitrum/io/structure_io.hpp"
#include "vitrum/md/force_field_registry.hpp"
#include "vitrum/md/run_config.hpp"
#include "vitrum/neighbor/ghosts.hpp"
#include "vitrum/neighbor/neighbor_list.hpp"

namespace vitrum::md {
namespace {

constexpr double kEpsilon = 0.0104;  // argon, eV
constexpr double kSigma = 3.40;      // Å

std::string lj_config(const std::string& structure, const std::string& out,
                      const std::string& potential_extra, const std::string& stages) {
  return "[structure]\nfile = \"" + structure +
         "\"\n"
         "[potential]\nkind = \"lennard_jones\"\nepsilon = 0.0104\nsigma = 3.40\ncutoff = 8.5\n" +
         potential_extra + "[md]\ntimestep_fs = 2.0\nseed = 11\nskin = 1.0\n" +
         "[velocities]\ntemperature = 60\n[output]\ndirectory = \"" + out +
         "\"\nthermo_every = 10\nprogress = false\n" + stages;
}

/// A perturbed fcc argon crystal (108 atoms) written as extended XYZ.
Structure argon_crystal(std::uint64_t seed) {
  Structure s = test::fcc_argon(3, 0.021);
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> u(-0.15, 0.15);
  for (Vec3& r : s.positions) r += Vec3{u(rng), u(rng), u(rng)};
  return s;
}

/// Energy and forces of a whole periodic structure (ghosts folded, no skin).
ForceResult evaluate(ForceField& ff, const Structure& s) {
  const neighbor::GhostShell shell =
      neighbor::build_ghost_shell(s.box, s.positions, s.species, ff.cutoff());
  const neighbor::NeighborList list = neighbor::build_neighbor_list(shell, ff.cutoff(), 0.0);
  ForceResult r;
  ff.compute(shell, list, r);
  return r;
}

std::unique_ptr<ForceField> from_toml(const std::string& toml, const std::string& dir) {
  const RunConfig c = parse_run_config_text(toml, dir + "/lj.toml", dir);
  EXPECT_EQ(c.potential.kind, "lennard_jones");
  return make_force_field(c.potential);
}

/// Two atoms in an open box at distance r: energy and force of the pair against the formula.
ForceResult pair_at(ForceField& ff, double r) {
  Structure s;
  s.species = {18, 18};
  s.positions = {Vec3{0, 0, 0}, Vec3{r, 0, 0}};
  return evaluate(ff, s);
}

TEST(LennardJonesKind, PairEnergyAndForceAreTheFormula) {
  LennardJones lj(LennardJonesParams{kEpsilon, kSigma, 8.5, true});
  const double sr6c = std::pow(kSigma / 8.5, 6), shift = 4 * kEpsilon * (sr6c * sr6c - sr6c);
  // φ(σ) = 0 before the shift; F = 24ε/σ repulsive (atom 0 pushed to −x).
  ForceResult r = pair_at(lj, kSigma);
  EXPECT_NEAR(r.energy, -shift, 1e-15);
  EXPECT_NEAR(r.forces[0].x, -24 * kEpsilon / kSigma, 1e-14);
  EXPECT_NEAR(r.forces[1].x, 24 * kEpsilon / kSigma, 1e-14);
  // The minimum at 2^(1/6) σ: φ = −ε, no force; W_xx = r F_x = 0.
  const double rmin = std::pow(2.0, 1.0 / 6.0) * kSigma;
  r = pair_at(lj, rmin);
  EXPECT_NEAR(r.energy, -kEpsilon - shift, 1e-15);
  EXPECT_NEAR(r.forces[0].x, 0.0, 1e-15);
  EXPECT_NEAR(r.virial[0][0], 0.0, 1e-14);
  // Beyond the cutoff nothing; without the shift φ(σ) = 0 exactly.
  EXPECT_EQ(pair_at(lj, 8.6).energy, 0.0);
  LennardJones unshifted(LennardJonesParams{kEpsilon, kSigma, 8.5, false});
  EXPECT_NEAR(pair_at(unshifted, kSigma).energy, 0.0, 1e-15);
}

TEST(LennardJonesKind, ForcesAreMinusTheEnergyGradient) {
  test::MdScratchDir dir("lj_fd");
  const Structure s = argon_crystal(5);
  io::write_structures(dir.file("argon.xyz"), {s});
  auto ff = from_toml(lj_config(dir.file("argon.xyz"), dir.file("out"), "",
                                "[[stage]]\nensemble = \"nve\"\nsteps = 1\n"),
                      dir.path());
  EXPECT_NE(ff->describe().find("Lennard-Jones"), std::string::npos) << ff->describe();
  EXPECT_DOUBLE_EQ(ff->cutoff(), 8.5);
  const ForceResult r = evaluate(*ff, s);
  ASSERT_EQ(r.forces.size(), s.size());
  // Newton's third law: the forces of a pair potential sum to zero.
  Vec3 total{0, 0, 0};
  double fmax = 0.0;
  for (const Vec3& f : r.forces) {
    total += f;
    fmax = std::max(fmax, std::sqrt(dot(f, f)));
  }
  ASSERT_GT(fmax, 1e-3) << "the perturbed crystal should have sizeable forces";
  for (int d = 0; d < 3; ++d) EXPECT_NEAR(total[d], 0.0, 1e-12 * s.size() * fmax);
  // Central differences: error O(h²) ~ 1e-8 relative at h = 1e-4 Å, far above rounding
  // (1e-16 · |E| / h ~ 1e-12 eV/Å).
  const double h = 1e-4;
  for (int i : {0, 17, 53, 107}) {
    for (int d = 0; d < 3; ++d) {
      Structure plus = s, minus = s;
      plus.positions[i][d] += h;
      minus.positions[i][d] -= h;
      const double fd = -(evaluate(*ff, plus).energy - evaluate(*ff, minus).energy) / (2 * h);
      EXPECT_NEAR(r.forces[i][d], fd, 1e-6 * fmax) << "atom " << i << " direction " << d;
    }
  }
}

/// Columns of thermo.csv: pe_eV, ke_eV, conserved_eV per row.
struct Thermo {
  std::vector<double> pe, ke, conserved;
};

Thermo read_thermo(const std::string& path) {
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);  // header: step,time_fs,temperature_K,pressure_bar,pe_eV,ke_eV,...
  Thermo t;
  while (std::getline(in, line)) {
    std::vector<std::string> f;
    std::stringstream ss(line);
    std::string x;
    while (std::getline(ss, x, ',')) f.push_back(x);
    t.pe.push_back(std::stod(f.at(4)));
    t.ke.push_back(std::stod(f.at(5)));
    t.conserved.push_back(std::stod(f.at(7)));
  }
  return t;
}

TEST(LennardJonesKind, NveRunFromTomlConservesEnergy) {
  test::MdScratchDir dir("lj_nve");
  io::write_structures(dir.file("argon.xyz"), {argon_crystal(7)});
  const std::string out = dir.file("out");
  std::ofstream(dir.file("lj.toml"))
      << lj_config(dir.file("argon.xyz"), out, "", "[[stage]]\nensemble = \"nve\"\nsteps = 400\n");
  const test::CliResult r = test::run_vitrum("run " + dir.file("lj.toml"));
  ASSERT_EQ(r.status, 0) << r.output;
  EXPECT_NE(r.output.find("Lennard-Jones"), std::string::npos) << r.output;
  const Thermo t = read_thermo(out + "/thermo.csv");
  ASSERT_GE(t.conserved.size(), 40u);
  double drift = 0.0, pe_change = 0.0;
  for (std::size_t k = 0; k < t.conserved.size(); ++k) {
    drift = std::max(drift, std::fabs(t.conserved[k] - t.conserved[0]));
    pe_change = std::max(pe_change, std::fabs(t.pe[k] - t.pe[0]));
  }
  // The crystal relaxes and heats from its perturbed start: kinetic and potential energy trade
  // by a sizeable fraction of the kinetic energy, while their sum stays put to velocity
  // Verlet's O(dt²) fluctuation.
  EXPECT_GT(pe_change, 0.05 * t.ke[0]);
  EXPECT_LT(drift, 1e-3 * pe_change) << "max |E_tot - E_tot(0)| = " << drift << " eV";
}

TEST(LennardJonesKind, ConfigErrorsNameFileLineAndKey) {
  test::MdScratchDir dir("lj_err");
  io::write_structures(dir.file("argon.xyz"), {argon_crystal(3)});
  const std::string stage = "[[stage]]\nensemble = \"nve\"\nsteps = 1\n";
  auto error_of = [&](const std::string& extra) -> std::string {
    try {
      from_toml(lj_config(dir.file("argon.xyz"), dir.file("out"), extra, stage), dir.path());
    } catch (const Error& e) {
      return e.what();
    }
    return "no error";
  };
  std::string m = error_of("epsilom = 1.0\n");
  EXPECT_NE(m.find("lj.toml:8: unknown key 'epsilom' in [potential]"), std::string::npos) << m;
  EXPECT_NE(m.find("sigma"), std::string::npos) << "lists the accepted keys: " << m;
  m = error_of("backend = \"cuda\"\n");
  EXPECT_NE(m.find("lj.toml:8: [potential] backend"), std::string::npos) << m;
  m = error_of("shift = 1\n");
  EXPECT_NE(m.find("lj.toml:8: [potential] shift must be true or false"), std::string::npos) << m;
  const std::string no_sigma = "[structure]\nfile = \"" + dir.file("argon.xyz") +
                               "\"\n[potential]\nkind = \"lennard_jones\"\nepsilon = 0.01\n" +
                               stage;
  try {
    make_force_field(parse_run_config_text(no_sigma, dir.file("lj.toml"), dir.path()).potential);
    ADD_FAILURE() << "a missing sigma must be an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("[potential] needs 'sigma'"), std::string::npos)
        << e.what();
  }
  try {
    parse_run_config_text("[structure]\nfile = \"a.xyz\"\n[potential]\nkind = \"morse\"\n" + stage,
                          dir.file("lj.toml"), dir.path());
    ADD_FAILURE() << "an unknown kind must be an error";
  } catch (const Error& e) {
    const std::string w = e.what();
    EXPECT_NE(w.find("lj.toml:4: [potential] kind"), std::string::npos) << w;
    EXPECT_NE(w.find("\"lennard_jones\""), std::string::npos) << "lists the kinds: " << w;
  }
}

}  // namespace
}  // namespace vitrum::md
