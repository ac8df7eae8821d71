#pragma once
/// \file device_binding.hpp
/// One MPI rank per GPU: which CUDA device a rank drives. The ranks of one node (those sharing
/// memory: MPI_Comm_split_type(MPI_COMM_TYPE_SHARED)) are numbered 0..L-1 and spread over the
/// node's visible devices round robin, device = local_rank mod D, so `mpiexec -n 4` on a 4-GPU
/// node puts one rank on each GPU. When the job script already gives each rank its own GPU
/// (Slurm --gpus-per-task=1 / --gpu-bind, CUDA_VISIBLE_DEVICES per rank) every rank sees one
/// device and takes it. VITRUM_CUDA_DEVICE=k forces device k on every rank (0 <= k < D).
/// More ranks than devices on a node is allowed (ranks then share GPUs) and said in the binding's
/// note. Bound once per process, by the first CUDA force field (md::load_force_field).

#include <string>

#include "vitrum/parallel/comm.hpp"

namespace vitrum::parallel {

/// A rank's place on its node.
struct NodePlacement {
  int local_rank = 0;  ///< rank among the ranks of this node
  int local_size = 1;  ///< ranks on this node
};

/// This rank's place on its node (collective over `world`; serial: {0, 1}).
NodePlacement node_placement(const Comm& world);

/// The device of a rank: `forced` (>= 0, from VITRUM_CUDA_DEVICE) if given, otherwise
/// local_rank mod device_count. Throws vitrum::Error when there is no device or `forced` is out
/// of range (naming VITRUM_CUDA_DEVICE and the visible count).
int choose_device(const NodePlacement& place, int device_count, int forced = -1);

/// What bind_cuda_device did.
struct DeviceBinding {
  int device = -1;               ///< the CUDA device this rank uses (-1: not bound)
  int device_count = 0;          ///< devices visible to this rank
  NodePlacement place;           ///< this rank's place on its node
  std::string describe() const;  ///< one line for the run log
};

/// Binds this process to its device (cudaSetDevice) once; later calls return the first binding.
/// Collective over Comm::world() on the first call. Throws vitrum::Error without CUDA support,
/// without a device, or for a bad VITRUM_CUDA_DEVICE.
const DeviceBinding& bind_cuda_device();

/// Parses VITRUM_CUDA_DEVICE's value ("" or unset: -1); throws naming the variable otherwise.
int parse_forced_device(const char* value);

}  // namespace vitrum::parallel
