// Reading the files users hand over: whole, gzip or not, within a size limit, errors naming
// the file and what it should have been.
#include <gtest/gtest.h>
#include <zlib.h>

#include "base/error.h"
#include "base/file.h"
#include "support.h"

namespace legrad {
namespace {

using test::error_of;

TEST(File, ReadsWholeFilesPlainOrGzip) {
  test::TempDir dir;
  const std::string text(100000, 'x');
  test::write_text(dir.file("plain.txt"), text);
  EXPECT_EQ(read_file(dir.file("plain.txt"), "word list"), text);
  EXPECT_EQ(read_maybe_gzip(dir.file("plain.txt"), "word list"), text);
  gzFile gz = gzopen(dir.file("packed.gz").c_str(), "wb");
  gzwrite(gz, text.data(), static_cast<unsigned>(text.size()));
  gzclose(gz);
  EXPECT_EQ(read_maybe_gzip(dir.file("packed.gz"), "vocabulary"), text);
}

TEST(File, ErrorsNameTheFileAndWhatItShouldBe) {
  test::TempDir dir;
  EXPECT_NE(error_of([&] {
              read_file(dir.file("none"), "model config");
            }).find("none: cannot open model config"),
            std::string::npos);
  EXPECT_NE(error_of([&] { read_file(dir.path(), "prompts file"); }).find("is a folder"),
            std::string::npos);
  test::write_text(dir.file("big.txt"), std::string(5000, 'x'));
  EXPECT_NE(error_of([&] { read_file(dir.file("big.txt"), "word list", 4096); }).find("too large"),
            std::string::npos);
  EXPECT_NE(
      error_of([&] { read_maybe_gzip(dir.file("big.txt"), "word list", 4096); }).find("too large"),
      std::string::npos);
  test::write_text(dir.file("broken.gz"), std::string("\x1f\x8b\x08\x00garbage", 12));
  EXPECT_THROW(read_maybe_gzip(dir.file("broken.gz"), "vocabulary"), Error);
}

TEST(File, PathsAndFolders) {
  test::TempDir dir;
  test::write_text(dir.file("a.txt"), "a");
  EXPECT_TRUE(is_file(dir.file("a.txt")));
  EXPECT_FALSE(is_dir(dir.file("a.txt")));
  EXPECT_TRUE(is_dir(dir.path()));
  EXPECT_FALSE(is_file(dir.file("missing")));
  EXPECT_EQ(parent_dir("/models/clip/vocab.json"), "/models/clip");
  EXPECT_EQ(parent_dir("vocab.json"), ".");
  EXPECT_EQ(parent_dir("/vocab.json"), "/");
}

}  // namespace
}  // namespace legrad
