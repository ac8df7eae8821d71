// Loading of n2p2 potentials: input.nn, scaling.data, weights.NNN.data (see
// ../shared/formats/n2p2.md, sections A and B). Every error names the file, the line and what was
// expected; counts are checked (n2p2 does not check the number of weights).
#include <algorithm>
#include <cmath>
#include <fstream>
#include <map>
#include <sstream>
#include <tuple>

#include "vitrum/core/elements.hpp"
#include "vitrum/core/error.hpp"
#include "vitrum/nnp/potential.hpp"

namespace vitrum::nnp {

namespace {

struct Line {
  long number;
  std::vector<std::string> tokens;
};

std::vector<Line> read_lines(const std::string& path, bool bang_comments) {
  std::ifstream in(path);
  if (!in) throw InputError(path, 0, "cannot open file (is the potential directory complete?)");
  std::vector<Line> lines;
  std::string text;
  long n = 0;
  while (std::getline(in, text)) {
    ++n;
    auto cut = text.find('#');
    if (bang_comments) cut = std::min(cut, text.find('!'));
    if (cut != std::string::npos) text.resize(cut);
    std::istringstream ss(text);
    Line l{n, {}};
    std::string tok;
    while (ss >> tok) l.tokens.push_back(tok);
    if (!l.tokens.empty()) lines.push_back(std::move(l));
  }
  return lines;
}

double to_double(const std::string& file, long line, const std::string& tok, const char* what) {
  std::string t = tok;
  // Fortran-style exponents (1.0d0) as RuNNer writes them.
  for (char& c : t)
    if (c == 'd' || c == 'D') c = 'e';
  char* end = nullptr;
  const double v = std::strtod(t.c_str(), &end);
  if (end == t.c_str() || *end != '\0')
    throw InputError(file, line, fmt::format("expected a number for {}, got '{}'", what, tok));
  return v;
}

int to_int(const std::string& file, long line, const std::string& tok, const char* what) {
  char* end = nullptr;
  const long v = std::strtol(tok.c_str(), &end, 10);
  if (end == tok.c_str() || *end != '\0')
    throw InputError(file, line, fmt::format("expected an integer for {}, got '{}'", what, tok));
  return static_cast<int>(v);
}

int activation_code(const std::string& file, long line, const std::string& tok) {
  static const std::map<std::string, int> codes = {
      {"l", kActIdentity}, {"t", kActTanh},     {"s", kActLogistic}, {"p", kActSoftplus},
      {"r", kActRelu},     {"g", kActGaussian}, {"c", kActCos},      {"S", kActRevLogistic},
      {"e", kActExp},      {"h", kActHarmonic}};
  auto it = codes.find(tok);
  if (it == codes.end())
    throw InputError(
        file, line,
        fmt::format("unknown activation '{}': expected one of l t s p r g c S e h", tok));
  return it->second;
}

int core_code(const std::string& file, long line, const std::string& subtype, bool& asym) {
  std::string s = subtype;
  asym = false;
  if (s.size() > 1 && s.back() == 'a') {
    asym = true;
    s.pop_back();
  }
  if (s == "p1") return kCutPoly1;
  if (s == "p2") return kCutPoly2;
  if (s == "p3") return kCutPoly3;
  if (s == "p4") return kCutPoly4;
  if (s == "e") return kCutExp;
  throw InputError(file, line,
                   fmt::format("unknown compact subtype '{}': expected p1, p2, p3, p4 or e, "
                               "optionally followed by 'a'",
                               subtype));
}

bool is_compact(int type) {
  return type >= 20;
}

// n2p2's sort keys (SymFnc*::operator<), section B.3.1 of the format notes.
bool sf_less(const SymmetryFunction& a, const SymmetryFunction& b) {
  if (a.type != b.type) return a.type < b.type;
  switch (a.type) {
    case 2:
      return std::tie(a.rc, a.eta, a.rs, a.e1) < std::tie(b.rc, b.eta, b.rs, b.e1);
    case 3:
    case 9:
      return std::tie(a.rc, a.eta, a.rs, a.zeta, a.lambda, a.e1, a.e2) <
             std::tie(b.rc, b.eta, b.rs, b.zeta, b.lambda, b.e1, b.e2);
    case 12:
      return std::tie(a.rc, a.eta, a.rs) < std::tie(b.rc, b.eta, b.rs);
    case 13:
      return std::tie(a.rc, a.eta, a.rs, a.zeta, a.lambda) <
             std::tie(b.rc, b.eta, b.rs, b.zeta, b.lambda);
    case 20:
      return std::tie(a.subtype, a.e1, a.rc, a.rl) < std::tie(b.subtype, b.e1, b.rc, b.rl);
    case 21:
    case 22:
      return std::tie(a.subtype, a.e1, a.e2, a.rc, a.rl, a.theta_l, a.theta_r) <
             std::tie(b.subtype, b.e1, b.e2, b.rc, b.rl, b.theta_l, b.theta_r);
    case 23:
      return std::tie(a.subtype, a.rc, a.rl) < std::tie(b.subtype, b.rc, b.rl);
    default:  // 24, 25
      return std::tie(a.subtype, a.rc, a.rl, a.theta_l, a.theta_r) <
             std::tie(b.subtype, b.rc, b.rl, b.theta_l, b.theta_r);
  }
}

}  // namespace

class PotentialBuilder {
 public:
  static Potential load(const std::string& dir);
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
  Potential pot;
  pot.directory_ = dir;
  const std::string nn_path = dir + "/input.nn";
  const auto lines = read_lines(nn_path, true);

