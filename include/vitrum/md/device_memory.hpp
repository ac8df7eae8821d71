#pragma once
/// \file device_memory.hpp
/// The device memory of a device-resident run (md::DeviceEngine and its force field) by what it
/// holds, per local atom: the quantity issue 13 bounds (2 KB of GPU memory per atom). The
/// numbers are the capacities of the device allocations (exec::DeviceBuffer), the same on the
/// emulated device and on a GPU.

#include <cstddef>
#include <string>

namespace vitrum::md {

class DeviceEngine;
class DeviceForceField;

struct DeviceMemory {
  long atoms = 0;
  std::size_t state = 0;        ///< the atoms' arrays (positions, velocities, forces, ...)
  std::size_t shell = 0;        ///< ghost shell (positions, species, owners, shifts, images)
  std::size_t list = 0;         ///< Verlet list (CSR)
  std::size_t build = 0;        ///< neighbor-list rebuild scratch kept between rebuilds
  std::size_t force_field = 0;  ///< the force field's buffers
  std::size_t total() const { return state + shell + list + build + force_field; }
  /// bytes / atoms (0 without atoms).
  double per_atom(std::size_t bytes) const;
};

/// The memory `engine` and `force_field` (the engine's) hold on the device now.
DeviceMemory device_memory(DeviceEngine& engine, const DeviceForceField& force_field);

/// "B per atom on the device: 1234 (state 104, shell 300, list 500, rebuild 200, force field
/// 130; 1.2 MB at 1000 atoms)".
std::string format_device_memory(const DeviceMemory& m);

}  // namespace vitrum::md
