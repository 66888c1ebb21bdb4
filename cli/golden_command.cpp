#include <cstdio>

#include "args.h"
#include "base/device.h"
#include "base/error.h"
#include "commands.h"
#include "engine/model_files.h"
#include "lab/golden.h"

namespace legrad::cli {

std::string golden_usage() {
  return usage_lines({
      "golden CASE_DIR [--weights PATH] [--vocab FILE] [--dtype fp32|bf16|fp16] [--device " +
          std::string(kDefaultDevice) + "|cuda]",
      "    Compares against a case made by the official implementation (reduced precision:",
      "    heatmap correlation with the reference instead of float tolerances). --weights: the",
      "    case's weights in another layout (a .bin, .pt, transformers folder...) instead of its",
      "    model.safetensors; the architecture and settings stay the case's.",
      "golden --tokenizer-cases FILE.json --vocab FILE",
      "    Runs every tokenizer case (exact match).",
  });
}

int golden_command(int argc, char** argv) {
  const Args args(argc, argv, {"vocab", "tokenizer-cases", "dtype", "device", "weights"});
  GoldenReport report;
  if (args.has("tokenizer-cases")) {
    if (!args.has("vocab")) throw Error("--tokenizer-cases needs --vocab FILE");
    report = run_tokenizer_cases(args.get("tokenizer-cases"), args.get("vocab"));
  } else {
    if (args.positional().size() != 1) throw Error("give one case folder (or --tokenizer-cases)");
    if (args.has("weights")) {
      const ModelFiles files = locate_model_files(args.get("weights"));
      std::printf("weights: %s (%s)\n", files.weights.c_str(), files.layout().c_str());
    }
    report = run_golden_case(args.positional()[0], args.get("vocab"), args.get("dtype", "fp32"),
                             args.get("device", kDefaultDevice), args.get("weights"));
  }
  for (const auto& c : report.checks)
    std::printf("%-4s  %-44s  %s\n", c.passed ? "ok" : "FAIL", c.name.c_str(), c.detail.c_str());
  std::printf("%d passed, %d failed\n", report.passed(), report.failed());
  return report.failed() == 0 ? 0 : 1;
}

}  // namespace legrad::cli
