/// \file device_memory.cpp
/// Device memory of a device-resident run by what it holds (vitrum/md/device_memory.hpp).
#include "vitrum/md/device_memory.hpp"

#include <fmt/format.h>

#include "vitrum/md/device_engine.hpp"

namespace vitrum::md {

double DeviceMemory::per_atom(std::size_t bytes) const {
  return atoms > 0 ? static_cast<double>(bytes) / static_cast<double>(atoms) : 0.0;
}

DeviceMemory device_memory(DeviceEngine& engine, const DeviceForceField& force_field) {
  DeviceMemory m;
  m.atoms = engine.neighbors().shell().n_local;
  const neighbor::DeviceNeighborMemory nl = engine.neighbors().memory();
  m.state = engine.device_bytes() - nl.total();
  m.shell = nl.shell;
  m.list = nl.list;
  m.build = nl.build;
  m.force_field = force_field.device_bytes();
  return m;
}

std::string format_device_memory(const DeviceMemory& m) {
  return fmt::format(
      "device memory: {:.0f} B per atom (state {:.0f}, ghost shell {:.0f}, neighbor list {:.0f}, "
      "rebuild scratch {:.0f}, force field {:.0f}; {:.1f} MB at {} atoms)",
      m.per_atom(m.total()), m.per_atom(m.state), m.per_atom(m.shell), m.per_atom(m.list),
      m.per_atom(m.build), m.per_atom(m.force_field), static_cast<double>(m.total()) / 1e6,
      m.atoms);
}

}  // namespace vitrum::md
