// Internal to vitrum train: the checks of the reference data before training.
#pragma once

#include <set>
#include <string>
#include <vector>

#include "vitrum/core/structure.hpp"
#include "vitrum/train/train_config.hpp"

namespace vitrum::train::detail {

/// Checks every structure for what training needs: a valid structure of the potential's
/// elements, a finite energy, finite and not-all-zero forces (when `need_forces`), and with
/// [data] check_units the unit tags, the smallest distances and the energy outliers. Throws
/// vitrum::Error naming the file, the structure (`names`) and the atom.
void check_data(const TrainConfig& c, const std::vector<Structure>& all,
                const std::vector<std::string>& names, const std::set<int>& allowed_z,
                bool need_forces);

}  // namespace vitrum::train::detail
