// `vitrum train` through the binary: --schema, a short run on the synthetic teacher set, and a
// clear error for a config with an unknown key. Skipped while the binary has no `train`
// subcommand registered.
#include <gtest/gtest.h>

#include <array>
#include <cstdio>
#include <fstream>
#include <memory>

#include "train_test_util.hpp"
#include "vitrum/io/structure_io.hpp"

namespace vitrum::train {
namespace {

struct CliRun {
  int status;
  std::string output;
};

CliRun run(const std::string& args) {
  const std::string cmd = test::vitrum_binary() + " " + args + " 2>&1";
  std::unique_ptr<FILE, int (*)(FILE*)> p(popen(cmd.c_str(), "r"), pclose);
  std::string out;
  std::array<char, 4096> buf;
  size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), p.get())) > 0) out.append(buf.data(), n);
  const int st = pclose(p.release());
  return {WIFEXITED(st) ? WEXITSTATUS(st) : -1, out};
}

bool have_train() {
  return run("--help").output.find("\n  train ") != std::string::npos;
}

TEST(TrainCli, SchemaRunAndErrors) {
  if (!have_train()) GTEST_SKIP() << "the vitrum binary has no `train` subcommand yet";
  CliRun r = run("train --schema");
  EXPECT_EQ(r.status, 0) << r.output;
  EXPECT_NE(r.output.find("[training]"), std::string::npos);
  EXPECT_NE(r.output.find("early_stopping_patience"), std::string::npos);

  const std::string dir = test::fresh_dir("cli");
  io::write_structures(dir + "/t.data", test::teacher_structures(8, 2));
  std::ofstream(dir + "/t.toml") << "[data]\nfile = \"t.data\"\n[potential]\nhidden_nodes = [6]\n"
                                    "[symmetry_functions]\ncutoff = 4.5\n"
                                    "[symmetry_functions.angular]\nn = 1\nzetas = [1]\n"
                                    "[training]\nepochs = 2\n[output]\nplots = false\n";
  r = run("train " + dir + "/t.toml --output " + dir + "/nnp --threads 1");
  EXPECT_EQ(r.status, 0) << r.output;
  EXPECT_NE(r.output.find("best epoch"), std::string::npos) << r.output;
  EXPECT_TRUE(std::filesystem::exists(dir + "/nnp/weights.014.data"));

  std::ofstream(dir + "/bad.toml") << "[data]\nfile = \"t.data\"\n[training]\nepocs = 2\n";
  r = run("train " + dir + "/bad.toml");
  EXPECT_EQ(r.status, 1) << r.output;
  EXPECT_NE(r.output.find("bad.toml:4: unknown key 'epocs' in [training]"), std::string::npos)
      << r.output;
}

}  // namespace
}  // namespace vitrum::train
