// Test main: MPI is initialised for every suite except the GPU one (VITRUM_TEST_NO_MPI), which
// must run on GPU nodes without an MPI launcher.
#include <gtest/gtest.h>
#if defined(VITRUM_HAVE_MPI) && !defined(VITRUM_TEST_NO_MPI)
#include <mpi.h>
#endif

int main(int argc, char** argv) {
#if defined(VITRUM_HAVE_MPI) && !defined(VITRUM_TEST_NO_MPI)
  MPI_Init(&argc, &argv);
#endif
  ::testing::InitGoogleTest(&argc, argv);
  int rc = RUN_ALL_TESTS();
#if defined(VITRUM_HAVE_MPI) && !defined(VITRUM_TEST_NO_MPI)
  MPI_Finalize();
#endif
  return rc;
}
