// Runs the built `legrad` executable (path from $LEGRAD_CLI) as a user would.
#include <gtest/gtest.h>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <memory>

#include <nlohmann/json.hpp>

#include "lab/fashion_mnist.h"
#include "model/safetensors.h"
#include "support.h"

namespace legrad {
namespace {

struct CliResult {
  int status;
  std::string output;
};

CliResult run_cli(const std::string& args) {
  const char* cli = std::getenv("LEGRAD_CLI");
  const std::string cmd = std::string(cli ? cli : "legrad") + " " + args + " 2>&1";
  std::unique_ptr<FILE, int (*)(FILE*)> pipe(popen(cmd.c_str(), "r"), pclose);
  std::string out;
  std::array<char, 4096> buf{};
  while (fgets(buf.data(), buf.size(), pipe.get())) out += buf.data();
  const int status = pclose(pipe.release());
  return {WEXITSTATUS(status), out};
}

// The JSON object a command prints last (with --json).
nlohmann::json last_json_line(std::string out) {
  while (!out.empty() && out.back() == '\n') out.pop_back();
  return nlohmann::json::parse(out.substr(out.rfind('\n') + 1));
}

TEST(Cli, ExplainWritesOverlaysAndHeatmaps) {
  test::TempDir dir;
  test::write_tiny_model(dir.path(), test::tiny_config());
  const at::Tensor picture = test::test_picture(45, 61);
  cv::Mat rgb(45, 61, CV_8UC3, picture.data_ptr<uint8_t>()), bgr;
  cv::cvtColor(rgb, bgr, cv::COLOR_RGB2BGR);
  ASSERT_TRUE(cv::imwrite(dir.file("in.png"), bgr));
  const CliResult r =
      run_cli("explain --model " + dir.path() + " --prompts 'a cat; a red dog' --size 48 --out " +
              dir.file("out") + " " + dir.file("in.png"));
  ASSERT_EQ(r.status, 0) << r.output;
  EXPECT_NE(r.output.find("a red dog"), std::string::npos) << r.output;
  const cv::Mat overlay = cv::imread(dir.file("out_1_a-red-dog.png"));
  EXPECT_EQ(overlay.cols, 61);
  EXPECT_EQ(overlay.rows, 45);
  SafetensorsFile heat(dir.file("out_heatmaps.safetensors"));
  EXPECT_EQ(heat.find("heatmaps")->shape, (std::vector<int64_t>{2, 48, 48}));
  EXPECT_EQ(heat.metadata().at("prompts"), "a cat;a red dog");
}

TEST(Cli, BenchPrintsFiguresAndEndsWithJson) {
  test::TempDir dir;
  test::write_tiny_model(dir.path(), test::tiny_config());
  const CliResult r = run_cli("bench --model " + dir.path() +
                              " --prompts 3 --iters 2 --warmup 1 --threads 1 --json");
  ASSERT_EQ(r.status, 0) << r.output;
  const nlohmann::json j = last_json_line(r.output);
  for (const char* key : {"median_ms", "min_ms", "fps", "peak_rss_mb"})
    EXPECT_TRUE(j[key].is_number()) << key;
  EXPECT_EQ(j["prompts"], 3);
  EXPECT_EQ(j["threads"], 1);
  EXPECT_GT(j["breakdown_ms"]["forward"].get<double>(), 0.0);
  EXPECT_NE(r.output.find("breakdown"), std::string::npos);
  EXPECT_GT(j["forward_gflop"].get<double>(), 0.0);
  EXPECT_GT(j["forward_gflops"].get<double>(), 0.0);
  EXPECT_GT(j["matmul_gflops"].get<double>(), 0.0);
  EXPECT_EQ(run_cli("bench --arch ViT-Q-99").status, 1);
  EXPECT_EQ(run_cli("bench --model " + dir.path() + " --dtype fp16").status, 1);
}

TEST(Cli, BenchProfilesOperatorsByPart) {
  test::TempDir dir;
  test::write_tiny_model(dir.path(), test::tiny_config());
  const CliResult r =
      run_cli("bench --model " + dir.path() + " --iters 1 --warmup 0 --threads 1 --profile 2");
  ASSERT_EQ(r.status, 0) << r.output;
  EXPECT_NE(r.output.find("profile (2 frames"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("legrad::forward      aten::"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("legrad::gradients    aten::"), std::string::npos) << r.output;
}

TEST(Cli, BenchWritesItsRandomModelForTheElement) {
  test::TempDir dir;
  const CliResult w = run_cli("bench --arch ViT-B-32 --write-model " + dir.file("b32"));
  ASSERT_EQ(w.status, 0) << w.output;
  const CliResult r = run_cli("bench --model " + dir.file("b32") +
                              " --size 64 --iters 1 --warmup 0 --threads 1 --json");
  ASSERT_EQ(r.status, 0) << r.output;
  EXPECT_EQ(last_json_line(r.output)["size"], 64);
  EXPECT_EQ(run_cli("bench --model " + dir.file("b32") + " --write-model x").status, 1);
}

// SigLIP without a tokenizer: the bench's correction text is one more random vector.
TEST(Cli, BenchRunsSiglipModels) {
  test::TempDir dir;
  test::write_tiny_model(dir.path(), test::tiny_siglip_config());
  const CliResult r = run_cli("bench --model " + dir.path() +
                              " --prompts 2 --iters 1 --warmup 0 --threads 1 --json");
  ASSERT_EQ(r.status, 0) << r.output;
  EXPECT_GT(last_json_line(r.output)["breakdown_ms"]["gradients"].get<double>(), 0.0);
  const CliResult streams = run_cli("bench --model " + dir.path() +
                                    " --streams 2 --batch 2 --iters 2 --threads 1 --json");
  ASSERT_EQ(streams.status, 0) << streams.output;
}

TEST(Cli, TrainsAndEvaluatesAToyModel) {
  REQUIRE_FASHION_MNIST();
  test::TempDir dir;
  const std::string model = dir.file("model");
  CliResult r =
      run_cli("train-toy --out " + model +
              " --steps 2 --batch 4 --workers 2 --min-items 2 --max-items 4 --value-patch-weight 1 "
              "--value-patch-targets coverage --value-patch-readout heads");
  ASSERT_EQ(r.status, 0) << r.output;
  std::ifstream record_file(model + "/training.json");
  const nlohmann::json record = nlohmann::json::parse(record_file);
  EXPECT_EQ(record["workers"], 2);
  EXPECT_EQ(record["threads"], 1);  // workers compute on one thread each unless told otherwise
  EXPECT_EQ(record["recipe"]["steps"], 2);
  EXPECT_EQ(record["recipe"]["scenes"]["items"], nlohmann::json::array({2, 4}));
  EXPECT_EQ(record["recipe"]["value_patch_weight"], 1.0);
  EXPECT_EQ(record["recipe"]["value_patch_targets"], "coverage");
  EXPECT_EQ(record["recipe"]["value_patch_readout"], "heads");
  EXPECT_EQ(run_cli("train-toy --out " + model + " --value-patch-targets half").status, 1);
  EXPECT_EQ(run_cli("train-toy --out " + model + " --value-patch-readout rows").status, 1);

  r = run_cli("evaluate --model " + model +
              " --scenes 3 --methods legrad,rollout --size 128 --json --per-class");
  ASSERT_EQ(r.status, 0) << r.output;
  const nlohmann::json j = last_json_line(r.output);
  for (const char* method : {"legrad", "rollout"})
    for (const char* key :
         {"pixel_acc", "miou", "map", "pointing_game", "pointing_other", "pointing_near"}) {
      const double v = j[method][key].get<double>();
      EXPECT_GE(v, 0.0) << method << " " << key;
      EXPECT_LE(v, 1.0) << method << " " << key;
    }
  EXPECT_TRUE(j["legrad"]["class_sensitivity"].is_number());
  // Per class: the items add up to the set, each share weighted by its items to the total.
  int items = 0;
  double on_item = 0;
  for (const auto& [name, c] : j["legrad"]["by_class"].items()) {
    items += c["items"].get<int>();
    on_item += c["items"].get<int>() * c["pointing_game"].get<double>();
    EXPECT_NE(c["closest_prompt"], name);
    EXPECT_LE(c["closest_similarity"].get<double>(), 1.0 + 1e-6);
  }
  EXPECT_EQ(j["legrad"]["by_class"].size(), static_cast<size_t>(kFashionClassCount));
  EXPECT_NEAR(on_item / items, j["legrad"]["pointing_game"].get<double>(), 1e-9);
  EXPECT_NE(r.output.find("legrad by the prompted item's class:"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("ankle boot"), std::string::npos) << r.output;

  r = run_cli("evaluate --model " + model + " --scenes 1 --size 100");
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.output.find("multiple of the patch size"), std::string::npos) << r.output;
  r = run_cli("train-toy --out " + dir.file("other") + " --steps 1 --batch 2 --workers 3");
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.output.find("workers"), std::string::npos) << r.output;
  const std::string classes = std::to_string(kFashionClassCount);
  r = run_cli("train-toy --out " + dir.file("other") + " --steps 1 --batch 2 --max-items " +
              std::to_string(kFashionClassCount + 1));
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.output.find("max_items <= " + classes), std::string::npos) << r.output;
}

// Every command explains itself with --help or -h (exit 0), with the options it accepts.
// --perturbation adds each method's accuracy curves and their areas, and a random-map baseline.
TEST(Cli, EvaluatesPerturbation) {
  REQUIRE_FASHION_MNIST();
  const CliResult r = run_cli("evaluate --scenes 2 --methods legrad --perturbation --json");
  ASSERT_EQ(r.status, 0) << r.output;
  const nlohmann::json j = last_json_line(r.output);
  for (const char* method : {"legrad", "random"}) {
    const nlohmann::json& m = j.at(method);
    for (const char* curve : {"perturbation_positive", "perturbation_negative"}) {
      const auto accuracy = m.at(curve).get<std::vector<double>>();
      ASSERT_EQ(accuracy.size(), 9u) << method << " " << curve;
      double area = 0;
      for (size_t i = 0; i + 1 < accuracy.size(); ++i)
        area += 0.05 * (accuracy[i] + accuracy[i + 1]);
      EXPECT_NEAR(m.at(std::string(curve) + "_auc").get<double>(), area, 1e-9);
      for (double a : accuracy) {
        EXPECT_GE(a, 0.0);
        EXPECT_LE(a, 100.0);
      }
    }
    EXPECT_NEAR(m.at("perturbation_fractions").back().get<double>(), 0.9, 1e-12);
  }
  EXPECT_NE(r.output.find("pos_auc"), std::string::npos) << r.output;
}

TEST(Cli, EveryCommandHasHelp) {
  const std::map<std::string, std::vector<std::string>> options = {
      {"explain",
       {"--model", "--prompts", "--out", "--method", "--colormap", "--alpha", "--vocab"}},
      {"golden", {"--vocab", "--dtype", "--device", "--tokenizer-cases", "--weights"}},
      {"info", {"MODEL", "--vocab"}},
      {"convert", {"MODEL", "OUT_DIR", "--vocab", "--dtype"}},
      {"tokenize", {"--vocab", "--context-length", "--strings"}},
      {"bench", {"--arch", "--model", "--prompts", "--dtype", "--no-cuda-graph", "--json"}},
      {"train-toy",
       {"--out", "--weight-decay", "--start", "--mean-token-blocks", "--workers", "--scene-threads",
        "--value-patch-readout"}},
      {"evaluate", {"--size", "--per-class", "--perturbation", "--methods", "--data", "--device"}},
      {"scenes", {"--out", "--frames", "--scene", "--test", "--data"}},
  };
  for (const auto& [command, names] : options) {
    for (const char* flag : {"--help", "-h"}) {
      const CliResult r = run_cli(command + " " + flag);
      EXPECT_EQ(r.status, 0) << command << " " << flag << ": " << r.output;
      EXPECT_EQ(r.output.rfind("usage: legrad " + command, 0), 0u) << r.output;
      for (const std::string& name : names)
        EXPECT_NE(r.output.find(name), std::string::npos) << command << " lacks " << name;
    }
  }
  const CliResult all = run_cli("--help");
  EXPECT_EQ(all.status, 0);
  for (const auto& [command, names] : options)
    EXPECT_NE(all.output.find("  " + command + " "), std::string::npos) << command;
}

// The word list of a small model is a vocabulary too.
TEST(Cli, TokenizeReadsWordLists) {
  test::TempDir dir;
  test::write_text(dir.file("words.txt"), "a\ncat\n");
  const CliResult r =
      run_cli("tokenize --context-length 6 --vocab " + dir.file("words.txt") + " 'a cat'");
  EXPECT_EQ(r.status, 0) << r.output;
  EXPECT_EQ(r.output, "3 1 2 4 0 0\n");
}

TEST(Cli, ErrorsAreMessagesNotCrashes) {
  test::TempDir dir;
  CliResult r = run_cli("explain --model " + dir.file("missing") + " --prompts x --out " +
                        dir.file("o") + " x.png");
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.output.find("model not found"), std::string::npos) << r.output;
  r = run_cli("explain --bogus 1");
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.output.find("unknown option --bogus"), std::string::npos) << r.output;
  r = run_cli("frobnicate");
  EXPECT_EQ(r.status, 2);
}

