// Text/CSV spectra, format dispatch, energy windows and the fit-curve CSV (with its plot script).
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "../test_paths.hpp"
#include "temporary_files.hpp"
#include "vitrum/core/error.hpp"
#include "vitrum/spectra/spectrum_io.hpp"

namespace vs = vitrum::spectra;
namespace fs = std::filesystem;

namespace {

fs::path scratch() {
  const fs::path p = fs::temp_directory_path() / ("vitrum_spio_csv_" + std::to_string(getpid()));
  fs::create_directories(p);
  return p;
}

std::string write_text(const std::string& name, const std::string& text) {
  const std::string path = (scratch() / name).string();
  std::ofstream(path, std::ios::binary) << text;
  return path;
}

template <typename F>
void expect_error(F&& f, std::initializer_list<std::string> parts) {
  try {
    f();
    ADD_FAILURE() << "no exception thrown";
  } catch (const vitrum::Error& e) {
    const std::string msg = e.what();
    for (const auto& p : parts)
      EXPECT_NE(msg.find(p), std::string::npos) << "'" << p << "' not in: " << msg;
  }
}

}  // namespace

TEST(spectra_io_csv, TwoColumnVariants) {
  // Comma-separated, header naming binding energy, descending (as CasaXPS exports): flipped.
  const auto a = vs::read_spectra(write_text(
      "be.csv", "# exported\r\nBinding Energy (eV),Counts\r\n290,10\r\n289.5,20\r\n289,30\r\n"));
  ASSERT_EQ(a.size(), 1u);
  EXPECT_EQ(a[0].name, "be");
  EXPECT_EQ(a[0].energy_kind, vs::EnergyKind::Binding);
  EXPECT_EQ(a[0].energy, (std::vector<double>{289, 289.5, 290}));
  EXPECT_EQ(a[0].counts, (std::vector<float>{30, 20, 10}));
  EXPECT_EQ(a[0].pixels(), 1);
  // Whitespace-separated with a kinetic-energy header.
  const auto b = vs::read_spectra(write_text("ke.txt", "KE  I\n1000 5\n1000.5\t6\n1001 7\n"));
  EXPECT_EQ(b[0].energy_kind, vs::EnergyKind::Kinetic);
  EXPECT_EQ(b[0].counts, (std::vector<float>{5, 6, 7}));
  // Semicolons with decimal commas (European locale exports); no header → binding assumed.
  const auto c = vs::read_spectra(write_text("eu.dat", "284,5;1,5\n285,0;2,5\n"));
  EXPECT_EQ(c[0].energy, (std::vector<double>{284.5, 285.0}));
  EXPECT_EQ(c[0].counts, (std::vector<float>{1.5f, 2.5f}));
  EXPECT_EQ(c[0].energy_kind, vs::EnergyKind::Binding);
  EXPECT_EQ(c[0].metadata.count("energy_kind_assumed"), 1u);
  // More columns → a stack, one spectrum per column.
  const auto d = vs::read_spectra(write_text("stack.csv", "E,a,b,c\n1,1,2,3\n2,4,5,6\n"));
  EXPECT_EQ(d[0].ny, 1);
  EXPECT_EQ(d[0].nx, 3);
  EXPECT_EQ(d[0].counts, (std::vector<float>{1, 4, 2, 5, 3, 6}));
  EXPECT_EQ(d[0].metadata.at("column.3"), "b");
  // Kinetic → binding needs hν, which text files do not carry.
  vs::ReadOptions be;
  be.energy = vs::EnergyAxis::Binding;
  const std::string ke = write_text("ke2.csv", "kinetic,counts\n1000,1\n1001,2\n");
  expect_error([&] { vs::read_spectra(ke, be); }, {ke, "excitation energy"});
  be.photon_energy = 1486.6;
  const auto e = vs::read_spectra(ke, be);
  EXPECT_NEAR(e[0].energy.front(), 485.6, 1e-9);
  EXPECT_EQ(e[0].counts, (std::vector<float>{2, 1}));
}

TEST(spectra_io_csv, BadInputGivesErrorsNamingFileAndLine) {
  const std::string nonmono =
      write_text("nonmono.csv", "energy,counts\n280,1\n281,2\n280.5,3\n282,4\n");
  expect_error([&] { vs::read_spectra(nonmono); },
               {nonmono + ":4:", "not strictly monotonic", "line 3"});
  const std::string dup = write_text("dup.csv", "280,1\n281,2\n281,3\n");
  expect_error([&] { vs::read_spectra(dup); }, {dup + ":3:", "not strictly monotonic"});
  const std::string cols = write_text("cols.csv", "280,1\n281,2,5\n");
  expect_error([&] { vs::read_spectra(cols); }, {cols + ":2:", "3 column(s), expected 2"});
  const std::string one = write_text("one.csv", "x\n280\n281\n");
  expect_error([&] { vs::read_spectra(one); }, {one + ":2:", "at least two"});
  const std::string word = write_text("word.csv", "280,1\n281,abc\n");
  expect_error([&] { vs::read_spectra(word); }, {word + ":2:", "'abc'"});
  const std::string none = write_text("none.csv", "# nothing\n");
  expect_error([&] { vs::read_spectra(none); }, {none, "no numeric rows"});
  const std::string missing = (scratch() / "does_not_exist.csv").string();
  expect_error([&] { vs::read_spectra(missing); }, {missing, "cannot open"});
}

