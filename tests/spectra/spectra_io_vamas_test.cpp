// VAMAS reader: every real file in ../shared/spectra/vamas, MAP-mode assembly, inclusion lists,
// energy conversion and malformed input.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "../test_paths.hpp"
#include "vitrum/core/error.hpp"
#include "vitrum/spectra/spectrum_io.hpp"

namespace vs = vitrum::spectra;
namespace fs = std::filesystem;

namespace {

std::string vamas(const std::string& name) {
  return vitrum::test::shared_dir() + "/spectra/vamas/" + name;
}

fs::path scratch() {
  const fs::path p = fs::temp_directory_path() / ("vitrum_spio_vamas_" + std::to_string(getpid()));
  fs::create_directories(p);
  return p;
}

std::string write_text(const std::string& name, const std::string& text) {
  const std::string path = (scratch() / name).string();
  std::ofstream(path, std::ios::binary) << text;
  return path;
}

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

/// Expects `f` to throw vitrum::Error whose message contains every string in `parts`.
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

/// One block's expected values: channels, first and last energy (ascending, eV), kind ('B'/'K'),
/// hν, and intensities at ascending channel 0, 1, n/2 and n−1.
struct Expect {
  int n;
  double e_first, e_last;
  char kind;
  double hv;
  double y0, y1, ymid, ylast;
};

// Expected values were obtained independently of the C++ reader: with a separate Python parser
// written from ../shared/formats/vamas.md (parse every block, flip descending axes, take the
// intensity variable), and spot-checked against the file text by hand (e.g. the PHI file's block 1
// ends "1317.500000 / 1372.500000" just before "Block No.2", so ascending channel 0 is 1372.5; the
// Pt 4f file ends "136.04 / 0.806242 / end of experiment", intensity then transmission).
struct FileExpect {
  std::string file;
  std::vector<Expect> blocks;
};

const std::vector<FileExpect>& real_files() {
  static const std::vector<FileExpect> v = {
      {"casa_Pt4f_doublet.vms",
       {{281, 1396.68, 1424.68, 'K', 1486.68, 544.369, 590.509, 1215.48, 136.04}}},
      {"kratos_ARXPS_Al_foil_MAPmode.vms",
       {{201, 943.69, 963.69, 'K', 1486.69, 1678.0, 1729.0, 964.0, 800.0},
        {201, 1191.69, 1211.69, 'K', 1486.69, 877.0, 848.0, 1071.0, 812.0},
        {201, 1400.69, 1420.69, 'K', 1486.69, 431.0, 410.0, 150.0, 82.0},
        {201, 943.69, 963.69, 'K', 1486.69, 1098.0, 1117.0, 533.0, 485.0},
        {201, 1191.69, 1211.69, 'K', 1486.69, 536.0, 508.0, 656.0, 474.0},
        {201, 1400.69, 1420.69, 'K', 1486.69, 215.0, 208.0, 81.0, 62.0},
        {201, 943.69, 963.69, 'K', 1486.69, 825.0, 816.0, 399.0, 314.0},
        {201, 1191.69, 1211.69, 'K', 1486.69, 382.0, 365.0, 485.0, 319.0},
        {201, 1400.69, 1420.69, 'K', 1486.69, 152.0, 157.0, 59.0, 55.0},
        {201, 943.69, 963.69, 'K', 1486.69, 632.0, 623.0, 271.0, 239.0},
        {201, 1191.69, 1211.69, 'K', 1486.69, 300.0, 296.0, 379.0, 224.0},
        {201, 1400.69, 1420.69, 'K', 1486.69, 117.0, 104.0, 58.0, 39.0},
        {201, 943.69, 963.69, 'K', 1486.69, 460.0, 448.0, 184.0, 159.0},
        {201, 1191.69, 1211.69, 'K', 1486.69, 191.0, 197.0, 248.0, 156.0},
        {201, 1400.69, 1420.69, 'K', 1486.69, 204.0, 196.0, 104.0, 98.0}}},
      {"kratos_perovskite_XPS_UPS_9blocks.vms",
       {{1206, 286.69, 1491.69, 'K', 1486.69, 2808.0, 2885.0, 1084.0, 0.0},
        {101, 851.69, 871.69, 'K', 1486.69, 84957.0, 84747.0, 51876.0, 30594.0},
        {101, 1336.69, 1356.69, 'K', 1486.69, 31169.0, 30912.0, 27770.0, 13577.0},
        {101, 943.69, 963.69, 'K', 1486.69, 60018.0, 60355.0, 63394.0, 61500.0},
        {101, 1076.69, 1096.69, 'K', 1486.69, 60907.0, 59923.0, 47182.0, 43467.0},
        {101, 1186.69, 1206.69, 'K', 1486.69, 47358.0, 47072.0, 49144.0, 47707.0},
        {101, 1311.69, 1331.69, 'K', 1486.69, 55111.0, 55091.0, 60493.0, 64967.0},
        {281, 15.22, 22.22, 'K', 21.22, 7761.0, 7826.0, 3608.0, 1.0},
        {921, 1.22, 24.22, 'K', 21.22, 3.0, 4.0, 87.0, 0.0}}},
      {"kratos_supra_NiW_0-150W.vms",
       {{1206, 286.69, 1491.69, 'K', 1486.69, 2106.0, 2115.0, 2835.0, 9.0},
        {601, 586.69, 646.69, 'K', 1486.69, 114.0, 119.0, 130.0, 102.0},
        {251, 941.69, 966.69, 'K', 1486.69, 1620.0, 1707.0, 1420.0, 1315.0},
        {301, 1186.69, 1216.69, 'K', 1486.69, 1906.0, 1923.0, 1954.0, 1820.0},
        {251, 1436.69, 1461.69, 'K', 1486.69, 897.0, 861.0, 481.0, 107.0}}},
      {"phi_multipak_BEaxis_Mutlipak_vms.npl",
       {{601, 275.0, 305.0, 'B', 1486.6, 1372.5, 1317.5, 1872.5, 2047.5},
        {601, 525.0, 555.0, 'B', 1486.6, 2552.5, 2687.5, 2662.5, 2952.5},
        {501, 155.0, 180.0, 'B', 1486.6, 237.5, 251.25, 468.75, 528.75},
        {401, 390.0, 410.0, 'B', 1486.6, 2062.5, 2146.25, 3436.25, 2805.0},
        {401, 220.0, 240.0, 'B', 1486.6, 537.5, 516.25, 2232.5, 1252.5}}},
      {"specs_casa_FeO_Fe2p_IRREGULAR_fitted.vms",
       {{1121, 736.61, 792.61, 'K', 1486.61, 12516.9, 12304.9, 18695.7, 2884.3}}},
      {"specs_prodigy_survey_IRREGULAR.vms",
       {{1351, 136.61, 1486.61, 'K', 1486.61, 15598.7, 15867.9, 22934.8, 181.529}}},
      {"specs_prodigy_survey_REGULAR.vms",
       {{1351, 136.61, 1486.61, 'K', 1486.61, 1559.87, 1586.79, 2293.48, 18.1529}}},
      {"xps_eis_descendingKE_4blocks.vms",
       {{8201, 686.7, 1506.7, 'K', 1486.7, 2237.0, 2244.0, 30312.0, 52426.0},
        {321, 1245.7, 1261.7, 'K', 1486.7, 14218.0, 14076.0, 30106.0, 19689.0},
        {941, 1050.7, 1097.7, 'K', 1486.7, 12393.0, 12364.0, 14753.0, 14574.0},
        {541, 1219.7, 1246.7, 'K', 1486.7, 7813.0, 8029.0, 9795.0, 9995.0}}},
  };
  return v;
}

}  // namespace