TEST(Cli, GoldenRunnerReportsAndExitsZero) {
  const std::string golden = test::golden_dir();
  if (golden.empty()) GTEST_SKIP() << "../shared/golden is absent: CLI golden run skipped";
  const CliResult r = run_cli("golden " + golden + "/vit_p16_224");
  EXPECT_EQ(r.status, 0) << r.output;
  EXPECT_NE(r.output.find("11 passed, 0 failed"), std::string::npos) << r.output;
  const CliResult bf16 = run_cli("golden " + golden + "/vit_p16_448 --dtype bf16");
  EXPECT_EQ(bf16.status, 0) << bf16.output;
  const CliResult t =
      run_cli("tokenize --vocab " + golden + "/bpe_simple_vocab_16e6.txt.gz 'a photo of a cat'");
  EXPECT_EQ(t.output.substr(0, 37), "49406 320 1125 539 320 2368 49407 0 0");
}

// `golden --weights`: the case's weights in every downloadable layout pass the case's checks.
TEST(Cli, GoldenPassesWithTheWeightsInEveryLayout) {
  const std::string golden = test::golden_dir();
  if (golden.empty()) GTEST_SKIP() << "../shared/golden is absent: CLI golden run skipped";
  const std::pair<const char*, const char*> layouts[] = {
      {"vit_p16_224", "vit_p16_224/open_clip_hf"},
      {"vit_p16_224", "vit_p16_224/openai_jit/model.pt"},
      {"vit_p16_224", "vit_p16_224/hf_transformers"},
      {"siglip_p16_224", "siglip_p16_224/open_clip_hf"},
      {"siglip_p16_224", "siglip_p16_224/hf_transformers"},
  };
  for (const auto& [case_name, weights] : layouts) {
    const CliResult r = run_cli("golden " + golden + "/" + case_name + " --weights " + golden +
                                "/formats/" + weights);
    EXPECT_EQ(r.status, 0) << weights << ": " << r.output;
    EXPECT_NE(r.output.find(" passed, 0 failed"), std::string::npos) << r.output;
  }
}