  // ---- pass 1: elements
  std::vector<std::string> symbols;
  int declared_elements = -1;
  long elements_line = 0;
  for (const auto& l : lines) {
    const auto& k = l.tokens[0];
    if (k == "elements") {
      if (!symbols.empty()) throw InputError(nn_path, l.number, "'elements' given twice");
      symbols.assign(l.tokens.begin() + 1, l.tokens.end());
      elements_line = l.number;
    } else if (k == "number_of_elements") {
      if (l.tokens.size() != 2)
        throw InputError(nn_path, l.number, "number_of_elements needs one integer");
      declared_elements = to_int(nn_path, l.number, l.tokens[1], "number_of_elements");
    }
  }
  if (symbols.empty()) throw InputError(nn_path, 0, "missing keyword 'elements'");
  if (declared_elements >= 0 && declared_elements != static_cast<int>(symbols.size()))
    throw InputError(nn_path, elements_line,
                     fmt::format("number_of_elements is {} but 'elements' lists {} symbols",
                                 declared_elements, symbols.size()));
  for (const auto& s : symbols) {
    Element el;
    el.symbol = s;
    el.z = atomic_number(s);
    if (el.z == 0)
      throw InputError(nn_path, elements_line, fmt::format("unknown element symbol '{}'", s));
    pot.elements_.push_back(el);
  }
  std::sort(pot.elements_.begin(), pot.elements_.end(),
            [](const Element& a, const Element& b) { return a.z < b.z; });
  auto elem_of = [&](long line, const std::string& sym) {
    for (int e = 0; e < pot.n_elements(); ++e)
      if (pot.elements_[e].symbol == sym) return e;
    throw InputError(nn_path, line, fmt::format("element '{}' is not in the 'elements' list", sym));
  };

