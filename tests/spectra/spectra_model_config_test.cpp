// [model] and [polish] of the fit configuration: components with bounds and links, doublet
// partners, background terms; errors naming file:line and the key; existing configurations
// (without the new tables) unchanged.
#include <gtest/gtest.h>

#include <string>

#include "vitrum/core/error.hpp"
#include "vitrum/spectra/fit.hpp"

namespace sp = vitrum::spectra;

namespace {

const char* kModel = R"toml([polish]
start = "model"
max_iterations = 50

[[model.component]]
name = "Pt 4f7/2"
shape = "LA(1.2,2.5,30)"
position = { value = 71.0, min = 70.5, max = 71.5 }
fwhm = 0.9
area = 1000

[model.component.doublet]
name = "Pt 4f5/2"
splitting = 3.33
ratio = 0.75

[[model.component]]
name = "oxide"
shape = "GL(30)"
position = { link = "Pt 4f7/2", offset = 1.2 }
fwhm = { link = "Pt 4f7/2", factor = 1.5 }
area = { value = 100, fixed = true }

[model.background]
terms = ["uniform", "ramp_up"]
)toml";

std::string error_of(const std::string& text) {
  try {
    sp::parse_fit_config(text, "cfg.toml");
  } catch (const vitrum::Error& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST(FitModelConfig, ReadsComponentsLinksDoubletsAndBackground) {
  const sp::FitConfig c = sp::parse_fit_config(kModel, "cfg.toml");
  ASSERT_TRUE(c.polish);
  EXPECT_EQ(c.polish_start, "model");
  EXPECT_EQ(c.polish_control.max_iterations, 50);
  ASSERT_EQ(c.model.components.size(), 3u);
  const sp::ModelComponent& a = c.model.components[0];
  const sp::ModelComponent& b = c.model.components[1];
  const sp::ModelComponent& ox = c.model.components[2];
  EXPECT_EQ(a.kind, sp::ShapeKind::LA);
  EXPECT_DOUBLE_EQ(a.param[sp::kPosition].lo, 70.5);
  EXPECT_EQ(b.name, "Pt 4f5/2");
  EXPECT_EQ(b.param[sp::kPosition].link, 0);
  EXPECT_DOUBLE_EQ(b.param[sp::kPosition].value, 74.33);
  EXPECT_DOUBLE_EQ(b.param[sp::kArea].factor, 0.75);
  EXPECT_EQ(ox.kind, sp::ShapeKind::GL);
  EXPECT_DOUBLE_EQ(ox.param[sp::kPosition].value, 72.2);
  EXPECT_DOUBLE_EQ(ox.param[sp::kFwhm].value, 1.35);
  EXPECT_TRUE(ox.param[sp::kArea].fixed);
  ASSERT_EQ(c.model.background.size(), 2u);
  EXPECT_EQ(c.model.background[1].basis, sp::BackgroundBasis::RampUp);
  // Free: position, FWHM, area of 4f7/2 and the two background weights (shapes fixed).
  EXPECT_EQ(sp::build_param_map(c.model).n_free, 5);
}

TEST(FitModelConfig, ExistingConfigurationsDoNotPolish) {
  EXPECT_FALSE(sp::parse_fit_config("", "empty.toml").polish);
  EXPECT_FALSE(sp::parse_fit_config("[peaks]\ncount = 2\n", "old.toml").polish);
  EXPECT_TRUE(sp::parse_fit_config("[polish]\n", "on.toml").polish);
}

TEST(FitModelConfig, ErrorsNameFileLineAndKey) {
  std::string t = kModel;
  t.replace(t.find("fwhm = 0.9"), 10, "width = 0.9");
  std::string e = error_of(t);
  EXPECT_NE(e.find("cfg.toml:9"), std::string::npos) << e;
  EXPECT_NE(e.find("width"), std::string::npos) << e;

  t = kModel;
  t.replace(t.find("link = \"Pt 4f7/2\", offset"), 17, "link = \"Pt 4f9/2\"");
  e = error_of(t);
  EXPECT_NE(e.find("cfg.toml:20"), std::string::npos) << e;
  EXPECT_NE(e.find("no earlier component named 'Pt 4f9/2'"), std::string::npos) << e;

  t = kModel;
  t.replace(t.find("GL(30)"), 6, "GL(300)");
  e = error_of(t);
  EXPECT_NE(e.find("cfg.toml:19"), std::string::npos) << e;

  t = kModel;
  t.replace(t.find("min = 70.5"), 10, "min = 71.2");
  e = error_of(t);
  EXPECT_NE(e.find("outside [min, max]"), std::string::npos) << e;

  e = error_of(std::string(kModel).substr(std::string(kModel).find("[[model")));
  EXPECT_NE(e.find("[polish] start = \"model\""), std::string::npos) << e;
  e = error_of("[polish]\nstart = \"model\"\n");
  EXPECT_NE(e.find("needs a [model] table"), std::string::npos) << e;
}
