// torch.save archives of a state dict (open_clip_pytorch_model.bin): read without executing the
// pickle, equal to the same weights in safetensors, and every kind of bad file an error that
// names the file and the reason.
#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "base/error.h"
#include "engine/model_files.h"
#include "lab/random_init.h"
#include "model/clip_model.h"
#include "model/torch_archive.h"
#include "model/torch_pickle.h"
#include "support.h"
#include "torch_save.h"

namespace legrad {
namespace {

using test::error_of;

std::string pickle_error(const std::string& bytes) {
  return error_of([&] {
    parse_state_dict_pickle(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size(), "x.bin");
  });
}

TEST(TorchArchive, LoadsAsTheSameModelAsSafetensors) {
  const ClipConfig cfg = test::tiny_config();
  test::TempDir st, bin;
  test::write_tiny_model(st.path(), cfg);
  NamedTensors weights = random_clip_weights(cfg, 7);
  for (auto& [name, t] : weights) t = t.to(at::kHalf);  // as the hubs ship them
  test::write_torch_archive(bin.file("open_clip_pytorch_model.bin"),
                            test::state_dict_pickle(weights), weights);
  test::write_text(bin.file("open_clip_config.json"), clip_config_to_json(cfg));

  const ModelFiles files = locate_model_files(bin.path());
  EXPECT_EQ(files.format, WeightFormat::TorchArchive);
  EXPECT_EQ(files.layout(), "open_clip (torch.save archive, open_clip config)");
  const auto from_bin = load_clip_model(files, at::kCPU);
  const auto from_st = load_clip_model(locate_model_files(st.path()), at::kCPU);
  const at::Tensor pixels = at::rand({1, 3, 32, 32});
  // The archive holds the F16 rounding of the same values.
  EXPECT_TRUE(from_bin->encode_image(pixels).allclose(from_st->encode_image(pixels), 0, 2e-2));

  const TorchArchiveWeights archive(files.weights);
  EXPECT_EQ(archive.tensors().size(), weights.size());
  EXPECT_TRUE(archive.load(weights[0].first, at::kHalf).equal(weights[0].second));
}

TEST(TorchArchive, ViewsOfAStorageAreRead) {
  // Two tensors viewing one storage: a transposed view and an offset row.
  const at::Tensor storage = at::arange(12, at::kFloat);
  const std::string p = test::state_dict_pickle(
      {{"t", "0", at::kFloat, 12, 0, {4, 3}, {1, 4}}, {"row", "0", at::kFloat, 12, 4, {4}, {1}}});
  const auto parsed =
      parse_state_dict_pickle(reinterpret_cast<const uint8_t*>(p.data()), p.size(), "x.bin");
  ASSERT_EQ(parsed.size(), 2u);
  test::TempDir dir;
  test::write_torch_archive(dir.file("v.bin"), p, {{"0", storage}});
  const TorchArchiveWeights archive(dir.file("v.bin"));
  EXPECT_TRUE(archive.load("t", at::kFloat).equal(storage.view({3, 4}).t()));
  EXPECT_TRUE(archive.load("row", at::kFloat).equal(storage.narrow(0, 4, 4)));
}

TEST(TorchArchive, RefusesWhatAStateDictDoesNotNeed) {
  const NamedTensors one = {{"w", at::ones({2, 2})}};
  const std::string good = test::state_dict_pickle(one);
  EXPECT_EQ(pickle_error(good), "");

  std::string evil = good;
  evil.replace(evil.find("ctorch._utils\n_rebuild_tensor_v2\n"), 33, "cos\nsystem\n");
  EXPECT_NE(pickle_error(evil).find("os.system"), std::string::npos) << pickle_error(evil);
  EXPECT_NE(pickle_error(evil).find("nothing is executed"), std::string::npos);

  std::string inst = good;
  inst[2] = 'i';  // INST: constructs arbitrary classes
  EXPECT_NE(pickle_error(inst).find("opcode 0x69"), std::string::npos) << pickle_error(inst);

  for (size_t cut : {size_t{0}, size_t{1}, good.size() / 2, good.size() - 1})
    EXPECT_NE(pickle_error(good.substr(0, cut)), "") << "cut at " << cut;

  EXPECT_NE(pickle_error("\x80\x02K\x01.").find("not hold a state dict"), std::string::npos);
  EXPECT_NE(pickle_error("\x80\x02h\x05").find("memo entry 5"), std::string::npos);
  const std::string past = test::state_dict_pickle({{"w", "0", at::kFloat, 4, 1, {2, 2}, {2, 1}}});
  EXPECT_NE(pickle_error(past).find("past its storage"), std::string::npos) << pickle_error(past);
  // A broadcast view (stride 0) of a tiny storage would allocate without bound on load.
  const std::string wide =
      test::state_dict_pickle({{"w", "0", at::kFloat, 4, 0, {1 << 20, 1 << 20}, {0, 0}}});
  EXPECT_NE(pickle_error(wide).find("more elements than its storage"), std::string::npos)
      << pickle_error(wide);
  const std::string twice = test::state_dict_pickle(
      {{"w", "0", at::kFloat, 4, 0, {4}, {1}}, {"w", "0", at::kFloat, 4, 0, {2}, {1}}});
  EXPECT_NE(pickle_error(twice).find("names 'w' twice"), std::string::npos);
  const std::string long_name =
      test::state_dict_pickle({{std::string(5000, 'x'), "0", at::kFloat, 4, 0, {4}, {1}}});
  EXPECT_NE(pickle_error(long_name).find("longer than any name"), std::string::npos);
  std::string deep = "\x80\x02";
  for (int i = 0; i < 40; ++i) deep += "(";
  for (int i = 0; i < 40; ++i) deep += "t";
  EXPECT_NE(pickle_error(deep + ".").find("too deeply"), std::string::npos) << pickle_error(deep);
}

// The fuzz target's seeds are state dicts as torch.save writes them (protocols 2 and 4, memo,
// views of shared storages, the _metadata attribute): all read, so fuzzing starts from valid input.
TEST(TorchArchive, FuzzSeedsAreReadableStateDicts) {
  const char* corpus = std::getenv("LEGRAD_FUZZ_CORPUS");
  if (!corpus) GTEST_SKIP() << "LEGRAD_FUZZ_CORPUS is not set (run through meson test)";
  int seeds = 0;
  for (const auto& entry :
       std::filesystem::directory_iterator(std::string(corpus) + "/torch_pickle")) {
    std::ifstream in(entry.path(), std::ios::binary);
    const std::string bytes((std::istreambuf_iterator<char>(in)), {});
    EXPECT_EQ(pickle_error(bytes), "") << entry.path();
    ++seeds;
  }
  EXPECT_GE(seeds, 4);
}

TEST(TorchArchive, BadFilesNameTheFileAndTheReason) {
  test::TempDir dir;
  const NamedTensors one = {{"w", at::ones({2, 2})}};
  test::write_torch_archive(dir.file("good.bin"), test::state_dict_pickle(one), one);
  std::ifstream in(dir.file("good.bin"), std::ios::binary);
  const std::string bytes((std::istreambuf_iterator<char>(in)), {});

  test::write_text(dir.file("truncated.bin"), bytes.substr(0, bytes.size() / 2));
  EXPECT_NE(error_of([&] {
              TorchArchiveWeights w(dir.file("truncated.bin"));
            }).find("truncated.bin: not a readable torch.save zip archive"),
            std::string::npos);
  test::write_text(dir.file("legacy.bin"), std::string("\x80\x02\x8a\x0a", 4) + "rest");
  EXPECT_NE(error_of([&] { TorchArchiveWeights w(dir.file("legacy.bin")); }).find("legacy format"),
            std::string::npos);
  EXPECT_NE(error_of([&] { TorchArchiveWeights w(dir.file("absent.bin")); }).find("absent.bin"),
            std::string::npos);

  // The pickle names a storage record the archive lacks, or declares more than it holds.
  test::write_torch_archive(dir.file("missing.bin"), test::state_dict_pickle(one), {});
  const TorchArchiveWeights missing(dir.file("missing.bin"));
  EXPECT_NE(error_of([&] { missing.load("w", at::kFloat); }).find("data/0 is missing"),
            std::string::npos);
  test::write_torch_archive(dir.file("short.bin"), test::state_dict_pickle(one),
                            {{"w", at::ones({3})}});
  const TorchArchiveWeights short_record(dir.file("short.bin"));
  EXPECT_NE(error_of([&] { short_record.load("w", at::kFloat); }).find("fewer than the 4"),
            std::string::npos);

  // A tensor of the wrong shape for the config: the model names it.
  const ClipConfig cfg = test::tiny_config();
  NamedTensors weights = random_clip_weights(cfg, 7);
  weights[0].second = at::zeros({5});
  test::write_torch_archive(dir.file("open_clip_pytorch_model.bin"),
                            test::state_dict_pickle(weights), weights);
  test::write_text(dir.file("open_clip_config.json"), clip_config_to_json(cfg));
  const std::string shape =
      error_of([&] { load_clip_model(locate_model_files(dir.path()), at::kCPU); });
  EXPECT_NE(shape.find(weights[0].first), std::string::npos) << shape;
}

}  // namespace
}  // namespace legrad
