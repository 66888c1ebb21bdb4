// legrad: command-line front end of the core library.
#include <cstdio>
#include <cstring>
#include <exception>

#include <string>

#include "base/error.h"
#include "commands.h"
#include "explain/legrad.h"
#include "explain/methods.h"
#include "heatmap/colormap.h"
#include "heatmap/drawing.h"

namespace legrad::cli {
namespace {

// The usage text; lists and defaults come from the core's tables and constants.
std::string usage() {
  const std::string layer = std::to_string(kDefaultLayerIndex);
  char alpha[16];
  std::snprintf(alpha, sizeof alpha, "%g", kDefaultAlpha);
  return std::string(
      "usage: legrad COMMAND [options]\n"
      "\n"
      "  explain [--model DIR|FILE] --prompts \"a cat;a remote control\" [--size S]\n"
      "          [--method " +
      method_names("|") +
      "]\n"
      "          [--layer-index " +
      layer +
      "] [--device cpu|cuda|cuda:N] [--vocab FILE]\n"
      "          [--colormap " +
      colormap_names("|") + "] [--alpha " + alpha +
      "] [--threads N]\n"
      "          --out PREFIX IMAGE\n"
      "      Writes PREFIX_<i>_<prompt>.png overlays and PREFIX_heatmaps.safetensors,\n"
      "      prints each prompt's presence score.\n"
      "  golden CASE_DIR [--vocab FILE] [--dtype fp32|bf16|fp16] [--device cpu|cuda]\n"
      "      Compares against a case made by the official implementation (reduced precision:\n"
      "      heatmap correlation with the reference instead of float tolerances).\n"
      "  golden --tokenizer-cases FILE.json --vocab FILE\n"
      "      Runs every tokenizer case (exact match).\n"
      "  tokenize --vocab FILE [--strings] TEXT...\n"
      "      Prints the 77 token ids of each text (or the BPE token strings).\n"
      "  bench (--arch ViT-B-32|ViT-B-16|ViT-L-14|ViT-H-14|ViT-bigG-14 | --model PATH)\n"
      "        [--size S] [--prompts P] [--iters 10] [--warmup 2] [--device cpu|cuda[:N]]\n"
      "        [--dtype fp32|fp16|bf16] [--threads N] [--layer-index " +
      layer +
      "]\n"
      "        [--no-cuda-graph] [--json]\n"
      "      Times LeGrad per frame (random weights for --arch); --json ends with one JSON line.\n"
      "  train-toy --out DIR [--steps 9000] [--batch 32] [--seed 1] [--size 64] [--threads N]\n"
      "            [--workers N] [--lr 2e-3] [--mean-token-weight 1] [--init DIR]\n"
      "            [--patch-weight 0] [--value-patch-weight 0]\n"
      "            [--value-patch-targets quarter|coverage] [--value-patch-readout whole|heads]\n"
      "            [--min-items 1] [--max-items 3] [--device cpu|cuda[:N]]\n"
      "            [--data /usr/share/datasets/fashion-mnist]\n"
      "      Trains the project's small CLIP on Fashion-MNIST scenes (deterministic for a seed).\n"
      "  evaluate [--model DIR] [--scenes 500] [--seed 1000] [--layer-index " +
      layer +
      "]\n"
      "           [--threads N] [--json]\n"
      "           [--methods " +
      kDefaultEvaluatedMethods +
      "]\n"
      "      Localisation benchmark on held-out Fashion-MNIST scenes with item masks.\n"
      "  scenes --out PREFIX [--count 8 | --frames N [--scene I]] [--seed 1] [--size 64] [--test]\n"
      "      Writes generated scenes (or the frames of one moving scene) as PREFIX_NNNN.png\n"
      "      and lists their items.\n");
}

}  // namespace
}  // namespace legrad::cli

int main(int argc, char** argv) {
  if (argc < 2 || !std::strcmp(argv[1], "--help") || !std::strcmp(argv[1], "-h")) {
    std::fputs(legrad::cli::usage().c_str(), argc < 2 ? stderr : stdout);
    return argc < 2 ? 2 : 0;
  }
  const char* command = argv[1];
  try {
    if (!std::strcmp(command, "explain")) return legrad::cli::explain_command(argc - 2, argv + 2);
    if (!std::strcmp(command, "golden")) return legrad::cli::golden_command(argc - 2, argv + 2);
    if (!std::strcmp(command, "tokenize")) return legrad::cli::tokenize_command(argc - 2, argv + 2);
    if (!std::strcmp(command, "bench")) return legrad::cli::bench_command(argc - 2, argv + 2);
    if (!std::strcmp(command, "scenes")) return legrad::cli::scenes_command(argc - 2, argv + 2);
    if (!std::strcmp(command, "evaluate")) return legrad::cli::evaluate_command(argc - 2, argv + 2);
    if (!std::strcmp(command, "train-toy"))
      return legrad::cli::train_toy_command(argc - 2, argv + 2);
    std::fprintf(stderr, "legrad: unknown command '%s'\n\n%s", command,
                 legrad::cli::usage().c_str());
    return 2;
  } catch (const legrad::Error& e) {
    std::fprintf(stderr, "legrad %s: %s\n", command, e.what());
    return 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "legrad %s: internal error: %s\n", command, e.what());
    return 1;
  }
}
