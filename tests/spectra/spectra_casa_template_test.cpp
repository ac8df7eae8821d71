// CasaXPS templates (casa_template.hpp): CASA region/comp lines into a constrained model on the
// binding axis, a fit of a spectrum made from that model, the component lines written back and
// read again, and clear errors (file, block, comment line) for bad or unsupported templates,
// including the real CasaXPS-fitted files of ../shared/spectra.
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <random>
#include <string>

#include "../test_paths.hpp"
#include "vitrum/core/error.hpp"
#include "vitrum/spectra/casa_template.hpp"
#include "vitrum/spectra/spectrum_io.hpp"

namespace sp = vitrum::spectra;

namespace {

constexpr double kHv = 1486.6;
constexpr int kP = vitrum::spectra::math::kPolishParamsPerComponent;

/// A Pt 4f-like template on the kinetic axis: 4f7/2 (LA) free, 4f5/2 linked to it (position
/// −3.33 eV in KE, area × 0.75, FWHM × 1), a linear background over the region.
std::string pt_template(const std::string& area2 = "3000") {
  return "Casa Info Follows\n0\n1\nCASA region (*Pt 4f*) (*Linear*) 1405 1420 5.575 1 0 0 "
         "(*Pt 4f*) 195.08 0 5.575\n2\n"
         "CASA comp (*Pt 4f7/2*) (*LA(1.2,2.5,30)*) Area 4000 0 1e6 -1 1 MFWHM 0.9 0.2 3 -1 1 "
         "Position 1415.5 1413 1418 -1 0 RSF 3.1 MASS 195.08 INDEX -1 (*Pt 4f*) CONST (**)\n"
         "CASA comp (*Pt 4f5/2*) (*LA(1.2,2.5,30)*) Area " +
         area2 +
         " 0 1e6 0 0.75 MFWHM 0.9 0.2 3 0 1 Position 1412.17 1410 1415 0 -3.33 RSF 2.4 MASS "
         "195.08 INDEX -1 (*Pt 4f*) CONST (**)\n";
}

sp::SpectrumImage ke_block(const std::string& comment) {
  sp::SpectrumImage b;
  b.name = "Pt4f test";
  b.source = "synthetic.vms";
  b.energy_kind = sp::EnergyKind::Kinetic;
  b.photon_energy = kHv;
  for (int i = 0; i <= 400; ++i) b.energy.push_back(1402.0 + 0.05 * i);
  b.counts.assign(b.energy.size(), 0.0f);
  b.metadata["block_comment"] = comment;
  return b;
}

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const vitrum::Error& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST(CasaTemplate, ReadsComponentsLinksAndRegionOnTheBindingAxis) {
  const sp::CasaTemplate t = sp::read_casa_template(ke_block(pt_template()));
  ASSERT_EQ(t.model.components.size(), 2u);
  const sp::ModelComponent& a = t.model.components[0];
  const sp::ModelComponent& b = t.model.components[1];
  EXPECT_EQ(a.kind, sp::ShapeKind::LA);
  EXPECT_DOUBLE_EQ(a.param[sp::kPosition].value, kHv - 1415.5);
  EXPECT_DOUBLE_EQ(a.param[sp::kPosition].lo, kHv - 1418.0);
  EXPECT_DOUBLE_EQ(a.param[sp::kPosition].hi, kHv - 1413.0);
  EXPECT_EQ(b.param[sp::kPosition].link, 0);
  EXPECT_DOUBLE_EQ(b.param[sp::kPosition].offset, 3.33);  // KE −3.33 is BE +3.33
  EXPECT_DOUBLE_EQ(b.param[sp::kArea].factor, 0.75);
  EXPECT_EQ(b.param[sp::kFwhm].link, 0);
  EXPECT_DOUBLE_EQ(t.region_lo, kHv - 1420.0);
  EXPECT_DOUBLE_EQ(t.region_hi, kHv - 1405.0);
  ASSERT_EQ(t.model.background.size(), 1u);
  EXPECT_EQ(t.model.background[0].basis, sp::BackgroundBasis::Curve);
}

TEST(CasaTemplate, FitsASpectrumMadeFromItsModelAndWritesTheComponentsBack) {
  sp::SpectrumImage block = ke_block(pt_template());
  const sp::CasaTemplate t = sp::read_casa_template(block);
  // Expected counts: the template's components at known values + a linear background of 200.
  sp::SpectrumImage prepared;
  sp::PolishBatch probe = sp::casa_batch(t, block, prepared);
  sp::PeakModel truth = t.model;
  truth.components[0].param[sp::kPosition].value = 71.05;
  truth.components[0].param[sp::kFwhm].value = 0.85;
  truth.components[0].param[sp::kArea].value = 5000.0;
  truth.background.clear();
  const sp::math::ParamMap map = sp::build_param_map(truth);
  std::vector<double> full = sp::model_values(truth);
  std::vector<double> theta(map.n_free);
  for (int j = 0; j < map.n_free; ++j) theta[j] = full[map.full_of_free[j]];
  sp::math::polish_expand(map, theta.data(), full.data());
  // Data in the block's own (KE) channel order; the prepared image is ascending BE.
  std::mt19937_64 rng(1);
  for (size_t i = 0; i < block.energy.size(); ++i) {
    const double be = kHv - block.energy[i];
    double lam = 200.0;
    for (int c = 0; c < 2; ++c)
      lam += sp::math::shape_value(map.kind[c], sp::math::polish_component(full.data(), c), be);
    block.counts[i] = static_cast<float>(std::poisson_distribution<long>(lam)(rng));
  }
  sp::PolishBatch batch = sp::casa_batch(t, block, prepared);
  EXPECT_EQ(probe.energy, batch.energy);
  const sp::PolishResult r = sp::polish_spectra(batch);
  ASSERT_EQ(r.status[0], static_cast<int>(sp::PolishStatus::Converged));
  const double se_pos = r.error(0, sp::kPosition);
  EXPECT_GT(se_pos, 0.0);
  EXPECT_NEAR(r.param(0, sp::kPosition), 71.05, 5 * se_pos);
  EXPECT_NEAR(r.param(0, sp::kFwhm), 0.85, 5 * r.error(0, sp::kFwhm));
  EXPECT_NEAR(r.param(0, sp::kArea), 5000.0, 5 * r.error(0, sp::kArea));
  EXPECT_DOUBLE_EQ(r.param(0, kP + sp::kPosition), r.param(0, sp::kPosition) + 3.33);
  // Written back on the KE axis with the template's bounds and links, and read again.
  const std::string lines = sp::format_casa_components(t, r, 0);
  EXPECT_NE(lines.find("CASA comp (*Pt 4f5/2*) (*LA(1.2,2.5,30)*) Area"), std::string::npos);
  EXPECT_NE(lines.find(" 0 0.75 MFWHM"), std::string::npos);
  const sp::CasaTemplate again = sp::parse_casa_template(
      "CASA region (*Pt 4f*) (*Linear*) 1405 1420 5.575 1 0 0 (*Pt 4f*)\n" + lines, "re-read",
      sp::EnergyKind::Kinetic, kHv);
  for (int c = 0; c < 2; ++c)
    for (int k : {sp::kPosition, sp::kFwhm, sp::kArea})
      EXPECT_NEAR(again.model.components[c].param[k].value, r.param(0, c * kP + k),
                  1e-7 * std::fabs(r.param(0, c * kP + k)));
}

TEST(CasaTemplate, FitsEveryPixelOfAnImageWithTheTemplate) {
  sp::SpectrumImage img = ke_block(pt_template());
  img.ny = 2;
  img.nx = 3;
  const long n = img.channels();
  img.counts.assign(static_cast<size_t>(img.pixels()) * n, 0.0f);
  const sp::CasaTemplate t = sp::read_casa_template(img);
  sp::PeakModel truth = t.model;
  truth.background.clear();
  const sp::math::ParamMap map = sp::build_param_map(truth);
  std::vector<double> full = sp::model_values(truth);
  std::mt19937_64 rng(9);
  for (long p = 0; p < img.pixels(); ++p) {
    full[sp::kPosition] = 71.0 + 0.05 * p;  // a shift across the map
    full[kP + sp::kPosition] = full[sp::kPosition] + 3.33;
    for (long i = 0; i < n; ++i) {
      const double be = kHv - img.energy[i];
      double lam = 150.0;
      for (int c = 0; c < 2; ++c)
        lam += sp::math::shape_value(map.kind[c], sp::math::polish_component(full.data(), c), be);
      img.spectrum(p)[i] = static_cast<float>(std::poisson_distribution<long>(lam)(rng));
    }
  }
  sp::SpectrumImage prepared;
  const sp::PolishBatch b = sp::casa_batch(t, img, prepared);
  ASSERT_EQ(b.count, 6);
  sp::PolishOptions o;
  o.residuals = true;
  const sp::PolishResult r = sp::polish_spectra(b, o);
  for (long p = 0; p < 6; ++p) {
    EXPECT_EQ(r.status[p], static_cast<int>(sp::PolishStatus::Converged)) << p;
    EXPECT_NEAR(r.param(p, sp::kPosition), 71.0 + 0.05 * p, 5 * r.error(p, sp::kPosition)) << p;
    EXPECT_LT(r.chi2_reduced[p], 1.5) << p;
  }
  EXPECT_EQ(r.residuals.size(), static_cast<size_t>(6 * b.energy.size()));
}

TEST(CasaTemplate, BadTextNamesFileBlockAndCommentLine) {
  const std::string bad_number =
      error_of([] { sp::read_casa_template(ke_block(pt_template("3e"))); });
  EXPECT_NE(bad_number.find("synthetic.vms, block 'Pt4f test', comment line 7"), std::string::npos)
      << bad_number;
  EXPECT_NE(bad_number.find("expected a number for Area, found '3e'"), std::string::npos)
      << bad_number;
  std::string text = pt_template();
  text.replace(text.find("0 0.75 MFWHM"), 1, "5");
  const std::string bad_link = error_of([&] { sp::read_casa_template(ke_block(text)); });
  EXPECT_NE(bad_link.find("comment line 7: Area linked to component 5"), std::string::npos)
      << bad_link;
  std::string shape = pt_template();
  shape.replace(shape.find("LA(1.2,2.5,30)"), 14, "XY(3)");
  const std::string bad_shape = error_of([&] { sp::read_casa_template(ke_block(shape)); });
  EXPECT_NE(bad_shape.find("comment line 6"), std::string::npos) << bad_shape;
  EXPECT_NE(bad_shape.find("XY(3)"), std::string::npos) << bad_shape;
}

TEST(CasaTemplate, RealFilesSayWhatTheyHold) {
  const std::string dir = vitrum::test::shared_dir() + "/spectra/vamas/";
  // Pt 4f: the file holds no CasaXPS components, so there is no template to use.
  const auto pt = sp::read_vamas(dir + "casa_Pt4f_doublet.vms");
  ASSERT_FALSE(pt.empty());
  const std::string none = error_of([&] { sp::read_casa_template(pt[0]); });
  EXPECT_NE(none.find("no 'CASA comp' lines"), std::string::npos) << none;
  EXPECT_NE(none.find("casa_Pt4f_doublet.vms"), std::string::npos) << none;
  // Fe 2p: CasaXPS's model uses LF(α, β, w, m, n) line shapes, which vitrum does not have: the
  // error names the file, block, comment line and the line shape.
  const auto fe = sp::read_vamas(dir + "specs_casa_FeO_Fe2p_IRREGULAR_fitted.vms");
  ASSERT_FALSE(fe.empty());
  const std::string lf = error_of([&] { sp::read_casa_template(fe[0]); });
  EXPECT_NE(lf.find("specs_casa_FeO_Fe2p_IRREGULAR_fitted.vms, block"), std::string::npos) << lf;
  EXPECT_NE(lf.find("comment line"), std::string::npos) << lf;
  EXPECT_NE(lf.find("LF(0.54,10,80,100,6)"), std::string::npos) << lf;
}
