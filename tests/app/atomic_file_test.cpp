#include "geodes/app/atomic_file.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <string>
#include <vector>

#include "sample_results.hpp"

namespace geodes::app {
namespace {

using testing::ScratchDir;
using Strings = std::vector<std::string>;

std::string contents(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

TEST(AtomicFile, ATextFileIsWrittenExactly) {
  const ScratchDir dir("atomic_text");
  write_text_file_atomically(dir.file("summary.json"), "{\"a\": 1}\n");
  EXPECT_EQ(contents(dir.file("summary.json")), "{\"a\": 1}\n");
  EXPECT_EQ(dir.entries(), (Strings{"summary.json"}));
}

TEST(AtomicFile, AnExistingFileIsReplacedWhole) {
  const ScratchDir dir("atomic_replace");
  write_text_file_atomically(dir.file("f"), "a much longer first version");
  write_text_file_atomically(dir.file("f"), "short");
  EXPECT_EQ(contents(dir.file("f")), "short");
}

TEST(AtomicFile, TheWriterFillsATemporaryFileBesideTheTarget) {
  const ScratchDir dir("atomic_tmp");
  std::string seen;
  write_file_atomically(dir.file("out"), [&](const std::string& tmp) {
    seen = tmp;
    EXPECT_TRUE(std::filesystem::exists(tmp)) << "created empty before the writer runs";
    EXPECT_FALSE(std::filesystem::exists(dir.file("out"))) << "the target appears only at the end";
    std::ofstream(tmp) << "data";
  });
  EXPECT_EQ(seen, temporary_path_for(dir.file("out")));
  EXPECT_EQ(seen.rfind(dir.file("out.tmp-"), 0), 0u);
  EXPECT_EQ(contents(dir.file("out")), "data");
  EXPECT_EQ(dir.entries(), (Strings{"out"}));
}

TEST(AtomicFile, AWriterThatThrowsLeavesNothingAndTheOldFileIntact) {
  const ScratchDir dir("atomic_throw");
  write_text_file_atomically(dir.file("out"), "old");
  try {
    write_file_atomically(dir.file("out"), [](const std::string& tmp) {
      std::ofstream(tmp) << "half of the new cont";
      throw std::runtime_error("disk on fire");
    });
    FAIL() << "expected OutputError";
  } catch (const OutputError& e) {
    EXPECT_EQ(std::string(e.what()), "cannot write '" + dir.file("out") + "': disk on fire");
  }
  EXPECT_EQ(contents(dir.file("out")), "old");
  EXPECT_EQ(dir.entries(), (Strings{"out"}));
}

TEST(AtomicFile, ADirectoryThatVanishesMidwayIsAClearErrorAndLeavesNoFile) {
  const ScratchDir dir("atomic_vanish");
  const std::filesystem::path sub = dir.path() / "sub";
  std::filesystem::create_directory(sub);
  const std::string target = (sub / "out").string();
  try {
    write_file_atomically(target, [&](const std::string& tmp) {
      std::ofstream(tmp) << "data";
      std::filesystem::remove_all(sub);
    });
    FAIL() << "expected OutputError";
  } catch (const OutputError& e) {
    EXPECT_NE(std::string(e.what()).find("cannot write '" + target + "'"), std::string::npos)
        << e.what();
  }
  EXPECT_FALSE(std::filesystem::exists(target));
  EXPECT_TRUE(dir.entries().empty());
}

TEST(AtomicFile, ADirectoryTargetAndAnEmptyNameAreRefused) {
  const ScratchDir dir("atomic_dir");
  bool called = false;
  const auto writer = [&](const std::string&) { called = true; };
  EXPECT_THROW(write_file_atomically(dir.path().string(), writer), OutputError);
  EXPECT_THROW(write_file_atomically("", writer), OutputError);
  EXPECT_FALSE(called) << "refused before any work";
  EXPECT_TRUE(dir.entries().empty());
}

TEST(AtomicFile, AMissingDirectoryIsReportedWithTheSystemsReason) {
  const ScratchDir dir("atomic_missing");
  const std::string target = dir.file("missing/out.json");
  try {
    write_text_file_atomically(target, "x");
    FAIL() << "expected OutputError";
  } catch (const OutputError& e) {
    EXPECT_EQ(std::string(e.what()), "cannot write '" + target + "': No such file or directory");
  }
}

}  // namespace
}  // namespace geodes::app