  // ---- pass 2: settings
  bool scale = false, center = false, sigma = false;
  bool has_smin = false, has_smax = false;
  int hidden = -1;
  std::vector<int> nodes;
  std::vector<std::string> acts;
  long hidden_line = 0, nodes_line = 0, acts_line = 0;
  int n_norm = 0;
  for (const auto& l : lines) {
    const auto& k = l.tokens[0];
    const long ln = l.number;
    auto need = [&](size_t n) {
      if (l.tokens.size() < n + 1)
        throw InputError(nn_path, ln, fmt::format("'{}' needs {} argument(s)", k, n));
    };
    if (k == "atom_energy") {
      need(2);
      pot.elements_[elem_of(ln, l.tokens[1])].atom_energy =
          to_double(nn_path, ln, l.tokens[2], "atom_energy");
    } else if (k == "cutoff_type") {
      need(1);
      pot.cutoff_type_ = to_int(nn_path, ln, l.tokens[1], "cutoff_type");
      if (pot.cutoff_type_ < 0 || pot.cutoff_type_ > 8)
        throw InputError(nn_path, ln,
                         fmt::format("cutoff_type {} unknown: expected 0..8", pot.cutoff_type_));
      if (l.tokens.size() > 2) {
        pot.cutoff_alpha_ = to_double(nn_path, ln, l.tokens[2], "cutoff alpha");
        if (pot.cutoff_alpha_ < 0 || pot.cutoff_alpha_ >= 1)
          throw InputError(nn_path, ln, "cutoff alpha must be in [0, 1)");
      }
    } else if (k == "scale_symmetry_functions") {
      scale = true;
    } else if (k == "center_symmetry_functions") {
      center = true;
    } else if (k == "scale_symmetry_functions_sigma") {
      sigma = true;
    } else if (k == "scale_min_short") {
      need(1);
      pot.scale_min_ = to_double(nn_path, ln, l.tokens[1], "scale_min_short");
      has_smin = true;
    } else if (k == "scale_max_short") {
      need(1);
      pot.scale_max_ = to_double(nn_path, ln, l.tokens[1], "scale_max_short");
      has_smax = true;
    } else if (k == "global_hidden_layers_short") {
      need(1);
      hidden = to_int(nn_path, ln, l.tokens[1], "global_hidden_layers_short");
      hidden_line = ln;
    } else if (k == "global_nodes_short") {
      nodes.clear();
      for (size_t i = 1; i < l.tokens.size(); ++i)
        nodes.push_back(to_int(nn_path, ln, l.tokens[i], "global_nodes_short"));
      nodes_line = ln;
    } else if (k == "global_activation_short") {
      acts.assign(l.tokens.begin() + 1, l.tokens.end());
      acts_line = ln;
    } else if (k == "normalize_nodes") {
      pot.normalize_nodes_ = true;
    } else if (k == "mean_energy") {
      need(1);
      pot.mean_energy_ = to_double(nn_path, ln, l.tokens[1], "mean_energy");
      ++n_norm;
    } else if (k == "conv_energy") {
      need(1);
      pot.conv_energy_ = to_double(nn_path, ln, l.tokens[1], "conv_energy");
      ++n_norm;
    } else if (k == "conv_length") {
      need(1);
      pot.conv_length_ = to_double(nn_path, ln, l.tokens[1], "conv_length");
      ++n_norm;
    } else if (k == "vitrum_min_distance") {
      need(1);
      pot.min_distance_ = to_double(nn_path, ln, l.tokens[1], "vitrum_min_distance");
    } else if (k == "nnp_type" || k == "nnp_generation" || k == "nnp_type_gen" || k == "nnp_gen") {
      need(1);
      const auto& v = l.tokens[1];
      if (!(v == "2" || v == "2G-HDNNP"))
        throw InputError(nn_path, ln,
                         fmt::format("{} '{}' is not supported: vitrum evaluates short-range "
                                     "(2G-HDNNP) potentials only",
                                     k, v));
    } else if (k == "element_hidden_layers_short" || k == "element_nodes_short" ||
               k == "element_activation_short") {
      throw InputError(nn_path, ln,
                       fmt::format("'{}' (per-element architectures) is not supported; use the "
                                   "global_*_short keywords",
                                   k));
    }
    // Every other keyword (training settings, RuNNer options) does not affect prediction.
  }
  if (n_norm != 0 && n_norm != 3)
    throw InputError(nn_path, 0,
                     "mean_energy, conv_energy and conv_length must be given all three or none");
  pot.normalized_ = n_norm == 3;
  if (scale && !center && !sigma)
    pot.scaling_type_ = ScalingType::Scale;
  else if (!scale && center && !sigma)
    pot.scaling_type_ = ScalingType::Center;
  else if (scale && center)
    pot.scaling_type_ = ScalingType::ScaleCenter;
  else if (sigma && !scale)
    pot.scaling_type_ = ScalingType::ScaleSigma;
  else
    pot.scaling_type_ = ScalingType::None;
  (void)has_smin;
  (void)has_smax;  // defaults Smin = 0, Smax = 1 apply when the keywords are missing
  if (hidden < 0) throw InputError(nn_path, 0, "missing keyword 'global_hidden_layers_short'");
  if (static_cast<int>(nodes.size()) != hidden)
    throw InputError(nn_path, nodes_line ? nodes_line : hidden_line,
                     fmt::format("global_nodes_short lists {} layer sizes, expected {} "
                                 "(global_hidden_layers_short)",
                                 nodes.size(), hidden));
  if (static_cast<int>(acts.size()) != hidden + 1)
    throw InputError(nn_path, acts_line ? acts_line : hidden_line,
                     fmt::format("global_activation_short lists {} activations, expected {} "
                                 "(one per hidden layer and one for the output layer)",
                                 acts.size(), hidden + 1));

