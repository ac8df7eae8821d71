// vitrum: one binary, one subcommand per job. Errors are printed as one clear message.
#include <hdf5.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <exception>
#include <string>

#include "commands.hpp"
#include "vitrum/core/error.hpp"
#include "vitrum/core/resource_guard.hpp"
#include "vitrum/parallel/comm.hpp"

int main(int argc, char** argv) {
  // MPI only under an MPI launcher (mpiexec, srun): `vitrum run` and `vitrum predict` then
  // decompose the cell over the ranks; rank 0 prints and writes the outputs.
  vitrum::parallel::MpiSession mpi(argc, argv);
  // vitrum reports every HDF5 failure itself (file, object, what to do): HDF5's automatic error
  // printing stays off for the whole process. This also silences the library's "infinite loop
  // closing library" note at exit, which HDF5 1.10 prints (only while that printing is on) after
  // a failed object-header read of a corrupt file has left a block in its free lists: no
  // identifier of vitrum's is open then (H5Fclose succeeded; H5Fget_obj_count is 0).
  H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
  const vitrum::parallel::Comm world = vitrum::parallel::Comm::world();
  const std::string rank =
      world.size() > 1 ? fmt::format(" (rank {} of {})", world.rank(), world.size()) : "";
  CLI::App app{
      "vitrum: GPU-accelerated HPC engine for amorphous matter — neural-network MD of glasses "
      "and spectral imaging"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "vitrum 0.1.0");
  vitrum::app::register_predict(app);
  vitrum::app::register_run(app);
  vitrum::app::register_analyze(app);
  vitrum::app::register_train(app);
  auto* spectra = app.add_subcommand("spectra", "Spectral imaging: XPS peak fitting");
  spectra->require_subcommand(1);
  vitrum::app::register_spectra_fit(*spectra);
  vitrum::app::register_spectra_synth(*spectra);
  vitrum::app::register_spectra_info(*spectra);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  } catch (const vitrum::app::ExitStatus& e) {
    return e.code;
  } catch (const vitrum::Error& e) {
    // Messages may quote input: never raw binary on the terminal.
    std::fprintf(stderr, "vitrum: error%s: %s\n", rank.c_str(),
                 vitrum::printable_message(e.what()).c_str());
    std::fflush(nullptr);  // MPI_Abort may not flush stdio (the console thermo lines)
    mpi.abort_all(1);      // the other ranks may wait in a collective operation
    return 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "vitrum: internal error%s: %s\n", rank.c_str(),
                 vitrum::printable_message(e.what()).c_str());
    std::fflush(nullptr);
    mpi.abort_all(2);
    return 2;
  }
  return 0;
}
