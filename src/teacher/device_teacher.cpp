/// \file device_teacher.cpp
/// The device teacher's dispatch and its emulated-device instantiation (device_teacher_impl.hpp
/// with the host launcher); the CUDA one is in kernels/teacher/device_teacher.cu.
#include "vitrum/teacher/device_teacher.hpp"

#include "vitrum/core/launch_host.hpp"
#include "vitrum/md/force_field_registry.hpp"
#include "vitrum/teacher/device_teacher_impl.hpp"

namespace vitrum::teacher {

std::unique_ptr<md::DeviceForceField> make_device_teacher(const TeacherParams& params,
                                                          exec::Space& space) {
  TeacherTables tables = compile_teacher_tables(params);
  std::string describe = fmt::format(
      "teacher {} ({}) on the {} device", params.name.empty() ? "potential" : params.name,
      params.file.empty() ? "(built in code)" : params.file, to_string(space.kind()));
  if (space.kind() == exec::SpaceKind::Cuda)
    return make_cuda_device_teacher(std::move(tables), std::move(describe), space);
  return std::make_unique<device_detail::DeviceTeacher<exec::HostLauncher>>(
      std::move(tables), std::move(describe), space);
}

std::unique_ptr<md::DeviceForceField> load_device_teacher(const std::string& toml_path,
                                                          exec::Space& space) {
  return make_device_teacher(read_teacher_params(toml_path), space);
}

#ifndef VITRUM_HAVE_CUDA
std::unique_ptr<md::DeviceForceField> make_cuda_device_teacher(TeacherTables, std::string,
                                                               exec::Space&) {
  fail(
      "the device teacher on a CUDA device needs the CUDA backend; this vitrum was built "
      "without CUDA");
}
#endif

void register_device_teacher_force_field() {
  md::register_device_force_field("teacher", [](const md::PotentialConfig& c, exec::Space& space) {
    return load_device_teacher(c.path, space);
  });
}

}  // namespace vitrum::teacher