TEST(spectra_io_vamas, EveryRealFileReadsWithIndependentlyVerifiedValues) {
  // Every VAMAS file in the shared folder must be in the table (a new file fails the test).
  int listed = 0;
  for (const auto& entry : fs::directory_iterator(vitrum::test::shared_dir() + "/spectra/vamas")) {
    bool found = false;
    for (const auto& f : real_files()) found = found || entry.path().filename() == f.file;
    EXPECT_TRUE(found) << entry.path() << " has no expected values in this test";
    ++listed;
  }
  EXPECT_EQ(listed, static_cast<int>(real_files().size()));

  for (const auto& f : real_files()) {
    SCOPED_TRACE(f.file);
    const auto images = vs::read_spectra(vamas(f.file));
    ASSERT_EQ(images.size(), f.blocks.size());
    for (size_t b = 0; b < images.size(); ++b) {
      SCOPED_TRACE("block " + std::to_string(b + 1));
      const auto& img = images[b];
      const auto& e = f.blocks[b];
      EXPECT_EQ(img.source, vamas(f.file));
      EXPECT_EQ(img.pixels(), 1);
      ASSERT_EQ(img.channels(), e.n);
      ASSERT_EQ(img.counts.size(), static_cast<size_t>(e.n));
      EXPECT_NEAR(img.energy.front(), e.e_first, 1e-9 * std::fabs(e.e_first) + 1e-12);
      EXPECT_NEAR(img.energy.back(), e.e_last, 1e-9 * std::fabs(e.e_last) + 1e-12);
      for (int i = 1; i < img.channels(); ++i) ASSERT_GT(img.energy[i], img.energy[i - 1]);
      EXPECT_EQ(img.energy_kind, e.kind == 'B' ? vs::EnergyKind::Binding : vs::EnergyKind::Kinetic);
      EXPECT_DOUBLE_EQ(img.photon_energy, e.hv);
      EXPECT_FLOAT_EQ(img.counts[0], static_cast<float>(e.y0));
      EXPECT_FLOAT_EQ(img.counts[1], static_cast<float>(e.y1));
      EXPECT_FLOAT_EQ(img.counts[e.n / 2], static_cast<float>(e.ymid));
      EXPECT_FLOAT_EQ(img.counts[e.n - 1], static_cast<float>(e.ylast));
      EXPECT_EQ(img.metadata.at("format"), "VAMAS");
    }
  }
}

