// Entry point of libvitrum_lammps.so for LAMMPS's `plugin load`: registers pair_style vitrum and
// pair_style vitrum/teacher. The plugin record's layout is LAMMPS's C plugin ABI
// (lammpsplugin.h, not installed with the library's headers).
#include "lammps.h"
#include "pair_vitrum.h"

extern "C" {
typedef void*(lammpsplugin_factory1)(void*);
typedef void*(lammpsplugin_factory2)(void*, int, char**);
typedef struct {
  const char* version;
  const char* style;
  const char* name;
  const char* info;
  const char* author;
  union {
    lammpsplugin_factory1* v1;
    lammpsplugin_factory2* v2;
  } creator;
  void* handle;
} lammpsplugin_t;
typedef void (*lammpsplugin_regfunc)(lammpsplugin_t*, void*);
void lammpsplugin_init(void* lmp, void* handle, void* regfunc);
}

namespace {

void* make_nnp(void* lmp) {
  return new LAMMPS_NS::PairVitrum(static_cast<LAMMPS_NS::LAMMPS*>(lmp), false);
}
void* make_teacher(void* lmp) {
  return new LAMMPS_NS::PairVitrum(static_cast<LAMMPS_NS::LAMMPS*>(lmp), true);
}

}  // namespace

extern "C" void lammpsplugin_init(void* lmp, void* handle, void* regfunc) {
  auto reg = reinterpret_cast<lammpsplugin_regfunc>(regfunc);
  lammpsplugin_t plugin{};
  plugin.version = static_cast<LAMMPS_NS::LAMMPS*>(lmp)->version;
  plugin.style = "pair";
  plugin.author = "vitrum";
  plugin.handle = handle;
  plugin.name = "vitrum";
  plugin.info = "vitrum HDNNP (n2p2 potentials) on CPU threads or CUDA";
  plugin.creator.v1 = &make_nnp;
  (*reg)(&plugin, lmp);
  plugin.name = "vitrum/teacher";
  plugin.info = "vitrum SiO2 teacher (BKS/TTAM Buckingham + DSF Coulomb)";
  plugin.creator.v1 = &make_teacher;
  (*reg)(&plugin, lmp);
}
