#pragma once
/// \file teacher.cuh
/// CUDA driver of the teacher potential (host-compilable declaration; defined in teacher.cu).
/// A warp per local atom (math/team_pair.hpp, the default) or, with VITRUM_TEACHER_KERNELS=legacy,
/// one thread per local atom evaluates math/born_dsf.hpp's atom_terms over its CSR neighbors
/// and writes that atom's AtomTerms; the host reduces them in atom order (no atomics).

#include "vitrum/teacher/math/born_dsf.hpp"
#include "vitrum/teacher/math/erfc_table.hpp"

namespace vitrum::teacher::cuda {

/// Device pointers and sizes of one launch.
struct TeacherLaunch {
  int n_local = 0;               ///< local atoms: threads
  const Vec3* pos = nullptr;     ///< positions of locals and ghosts (Å)
  const int* type = nullptr;     ///< type index of locals and ghosts
  const int* offsets = nullptr;  ///< CSR offsets, n_local + 1
  const int* neighbors = nullptr;
  TeacherView view;            ///< tables in device memory
  AtomTerms* terms = nullptr;  ///< out: n_local entries
  bool team = true;            ///< a warp per atom (false: a thread per atom)
  bool table = false;          ///< team kernel: erfc from `erfc` (device table), else libm
  ErfcTableView erfc;          ///< the tabulated erfc on the device
};

/// Launches the per-atom kernel on the default stream and checks the launch.
void launch_teacher_atoms(const TeacherLaunch& args);

}  // namespace vitrum::teacher::cuda
