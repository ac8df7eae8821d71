// The "teacher" force-field kind of `[potential]`: a SiO2 teacher parameter file (*.toml), in
// Å and eV, double precision.
#include <filesystem>

#include "vitrum/core/error.hpp"
#include "vitrum/md/force_field_registry.hpp"
#include "vitrum/teacher/teacher.hpp"

namespace vitrum::md {

void register_teacher_force_field() {
  register_force_field(
      "teacher", "SiO2 teacher potential (BKS/TTAM) of a parameter file (path = \"*.toml\")",
      [](ForceFieldRequest& r) -> std::unique_ptr<ForceField> {
        r.table.check_unknown(kCommonPotentialKeys);
        const PotentialConfig& c = r.config;
        if (!std::filesystem::is_regular_file(c.path))
          fail("{}: no such teacher parameter file", c.path);
        if (c.length_unit != 1.0 || c.energy_unit != 1.0)
          fail(
              "{}: length/energy unit options apply to n2p2 potentials only; a teacher parameter "
              "file is in Å and eV (got length unit {}, energy unit {})",
              c.path, c.length_unit, c.energy_unit);
        if (c.precision != Precision::Double)
          fail("{}: the teacher potential runs in double precision only (got precision {})", c.path,
               to_string(c.precision));
        return teacher::load_teacher(c.path, c.backend);
      },
      /*cuda=*/true);
}

}  // namespace vitrum::md
