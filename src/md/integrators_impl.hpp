// Constructors of the concrete integrators (one file each), called by make_integrator.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "vitrum/md/integrator.hpp"
#include "vitrum/md/math/nose_hoover.hpp"

namespace vitrum::md::detail {

std::unique_ptr<Integrator> make_nve(const IntegratorParams& p, const MdSystem& sys);
std::unique_ptr<Integrator> make_nvt_nose_hoover(const IntegratorParams& p, const MdSystem& sys);
std::unique_ptr<Integrator> make_nvt_langevin(const IntegratorParams& p, const MdSystem& sys);
std::unique_ptr<Integrator> make_npt_mtk(const IntegratorParams& p, const MdSystem& sys);
std::unique_ptr<Integrator> make_minimize_fire(const IntegratorParams& p, const MdSystem& sys);

// Checkpoint state helpers (integrator.cpp). `who` names the integrator in errors.
/// The array `key` of `state`, which must hold exactly `n` values.
const std::vector<double>& state_entry(const IntegratorState& state, const std::string& key,
                                       std::size_t n, const char* who);
/// Stores / restores a Nosé–Hoover chain as `prefix`_xi, _v, _q (one value per chain element).
void put_chain(IntegratorState& state, const std::string& prefix, const math::NhcChain& c);
void get_chain(const IntegratorState& state, const std::string& prefix, math::NhcChain& c,
               const char* who);

}  // namespace vitrum::md::detail
