#pragma once
/// \file distribute.hpp
/// Moving whole MD systems between one rank and a domain decomposition: the share of each rank
/// at the start, and the whole system on rank 0 for output (snapshots, final structure).

#include "vitrum/md/force_field.hpp"
#include "vitrum/md/system.hpp"
#include "vitrum/parallel/domain.hpp"
#include "vitrum/parallel/gpu_mpi.hpp"
#include "vitrum/parallel/migration.hpp"

namespace vitrum::md {

/// This rank's share of `full`, which every rank passes identically (same atoms, same order):
/// the atoms whose fractional positions lie in this rank's subdomain, with ids = their indices
/// in `full` (kept if `full` already has ids), comm = the domain's, n_global = full.size().
/// O(N) per rank, once.
MdSystem distribute_system(MdSystem full, const parallel::Domain& domain);

/// What an engine (host or device-resident) checks and sets when it is given a domain: a
/// periodic cell, ids 0..N-1 for a one-rank system that has none (several ranks must bring ids),
/// per-atom arrays of one length, comm and n_global, and the ids exactly 0..n_global-1 over the
/// ranks (collective). `who` starts the error messages. Returns the id checksum that later
/// migrations are checked against.
parallel::IdChecksum join_domain(MdSystem& sys, const parallel::Comm& comm, const char* who);

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
