#pragma once
/// \file hd.hpp
/// The single-source macro: functions marked VITRUM_HD compile for the host under g++ and for
/// both host and device under nvcc. Every per-atom / per-spectrum formula is written once with it.

#if defined(__CUDACC__)
#define VITRUM_HD __host__ __device__ __forceinline__
#define VITRUM_DEVICE_CODE 1
#else
#define VITRUM_HD inline
#endif