TEST(spectra_io_vamas, NamesAndQuirks) {
  // PHI: generic "Block No.N" ids → species + transition; the NUL byte in "1s\0" is dropped.
  auto phi = vs::read_spectra(vamas("phi_multipak_BEaxis_Mutlipak_vms.npl"));
  EXPECT_EQ(phi[0].name, "C 1s");
  EXPECT_EQ(phi[4].name, "Mo 3d");
  EXPECT_EQ(phi[0].metadata.at("transition"), "1s");
  EXPECT_EQ(phi[0].metadata.at("intensity_units"), "c/s");
  EXPECT_EQ(phi[0].metadata.at("energy_flipped").substr(0, 4), "true");
  // Kratos: ids kept; the header's "1 region" is ignored (5 blocks).
  auto ni = vs::read_spectra(vamas("kratos_supra_NiW_0-150W.vms"));
  ASSERT_EQ(ni.size(), 5u);
  EXPECT_EQ(ni[4].name, "W 4f");
  // ARXPS: MAP mode with 0 positions stays one entry per block; repeated ids made unique; the
  // experimental variable (take-off angle) is in the metadata.
  auto ar = vs::read_spectra(vamas("kratos_ARXPS_Al_foil_MAPmode.vms"));
  EXPECT_EQ(ar[0].name, "O 1s");
  EXPECT_EQ(ar[3].name, "O 1s (2)");
  EXPECT_EQ(ar[3].metadata.at("experimental_variable.Angle [degree]"), "40");
  // Empty ids and species (xps_eis) → "block N".
  auto eis = vs::read_spectra(vamas("xps_eis_descendingKE_4blocks.vms"));
  EXPECT_EQ(eis[1].name, "block 2");
  // CasaXPS fit comments are kept verbatim.
  auto fe = vs::read_spectra(vamas("specs_casa_FeO_Fe2p_IRREGULAR_fitted.vms"));
  EXPECT_NE(fe[0].metadata.at("block_comment").find("CASA"), std::string::npos);
  // REGULAR and IRREGULAR versions of the same survey: same axis, intensities 10× apart
  // (counts vs counts per second at 0.1 s, as the files record).
  auto reg = vs::read_spectra(vamas("specs_prodigy_survey_REGULAR.vms"));
  auto irr = vs::read_spectra(vamas("specs_prodigy_survey_IRREGULAR.vms"));
  ASSERT_EQ(reg[0].channels(), irr[0].channels());
  for (int i = 0; i < reg[0].channels(); i += 97) {
    EXPECT_NEAR(reg[0].energy[i], irr[0].energy[i], 1e-6);
    EXPECT_NEAR(irr[0].counts[i], 10.0 * reg[0].counts[i], 1e-3 * irr[0].counts[i]);
  }
}

