// The device teacher on a CUDA device: vitrum/teacher/device_teacher_impl.hpp with the CUDA
// launcher (the same functors the emulated device runs in host loops).
#include "core/launch_cuda.cuh"
#include "vitrum/teacher/device_teacher_impl.hpp"

namespace vitrum::teacher {

std::unique_ptr<md::DeviceForceField> make_cuda_device_teacher(TeacherTables tables,
                                                               std::string describe,
                                                               exec::Space& space) {
  return std::make_unique<device_detail::DeviceTeacher<exec::CudaLauncher>>(
      std::move(tables), std::move(describe), space);
}

}  // namespace vitrum::teacher
