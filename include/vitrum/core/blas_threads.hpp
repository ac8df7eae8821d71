#pragma once
/// \file blas_threads.hpp
/// Keeps the BLAS library single-threaded. vitrum parallelises with OpenMP and calls BLAS on row
/// blocks from inside its own parallel regions; a threaded BLAS (OpenBLAS's pthreads build, BLIS,
/// MKL, FlexiBLAS) would otherwise start its own threads next to the OpenMP team, which costs
/// parallel efficiency and, with OpenBLAS, system time spent by its idle threads spinning. The
/// thread-control entry points are looked up at run time (dlsym), so any BLAS links and one
/// without such a control is left as it is: users need no OPENBLAS_NUM_THREADS.

namespace vitrum {

/// Which thread control single_threaded_blas() found and called ("openblas", "blis", "mkl",
/// "flexiblas") or "none"; the first call does the work, later calls return the same answer.
const char* single_threaded_blas();

}  // namespace vitrum
