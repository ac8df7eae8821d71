// Evaluates vitrum's line shapes and backgrounds for the Python oracle test
// (tests/spectra/oracle/shapes_oracle.py). Reads commands from stdin, one per line, and prints
// one line of %.17g numbers per command:
//   shape SHAPE POSITION FWHM AREA N x_1 .. x_N         SHAPE as parse_casa_lineshape, no spaces
//   shapef SHAPE POSITION FWHM AREA N x_1 .. x_N        the same in single precision
//   background NAME AVG_WIDTH E_LO E_HI NP p_1..p_NP SCALE N x_1..x_N y_1..y_N
//        NAME: Linear | Shirley | U2Tougaard | U3Tougaard; SCALE: fixed | match
// Errors go to stderr with a non-zero exit status.
#include <cstdio>
#include <exception>
#include <iostream>
#include <stdexcept>
#include <string>
#include <vector>

#include "vitrum/spectra/background.hpp"
#include "vitrum/spectra/casa_lineshape.hpp"
#include "vitrum/spectra/math/peak_shapes.hpp"

namespace {

std::vector<double> read_n(std::istream& in, int n) {
  std::vector<double> v(n);
  for (auto& x : v)
    if (!(in >> x)) throw std::runtime_error("short input");
  return v;
}

void print(const std::vector<double>& v) {
  for (size_t i = 0; i < v.size(); ++i) std::printf(i ? " %.17g" : "%.17g", v[i]);
  std::printf("\n");
}

void run_shape(std::istream& in, bool single) {
  std::string text;
  double pos, fwhm, area;
  int n;
  in >> text >> pos >> fwhm >> area >> n;
  const auto shape = vitrum::spectra::parse_casa_lineshape(text);
  const auto s = shape.params(pos, fwhm, area);
  const auto x = read_n(in, n);
  std::vector<double> out(n);
  for (int i = 0; i < n; ++i)
    out[i] = single ? vitrum::spectra::math::shape_value_f(shape.kind, s, x[i])
                    : vitrum::spectra::math::shape_value(shape.kind, s, x[i]);
  print(out);
}

void run_background(std::istream& in) {
  std::string name, scale;
  int avg, np, n;
  double lo, hi;
  in >> name >> avg >> lo >> hi >> np;
  const auto params = read_n(in, np);
  in >> scale >> n;
  const auto x = read_n(in, n);
  const auto y = read_n(in, n);
  vitrum::spectra::BackgroundModel m;
  m.avg_width = avg;
  auto spec = vitrum::spectra::parse_casa_background(name == "U2Tougaard"   ? "U 2 Tougaard"
                                                     : name == "U3Tougaard" ? "U 3 Tougaard"
                                                                            : name,
                                                     params);
  spec.scale = scale == "match" ? vitrum::spectra::math::TougaardScale::MatchEnd
                                : vitrum::spectra::math::TougaardScale::Fixed;
  spec.max_iterations = 500;
  spec.tolerance = 1e-15;
  m.parts = {spec};
  print(vitrum::spectra::compute_background(m, x, y, lo, hi).values);
}

}  // namespace

int main() {
  try {
    std::string cmd;
    while (std::cin >> cmd) {
      if (cmd == "shape" || cmd == "shapef")
        run_shape(std::cin, cmd == "shapef");
      else if (cmd == "background")
        run_background(std::cin);
      else
        throw std::runtime_error("unknown command " + cmd);
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "shape_eval: %s\n", e.what());
    return 1;
  }
  return 0;
}