TEST(spectra_io_vamas, KineticBindingConversion) {
  // PHI is recorded in binding energy 305 → 275 (step −0.05): as kinetic with hν = 1486.6 eV the
  // axis is 1181.6 … 1211.6 and channel 0 is the file's first value (305 eV BE = lowest KE).
  vs::ReadOptions ke;
  ke.energy = vs::EnergyAxis::Kinetic;
  auto phi = vs::read_spectra(vamas("phi_multipak_BEaxis_Mutlipak_vms.npl"), ke);
  EXPECT_EQ(phi[0].energy_kind, vs::EnergyKind::Kinetic);
  EXPECT_NEAR(phi[0].energy.front(), 1486.6 - 305.0, 1e-9);
  EXPECT_NEAR(phi[0].energy.back(), 1486.6 - 275.0, 1e-9);
  EXPECT_FLOAT_EQ(phi[0].counts.front(), 2047.5f);
  EXPECT_FLOAT_EQ(phi[0].counts.back(), 1372.5f);
  // xps_eis is kinetic, descending 1506.7 → 686.7: as binding, −20 … 800 eV, ascending.
  vs::ReadOptions be;
  be.energy = vs::EnergyAxis::Binding;
  auto eis = vs::read_spectra(vamas("xps_eis_descendingKE_4blocks.vms"), be);
  EXPECT_EQ(eis[0].energy_kind, vs::EnergyKind::Binding);
  EXPECT_NEAR(eis[0].energy.front(), -20.0, 1e-9);
  EXPECT_NEAR(eis[0].energy.back(), 800.0, 1e-9);
  EXPECT_FLOAT_EQ(eis[0].counts.front(), 52426.0f);
  // UPS blocks convert with their own hν (21.22 eV).
  auto pvk = vs::read_spectra(vamas("kratos_perovskite_XPS_UPS_9blocks.vms"), be);
  EXPECT_NEAR(pvk[7].energy.front(), 21.22 - 22.22, 1e-9);
  EXPECT_NEAR(pvk[7].energy.back(), 21.22 - 15.22, 1e-9);
}

TEST(spectra_io_vamas, RateToCountsGivesIntegers) {
  // PHI records c/s; × collection time × scans (0.4 s or 0.8 s, 1 scan) the values are integer
  // counts (verified in Python for all 5 blocks).
  vs::ReadOptions o;
  o.rate_to_counts = true;
  auto phi = vs::read_spectra(vamas("phi_multipak_BEaxis_Mutlipak_vms.npl"), o);
  for (const auto& img : phi) {
    EXPECT_EQ(img.metadata.at("intensity_units"), "counts");
    for (float y : img.counts) ASSERT_FLOAT_EQ(y, std::round(y)) << img.name;
  }
  EXPECT_FLOAT_EQ(phi[0].counts[0], 549.0f);  // 1372.5 c/s × 0.4 s
  // Files already in counts are untouched.
  auto pt = vs::read_spectra(vamas("casa_Pt4f_doublet.vms"), o);
  EXPECT_FLOAT_EQ(pt[0].counts[0], 544.369f);
}

