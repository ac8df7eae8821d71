#pragma once
/// \file casa_template.hpp
/// CasaXPS templates: the regions and components CasaXPS stores in a VAMAS block's comment lines,
/// read into a constrained PeakModel that the polish fits to one spectrum or every pixel, and
/// vitrum's results written back as the same kind of component lines.
///
/// Lines read (everything else in the comment is ignored):
///   CASA region (*name*) (*background*) start end RSF av_width start_offset end_offset
///               [cross-section numbers ...] (*tag*) mass ...
///   CASA comp (*name*) (*line shape*) Area v lo hi link factor MFWHM v lo hi link factor
///               Position v lo hi link offset RSF r MASS m INDEX i (*tag*) ...
///   Calib M = <measured> A = <actual> BE ADD
/// A link index ≥ 0 names the component (0-based, in file order) whose parameter this one
/// follows: Area = factor · Area_k, FWHM = factor · FWHM_k, Position = Position_k + offset;
/// −1 means not linked (its factor/offset is then ignored, as CasaXPS does). A parameter whose
/// bounds are equal is fixed. Energies are on the block's recorded axis (kinetic for most
/// VAMAS files), on the calibrated scale; the model is converted to binding energy (hν − KE,
/// links' position offsets change sign) because the line shapes put their tails at high binding
/// energy. The calibration shift A − M is added to the binding energies of the data.
/// The region's background (background.hpp: Linear, Shirley, U 2/U 3 Tougaard) is computed from
/// each spectrum's data over the region and subtracted (a Curve term with coefficient fixed at
/// 1), as CasaXPS does.

#include <string>
#include <vector>

#include "vitrum/spectra/background.hpp"
#include "vitrum/spectra/model.hpp"
#include "vitrum/spectra/polish.hpp"
#include "vitrum/spectra/spectrum.hpp"

namespace vitrum::spectra {

struct CasaRegion {
  std::string name, background;  ///< as written
  double start = 0, end = 0;     ///< recorded axis
  double rsf = 0;
  int avg_width = 1;
  std::vector<double> numbers;  ///< every number after the limits, as written
  int line = 0;                 ///< comment line (1-based)
};

/// What a component line holds besides the model (kept to write it back).
struct CasaComponentText {
  std::string name, lineshape;
  double bounds[3][2] = {};  ///< Area, MFWHM, Position (lo, hi) as written
  int link[3] = {-1, -1, -1};
  double link_value[3] = {1, 1, 0};
  std::string rest;  ///< the text after the Position fields (RSF ... ), verbatim
  int line = 0;
};

struct CasaTemplate {
  std::string where;  ///< "file, block 'name'"
  std::vector<CasaRegion> regions;
  std::vector<CasaComponentText> components;
  PeakModel model;  ///< binding energy, calibrated; a Curve background term for the region
  bool has_calibration = false;
  double calib_measured = 0, calib_actual = 0;
  bool kinetic = false;                 ///< the recorded axis is kinetic energy
  double photon_energy = 0;             ///< hν used to convert
  BackgroundModel background;           ///< of the first region
  double region_lo = 0, region_hi = 0;  ///< binding energy, calibrated
};

/// Parses the CASA lines of a block comment. `where` names the file and block; errors add the
/// comment line and say what was expected. Throws vitrum::Error when there is no component.
CasaTemplate parse_casa_template(const std::string& comment, const std::string& where,
                                 EnergyKind recorded, double photon_energy);
/// The template of a VAMAS block (metadata "block_comment").
CasaTemplate read_casa_template(const SpectrumImage& block);

/// A block prepared for a template: binding energy, calibrated, cut to the region; and the
/// polish batch over its spectra (background curves computed per spectrum). `prepared` must
/// outlive the batch.
PolishBatch casa_batch(const CasaTemplate& t, const SpectrumImage& block, SpectrumImage& prepared);

/// The component lines of fit `fit` of a result of casa_batch: the template's lines with
/// vitrum's Area, FWHM and Position (on the recorded axis, as CasaXPS writes them).
std::string format_casa_components(const CasaTemplate& t, const PolishResult& r, long fit);

}  // namespace vitrum::spectra
