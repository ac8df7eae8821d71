// libFuzzer target: n2p2 potentials: input.nn, scaling.data and weights.NNN.data, one input holding
// the three files separated by lines "%%%%" (fuzz/README.md).
#include "../fuzz_util.hpp"
#include "vitrum/nnp/potential.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  const auto parts = vitrum::fuzz::split_parts(bytes, 3);
  vitrum::fuzz::write_scratch("input.nn", parts[0]);
  vitrum::fuzz::write_scratch("scaling.data", parts[1]);
  // The weights of every element of the seed potentials (H, O, Si) are the third part.
  for (const char* name : {"weights.001.data", "weights.008.data", "weights.014.data"})
    vitrum::fuzz::write_scratch(name, parts[2]);
  vitrum::fuzz::expect_clean(
      [&] { vitrum::nnp::Potential::load_n2p2(vitrum::fuzz::scratch_dir()); });
  return 0;
}