  // ---- pass 3: symmetry functions
  for (const auto& l : lines) {
    const auto& k = l.tokens[0];
    if (k != "symfunction_short" && k != "symfunction") continue;
    const long ln = l.number;
    const auto& t = l.tokens;
    if (t.size() < 3)
      throw InputError(nn_path, ln, "symfunction_short needs: element type parameters...");
    const int ec = elem_of(ln, t[1]);
    SymmetryFunction sf;
    sf.line = static_cast<int>(ln);
    sf.type = to_int(nn_path, ln, t[2], "symmetry function type");
    auto expect = [&](size_t lo, size_t hi, const char* syntax) {
      const size_t n = t.size() - 3;
      if (n < lo || n > hi)
        throw InputError(
            nn_path, ln,
            fmt::format("symmetry function type {} expects: {} ({} parameters), got {}", sf.type,
                        syntax, lo == hi ? fmt::format("{}", lo) : fmt::format("{}-{}", lo, hi),
                        n));
    };
    auto num = [&](size_t i, const char* what) { return to_double(nn_path, ln, t[i], what); };
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
      case 20:
        expect(4, 4, "e1 rl rc subtype");
        sf.e1 = elem_of(ln, t[3]);
        sf.rl = num(4, "rl");
        sf.rc = num(5, "rc");
        sf.subtype = t[6];
        break;
      case 21:
      case 22:
        expect(7, 7, "e1 e2 rl rc theta_l theta_r subtype");
        sf.e1 = elem_of(ln, t[3]);
        sf.e2 = elem_of(ln, t[4]);
        sf.rl = num(5, "rl");
        sf.rc = num(6, "rc");
        sf.theta_l = num(7, "theta_l");
        sf.theta_r = num(8, "theta_r");
        sf.subtype = t[9];
        break;
      case 23:
        expect(3, 3, "rl rc subtype");
        sf.rl = num(3, "rl");
        sf.rc = num(4, "rc");
        sf.subtype = t[5];
        break;
      case 24:
      case 25:
        expect(5, 5, "rl rc theta_l theta_r subtype");
        sf.rl = num(3, "rl");
        sf.rc = num(4, "rc");
        sf.theta_l = num(5, "theta_l");
        sf.theta_r = num(6, "theta_r");
        sf.subtype = t[7];
        break;
      default:
        throw InputError(nn_path, ln,
                         fmt::format("unknown symmetry function type {}: vitrum supports the "
                                     "short-range types 2, 3, 9, 12, 13, 20, 21, 22, 23, 24, 25",
                                     sf.type));
    }
    if (!(sf.rc > 0)) throw InputError(nn_path, ln, "cutoff radius rc must be positive");
    if (is_compact(sf.type)) {
      bool asym;
      core_code(nn_path, ln, sf.subtype, asym);
      if (!(sf.rl < sf.rc)) throw InputError(nn_path, ln, "compact function needs rl < rc");
      if (sf.type == 21 || sf.type == 22 || sf.type == 24 || sf.type == 25) {
        if (!(sf.theta_l < sf.theta_r))
          throw InputError(nn_path, ln, "compact angular function needs theta_l < theta_r");
        const double c = 0.5 * (sf.theta_l + sf.theta_r);
        if (sf.theta_l < 0 && std::abs(c) > 1e-12)
          throw InputError(nn_path, ln, "theta_l < 0 requires a window centred at 0 degrees");
        if (sf.theta_r > 180 && std::abs(c - 180) > 1e-12)
          throw InputError(nn_path, ln, "theta_r > 180 requires a window centred at 180 degrees");
        if (sf.theta_r - sf.theta_l > 360)
          throw InputError(nn_path, ln, "angular window wider than 360 degrees");
      }
    }
    if (sf.e1 >= 0 && sf.e2 >= 0 && sf.e1 > sf.e2) std::swap(sf.e1, sf.e2);
    pot.elements_[ec].sfs.push_back(sf);
  }
  for (auto& el : pot.elements_) {
    if (el.sfs.empty())
      throw InputError(nn_path, 0, fmt::format("element {} has no symmetry functions", el.symbol));
    std::stable_sort(el.sfs.begin(), el.sfs.end(), sf_less);
    for (const auto& sf : el.sfs) pot.cutoff_ = std::max(pot.cutoff_, sf.rc);
  }