// ------------------------------------------------------------------------------ synthetic files
namespace {

struct SynthBlock {
  std::string id, species, transition;
  double x = 0, y = 0;
  double start = 1000, step = 0.5;
  std::vector<double> values;
};

/// A minimal VAMAS file written from the standard's order (../shared/formats/vamas.md). `incl`
/// is the signed inclusion list (positive: only these parameters in blocks 2..N).
std::string make_vamas(const std::string& mode, long nx, long ny, const std::vector<SynthBlock>& bs,
                       const std::vector<int>& incl = {}, bool negative = false) {
  std::ostringstream o;
  auto L = [&](const auto& v) { o << v << "\r\n"; };
  L("VAMAS Surface Chemical Analysis Standard Data Transfer Format 1988 May 4");
  L("inst");
  L("model");
  L("operator");
  L("exp");
  L(1);
  L("synthetic test file");
  L(mode);
  L("REGULAR");
  L(2);  // regions
  const bool map = mode == "MAP";
  if (map) {
    L(nx * ny);
    L(nx);
    L(ny);
  }
  L(1);  // one experimental variable
  L("Angle");
  L("degree");
  L(negative ? -static_cast<long>(incl.size()) : static_cast<long>(incl.size()));
  for (int k : incl) L(k);
  L(0);  // manual items
  L(0);  // future experiment entries
  L(0);  // future block entries
  L(bs.size());
  for (size_t b = 0; b < bs.size(); ++b) {
    const auto& s = bs[b];
    auto in = [&](int k) {
      if (b == 0 || incl.empty()) return true;
      bool listed = false;
      for (int i : incl) listed = listed || i == k;
      return negative ? !listed : listed;
    };
    L(s.id);
    L("sample");
    if (in(1)) L(2024);
    if (in(2)) L(1);
    if (in(3)) L(2);
    if (in(4)) L(3);
    if (in(5)) L(4);
    if (in(6)) L(5);
    if (in(7)) L(0);
    if (in(8)) {
      L(1);
      L("block comment");
    }
    if (in(9)) L("XPS");
    if (map && in(10)) {
      L(s.x);
      L(s.y);
    }
    if (in(11)) L(b * 10);
    if (in(12)) L("Al");
    if (in(14)) L(1486.6);
    if (in(15)) L("1e+037");
    if (in(16)) {
      L(100);
      L(100);
    }
    if (map && in(17)) {
      L(10);
      L(10);
    }
    if (in(19)) L(54.7);
    if (in(20)) L(0);
    if (in(21)) L("FAT");
    if (in(22)) L(20);
    if (in(24)) L(1);
    if (in(25)) L(4.5);
    if (in(26)) L(0);
    if (in(27)) {
      L(1);
      L(1);
    }
    if (in(28)) {
      L(0);
      L(0);
    }
    if (in(29)) L(s.species);
    if (in(30)) {
      L(s.transition);
      L(-1);
    }
    if (in(31)) {
      L("Kinetic Energy");
      L("eV");
      L(s.start);
      L(s.step);
    }
    if (in(32)) {
      L(1);
      L("Intensity");
      L("d");
    }
    if (in(33)) L("pulse counting");
    if (in(34)) L(0.1);
    if (in(35)) L(1);
    if (in(36)) L(0);
    if (in(38)) {
      L(0);
      L(0);
    }
    if (in(39)) L(0);
    if (in(40)) L(0);
    L(s.values.size());
    L(0);
    L(0);
    for (double v : s.values) L(v);
  }
  L("end of experiment");
  return o.str();
}

std::vector<double> ramp(double base, int n) {
  std::vector<double> v(n);
  for (int i = 0; i < n; ++i) v[i] = base + i;
  return v;
}

}  // namespace

