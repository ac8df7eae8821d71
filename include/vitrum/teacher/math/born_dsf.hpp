#pragma once
/// \file born_dsf.hpp
/// The teacher potential's physics, written once for the CPU (OpenMP) and CUDA backends: a
/// Born–Mayer/Buckingham short-range pair term, a damped-shifted-force (DSF) Coulomb term
/// (Fennell & Gezelter, J. Chem. Phys. 124, 234104 (2006)) and an optional short-range repulsive
/// wall, exactly as LAMMPS `pair_style born/coul/dsf` computes the first two (sigma = D = 0).
/// Units: Å, eV, elementary charges e.
///
/// Pair energy of atoms i, j at distance r (every term only inside its own cutoff):
///
///   φ_sr(r)   = A exp(−r/ρ) − C/r⁶ − φ_off                                   (r < rc_sr)
///   φ_dsf(r)  = k q_i q_j [ erfc(αr)/r − erfc(α rc)/rc
///                           + (r − rc) (erfc(α rc)/rc² + 2α/√π exp(−α² rc²)/rc) ] (r < rc)
///   φ_wall(r) = ε [ (r_w/r)ⁿ + n r/r_w − (n + 1) ]                            (r < r_w)
///
/// with φ_off = A exp(−rc_sr/ρ) − C/rc_sr⁶ when the short-range term is shifted (else 0). The
/// DSF energy and force both go to zero at rc; the wall's energy and force both go to zero at
/// r_w, and it grows as r⁻ⁿ inside, which removes the unphysical collapse of the Buckingham form
/// (−C/r⁶ wins over A exp(−r/ρ) at short range) that BKS and TTAM show at high temperature.
/// Each atom also carries the DSF self energy
///
///   E_self,i = −(erfc(α rc)/(2 rc) − rc f_shift/2 + α/√π) k q_i²,
///   f_shift = −(erfc(α rc)/rc² + 2α/√π exp(−α² rc²)/rc),
///
/// (LAMMPS: −(e_shift/2 + α/√π) q_i² qqrd2e). The total energy is
/// E = Σ_i E_self,i + ½ Σ_i Σ_{j≠i} φ(r_ij) over the local atoms i of a ghost shell and all their
/// neighbors j (locals and periodic images), the force on a local atom is
/// F_i = Σ_j f(r_ij) (r_i − r_j) with f = −φ'(r)/r, and the virial is
/// W_ab = ½ Σ_i Σ_j f(r_ij) (r_i − r_j)_a (r_i − r_j)_b = Σ_{all atoms} r_a F_b.

#include <math.h>

#include "vitrum/core/hd.hpp"
#include "vitrum/core/vec3.hpp"

