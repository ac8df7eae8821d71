// Loading of n2p2 potentials: input.nn, scaling.data, weights.NNN.data (see
// ../shared/formats/n2p2.md, sections A and B). Every error names the file, the line and what was
// expected; counts are checked (n2p2 does not check the number of weights), and every number with
// a physical range (widths, cutoffs, node counts, scaling statistics) is checked when read. The
// token-level helpers are in n2p2_parse.hpp.
#include <algorithm>
#include <cmath>
#include <fstream>
#include <limits>
#include <sstream>

#include "n2p2_parse.hpp"
#include "vitrum/core/elements.hpp"
#include "vitrum/core/error.hpp"
#include "vitrum/core/resource_guard.hpp"
#include "vitrum/nnp/potential.hpp"

namespace vitrum::nnp {

using namespace n2p2_detail;

/// Reads a potential directory in named steps, in the order of the algorithm: the elements, the
/// settings (and the network architecture they declare), the symmetry functions, their scaling
/// statistics, then the weights of each element's network.
class PotentialBuilder {
 public:
  static Potential load(const std::string& dir);

 private:
  explicit PotentialBuilder(const std::string& dir)
      : dir_(dir), nn_(dir + "/input.nn"), lines_(read_lines(nn_, true)) {
    pot_.directory_ = dir;
  }

  void read_elements();
  void read_settings();
  void read_setting(const Line& l);
  void read_architecture_setting(const Line& l);
  void choose_scaling_type();
  void check_architecture() const;
  void check_network_memory() const;
  void read_symmetry_functions();
  SymmetryFunction parse_symmetry_function(const Line& l) const;
  void parse_classic(SymmetryFunction& sf, const Line& l) const;
  void parse_compact(SymmetryFunction& sf, const Line& l) const;
  void check_symmetry_function(const SymmetryFunction& sf, long ln) const;
  void read_scaling();
  void scale(SymmetryFunction& sf, int e, std::size_t s, const std::string& path, long ln) const;
  void read_weights(Element& el) const;
  std::vector<int> layer_sizes(const Element& el) const;
  int elem_of(long line, const std::string& sym) const;

