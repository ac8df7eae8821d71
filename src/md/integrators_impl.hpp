// Constructors of the concrete integrators (one file each), called by make_integrator.
#pragma once

#include <memory>

#include "vitrum/md/integrator.hpp"

namespace vitrum::md::detail {

std::unique_ptr<Integrator> make_nve(const IntegratorParams& p, const MdSystem& sys);
std::unique_ptr<Integrator> make_nvt_nose_hoover(const IntegratorParams& p, const MdSystem& sys);
std::unique_ptr<Integrator> make_nvt_langevin(const IntegratorParams& p, const MdSystem& sys);
std::unique_ptr<Integrator> make_npt_mtk(const IntegratorParams& p, const MdSystem& sys);

}  // namespace vitrum::md::detail
