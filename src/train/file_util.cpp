// n2p2-style number formatting for the trainer's outputs.
#include "file_util.hpp"

#include <fmt/format.h>

namespace vitrum::train::detail {

std::string sci(double v) {
  return fmt::format("{:24.16E}", v);
}

}  // namespace vitrum::train::detail
