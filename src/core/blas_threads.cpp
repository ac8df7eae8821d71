// Run-time lookup of the BLAS thread controls (see blas_threads.hpp).
#include "vitrum/core/blas_threads.hpp"

#include <dlfcn.h>

#include <mutex>

namespace vitrum {

namespace {

const char* find_and_set() {
  struct Control {
    const char* symbol;
    const char* name;
    bool wide;  // BLIS takes a dim_t (64-bit) count, the others an int
  };
  // Every known control is called (a process may hold a wrapper and the library behind it).
  const Control controls[] = {{"flexiblas_set_num_threads", "flexiblas", false},
                              {"openblas_set_num_threads", "openblas", false},
                              {"bli_thread_set_num_threads", "blis", true},
                              {"MKL_Set_Num_Threads", "mkl", false}};
  const char* found = nullptr;
  for (const Control& c : controls) {
    void* sym = dlsym(RTLD_DEFAULT, c.symbol);
    if (sym == nullptr) continue;
    if (c.wide)
      reinterpret_cast<void (*)(long)>(sym)(1L);
    else
      reinterpret_cast<void (*)(int)>(sym)(1);
    if (found == nullptr) found = c.name;
  }
  return found != nullptr ? found : "none";
}

}  // namespace

const char* single_threaded_blas() {
  static std::once_flag once;
  static const char* found = "none";
  std::call_once(once, [] { found = find_and_set(); });
  return found;
}

}  // namespace vitrum
