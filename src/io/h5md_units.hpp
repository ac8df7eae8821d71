// Internal to the H5MD writer (h5md.cpp) and reader (h5md_read.cpp): the force unit on file.
#pragma once

namespace vitrum::io::h5md_detail {

/// kJ/mol per eV (e N_A / 1000, exact in the 2019 SI). Forces are stored in kJ mol-1 Angstrom-1,
/// a unit MDAnalysis's H5MD reader knows (it has none for eV/Å), and converted back on reading.
constexpr double kKjMolPerEv = 96.48533212331002;
constexpr const char* kForceUnit = "kJ mol-1 Angstrom-1";

}  // namespace vitrum::io::h5md_detail
