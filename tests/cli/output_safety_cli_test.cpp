// Output safety and clear errors end to end (issue 19): an earlier run's outputs are never
// replaced without --overwrite (byte for byte the same after a refused or a failed run),
// symlinks are written through, special files and directories refused, and the messages of the
// cases users hit name the file, line, key, frame and atoms without raw binary or HDF5 noise.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>

#include "../test_paths.hpp"
#include "vitrum/io/structure_io.hpp"

using namespace vitrum;
namespace fs = std::filesystem;

namespace {

struct Outcome {
  int status;
  std::string output;
};

Outcome vitrum_cli(const std::string& args) {
  const std::string cmd = "OMP_NUM_THREADS=1 " + test::vitrum_binary() + " " + args + " 2>&1";
  std::unique_ptr<FILE, int (*)(FILE*)> p(popen(cmd.c_str(), "r"), pclose);
  std::string out;
  std::array<char, 4096> buf;
  size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), p.get())) > 0) out.append(buf.data(), n);
  const int st = pclose(p.release());
  return {WIFEXITED(st) ? WEXITSTATUS(st) : -1, out};
}

/// A fresh directory for this test (removed at the end).
class Scratch {
 public:
  Scratch() {
    dir_ = fs::temp_directory_path() /
           ("vitrum_safety_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  ~Scratch() { fs::remove_all(dir_); }
  std::string file(const std::string& name) const { return (dir_ / name).string(); }

 private:
  fs::path dir_;
};

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void put(const std::string& path, const std::string& text) {
  std::ofstream(path, std::ios::binary) << text;
}

/// Every file in `dir` with its bytes.
std::map<std::string, std::string> contents(const std::string& dir) {
  std::map<std::string, std::string> m;
  for (const auto& e : fs::directory_iterator(dir)) m[e.path().filename()] = slurp(e.path());
  return m;
}

/// A 3-step BKS campaign of 24 atoms writing every kind of output into `out`; `extra` goes
/// before the stage.
std::string campaign(const std::string& out, const std::string& extra = "",
                     const std::string& steps = "steps = 3") {
  return "[structure.generate]\nbuilder = \"amorphous\"\ncomposition = { Si = 1, O = 2 }\n"
         "n_atoms = 24\ndensity = 2.2\nmin_distances = { Si-O = 1.5, O-O = 2.2, Si-Si = 2.8 }\n"
         "[potential]\npath = \"" +
         test::source_dir() + "/configs/potentials/SiO2-BKS.toml\"\n[output]\ndirectory = \"" +
         out +
         "\"\nprogress = false\ntrajectory_every = 1\nh5md = { every = 1 }\ndataset_every = 1\n" +
         extra + "[[stage]]\nensemble = \"nve\"\n" + steps + "\n";
}

TEST(OutputSafety, CampaignDirectoryIsProtected) {
  Scratch s;
  const std::string out = s.file("out");
  put(s.file("c.toml"), campaign(out));
  ASSERT_EQ(vitrum_cli("run -q " + s.file("c.toml")).status, 0);
  const auto before = contents(out);
  for (const char* f : {"thermo.csv", "trajectory.xyz", "trajectory.h5", "dataset.data",
                        "checkpoint.h5", "final.xyz"})
    ASSERT_EQ(before.count(f), 1u) << f;

  // Run again: refused, naming the files and the ways on; nothing touched.
  const auto again = vitrum_cli("run -q " + s.file("c.toml"));
  EXPECT_EQ(again.status, 1) << again.output;
  for (const char* needle : {"refusing to replace", "thermo.csv", "--overwrite", "--restart"})
    EXPECT_NE(again.output.find(needle), std::string::npos) << needle << "\n" << again.output;
  EXPECT_EQ(contents(out), before);

  // A run that cannot start (velocities at 1e30 K) stops at its configuration, before any file.
  put(s.file("hot.toml"), campaign(out, "[velocities]\ntemperature = 1e30\n"));
  for (const char* flags : {"", "--overwrite"}) {
    const auto hot = vitrum_cli(std::string("run -q ") + flags + " " + s.file("hot.toml"));
    EXPECT_EQ(hot.status, 1) << hot.output;
    EXPECT_NE(hot.output.find("hot.toml:"), std::string::npos) << hot.output;
    EXPECT_NE(hot.output.find("[velocities] temperature"), std::string::npos) << hot.output;
    EXPECT_EQ(contents(out), before) << flags;
  }

  // --overwrite replaces them (a 2-step run: the thermo CSV has 3 lines now).
  put(s.file("two.toml"), campaign(out, "", "steps = 2"));
  ASSERT_EQ(vitrum_cli("run -q --overwrite " + s.file("two.toml")).status, 0);
  const std::string thermo = slurp(out + "/thermo.csv");
  EXPECT_NE(thermo, before.at("thermo.csv"));
  EXPECT_EQ(std::count(thermo.begin(), thermo.end(), '\n'), 3);  // header, step 0, step 2
}

TEST(OutputSafety, RestartStillContinuesItsOwnFiles) {
  Scratch s;
  const std::string out = s.file("out");
  put(s.file("c.toml"), campaign(out, "", "steps = 6"));
  const auto first = vitrum_cli("run -q --max-steps 3 " + s.file("c.toml"));
  ASSERT_EQ(first.status, 75) << first.output;
  const auto second = vitrum_cli("run -q --restart " + out + "/checkpoint.h5 " + s.file("c.toml"));
  ASSERT_EQ(second.status, 0) << second.output;
  EXPECT_EQ(io::read_structures(out + "/trajectory.xyz").size(), 6u);
}

TEST(OutputSafety, SymlinksAreWrittenThroughSpecialFilesRefused) {
  Scratch s;
  put(s.file("c.toml"), campaign(s.file("out")));
  ASSERT_EQ(vitrum_cli("run -q " + s.file("c.toml")).status, 0);
  const std::string predict = "predict -p " + test::source_dir() +
                              "/configs/potentials/SiO2-BKS.toml -i " + s.file("out/final.xyz");
  // A symlink to a file elsewhere: the link stays, its target gets the new contents.
  fs::create_directories(s.file("elsewhere"));
  put(s.file("elsewhere/target.xyz"), "old\n");
  fs::create_symlink(s.file("elsewhere/target.xyz"), s.file("link.xyz"));
  EXPECT_EQ(vitrum_cli(predict + " -o " + s.file("link.xyz")).status, 1);  // exists: refused
  EXPECT_EQ(slurp(s.file("elsewhere/target.xyz")), "old\n");
  const auto through = vitrum_cli(predict + " --overwrite -o " + s.file("link.xyz"));
  ASSERT_EQ(through.status, 0) << through.output;
  EXPECT_TRUE(fs::is_symlink(s.file("link.xyz")));
  EXPECT_EQ(io::read_structures(s.file("elsewhere/target.xyz")).size(), 1u);
  // A dangling link: its target is created.
  fs::create_symlink(s.file("elsewhere/new.xyz"), s.file("dangling.xyz"));
  ASSERT_EQ(vitrum_cli(predict + " -o " + s.file("dangling.xyz")).status, 0);
  EXPECT_TRUE(fs::is_symlink(s.file("dangling.xyz")));
  EXPECT_EQ(io::read_structures(s.file("elsewhere/new.xyz")).size(), 1u);
  // Character device, FIFO, directory: refused by name, nothing replaced.
  const auto dev = vitrum_cli(predict + " --overwrite -o /dev/null");
  EXPECT_EQ(dev.status, 1);
  EXPECT_NE(dev.output.find("/dev/null is a character device"), std::string::npos) << dev.output;
  struct stat st {};
  ASSERT_EQ(::stat("/dev/null", &st), 0);
  EXPECT_TRUE(S_ISCHR(st.st_mode));
  ASSERT_EQ(::mkfifo(s.file("fifo.h5").c_str(), 0600), 0);
  const auto fifo = vitrum_cli("spectra synth --nx 2 --ny 2 -o " + s.file("fifo.h5"));
  EXPECT_EQ(fifo.status, 1);
  EXPECT_NE(fifo.output.find("is a FIFO"), std::string::npos) << fifo.output;
  EXPECT_TRUE(fs::is_fifo(s.file("fifo.h5")));
  fs::create_directories(s.file("dir.xyz"));
  const auto dir = vitrum_cli(predict + " -o " + s.file("dir.xyz"));
  EXPECT_EQ(dir.status, 1);
  EXPECT_NE(dir.output.find("dir.xyz is a directory"), std::string::npos) << dir.output;
  // A campaign's checkpoint path that is a FIFO: refused before the run starts.
  fs::create_directories(s.file("out2"));
  ASSERT_EQ(::mkfifo(s.file("out2/checkpoint.h5").c_str(), 0600), 0);
  put(s.file("c2.toml"), campaign(s.file("out2")));
  const auto ck = vitrum_cli("run -q --overwrite " + s.file("c2.toml"));
  EXPECT_EQ(ck.status, 1);
  EXPECT_NE(ck.output.find("checkpoint.h5 is a FIFO"), std::string::npos) << ck.output;
  EXPECT_TRUE(fs::is_fifo(s.file("out2/checkpoint.h5")));
}

TEST(OutputSafety, EverySubcommandThatWritesRefusesAndDocumentsOverwrite) {
  for (const char* sub : {"run", "train", "predict", "analyze", "spectra fit", "spectra synth"}) {
    const auto h = vitrum_cli(std::string(sub) + " --help");
    EXPECT_NE(h.output.find("--overwrite"), std::string::npos) << sub;
  }
  Scratch s;
  put(s.file("a.csv"), "keep\n");
  const auto synth = vitrum_cli("spectra synth --nx 2 --ny 2 -o " + s.file("a.h5") + " --truth " +
                                s.file("a.csv"));
  EXPECT_EQ(synth.status, 1);
  EXPECT_EQ(slurp(s.file("a.csv")), "keep\n");
  fs::create_directories(s.file("pot"));
  put(s.file("pot/input.nn"), "mine\n");
  const auto train =
      vitrum_cli("train " + test::source_dir() + "/configs/train_h2o.toml -o " + s.file("pot"));
  EXPECT_EQ(train.status, 1) << train.output;
  EXPECT_NE(train.output.find("refusing to replace 1 existing output file"), std::string::npos)
      << train.output;
  EXPECT_EQ(slurp(s.file("pot/input.nn")), "mine\n");
}

TEST(OutputSafety, AnalyzeIntoAFileOrUnusableDirectoryIsAClearError) {
  Scratch s;
  put(s.file("c.toml"), campaign(s.file("out")));
  ASSERT_EQ(vitrum_cli("run -q " + s.file("c.toml")).status, 0);
  put(s.file("X"), "a file\n");
  const auto r = vitrum_cli("analyze " + s.file("out/trajectory.xyz") + " -o " + s.file("X/an"));
  EXPECT_EQ(r.status, 1) << r.output;
  EXPECT_EQ(r.output.find("internal error"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("X is a regular file, not a directory"), std::string::npos) << r.output;
  const auto ok = vitrum_cli("analyze " + s.file("out/trajectory.xyz") + " -o " + s.file("an"));
  ASSERT_EQ(ok.status, 0) << ok.output;
  const auto again = vitrum_cli("analyze " + s.file("out/trajectory.xyz") + " -o " + s.file("an"));
  EXPECT_EQ(again.status, 1);
  EXPECT_NE(again.output.find("rdf.csv"), std::string::npos) << again.output;
  EXPECT_EQ(
      vitrum_cli("analyze --overwrite " + s.file("out/trajectory.xyz") + " -o " + s.file("an"))
          .status,
      0);
}

TEST(OutputSafety, AnalyzeFailingPartWayLeavesNoFiles) {
  // density.csv and rdf.csv are ready before --msd refuses two frames: a failed analyze leaves
  // the output directory as it was (no CSV, no temporary), so the corrected rerun needs no
  // --overwrite.
  Scratch s;
  put(s.file("c.toml"), campaign(s.file("out")));
  ASSERT_EQ(vitrum_cli("run -q " + s.file("c.toml")).status, 0);
  auto frames = io::read_structures(s.file("out/trajectory.xyz"));
  ASSERT_GE(frames.size(), 2u);
  frames.resize(2);
  io::write_structures(s.file("two.xyz"), frames);
  const auto bad = vitrum_cli("analyze --rdf --msd " + s.file("two.xyz") + " -o " + s.file("an"));
  EXPECT_EQ(bad.status, 1) << bad.output;
  EXPECT_NE(bad.output.find("at least three frames"), std::string::npos) << bad.output;
  if (fs::exists(s.file("an"))) {
    EXPECT_TRUE(contents(s.file("an")).empty()) << "left behind: " << contents(s.file("an")).size();
  }
  const auto ok = vitrum_cli("analyze --rdf " + s.file("two.xyz") + " -o " + s.file("an"));
  EXPECT_EQ(ok.status, 0) << ok.output;
  EXPECT_TRUE(fs::exists(s.file("an/rdf.csv")));
  EXPECT_TRUE(fs::exists(s.file("an/summary.csv")));
}

TEST(OutputSafety, CorruptCheckpointIsRefusedWithoutHdf5Noise) {
  Scratch s;
  const std::string out = s.file("out");
  put(s.file("c.toml"), campaign(out, "", "steps = 6"));
  ASSERT_EQ(vitrum_cli("run -q --max-steps 3 " + s.file("c.toml")).status, 75);
  std::string ck = slurp(out + "/checkpoint.h5");
  // Damage the root group's object header (a few bytes after the superblock).
  for (std::size_t i = 96; i < 160 && i < ck.size(); i += 7) ck[i] = static_cast<char>(~ck[i]);
  put(s.file("bad.h5"), ck);
  const auto r = vitrum_cli("run -q --restart " + s.file("bad.h5") + " " + s.file("c.toml"));
  EXPECT_EQ(r.status, 1) << r.output;
  EXPECT_NE(r.output.find("bad.h5"), std::string::npos) << r.output;
  EXPECT_EQ(r.output.find("HDF5"), std::string::npos) << r.output;
  EXPECT_EQ(r.output.find("FL,FL"), std::string::npos) << r.output;
}

TEST(OutputSafety, MessagesNameFrameAtomsAndEscapeBinary) {
  Scratch s;
  put(s.file("c.toml"), campaign(s.file("out")));
  ASSERT_EQ(vitrum_cli("run -q " + s.file("c.toml")).status, 0);
  // NaN in the second frame of a trajectory: file, frame and atom named.
  auto frames = io::read_structures(s.file("out/trajectory.xyz"));
  ASSERT_GE(frames.size(), 2u);
  frames[1].positions[7].y = std::nan("");
  io::write_structures(s.file("nan.xyz"), frames);
  const auto nan = vitrum_cli("analyze " + s.file("nan.xyz") + " -o " + s.file("an"));
  EXPECT_EQ(nan.status, 1);
  EXPECT_NE(nan.output.find("nan.xyz frame 1: atom 7"), std::string::npos) << nan.output;
  // Two atoms on the same spot in a run's start structure: caught by the minimum-distance
  // check with their ids (not a NaN energy).
  Structure start = io::read_structures(s.file("out/final.xyz")).front();
  start.positions[3] = start.positions[11];
  io::write_structures(s.file("overlap.xyz"), {start});
  put(s.file("o.toml"), "[structure]\nfile = \"" + s.file("overlap.xyz") +
                            "\"\n[potential]\npath = \"" + test::source_dir() +
                            "/configs/potentials/SiO2-BKS.toml\"\n[output]\ndirectory = \"" +
                            s.file("o") + "\"\n[[stage]]\nensemble = \"nve\"\nsteps = 2\n");
  const auto overlap = vitrum_cli("run -q " + s.file("o.toml"));
  EXPECT_EQ(overlap.status, 1);
  EXPECT_NE(overlap.output.find("closer than min_distance"), std::string::npos) << overlap.output;
  EXPECT_TRUE(overlap.output.find("atoms 3 ") != std::string::npos ||
              overlap.output.find("atoms 11 ") != std::string::npos)
      << overlap.output;
  // Raw binary where a number belongs: escaped in the message, with the file and line.
  const std::string pot = s.file("pot");
  fs::copy(test::source_dir() + "/configs/potentials/SiO2-BKS", pot);
  std::string nn = slurp(pot + "/input.nn");
  const auto at = nn.find("global_hidden_layers_short");
  ASSERT_NE(at, std::string::npos);
  nn.replace(at, nn.find('\n', at) - at, "global_hidden_layers_short \x01\xff\x1b[31m");
  put(pot + "/input.nn", nn);
  const auto bin =
      vitrum_cli("predict -p " + pot + " -i " + s.file("out/final.xyz") + " -o " + s.file("p.xyz"));
  EXPECT_EQ(bin.status, 1);
  EXPECT_NE(bin.output.find("input.nn:"), std::string::npos) << bin.output;
  EXPECT_NE(bin.output.find("\\x01\\xff\\x1b[31m"), std::string::npos) << bin.output;
  for (char c : bin.output)
    EXPECT_TRUE(c == '\n' || static_cast<unsigned char>(c) >= 0x20) << static_cast<int>(c);
}

}  // namespace