  // ---- scaling.data
  if (pot.scaling_type_ != ScalingType::None) {
    const std::string sc_path = dir + "/scaling.data";
    std::ifstream in(sc_path);
    if (!in) throw InputError(sc_path, 0, "cannot open file (required: input.nn asks for scaling)");
    std::string text;
    long ln = 0;
    int e = 0;
    size_t s = 0;
    while (e < pot.n_elements() && std::getline(in, text)) {
      ++ln;
      if (text.empty() || text[0] == '#') continue;
      std::istringstream ss(text);
      std::vector<std::string> tok;
      std::string x;
      while (ss >> x) tok.push_back(x);
      if (tok.empty()) continue;
      if (tok.size() < 5)
        throw InputError(sc_path, ln,
                         fmt::format("expected 'element sf Gmin Gmax Gmean [Gsigma]', got {} "
                                     "column(s)",
                                     tok.size()));
      auto& sf = pot.elements_[e].sfs[s];
      const int ei = to_int(sc_path, ln, tok[0], "element index");
      const int si = to_int(sc_path, ln, tok[1], "symmetry function index");
      if (ei != e + 1 || si != static_cast<int>(s) + 1)
        throw InputError(sc_path, ln,
                         fmt::format("expected element {} symmetry function {} (n2p2 sorted "
                                     "order), got {} {}",
                                     e + 1, s + 1, ei, si));
      sf.gmin = to_double(sc_path, ln, tok[2], "Gmin");
      sf.gmax = to_double(sc_path, ln, tok[3], "Gmax");
      sf.gmean = to_double(sc_path, ln, tok[4], "Gmean");
      sf.gsigma = tok.size() > 5 ? to_double(sc_path, ln, tok[5], "Gsigma") : 0.0;
      const double smin = pot.scale_min_, smax = pot.scale_max_;
      switch (pot.scaling_type_) {
        case ScalingType::Scale:
        case ScalingType::ScaleCenter:
          if (!(sf.gmax > sf.gmin) || !std::isfinite(sf.gmax - sf.gmin))
            throw InputError(sc_path, ln,
                             fmt::format("Gmax <= Gmin for symmetry function {} of {} (input.nn "
                                         "line {}): it never varied in the training data, so "
                                         "min/max scaling is undefined",
                                         s + 1, pot.elements_[e].symbol, sf.line));
          sf.scale = (smax - smin) / (sf.gmax - sf.gmin);
          sf.shift =
              smin - sf.scale * (pot.scaling_type_ == ScalingType::Scale ? sf.gmin : sf.gmean);
          break;
        case ScalingType::Center:
          sf.scale = 1.0;
          sf.shift = -sf.gmean;
          break;
        case ScalingType::ScaleSigma:
          if (!(sf.gsigma > 0) || !std::isfinite(sf.gsigma))
            throw InputError(sc_path, ln,
                             "Gsigma must be positive for scale_symmetry_functions_sigma (6th "
                             "column)");
          sf.scale = (smax - smin) / sf.gsigma;
          sf.shift = smin - sf.scale * sf.gmean;
          break;
        case ScalingType::None:
          break;
      }
      if (++s == pot.elements_[e].sfs.size()) {
        s = 0;
        ++e;
      }
    }
    if (e < pot.n_elements())
      throw InputError(sc_path, ln,
                       fmt::format("file ends early: expected scaling lines for {} symmetry "
                                   "functions of {}, found {}",
                                   pot.elements_[e].sfs.size(), pot.elements_[e].symbol, s));
  } else {
    // Without scaling, read Gmin/Gmax if present for extrapolation warnings only.
    for (auto& el : pot.elements_)
      for (auto& sf : el.sfs) {
        sf.gmin = -INFINITY;
        sf.gmax = INFINITY;
      }
  }