TEST(spectra_io_vamas, MapModeAssemblesImagesPerRegion) {
  // 3 × 2 map, two regions (C 1s, O 1s), blocks in scrambled order; pixel (iy, ix) holds
  // base = 100 (iy * 3 + ix) (+ 1000 for O 1s) so placement is checked exactly.
  std::vector<SynthBlock> bs;
  const int order[6] = {4, 0, 5, 2, 1, 3};
  for (int region = 0; region < 2; ++region)
    for (int k : order) {
      const int iy = k / 3, ix = k % 3;
      SynthBlock b;
      b.id = region ? "O 1s" : "C 1s";
      b.species = region ? "O" : "C";
      b.transition = "1s";
      b.x = 1 + ix;  // VAMAS positions 1-based here; the reader ranks them
      b.y = 1 + iy;
      b.start = region ? 950 : 1200;
      b.values = ramp(100.0 * k + 1000.0 * region, 8);
      bs.push_back(b);
    }
  const std::string path = write_text("map.vms", make_vamas("MAP", 3, 2, bs));
  const auto imgs = vs::read_spectra(path);
  ASSERT_EQ(imgs.size(), 2u);
  for (int region = 0; region < 2; ++region) {
    const auto& img = imgs[region];
    EXPECT_EQ(img.name, region ? "O 1s" : "C 1s");
    EXPECT_EQ(img.ny, 2);
    EXPECT_EQ(img.nx, 3);
    ASSERT_EQ(img.channels(), 8);
    ASSERT_EQ(img.navigation.size(), 2u);
    EXPECT_DOUBLE_EQ(img.navigation[1].offset, 1.0);
    for (int p = 0; p < 6; ++p)
      for (int i = 0; i < 8; ++i)
        ASSERT_FLOAT_EQ(img.spectrum(p)[i], 100.0f * p + 1000.0f * region + i);
  }
  // With assembly off: 12 separate blocks.
  vs::ReadOptions o;
  o.assemble_maps = false;
  EXPECT_EQ(vs::read_spectra(path, o).size(), 12u);
  // A map with a missing position is not assembled (and says why).
  bs.pop_back();
  const std::string partial = write_text("map_partial.vms", make_vamas("MAP", 3, 2, bs));
  const auto p = vs::read_spectra(partial);
  ASSERT_EQ(p.size(), 6u);  // C 1s complete → one image; O 1s has 5 of 6 positions → 5 blocks
  EXPECT_EQ(p[0].pixels(), 6);
  for (size_t i = 1; i < p.size(); ++i) {
    EXPECT_EQ(p[i].pixels(), 1);
    EXPECT_NE(p[i].metadata.at("map_assembly").find("not assembled"), std::string::npos);
  }
}

TEST(spectra_io_vamas, InclusionListCopiesOmittedParametersFromBlockOne) {
  std::vector<SynthBlock> bs(3);
  for (int b = 0; b < 3; ++b) {
    bs[b].id = "b" + std::to_string(b);
    bs[b].species = "C";
    bs[b].transition = "1s";
    bs[b].start = 1000 + 100 * b;
    bs[b].values = ramp(10 * b, 5);
  }
  // Positive list: only [11] and [31] appear in blocks 2..3; everything else is block 1's.
  for (bool negative : {false, true}) {
    SCOPED_TRACE(negative ? "negative list" : "positive list");
    const std::vector<int> incl =
        negative ? std::vector<int>{1,  2,  3,  4,  5,  6,  7,  8,  9,  12, 14, 15, 16, 19, 20, 21,
                                    22, 24, 25, 26, 27, 28, 29, 30, 32, 33, 34, 35, 36, 38, 39, 40}
                 : std::vector<int>{11, 31};
    const std::string path = write_text("incl.vms", make_vamas("NORM", 0, 0, bs, incl, negative));
    const auto imgs = vs::read_spectra(path);
    ASSERT_EQ(imgs.size(), 3u);
    for (int b = 0; b < 3; ++b) {
      EXPECT_EQ(imgs[b].name, "b" + std::to_string(b));
      EXPECT_DOUBLE_EQ(imgs[b].energy.front(), 1000 + 100 * b);
      EXPECT_DOUBLE_EQ(imgs[b].photon_energy, 1486.6);  // copied from block 1
      EXPECT_EQ(imgs[b].metadata.at("block_comment"), "block comment");
      EXPECT_EQ(imgs[b].metadata.at("experimental_variable.Angle [degree]"),
                std::to_string(10 * b));
      EXPECT_FLOAT_EQ(imgs[b].counts[4], 10.0f * b + 4);
    }
  }
}

