#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <fstream>

#include "base/error.h"
#include "model/safetensors.h"
#include "support.h"

namespace legrad {
namespace {

using test::TempDir;

// Writes header length (or `declared_len` when >= 0), the header text and `data_bytes` zeros.
std::string raw_file(const TempDir& dir, const std::string& header, size_t data_bytes,
                     int64_t declared_len = -1) {
  const std::string path = dir.file("raw.safetensors");
  std::ofstream out(path, std::ios::binary);
  const uint64_t n = declared_len >= 0 ? static_cast<uint64_t>(declared_len) : header.size();
  for (int i = 0; i < 8; ++i) out.put(static_cast<char>(n >> (8 * i)));
  out << header << std::string(data_bytes, '\0');
  return path;
}

// The error must name the file and, where given, the tensor.
void expect_error(const std::string& path, const std::string& needle,
                  const std::string& tensor = "") {
  try {
    SafetensorsFile file(path);
    FAIL() << "no error for a file that should fail with '" << needle << "'";
  } catch (const Error& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find(path), std::string::npos) << what;
    EXPECT_NE(what.find(needle), std::string::npos) << what;
    if (!tensor.empty()) {
      EXPECT_NE(what.find("'" + tensor + "'"), std::string::npos) << what;
    }
  }
}

TEST(Safetensors, RoundTripsEveryDtype) {
  TempDir dir;
  const std::string path = dir.file("t.safetensors");
  const at::Tensor f32 = at::randn({3, 4});
  const at::Tensor f16 = at::randn({5}).to(at::kHalf);
  const at::Tensor bf16 = at::randn({2, 2}).to(at::kBFloat16);
  const at::Tensor i64 = at::arange(7, at::kLong);
  const at::Tensor u8 = at::arange(6, at::kByte).view({1, 2, 3});
  const at::Tensor scalar = at::full({}, 2.5f);
  write_safetensors(
      path,
      {{"f32", f32}, {"f16", f16}, {"bf16", bf16}, {"i64", i64}, {"u8", u8}, {"scalar", scalar}},
      {{"producer", "test"}});
  SafetensorsFile file(path);
  EXPECT_EQ(file.tensors().size(), 6u);
  EXPECT_EQ(file.metadata().at("producer"), "test");
  EXPECT_TRUE(file.load("f32").equal(f32));
  EXPECT_TRUE(file.load("f16").equal(f16));
  EXPECT_TRUE(file.load("bf16").equal(bf16));
  EXPECT_TRUE(file.load("i64").equal(i64));
  EXPECT_TRUE(file.load("u8").equal(u8));
  EXPECT_EQ(file.load("scalar").item<float>(), 2.5f);
  // Conversion to the compute dtype on load.
  const at::Tensor up = file.load("f16", at::kFloat);
  EXPECT_EQ(up.scalar_type(), at::kFloat);
  EXPECT_TRUE(up.equal(f16.to(at::kFloat)));
}

TEST(Safetensors, LoadedTensorsOutliveTheFile) {
  TempDir dir;
  const std::string path = dir.file("t.safetensors");
  write_safetensors(path, {{"x", at::ones({4})}});
  at::Tensor x;
  {
    SafetensorsFile file(path);
    x = file.load("x");
  }
  std::remove(path.c_str());
  EXPECT_EQ(x.sum().item<float>(), 4.0f);
}

TEST(Safetensors, MissingFile) { expect_error("/nonexistent/model.safetensors", "cannot open"); }

TEST(Safetensors, FileTooSmallForHeaderLength) {
  TempDir dir;
  const std::string path = dir.file("short.safetensors");
  test::write_text(path, "abc");
  expect_error(path, "too small");
}

TEST(Safetensors, TruncatedData) {
  TempDir dir;
  const std::string path = dir.file("t.safetensors");
  write_safetensors(path, {{"a", at::ones({16})}, {"b", at::ones({16})}});
  std::ifstream in(path, std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), {});
  test::write_text(path, bytes.substr(0, bytes.size() - 10));
  expect_error(path, "past the end", "b");
}

TEST(Safetensors, HeaderLengthPastEndOfFile) {
  TempDir dir;
  expect_error(raw_file(dir, "{}", 0, 1000), "runs past the end");
}

TEST(Safetensors, OversizedHeaderLength) {
  TempDir dir;
  expect_error(raw_file(dir, "{}", 0, int64_t{1} << 40), "exceeds the limit");
}

TEST(Safetensors, ZeroHeaderLength) {
  TempDir dir;
  expect_error(raw_file(dir, "", 16, 0), "zero");
}

TEST(Safetensors, BadJson) {
  TempDir dir;
  expect_error(raw_file(dir, R"({"a": {"dtype": "F32", )", 0), "not well-formed JSON");
  expect_error(raw_file(dir, R"([1, 2])", 0), "not a JSON object");
}

TEST(Safetensors, OffsetsPastEnd) {
  TempDir dir;
  expect_error(
      raw_file(dir, R"({"w": {"dtype": "F32", "shape": [4], "data_offsets": [0, 16]}})", 8),
      "past the end", "w");
}

TEST(Safetensors, ReversedOffsets) {
  TempDir dir;
  expect_error(raw_file(dir, R"({"w": {"dtype": "U8", "shape": [0], "data_offsets": [8, 4]}})", 8),
               "reversed", "w");
}

TEST(Safetensors, OverlappingTensors) {
  TempDir dir;
  expect_error(raw_file(dir,
                        R"({"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]},
                            "b": {"dtype": "F32", "shape": [2], "data_offsets": [4, 12]}})",
                        12),
               "overlaps", "b");
}

TEST(Safetensors, DtypeShapeDisagreement) {
  TempDir dir;
  expect_error(
      raw_file(dir, R"({"w": {"dtype": "F16", "shape": [3], "data_offsets": [0, 12]}})", 12),
      "needs 6", "w");
}

TEST(Safetensors, UnsupportedDtypeAndBadFields) {
  TempDir dir;
  expect_error(raw_file(dir, R"({"w": {"dtype": "C64", "shape": [1], "data_offsets": [0, 8]}})", 8),
               "unsupported dtype", "w");
  expect_error(
      raw_file(dir, R"({"w": {"dtype": "F32", "shape": [-1], "data_offsets": [0, 4]}})", 4),
      "non-negative", "w");
  expect_error(raw_file(dir, R"({"w": {"dtype": "F32", "shape": [1]}})", 4), "data_offsets", "w");
  expect_error(raw_file(dir, R"({"w": {"dtype": "F32", "shape": [4294967296, 4294967296, 16],
                                       "data_offsets": [0, 4]}})",
                        4),
               "overflows", "w");
  expect_error(raw_file(dir, R"({"__metadata__": {"k": 1}})", 0), "__metadata__");
}

TEST(Safetensors, MissingTensorNamesFileAndTensor) {
  TempDir dir;
  const std::string path = dir.file("t.safetensors");
  write_safetensors(path, {{"present", at::ones({1})}});
  SafetensorsFile file(path);
  try {
    file.load("visual.proj");
    FAIL();
  } catch (const Error& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find(path), std::string::npos);
    EXPECT_NE(what.find("'visual.proj' is missing"), std::string::npos) << what;
  }
}

}  // namespace
}  // namespace legrad