  Potential pot_;
  std::string dir_, nn_;
  std::vector<Line> lines_;
  bool scale_ = false, center_ = false, sigma_ = false;
  int hidden_ = -1;  ///< global_hidden_layers_short (-1: not given)
  std::vector<int> nodes_;
  std::vector<std::string> acts_;
  long hidden_line_ = 0, nodes_line_ = 0, acts_line_ = 0;
  int n_norm_ = 0;  ///< how many of mean_energy, conv_energy, conv_length were given
};

Potential Potential::load_n2p2(const std::string& directory) {
  return PotentialBuilder::load(directory);
}

int Potential::element_index(int z) const {
  for (int e = 0; e < n_elements(); ++e)
    if (elements_[e].z == z) return e;
  return -1;
}

long Potential::n_parameters() const {
  long n = 0;
  for (const auto& el : elements_)
    for (const auto& l : el.layers) n += static_cast<long>(l.weights.size() + l.bias.size());
  return n;
}

Potential PotentialBuilder::load(const std::string& dir) {
  PotentialBuilder b(dir);
  b.read_elements();
  b.read_settings();
  b.check_architecture();
  b.read_symmetry_functions();
  b.check_network_memory();
  b.read_scaling();
  for (auto& el : b.pot_.elements_) b.read_weights(el);
  b.pot_.plan_ = build_sf_plan(b.pot_.elements_, b.pot_.cutoff_type_, b.pot_.cutoff_alpha_);
  return std::move(b.pot_);
}

int PotentialBuilder::elem_of(long line, const std::string& sym) const {
  for (int e = 0; e < pot_.n_elements(); ++e)
    if (pot_.elements_[e].symbol == sym) return e;
  throw InputError(nn_, line,
                   fmt::format("element '{}' is not in the 'elements' list", printable(sym)));
}

/// `elements` and `number_of_elements`: the elements, sorted by atomic number (n2p2's order).
void PotentialBuilder::read_elements() {
  std::vector<std::string> symbols;
  int declared = -1;
  long elements_line = 0;
  for (const auto& l : lines_) {
    const auto& k = l.tokens[0];
    if (k == "elements") {
      if (!symbols.empty()) throw InputError(nn_, l.number, "'elements' given twice");
      symbols.assign(l.tokens.begin() + 1, l.tokens.end());
      elements_line = l.number;
    } else if (k == "number_of_elements") {
      if (l.tokens.size() != 2)
        throw InputError(nn_, l.number, "number_of_elements needs one integer");
      declared = to_int(nn_, l.number, l.tokens[1], "number_of_elements");
    }
  }
  if (symbols.empty()) throw InputError(nn_, 0, "missing keyword 'elements'");
  if (declared >= 0 && declared != static_cast<int>(symbols.size()))
    throw InputError(nn_, elements_line,
                     fmt::format("number_of_elements is {} but 'elements' lists {} symbols",
                                 declared, symbols.size()));
  for (const auto& s : symbols) {
    Element el;
    el.symbol = s;
    el.z = atomic_number(s);
    if (el.z == 0)
      throw InputError(nn_, elements_line,
                       fmt::format("unknown element symbol '{}'", printable(s)));
    for (const auto& other : pot_.elements_)
      if (other.z == el.z)
        throw InputError(nn_, elements_line, fmt::format("element {} listed twice", s));
    pot_.elements_.push_back(el);
  }
  std::sort(pot_.elements_.begin(), pot_.elements_.end(),
            [](const Element& a, const Element& b) { return a.z < b.z; });
}

/// Every keyword that affects prediction; the others (training settings, RuNNer options) are
/// ignored.
void PotentialBuilder::read_settings() {
  for (const auto& l : lines_) read_setting(l);
  if (n_norm_ != 0 && n_norm_ != 3)
    throw InputError(nn_, 0,
                     "mean_energy, conv_energy and conv_length must be given all three or none");
  pot_.normalized_ = n_norm_ == 3;
  if (!(pot_.scale_min_ < pot_.scale_max_))
    throw InputError(nn_, 0,
                     fmt::format("scale_min_short ({}) must be smaller than scale_max_short ({})",
                                 pot_.scale_min_, pot_.scale_max_));
  choose_scaling_type();
}

void PotentialBuilder::read_setting(const Line& l) {
  const auto& k = l.tokens[0];
  const long ln = l.number;
  auto need = [&](size_t n) {
    if (l.tokens.size() < n + 1)
      throw InputError(nn_, ln, fmt::format("'{}' needs {} argument(s)", k, n));
  };
  const double inf = INFINITY;
  auto number = [&](std::size_t i, double lo, double hi, const char* expected) {
    return in_range(nn_, ln, to_double(nn_, ln, l.tokens[i], k.c_str()), k.c_str(), lo, hi,
                    expected);
  };
  if (k == "atom_energy") {
    need(2);
    pot_.elements_[elem_of(ln, l.tokens[1])].atom_energy = number(2, -inf, inf, "a finite energy");
  } else if (k == "cutoff_type") {
    need(1);
    pot_.cutoff_type_ = to_int(nn_, ln, l.tokens[1], "cutoff_type");
    if (pot_.cutoff_type_ < 0 || pot_.cutoff_type_ > 8)
      throw InputError(nn_, ln,
                       fmt::format("cutoff_type {} unknown: expected 0..8", pot_.cutoff_type_));
    if (l.tokens.size() > 2) {
      pot_.cutoff_alpha_ = to_double(nn_, ln, l.tokens[2], "cutoff alpha");
      if (!(pot_.cutoff_alpha_ >= 0 && pot_.cutoff_alpha_ < 1))
        throw InputError(nn_, ln, "cutoff alpha must be in [0, 1)");
    }
  } else if (k == "scale_symmetry_functions") {
    scale_ = true;
  } else if (k == "center_symmetry_functions") {
    center_ = true;
  } else if (k == "scale_symmetry_functions_sigma") {
    sigma_ = true;
  } else if (k == "scale_min_short") {
    need(1);
    pot_.scale_min_ = number(1, -inf, inf, "a finite number");
  } else if (k == "scale_max_short") {
    need(1);
    pot_.scale_max_ = number(1, -inf, inf, "a finite number");
  } else if (k == "normalize_nodes") {
    pot_.normalize_nodes_ = true;
  } else if (k == "mean_energy") {
    need(1);
    pot_.mean_energy_ = number(1, -inf, inf, "a finite energy");
    ++n_norm_;
  } else if (k == "conv_energy" || k == "conv_length") {
    need(1);
    (k == "conv_energy" ? pot_.conv_energy_ : pot_.conv_length_) =
        number(1, std::numeric_limits<double>::min(), inf, "a positive conversion factor");
    ++n_norm_;
  } else if (k == "vitrum_min_distance") {
    need(1);
    pot_.min_distance_ = number(1, 0.0, inf, "a distance >= 0");
  } else if (k == "nnp_type" || k == "nnp_generation" || k == "nnp_type_gen" || k == "nnp_gen") {
    need(1);
    const auto& v = l.tokens[1];
    if (!(v == "2" || v == "2G-HDNNP"))
      throw InputError(nn_, ln,
                       fmt::format("{} '{}' is not supported: vitrum evaluates short-range "
                                   "(2G-HDNNP) potentials only",
                                   k, printable(v)));
  } else if (k == "element_hidden_layers_short" || k == "element_nodes_short" ||
             k == "element_activation_short") {
    throw InputError(nn_, ln,
                     fmt::format("'{}' (per-element architectures) is not supported; use the "
                                 "global_*_short keywords",
                                 k));
  } else {
    read_architecture_setting(l);
  }
}

/// global_hidden_layers_short, global_nodes_short, global_activation_short.
void PotentialBuilder::read_architecture_setting(const Line& l) {
  constexpr int kMaxHidden = 64;
  const auto& k = l.tokens[0];
  const long ln = l.number;
  if (k == "global_hidden_layers_short") {
    if (l.tokens.size() < 2)
      throw InputError(nn_, ln, "'global_hidden_layers_short' needs 1 argument(s)");
    hidden_ = to_int(nn_, ln, l.tokens[1], "global_hidden_layers_short");
    if (hidden_ < 0 || hidden_ > kMaxHidden)
      throw InputError(nn_, ln,
                       fmt::format("global_hidden_layers_short = {} is invalid: expected a number "
                                   "of hidden layers in 0..{}",
                                   hidden_, kMaxHidden));
    hidden_line_ = ln;
  } else if (k == "global_nodes_short") {
    nodes_.clear();
    for (size_t i = 1; i < l.tokens.size(); ++i) {
      const int n = to_int(nn_, ln, l.tokens[i], "global_nodes_short");
      if (n < 1)
        throw InputError(nn_, ln,
                         fmt::format("global_nodes_short: hidden layer {} has {} nodes: expected "
                                     "at least 1",
                                     i, n));
      nodes_.push_back(n);
    }
    nodes_line_ = ln;
  } else if (k == "global_activation_short") {
    acts_.assign(l.tokens.begin() + 1, l.tokens.end());
    for (const auto& a : acts_) activation_code(nn_, ln, a);
    acts_line_ = ln;
  }
}

void PotentialBuilder::choose_scaling_type() {
  if (scale_ && !center_ && !sigma_)
    pot_.scaling_type_ = ScalingType::Scale;
  else if (!scale_ && center_ && !sigma_)
    pot_.scaling_type_ = ScalingType::Center;
  else if (scale_ && center_)
    pot_.scaling_type_ = ScalingType::ScaleCenter;
  else if (sigma_ && !scale_)
    pot_.scaling_type_ = ScalingType::ScaleSigma;
  else
    pot_.scaling_type_ = ScalingType::None;
  // Without scale_min_short / scale_max_short the defaults Smin = 0, Smax = 1 apply.
}

void PotentialBuilder::check_architecture() const {
  if (hidden_ < 0) throw InputError(nn_, 0, "missing keyword 'global_hidden_layers_short'");
  if (static_cast<int>(nodes_.size()) != hidden_)
    throw InputError(nn_, nodes_line_ ? nodes_line_ : hidden_line_,
                     fmt::format("global_nodes_short lists {} layer sizes, expected {} "
                                 "(global_hidden_layers_short)",
                                 nodes_.size(), hidden_));
  if (static_cast<int>(acts_.size()) != hidden_ + 1)
    throw InputError(nn_, acts_line_ ? acts_line_ : hidden_line_,
                     fmt::format("global_activation_short lists {} activations, expected {} "
                                 "(one per hidden layer and one for the output layer)",
                                 acts_.size(), hidden_ + 1));
}

std::vector<int> PotentialBuilder::layer_sizes(const Element& el) const {
  std::vector<int> sizes = {static_cast<int>(el.sfs.size())};
  sizes.insert(sizes.end(), nodes_.begin(), nodes_.end());
  sizes.push_back(1);
  return sizes;
}

/// The networks' weights (read into a buffer, then into the layers) and the evaluator's
/// per-atom activations, estimated in floating point (no overflow) before anything is allocated.
void PotentialBuilder::check_network_memory() const {
  double parameters = 0.0, widest = 0.0;
  for (const auto& el : pot_.elements_) {
    const auto sizes = layer_sizes(el);
    for (size_t l = 1; l < sizes.size(); ++l) {
      parameters += static_cast<double>(sizes[l - 1]) * sizes[l] + sizes[l];
      widest = std::max(widest, static_cast<double>(sizes[l]));
    }
  }
  check_memory(3.0 * 8.0 * parameters + 64.0 * widest,
               fmt::format("{}:{}: global_nodes_short: the networks ({:.4g} weights and biases)",
                           nn_, nodes_line_, parameters));
}

/// symfunction_short lines: parsed, checked, then sorted per element in n2p2's order; the
/// potential's cutoff is the largest rc.
void PotentialBuilder::read_symmetry_functions() {
  for (const auto& l : lines_) {
    const auto& k = l.tokens[0];
    if (k != "symfunction_short" && k != "symfunction") continue;
    if (l.tokens.size() < 3)
      throw InputError(nn_, l.number, "symfunction_short needs: element type parameters...");
    const int ec = elem_of(l.number, l.tokens[1]);
    SymmetryFunction sf = parse_symmetry_function(l);
    check_symmetry_function(sf, l.number);
    if (sf.e1 >= 0 && sf.e2 >= 0 && sf.e1 > sf.e2) std::swap(sf.e1, sf.e2);
    pot_.elements_[ec].sfs.push_back(sf);
  }
  for (auto& el : pot_.elements_) {
    if (el.sfs.empty())
      throw InputError(nn_, 0, fmt::format("element {} has no symmetry functions", el.symbol));
    std::stable_sort(el.sfs.begin(), el.sfs.end(), sf_less);
    for (const auto& sf : el.sfs) pot_.cutoff_ = std::max(pot_.cutoff_, sf.rc);
  }
}

SymmetryFunction PotentialBuilder::parse_symmetry_function(const Line& l) const {
  SymmetryFunction sf;
  sf.line = static_cast<int>(l.number);
  sf.type = to_int(nn_, l.number, l.tokens[2], "symmetry function type");
  if (is_compact(sf.type))
    parse_compact(sf, l);
  else
    parse_classic(sf, l);
  return sf;
}

namespace {
/// Throws unless line `t` has lo..hi parameters after "symfunction_short element type".
void expect_parameters(const std::string& file, long ln, const std::vector<std::string>& t,
                       int type, size_t lo, size_t hi, const char* syntax) {
  const size_t n = t.size() - 3;
  if (n < lo || n > hi)
    throw InputError(
        file, ln,
        fmt::format("symmetry function type {} expects: {} ({} parameters), got {}", type, syntax,
                    lo == hi ? fmt::format("{}", lo) : fmt::format("{}-{}", lo, hi), n));
}
}  // namespace

/// Types 2, 3, 9 (element-resolved) and 12, 13 (weighted).
void PotentialBuilder::parse_classic(SymmetryFunction& sf, const Line& l) const {
  const auto& t = l.tokens;
  const long ln = l.number;
  auto num = [&](size_t i, const char* what) { return to_double(nn_, ln, t[i], what); };
  auto expect = [&](size_t lo, size_t hi, const char* syntax) {
    expect_parameters(nn_, ln, t, sf.type, lo, hi, syntax);
  };
  switch (sf.type) {
    case 2:
      expect(4, 4, "e1 eta rs rc");
      sf.e1 = elem_of(ln, t[3]);
      sf.eta = num(4, "eta");
      sf.rs = num(5, "rs");
      sf.rc = num(6, "rc");
      break;
    case 3:
    case 9:
      expect(6, 7, "e1 e2 eta lambda zeta rc [rs]");
      sf.e1 = elem_of(ln, t[3]);
      sf.e2 = elem_of(ln, t[4]);
      sf.eta = num(5, "eta");
      sf.lambda = num(6, "lambda");
      sf.zeta = num(7, "zeta");
      sf.rc = num(8, "rc");
      if (t.size() > 9) sf.rs = std::max(0.0, num(9, "rs"));
      break;
    case 12:
      expect(3, 3, "eta rs rc");
      sf.eta = num(3, "eta");
      sf.rs = num(4, "rs");
      sf.rc = num(5, "rc");
      break;
    case 13:
      expect(5, 5, "eta rs lambda zeta rc");
      sf.eta = num(3, "eta");
      sf.rs = num(4, "rs");
      sf.lambda = num(5, "lambda");
      sf.zeta = num(6, "zeta");
      sf.rc = num(7, "rc");
      break;
    default:
      throw InputError(nn_, ln,
                       fmt::format("unknown symmetry function type {}: vitrum supports the "
                                   "short-range types 2, 3, 9, 12, 13, 20, 21, 22, 23, 24, 25",
                                   sf.type));
  }
}

/// Compact types 20-25 (polynomial or exponential cores on [rl, rc]).
void PotentialBuilder::parse_compact(SymmetryFunction& sf, const Line& l) const {
  const auto& t = l.tokens;
  const long ln = l.number;
  auto num = [&](size_t i, const char* what) { return to_double(nn_, ln, t[i], what); };
  auto expect = [&](size_t lo, const char* syntax) {
    expect_parameters(nn_, ln, t, sf.type, lo, lo, syntax);
  };
  const bool element_resolved = sf.type <= 22;
  size_t i = 3;
  if (sf.type == 20) expect(4, "e1 rl rc subtype");
  if (sf.type == 21 || sf.type == 22) expect(7, "e1 e2 rl rc theta_l theta_r subtype");
  if (sf.type == 23) expect(3, "rl rc subtype");
  if (sf.type == 24 || sf.type == 25) expect(5, "rl rc theta_l theta_r subtype");
  if (element_resolved) sf.e1 = elem_of(ln, t[i++]);
  if (sf.type == 21 || sf.type == 22) sf.e2 = elem_of(ln, t[i++]);
  sf.rl = num(i++, "rl");
  sf.rc = num(i++, "rc");
  if (sf.type != 20 && sf.type != 23) {
    sf.theta_l = num(i++, "theta_l");
    sf.theta_r = num(i++, "theta_r");
  }
  sf.subtype = t[i];
}

/// The physical ranges of the parameters: a finite positive cutoff, widths eta >= 0,
/// lambda = +-1, zeta >= 1 (the angular term's derivative is singular below), compact windows.
void PotentialBuilder::check_symmetry_function(const SymmetryFunction& sf, long ln) const {
  const double inf = INFINITY;
  if (!(sf.rc > 0) || !std::isfinite(sf.rc))
    throw InputError(nn_, ln,
                     fmt::format("cutoff radius rc = {} is invalid: expected a finite "
                                 "radius > 0",
                                 sf.rc));
  if (!is_compact(sf.type)) {
    in_range(nn_, ln, sf.eta, "the width eta", 0.0, inf, "a finite number >= 0");
    in_range(nn_, ln, sf.rs, "the shift rs", -inf, inf, "a finite number");
    if (sf.type != 2 && sf.type != 12) {
      if (sf.lambda != 1.0 && sf.lambda != -1.0)
        throw InputError(nn_, ln,
                         fmt::format("lambda = {} is invalid: expected 1 or -1", sf.lambda));
      in_range(nn_, ln, sf.zeta, "zeta", 1.0, inf, "a finite number >= 1");
    }
    return;
  }
  bool asym;
  core_code(nn_, ln, sf.subtype, asym);
  if (!std::isfinite(sf.rl) || !(sf.rl < sf.rc))
    throw InputError(nn_, ln, "compact function needs a finite rl < rc");
  if (sf.type == 21 || sf.type == 22 || sf.type == 24 || sf.type == 25) {
    if (!std::isfinite(sf.theta_l) || !std::isfinite(sf.theta_r) || !(sf.theta_l < sf.theta_r))
      throw InputError(nn_, ln, "compact angular function needs finite theta_l < theta_r");
    const double c = 0.5 * (sf.theta_l + sf.theta_r);
    if (sf.theta_l < 0 && std::abs(c) > 1e-12)
      throw InputError(nn_, ln, "theta_l < 0 requires a window centred at 0 degrees");
    if (sf.theta_r > 180 && std::abs(c - 180) > 1e-12)
      throw InputError(nn_, ln, "theta_r > 180 requires a window centred at 180 degrees");
    if (sf.theta_r - sf.theta_l > 360)
      throw InputError(nn_, ln, "angular window wider than 360 degrees");
  }
}

/// scaling.data: one line "element sf Gmin Gmax Gmean [Gsigma]" per function, in n2p2's order.
void PotentialBuilder::read_scaling() {
  if (pot_.scaling_type_ == ScalingType::None) {
    // No scaling: no range to compare with, so no extrapolation warnings.
    for (auto& el : pot_.elements_)
      for (auto& sf : el.sfs) {
        sf.gmin = -INFINITY;
        sf.gmax = INFINITY;
      }
    return;
  }
  const std::string path = dir_ + "/scaling.data";
  std::ifstream in(path);
  if (!in) throw InputError(path, 0, "cannot open file (required: input.nn asks for scaling)");
  std::string text;
  long ln = 0;
  int e = 0;
  size_t s = 0;
  std::vector<std::string> tok;
  while (e < pot_.n_elements() && std::getline(in, text)) {
    ++ln;
    if (text.empty() || text[0] == '#') continue;
    split_tokens(text, tok);
    if (tok.empty()) continue;
    if (tok.size() < 5)
      throw InputError(path, ln,
                       fmt::format("expected 'element sf Gmin Gmax Gmean [Gsigma]', got {} "
                                   "column(s)",
                                   tok.size()));
    auto& sf = pot_.elements_[e].sfs[s];
    const int ei = to_int(path, ln, tok[0], "element index");
    const int si = to_int(path, ln, tok[1], "symmetry function index");
    if (ei != e + 1 || si != static_cast<int>(s) + 1)
      throw InputError(path, ln,
                       fmt::format("expected element {} symmetry function {} (n2p2 sorted "
                                   "order), got {} {}",
                                   e + 1, s + 1, ei, si));
    const char* names[] = {"Gmin", "Gmax", "Gmean", "Gsigma"};
    double g[4] = {0, 0, 0, 0};
    for (size_t c = 0; c < 4 && c + 2 < tok.size(); ++c)
      g[c] = in_range(path, ln, to_double(path, ln, tok[c + 2], names[c]), names[c], -INFINITY,
                      INFINITY, "a finite number");
    sf.gmin = g[0], sf.gmax = g[1], sf.gmean = g[2], sf.gsigma = g[3];
    scale(sf, e, s, path, ln);
    if (++s == pot_.elements_[e].sfs.size()) {
      s = 0;
      ++e;
    }
  }
  if (e < pot_.n_elements())
    throw InputError(path, ln,
                     fmt::format("file ends early: expected scaling lines for {} symmetry "
                                 "functions of {}, found {}",
                                 pot_.elements_[e].sfs.size(), pot_.elements_[e].symbol, s));
}

/// The affine map of one function's raw values to the network input (n2p2's scaling types).
void PotentialBuilder::scale(SymmetryFunction& sf, int e, std::size_t s, const std::string& path,
                             long ln) const {
  const double smin = pot_.scale_min_, smax = pot_.scale_max_;
  switch (pot_.scaling_type_) {
    case ScalingType::Scale:
    case ScalingType::ScaleCenter:
      if (!(sf.gmax > sf.gmin) || !std::isfinite(sf.gmax - sf.gmin))
        throw InputError(path, ln,
                         fmt::format("Gmax <= Gmin for symmetry function {} of {} (input.nn "
                                     "line {}): it never varied in the training data, so "
                                     "min/max scaling is undefined",
                                     s + 1, pot_.elements_[e].symbol, sf.line));
      sf.scale = (smax - smin) / (sf.gmax - sf.gmin);
      sf.shift = smin - sf.scale * (pot_.scaling_type_ == ScalingType::Scale ? sf.gmin : sf.gmean);
      break;
    case ScalingType::Center:
      sf.scale = 1.0;
      sf.shift = -sf.gmean;
      break;
    case ScalingType::ScaleSigma:
      if (!(sf.gsigma > 0))
        throw InputError(path, ln,
                         "Gsigma must be positive for scale_symmetry_functions_sigma (6th "
                         "column)");
      sf.scale = (smax - smin) / sf.gsigma;
      sf.shift = smin - sf.scale * sf.gmean;
      break;
    case ScalingType::None:
      break;
  }
}

/// weights.NNN.data of one element: every value finite, exactly as many as the architecture
/// needs, unpacked layer by layer (previous-layer neuron outer, current neuron inner).
void PotentialBuilder::read_weights(Element& el) const {
  const std::vector<int> sizes = layer_sizes(el);
  long expected = 0;
  for (size_t l = 1; l < sizes.size(); ++l)
    expected += static_cast<long>(sizes[l - 1]) * sizes[l] + sizes[l];
  el.weights_file = fmt::format("{}/weights.{:03d}.data", dir_, el.z);
  std::ifstream in(el.weights_file);
  if (!in)
    throw InputError(el.weights_file, 0,
                     fmt::format("cannot open weights file for element {} (expected {} values)",
                                 el.symbol, expected));
  std::vector<double> values;
  values.reserve(expected);
  std::string text, tok;
  long ln = 0;
  while (std::getline(in, text)) {
    ++ln;
    // The first token of the line (n2p2 writes one value per line, then comments).
    size_t b = text.find_first_not_of(" \t\r\v\f");
    if (b == std::string::npos || text[b] == '#') continue;
    tok.assign(text, b, text.find_first_of(" \t\r\v\f", b) - b);
    const double v = to_double(el.weights_file, ln, tok, "a weight");
    if (!std::isfinite(v))
      throw InputError(el.weights_file, ln,
                       fmt::format("weight is not finite ('{}')", printable(tok)));
    if (static_cast<long>(values.size()) == expected) break;  // too many: reported below
    values.push_back(v);
  }
  std::string arch = fmt::format("{}", sizes[0]);
  for (size_t l = 1; l < sizes.size(); ++l) arch += fmt::format("-{}", sizes[l]);
  if (static_cast<long>(values.size()) != expected || !in.eof())
    throw InputError(el.weights_file, ln,
                     fmt::format("expected {} weights and biases for the {} network {}, found "
                                 "{} (truncated or wrong file?)",
                                 expected, el.symbol, arch,
                                 in.eof() ? fmt::format("{}", values.size()) : "more"));
  size_t p = 0;
  for (size_t l = 1; l < sizes.size(); ++l) {
    Layer layer;
    layer.n_in = sizes[l - 1];
    layer.n_out = sizes[l];
    layer.activation = activation_code(nn_, acts_line_, acts_[l - 1]);
    layer.weights.resize(static_cast<size_t>(layer.n_in) * layer.n_out);
    for (int j = 0; j < layer.n_in; ++j)
      for (int k = 0; k < layer.n_out; ++k)
        layer.weights[static_cast<size_t>(k) * layer.n_in + j] = values[p++];
    layer.bias.assign(values.begin() + p, values.begin() + p + layer.n_out);
    p += layer.n_out;
    el.layers.push_back(std::move(layer));
  }
}

}  // namespace vitrum::nnp
