#pragma once
/// \file backend.hpp
/// Backend and precision selection, shared by every stage's dispatch point.

#include <string>

namespace vitrum {

/// Where a stage runs.
enum class Backend { Cpu, Cuda };

/// Floating-point mode of the NNP: Double everywhere, or Mixed (float symmetry functions and
/// networks, double positions and double accumulation of energies, forces and virial).
enum class Precision { Double, Mixed };

/// Parses "cpu" / "cuda"; throws vitrum::Error naming the accepted values otherwise.
Backend parse_backend(const std::string& s);
/// Parses "double" / "mixed"; throws vitrum::Error otherwise.
Precision parse_precision(const std::string& s);
const char* to_string(Backend b);
const char* to_string(Precision p);

/// True when this build has the CUDA backend compiled in.
bool cuda_compiled();
/// Number of usable CUDA devices (0 without CUDA support or without a device).
int cuda_device_count();
/// Throws a clear error when the CUDA backend is requested but cannot run here.
void require_backend(Backend b);

}  // namespace vitrum
