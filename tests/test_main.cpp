#include <gtest/gtest.h>
#ifdef VITRUM_HAVE_MPI
#include <mpi.h>
#endif

int main(int argc, char** argv) {
#ifdef VITRUM_HAVE_MPI
  MPI_Init(&argc, &argv);
#endif
  ::testing::InitGoogleTest(&argc, argv);
  int rc = RUN_ALL_TESTS();
#ifdef VITRUM_HAVE_MPI
  MPI_Finalize();
#endif
  return rc;
}
