#pragma once
/// \file distribute.hpp
/// Moving whole MD systems between one rank and a domain decomposition: the share of each rank
/// at the start, and the whole system on rank 0 for output (snapshots, final structure).

#include "vitrum/md/force_field.hpp"
#include "vitrum/md/system.hpp"
#include "vitrum/parallel/domain.hpp"
#include "vitrum/parallel/gpu_mpi.hpp"

namespace vitrum::md {

/// This rank's share of `full`, which every rank passes identically (same atoms, same order):
/// the atoms whose fractional positions lie in this rank's subdomain, with ids = their indices
/// in `full` (kept if `full` already has ids), comm = the domain's, n_global = full.size().
/// O(N) per rank, once.
MdSystem distribute_system(MdSystem full, const parallel::Domain& domain);

/// The whole system on `root`, atoms in id order, per-atom arrays gathered from every rank of
/// local.comm (cell, energy, virial, step and time copied from `root`); other ranks get an
/// empty system. Serial (one rank): a copy in id order. Collective.
MdSystem gather_system(const MdSystem& local, int root = 0);

/// One evaluation of periodic structure `s` under domain decomposition over `comm` (every rank
/// passes the same structure; neighbor list without skin): energy, virial, extrapolation count
/// and smallest distance on every rank, forces in the structure's atom order on `root` (empty
/// elsewhere). Collective. What `vitrum predict` runs under mpiexec. `gpu_mpi`: how a
/// device-resident force field's halo buffers reach MPI (EngineOptions::gpu_mpi).
ForceResult evaluate_distributed(ForceField& ff, const Structure& s, const parallel::Comm& comm,
                                 int root = 0,
                                 parallel::GpuMpiMode gpu_mpi = parallel::GpuMpiMode::Auto);

}  // namespace vitrum::md
