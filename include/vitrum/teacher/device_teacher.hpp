#pragma once
/// \file device_teacher.hpp
/// The teacher potential (BKS/TTAM) as a device-resident force field of a device-resident MD run
/// (vitrum/md/device_engine.hpp), in either space: one kernel thread per local atom runs
/// math/born_dsf.hpp's atom_terms over the full neighbor list (each pair from both sides, as the
/// CUDA backend of the host force field does), writes the atom's force into the engine's device
/// force array, and a fixed-order block reduction sums energy and virial; only those 7 doubles
/// reach the host per step. At a rebuild the types are set on the device from the species and
/// the kernel reads the device neighbor list in place (the rebuild hook).

#include <memory>
#include <string>

#include "vitrum/core/exec_space.hpp"
#include "vitrum/md/device_engine.hpp"
#include "vitrum/teacher/teacher.hpp"

namespace vitrum::teacher {

/// The teacher of `params` on `space` (emulated or CUDA; the latter throws without CUDA).
std::unique_ptr<md::DeviceForceField> make_device_teacher(const TeacherParams& params,
                                                          exec::Space& space);
/// Reads a teacher parameter file (*.toml) and makes its device force field.
std::unique_ptr<md::DeviceForceField> load_device_teacher(const std::string& toml_path,
                                                          exec::Space& space);

/// Registers the teacher's device force field with the force-field registry (kind "teacher"),
/// so that md::DeviceEngine campaigns (`[md] engine = "device"`) get it. Called by the
/// application (and tests) that run campaigns: the md area does not know the teacher.
void register_device_teacher_force_field();

}  // namespace vitrum::teacher
