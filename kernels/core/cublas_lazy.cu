// cuBLAS resolved at first use (see cublas_lazy.cuh): dlopen of the toolkit's libcublas by its
// soname (the loader's search path), then by the toolkit's library directory recorded at
// configure time; the four entry points by their exported (_v2) names.
#include <dlfcn.h>

#include <mutex>
#include <string>

#include "core/cublas_lazy.cuh"
#include "vitrum/core/error.hpp"

#ifndef VITRUM_CUBLAS_SONAME
#define VITRUM_CUBLAS_SONAME "libcublas.so"
#endif
#ifndef VITRUM_CUBLAS_DIR
#define VITRUM_CUBLAS_DIR ""
#endif

namespace vitrum::cuda::blas {

namespace {

using CreateFn = cublasStatus_t (*)(cublasHandle_t*);
using DestroyFn = cublasStatus_t (*)(cublasHandle_t);
using DgemmFn = cublasStatus_t (*)(cublasHandle_t, cublasOperation_t, cublasOperation_t, int, int,
                                   int, const double*, const double*, int, const double*, int,
                                   const double*, double*, int);
using SgemmFn = cublasStatus_t (*)(cublasHandle_t, cublasOperation_t, cublasOperation_t, int, int,
                                   int, const float*, const float*, int, const float*, int,
                                   const float*, float*, int);

struct Api {
  CreateFn create = nullptr;
  DestroyFn destroy = nullptr;
  DgemmFn dgemm = nullptr;
  SgemmFn sgemm = nullptr;
};

void* symbol(void* lib, const char* name, const std::string& from) {
  void* f = dlsym(lib, name);
  if (!f) fail("{} has no symbol {}: not a cuBLAS this build can use", from, name);
  return f;
}

Api load() {
  std::string from = VITRUM_CUBLAS_SONAME;
  void* lib = dlopen(from.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!lib && std::string(VITRUM_CUBLAS_DIR).size() > 0) {
    const std::string first_error = dlerror();
    from = std::string(VITRUM_CUBLAS_DIR) + "/" + VITRUM_CUBLAS_SONAME;
    lib = dlopen(from.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (!lib)
      fail("cannot load cuBLAS for the GPU backend: {}; {}", first_error, std::string(dlerror()));
  }
  if (!lib) fail("cannot load cuBLAS for the GPU backend: {}", std::string(dlerror()));
  Api a;
  a.create = reinterpret_cast<CreateFn>(symbol(lib, "cublasCreate_v2", from));
  a.destroy = reinterpret_cast<DestroyFn>(symbol(lib, "cublasDestroy_v2", from));
  a.dgemm = reinterpret_cast<DgemmFn>(symbol(lib, "cublasDgemm_v2", from));
  a.sgemm = reinterpret_cast<SgemmFn>(symbol(lib, "cublasSgemm_v2", from));
  return a;  // the library stays loaded for the life of the process
}

const Api& api() {
  static std::once_flag once;
  static Api a;
  std::call_once(once, [] { a = load(); });
  return a;
}

}  // namespace

cublasStatus_t create(cublasHandle_t* handle) {
  return api().create(handle);
}
cublasStatus_t destroy(cublasHandle_t handle) {
  return api().destroy(handle);
}
cublasStatus_t dgemm(cublasHandle_t h, cublasOperation_t ta, cublasOperation_t tb, int m, int n,
                     int k, const double* alpha, const double* a, int lda, const double* b, int ldb,
                     const double* beta, double* c, int ldc) {
  return api().dgemm(h, ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}
cublasStatus_t sgemm(cublasHandle_t h, cublasOperation_t ta, cublasOperation_t tb, int m, int n,
                     int k, const float* alpha, const float* a, int lda, const float* b, int ldb,
                     const float* beta, float* c, int ldc) {
  return api().sgemm(h, ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}

}  // namespace vitrum::cuda::blas