namespace vitrum::teacher {

/// Coefficients of one species pair (symmetric: pair(a, b) == pair(b, a)), precomputed on the
/// host. A pair without a short-range term has rc_sr2 = 0; one without a wall has wall_eps = 0.
struct PairCoeffs {
  double A = 0.0;         ///< Born–Mayer prefactor (eV)
  double inv_rho = 0.0;   ///< 1/ρ (1/Å)
  double C = 0.0;         ///< dispersion coefficient (eV Å⁶)
  double rc_sr2 = 0.0;    ///< short-range cutoff squared (Å²); 0: no short-range term
  double offset = 0.0;    ///< φ_off (eV): energy shift of the short-range term, 0 when unshifted
  double qq = 0.0;        ///< k q_i q_j (eV Å)
  double wall_eps = 0.0;  ///< wall strength ε (eV); 0: no wall
  double wall_r = 0.0;    ///< wall radius r_w (Å)
  int wall_n = 0;         ///< wall exponent n (integer, 1..64)
  double cut2 = 0.0;      ///< largest cutoff of the pair squared (Å²): max(rc_sr, rc, r_w)²
};

/// DSF Coulomb constants shared by every pair (LAMMPS init_style of born/coul/dsf).
struct DsfCoeffs {
  double alpha = 0.0;    ///< damping α (1/Å)
  double rc2 = 0.0;      ///< Coulomb cutoff squared (Å²)
  double e_shift = 0.0;  ///< erfc(α rc)/rc − f_shift rc (1/Å)
  double f_shift = 0.0;  ///< −(erfc(α rc)/rc² + 2α/√π exp(−α² rc²)/rc) (1/Å²)
};

/// Device- or host-resident view of the compiled tables, passed by value to the kernel.
struct TeacherView {
  int n_types = 0;
  const PairCoeffs* pair = nullptr;     ///< n_types × n_types, row-major by type index
  const double* self_energy = nullptr;  ///< E_self per type (eV)
  DsfCoeffs dsf;
};

/// What one local atom contributes: its energy share (self + ½ Σ_j φ), the force on it, its
/// share of the virial (½ Σ_j f d_a d_b; xx, yy, zz, xy, xz, yz) and the smallest squared
/// distance to any listed neighbor (Å², +inf when it has none).
struct AtomTerms {
  double energy;
  Vec3 force;
  double virial[6];
  double min_r2;
};

/// (2/√π)
constexpr double kTwoOverSqrtPi = 1.12837916709551257390;
/// 1/√π
constexpr double kInvSqrtPi = 0.56418958354775628695;

/// DSF constants for damping alpha (1/Å) and cutoff rc (Å), as LAMMPS computes them.
VITRUM_HD DsfCoeffs make_dsf_coeffs(double alpha, double rc) {
  DsfCoeffs d;
  d.alpha = alpha;
  d.rc2 = rc * rc;
  const double erfcc = erfc(alpha * rc);
  const double erfcd = exp(-alpha * alpha * rc * rc);
  d.f_shift = -(erfcc / d.rc2 + kTwoOverSqrtPi * alpha * erfcd / rc);
  d.e_shift = erfcc / rc - d.f_shift * rc;
  return d;
}

/// DSF self energy of an atom: −(e_shift/2 + α/√π) k q² (eV); kq2 = k q² in eV Å.
VITRUM_HD double dsf_self_energy(const DsfCoeffs& d, double kq2) {
  return -(0.5 * d.e_shift + d.alpha * kInvSqrtPi) * kq2;
}

/// erfc(x) from the C library; the pair term's default. `exp_neg_x2` = exp(−x²) is what the
/// pair term already has; a tabulated erfc (the CPU backend's) multiplies it by a polynomial.
struct LibmErfc {
  VITRUM_HD double operator()(double x, double /*exp_neg_x2*/) const { return erfc(x); }
};

/// Pair energy φ(r) (eV) and f = −φ'(r)/r (eV/Å²) at squared distance r2 (Å²) for one pair.
/// Returns false (and leaves e, f untouched) beyond every cutoff of the pair. `erfc_of(x,
/// exp(−x²))` gives erfc(x) for 0 <= x <= α rc.
template <class Erfc>
VITRUM_HD bool pair_energy_force(double r2, const PairCoeffs& p, const DsfCoeffs& d, double& e,
                                 double& f, const Erfc& erfc_of) {
  if (!(r2 < p.cut2)) return false;
  const double r = sqrt(r2);
  const double inv_r = 1.0 / r;  // one division per pair
  const double inv_r2 = inv_r * inv_r;
  double energy = 0.0, fr = 0.0;  // fr = −φ'(r) · r, divided by r² at the end
  if (r2 < d.rc2) {
    const double erfcd = exp(-d.alpha * d.alpha * r2);
    const double erfcc = erfc_of(d.alpha * r, erfcd);
    const double pre = p.qq * inv_r;
    energy += pre * (erfcc - r * d.e_shift - r2 * d.f_shift);
    fr += pre * (erfcc + (kTwoOverSqrtPi * d.alpha * erfcd + r * d.f_shift) * r);
  }
  if (r2 < p.rc_sr2) {
    const double inv_r6 = inv_r2 * inv_r2 * inv_r2;
    const double rexp = exp(-r * p.inv_rho);
    energy += p.A * rexp - p.C * inv_r6 - p.offset;
    fr += p.A * p.inv_rho * r * rexp - 6.0 * p.C * inv_r6;
  }
  if (p.wall_eps > 0.0 && r < p.wall_r) {
    const double x = p.wall_r / r;
    double xn = 1.0;
    for (int k = 0; k < p.wall_n; ++k) xn *= x;
    const double n = static_cast<double>(p.wall_n);
    energy += p.wall_eps * (xn + n / x - (n + 1.0));
    fr += p.wall_eps * n * (xn - 1.0 / x);
  }
  e = energy;
  f = fr * inv_r2;
  return true;
}

/// pair_energy_force with the C library's erfc.
VITRUM_HD bool pair_energy_force(double r2, const PairCoeffs& p, const DsfCoeffs& d, double& e,
                                 double& f) {
  return pair_energy_force(r2, p, d, e, f, LibmErfc{});
}

/// The default pair term of atom_terms: pair_energy_force on the pair's coefficients (`q`, the
/// list slot, and `j`, the neighbor, are for pair terms that need them).
struct EvaluatePair {
  VITRUM_HD bool operator()(int /*q*/, int /*j*/, double r2, const PairCoeffs& p,
                            const DsfCoeffs& d, double& e, double& f) const {
    return pair_energy_force(r2, p, d, e, f);
  }
};

/// Terms of local atom i from its neighbors nbr[begin..end) (indices into pos/type), summed in
/// list order (deterministic). type[k] is the type index of shell entry k. `pair_term(q, j, r2,
/// coeffs, dsf, e, f)` gives the pair energy and f = −φ'(r)/r of list slot q exactly as
/// pair_energy_force does (false beyond every cutoff); the CPU backend passes one with its
/// tabulated erfc.
template <class PairTerm>
VITRUM_HD AtomTerms atom_terms(int i, const Vec3* pos, const int* type, const int* nbr, int begin,
                               int end, const TeacherView& v, const PairTerm& pair_term) {
  AtomTerms t;
  const int ti = type[i];
  t.energy = v.self_energy[ti];
  t.force = Vec3{0.0, 0.0, 0.0};
  for (int c = 0; c < 6; ++c) t.virial[c] = 0.0;
  t.min_r2 = INFINITY;
  const Vec3 ri = pos[i];
  const PairCoeffs* row = v.pair + static_cast<long>(ti) * v.n_types;
  double ehalf = 0.0;
  for (int q = begin; q < end; ++q) {
    const int j = nbr[q];
    const Vec3 d = ri - pos[j];
    const double r2 = dot(d, d);
    if (r2 < t.min_r2) t.min_r2 = r2;
    double e, f;
    if (!pair_term(q, j, r2, row[type[j]], v.dsf, e, f)) continue;
    ehalf += e;
    t.force += f * d;
    const double hf = 0.5 * f;
    t.virial[0] += hf * d.x * d.x;
    t.virial[1] += hf * d.y * d.y;
    t.virial[2] += hf * d.z * d.z;
    t.virial[3] += hf * d.x * d.y;
    t.virial[4] += hf * d.x * d.z;
    t.virial[5] += hf * d.y * d.z;
  }
  t.energy += 0.5 * ehalf;
  return t;
}

/// atom_terms with every pair evaluated by pair_energy_force.
VITRUM_HD AtomTerms atom_terms(int i, const Vec3* pos, const int* type, const int* nbr, int begin,
                               int end, const TeacherView& v) {
  return atom_terms(i, pos, type, nbr, begin, end, v, EvaluatePair{});
}

}  // namespace vitrum::teacher