// `info` names what it found; `convert` writes open_clip's layout holding the same weights
// (the converted folder passes the golden case in turn) and the tokenizer beside them.
TEST(Cli, InfoDescribesAndConvertWritesOpenClipFolders) {
  const std::string golden = test::golden_dir();
  if (golden.empty()) GTEST_SKIP() << "../shared/golden is absent: CLI convert skipped";
  const std::string hf = golden + "/formats/siglip_p16_224/hf_transformers";
  CliResult r = run_cli("info " + hf);
  EXPECT_EQ(r.status, 0) << r.output;
  for (const char* want : {"Hugging Face transformers (safetensors)", "family:      SigLIP",
                           "attention-pool head", "parameters:  0.68 M", "bias -10"})
    EXPECT_NE(r.output.find(want), std::string::npos) << want << " in " << r.output;

  test::TempDir dir;
  r = run_cli("convert " + hf + " " + dir.file("siglip"));
  EXPECT_EQ(r.status, 0) << r.output;
  r = run_cli("golden " + golden + "/siglip_p16_224 --weights " + dir.file("siglip"));
  EXPECT_NE(r.output.find("17 passed, 0 failed"), std::string::npos) << r.output;
  r = run_cli("info " + dir.file("siglip"));
  EXPECT_NE(r.output.find("open_clip (safetensors, open_clip config)"), std::string::npos)
      << r.output;

  const std::string pt = golden + "/formats/vit_p16_224/openai_jit/model.pt";
  r = run_cli("convert " + pt + " " + dir.file("openai") + " --dtype fp16 --vocab " + golden +
              "/bpe_simple_vocab_16e6.txt.gz");
  EXPECT_EQ(r.status, 0) << r.output;
  r = run_cli("info " + dir.file("openai"));
  // The archive's own heads and activation (not OpenAI's width / 64 and QuickGELU).
  for (const char* want : {"activation:  gelu", "heads 4 (head width 16)", "CLIP BPE ("})
    EXPECT_NE(r.output.find(want), std::string::npos) << want << " in " << r.output;
  r = run_cli("golden " + golden + "/vit_p16_224 --weights " + dir.file("openai"));
  EXPECT_NE(r.output.find("11 passed, 0 failed"), std::string::npos) << r.output;

  r = run_cli("convert " + dir.file("absent") + " " + dir.file("x"));
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.output.find("model not found"), std::string::npos) << r.output;
  r = run_cli("convert " + pt + " " + dir.file("y") + " --dtype fp8");
  EXPECT_NE(r.output.find("unknown dtype 'fp8'"), std::string::npos) << r.output;
}

}  // namespace
}  // namespace legrad
