// Forces are minus the finite-difference gradient of the energy and the virial is minus the
// finite-difference strain derivative, for every shipped and feature-coverage potential: together
// they cover every symmetry-function type (2, 3, 9, 12, 13, 20–25), cutoff type and activation.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>

#include "nnp_reference.hpp"
#include "vitrum/io/structure_io.hpp"
#include "vitrum/nnp/evaluator.hpp"

using namespace vitrum;

namespace {

struct FdCase {
  std::string name, potential, structure;
};
void PrintTo(const FdCase& c, std::ostream* os) {
  *os << c.name;
}

std::vector<FdCase> fd_cases() {
  namespace fs = std::filesystem;
  std::vector<FdCase> cases;
  const std::string root = vitrum::test::n2p2_dir();
  for (const auto& d : fs::directory_iterator(root + "/synthetic"))
    cases.push_back({d.path().filename(), d.path().string(), d.path().string() + "/input.data"});
  for (const char* name : {"H2O_RPBE-D3_128mol_RuNNer", "DMABN_SCAN", "LJ_Ne"})
    cases.push_back(
        {name, root + "/potentials/" + name, root + "/outputs/" + name + "/input.data"});
  std::sort(cases.begin(), cases.end(),
            [](const FdCase& a, const FdCase& b) { return a.name < b.name; });
  return cases;
}

// Fourth-order central difference of f at 0 with step h.
template <typename F>
double derivative(F&& f, double h) {
  return (-f(2 * h) + 8 * f(h) - 8 * f(-h) + f(-2 * h)) / (12 * h);
}

}  // namespace

class NnpFiniteDifference : public ::testing::TestWithParam<FdCase> {};

TEST_P(NnpFiniteDifference, ForcesAndVirialAreEnergyDerivatives) {
  const auto& c = GetParam();
  const auto pot = nnp::Potential::load_n2p2(c.potential);
  Structure s = io::read_structures(c.structure).front();
  nnp::Evaluator ev(pot, {Backend::Cpu, Precision::Double, true});
  const auto r0 = ev.evaluate(s);
  double fmax = 0, eabs = 0;
  for (const auto& f : r0.forces)
    fmax = std::max({fmax, std::abs(f.x), std::abs(f.y), std::abs(f.z)});
  for (size_t i = 0; i < s.size(); ++i) eabs += std::abs(r0.atom_energy[i]);
  eabs = std::max(eabs, std::abs(r0.energy));
  // Step: small against the cutoff; tolerance: the rounding error of the energy difference
  // (eps |E| / h, with a safety factor) plus the fourth-order truncation error bound.
  const double h = 1e-3 * pot.cutoff() / 12.0;
  const double tol = 50 * 2.2e-16 * eabs / h + 1e-7 * fmax;
  double worst = 0;
  const size_t stride = std::max<size_t>(1, s.size() / 5);
  for (size_t i = 0; i < s.size(); i += stride) {
    for (int a = 0; a < 3; ++a) {
      const double fd = -derivative(
          [&](double dx) {
            Structure t = s;
            t.positions[i][a] += dx;
            return ev.evaluate(t).energy;
          },
          h);
      worst = std::max(worst, std::abs(fd - r0.forces[i][a]));
      EXPECT_NEAR(r0.forces[i][a], fd, tol) << c.name << " atom " << i << " component " << a;
    }
  }
  // Virial: W_ba = -dE/d eps_ab under r -> (1 + eps) r, cell rows likewise.
  double wmax = 0;
  for (auto& row : r0.virial)
    for (double v : row) wmax = std::max(wmax, std::abs(v));
  const double hs = 1e-5;
  const double vtol = 50 * 2.2e-16 * eabs / hs + 1e-7 * wmax;
  for (int a = 0; a < 3; ++a)
    for (int b = 0; b < 3; ++b) {
      const double fd = -derivative(
          [&](double e) {
            Structure t = s;
            auto strain = [&](Vec3& v) { v[a] += e * v[b]; };
            // v[a] += e * v_b uses the unstrained component b (a != b) or scales (a == b).
            for (auto& p : t.positions) strain(p);
            if (t.box.periodic)
              for (auto& row : t.box.h) strain(row);
            return ev.evaluate(t).energy;
          },
          hs);
      EXPECT_NEAR(r0.virial[b][a], fd, vtol) << c.name << " virial " << b << a;
    }
  std::printf("[ %s ] max |F - F_fd| = %.3e (tolerance %.3e, max |F| %.3e)\n", c.name.c_str(),
              worst, tol, fmax);
}

INSTANTIATE_TEST_SUITE_P(AllPotentials, NnpFiniteDifference, ::testing::ValuesIn(fd_cases()),
                         [](const auto& info) {
                           std::string n = info.param.name;
                           std::replace_if(
                               n.begin(), n.end(), [](char ch) { return !std::isalnum(ch); }, '_');
                           return n;
                         });