TEST(spectra_io_csv, FormatDispatch) {
  const std::string unknown = write_text("spectrum.xyz", "280,1\n281,2\n");
  expect_error([&] { vs::read_spectra(unknown); }, {unknown, "unknown spectrum format", ".xyz"});
  const std::string noext = write_text("spectrum", "280,1\n281,2\n");
  expect_error([&] { vs::read_spectra(noext); }, {noext, "unknown spectrum format"});
  // Content decides when the extension is unknown: a VAMAS file named .bin reads.
  const std::string vms = vitrum::test::shared_dir() + "/spectra/vamas/casa_Pt4f_doublet.vms";
  const std::string renamed = (scratch() / "pt.bin").string();
  fs::copy_file(vms, renamed, fs::copy_options::overwrite_existing);
  EXPECT_EQ(vs::detect_spectrum_format(renamed), vs::SpectrumFormat::Vamas);
  EXPECT_EQ(vs::read_spectra(renamed).at(0).channels(), 281);
  EXPECT_EQ(vs::detect_spectrum_format(vitrum::test::shared_dir() +
                                       "/spectra/hdf5/phi_SnO2_Si_depthprofile_21cycles.h5"),
            vs::SpectrumFormat::Hdf5);
  // A .vms file that is not VAMAS is reported by the VAMAS reader.
  const std::string fake = write_text("fake.vms", "280,1\n281,2\n");
  expect_error([&] { vs::read_spectra(fake); }, {fake, "not a VAMAS file"});
}

TEST(spectra_io_csv, EnergyWindow) {
  vs::SpectrumImage img;
  img.name = "C 1s";
  img.source = "file.vms";
  img.ny = 1;
  img.nx = 2;
  for (int i = 0; i <= 100; ++i) img.energy.push_back(280 + 0.1 * i);
  img.counts.resize(2 * 101);
  for (size_t i = 0; i < img.counts.size(); ++i) img.counts[i] = static_cast<float>(i);
  const auto w = vs::select_window(img, 282, 284);
  EXPECT_EQ(w.channels(), 21);
  EXPECT_NEAR(w.energy.front(), 282, 1e-9);
  EXPECT_FLOAT_EQ(w.spectrum(1)[0], 101.0f + 20.0f);
  expect_error([&] { vs::select_window(img, 270, 275); },
               {"file.vms", "C 1s", "outside the data", "[280, 290]"});
  expect_error([&] { vs::select_window(img, 285, 295); }, {"outside the data"});
  expect_error([&] { vs::select_window(img, 284, 283); }, {"empty or inverted"});
  expect_error([&] { vs::select_window(img, 284.01, 284.05); }, {"fewer than 3"});
}

TEST(spectra_io_csv, FitCurvesCsvReadsBackAndPlots) {
  vs::FitCurves c;
  for (int i = 0; i < 40; ++i) {
    const double e = 280 + 0.25 * i;
    const double g1 = 500 * std::exp(-0.5 * (e - 284.8) * (e - 284.8) / 0.36);
    const double g2 = 200 * std::exp(-0.5 * (e - 286.3) * (e - 286.3) / 0.36);
    c.energy.push_back(e);
    c.background.push_back(50 + 2 * i);
    c.components.resize(2);
    c.components[0].first = "C-C, C-H";
    c.components[1].first = "C-O";
    c.components[0].second.push_back(g1);
    c.components[1].second.push_back(g2);
    c.fit.push_back(50 + 2 * i + g1 + g2);
    c.data.push_back(c.fit.back() + ((i % 3) - 1) * 5);
  }
  const std::string out = (scratch() / "fit.csv").string();
  vs::write_spectrum_fit_csv(out, c, {"vitrum spectra fit", "file: test"});
  EXPECT_FALSE(vitrum::test::temporary_left_beside(out));
  const auto back = vs::read_spectra(out);
  ASSERT_EQ(back.size(), 1u);
  EXPECT_EQ(back[0].nx, 5);  // data, fit, background, 2 components
  EXPECT_EQ(back[0].metadata.at("column.6"), "C-O");
  EXPECT_EQ(back[0].metadata.at("column.5"), "C-C; C-H");
  EXPECT_NEAR(back[0].spectrum(1)[10], c.fit[10], 1e-6 * c.fit[10]);
  // Size mismatch is an error naming the curve.
  c.components[1].second.pop_back();
  expect_error([&] { vs::write_spectrum_fit_csv(out, c); }, {"C-O", "39 values"});
  // The plot script draws it.
  const std::string png = (scratch() / "fit.png").string();
  fs::remove(png);
  const std::string cmd = "/usr/bin/python3 " + vitrum::test::source_dir() +
                          "/scripts/plot_spectra.py spectrum " + out + " -o " + png;
  ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
  ASSERT_TRUE(fs::exists(png));
  EXPECT_GT(fs::file_size(png), 5000u);
}