  // ---- weights
  for (auto& el : pot.elements_) {
    std::vector<int> sizes = {static_cast<int>(el.sfs.size())};
    sizes.insert(sizes.end(), nodes.begin(), nodes.end());
    sizes.push_back(1);
    long expected = 0;
    for (size_t l = 1; l < sizes.size(); ++l) expected += (long)sizes[l - 1] * sizes[l] + sizes[l];
    el.weights_file = fmt::format("{}/weights.{:03d}.data", dir, el.z);
    std::ifstream in(el.weights_file);
    if (!in)
      throw InputError(el.weights_file, 0,
                       fmt::format("cannot open weights file for element {} (expected {} values)",
                                   el.symbol, expected));
    std::vector<double> values;
    values.reserve(expected);
    std::string text;
    long ln = 0;
    while (std::getline(in, text)) {
      ++ln;
      std::istringstream ss(text);
      std::string tok;
      if (!(ss >> tok) || tok[0] == '#') continue;
      const double v = to_double(el.weights_file, ln, tok, "a weight");
      if (!std::isfinite(v))
        throw InputError(el.weights_file, ln, fmt::format("weight is not finite ('{}')", tok));
      values.push_back(v);
    }
    std::string arch = fmt::format("{}", sizes[0]);
    for (size_t l = 1; l < sizes.size(); ++l) arch += fmt::format("-{}", sizes[l]);
    if (static_cast<long>(values.size()) != expected)
      throw InputError(el.weights_file, ln,
                       fmt::format("expected {} weights and biases for the {} network {}, found "
                                   "{} (truncated or wrong file?)",
                                   expected, el.symbol, arch, values.size()));
    size_t p = 0;
    for (size_t l = 1; l < sizes.size(); ++l) {
      Layer layer;
      layer.n_in = sizes[l - 1];
      layer.n_out = sizes[l];
      layer.activation = activation_code(nn_path, acts_line, acts[l - 1]);
      layer.weights.resize((size_t)layer.n_in * layer.n_out);
      // File order: previous-layer neuron j outer, current neuron k inner.
      for (int j = 0; j < layer.n_in; ++j)
        for (int k = 0; k < layer.n_out; ++k)
          layer.weights[(size_t)k * layer.n_in + j] = values[p++];
      layer.bias.assign(values.begin() + p, values.begin() + p + layer.n_out);
      p += layer.n_out;
      el.layers.push_back(std::move(layer));
    }
  }
  pot.plan_ = build_sf_plan(pot.elements_, pot.cutoff_type_, pot.cutoff_alpha_);
  return pot;
}

}  // namespace vitrum::nnp