TEST(spectra_io_vamas, MalformedFilesGiveErrorsNamingFileAndProblem) {
  // Truncated: the first 60 % of a real file.
  const std::string text = slurp(vamas("kratos_supra_NiW_0-150W.vms"));
  const std::string trunc = write_text("truncated.vms", text.substr(0, text.size() * 6 / 10));
  expect_error([&] { vs::read_spectra(trunc); }, {trunc, "truncated"});
  // Truncated just before the terminator.
  const std::string pt = slurp(vamas("casa_Pt4f_doublet.vms"));
  const std::string no_end = write_text("no_end.vms", pt.substr(0, pt.find("end of experiment")));
  expect_error([&] { vs::read_spectra(no_end); }, {no_end, "end of experiment"});
  // Not VAMAS: the first line names the problem.
  const std::string notv = write_text("notvamas.vms", "hello\n1\n2\n");
  expect_error([&] { vs::read_spectra(notv); }, {notv + ":1:", "not a VAMAS file"});
  // A bad number in the data names the line.
  std::string bad = pt;
  const auto pos = bad.find("544.369");
  ASSERT_NE(pos, std::string::npos);
  bad.replace(pos, 7, "54x.369");
  const std::string badnum = write_text("badnum.vms", bad);
  long line = 1;
  for (size_t i = 0; i < pos; ++i) line += bad[i] == '\n';
  expect_error([&] { vs::read_spectra(badnum); },
               {badnum + ":" + std::to_string(line) + ":", "expected a number", "54x.369"});
  // A date field that is not an integer (found by fuzzing: 1e37 was cast to a long).
  std::string date = pt;
  const auto ypos = date.find("\n2023\n");
  ASSERT_NE(ypos, std::string::npos);
  date.replace(ypos + 1, 4, "1e37");
  const std::string baddate = write_text("baddate.vms", date);
  long yline = 2;
  for (size_t i = 0; i < ypos; ++i) yline += date[i] == '\n';
  expect_error([&] { vs::read_spectra(baddate); },
               {baddate + ":" + std::to_string(yline) + ":", "expected an integer", "year"});
  // Unknown experiment mode.
  std::string mode = pt;
  mode.replace(mode.find("\nNORM"), 5, "\nWHAT");
  const std::string badmode = write_text("badmode.vms", mode);
  expect_error([&] { vs::read_spectra(badmode); }, {badmode, "unknown experiment mode 'WHAT'"});
  // Header declares fewer blocks than the file holds.
  std::vector<SynthBlock> bs(2);
  for (auto& b : bs) {
    b.id = "x";
    b.species = "C";
    b.transition = "1s";
    b.values = ramp(1, 4);
  }
  std::string two = make_vamas("NORM", 0, 0, bs);
  const auto nb = two.find("\r\n2\r\nx\r\n");
  ASSERT_NE(nb, std::string::npos);
  two.replace(nb, 5, "\r\n1\r\n");
  const std::string fewer = write_text("fewer.vms", two);
  expect_error([&] { vs::read_spectra(fewer); }, {fewer, "expected 'end of experiment'"});
  // Odd number of values for 2 corresponding variables (Pt 4f has intensity + transmission).
  std::string odd = pt;
  odd.replace(odd.find("\n562\n"), 5, "\n561\n");
  const std::string oddp = write_text("odd.vms", odd);
  expect_error([&] { vs::read_spectra(oddp); }, {oddp, "not a multiple"});
  // Conversion without an excitation energy.
  std::string nohv = make_vamas("NORM", 0, 0, {bs[0]});
  nohv.replace(nohv.find("1486.6"), 6, "1e+037");
  const std::string nohvp = write_text("nohv.vms", nohv);
  vs::ReadOptions be;
  be.energy = vs::EnergyAxis::Binding;
  expect_error([&] { vs::read_spectra(nohvp, be); }, {nohvp, "excitation energy"});
}

TEST(spectra_io_vamas, NonMonotonicIrregularAbscissaIsAnError) {
  std::string t = slurp(vamas("specs_casa_FeO_Fe2p_IRREGULAR_fitted.vms"));
  // The abscissa values run 736.61, 736.66, ...: make the third equal to the second.
  const auto p = t.find("\n736.71\r\n");
  ASSERT_NE(p, std::string::npos);
  t.replace(p, 9, "\n736.66\r\n");
  const std::string path = write_text("nonmono.vms", t);
  expect_error([&] { vs::read_spectra(path); }, {path, "not strictly monotonic"});
}
