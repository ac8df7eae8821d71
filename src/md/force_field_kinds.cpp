// The force-field kinds of `[potential] kind = "..."`: one line each. X(name) calls
// `void vitrum::md::register_<name>_force_field()`, defined in that kind's own files
// (docs/ARCHITECTURE.md, "Adding a force field").

#define VITRUM_FORCE_FIELD_KINDS(X)                                                \
  X(n2p2)          /* src/md/force_field.cpp: the HDNNP of an n2p2 directory */    \
  X(teacher)       /* src/teacher/teacher_kind.cpp: the SiO2 teacher (BKS/TTAM) */ \
  X(lennard_jones) /* src/md/lennard_jones.cpp: a truncated, shifted 12-6 pair potential */

namespace vitrum::md {

#define VITRUM_DECLARE_KIND(name) void register_##name##_force_field();
VITRUM_FORCE_FIELD_KINDS(VITRUM_DECLARE_KIND)
#undef VITRUM_DECLARE_KIND

void register_builtin_force_fields() {
#define VITRUM_REGISTER_KIND(name) register_##name##_force_field();
  VITRUM_FORCE_FIELD_KINDS(VITRUM_REGISTER_KIND)
#undef VITRUM_REGISTER_KIND
}

}  // namespace vitrum::md
