#include <ATen/Parallel.h>
#include <torch/version.h>

#include <cstdio>
#include <nlohmann/json.hpp>
#include <string>

#include "args.h"
#include "base/device.h"
#include "base/error.h"
#include "commands.h"
#include "lab/fashion_mnist.h"
#include "lab/toy_training.h"

namespace legrad::cli {
namespace {

void print_progress(const TrainingProgress& p) {
  constexpr int kWidth = 30;
  const int filled = p.step * kWidth / p.steps;
  const double eta = p.seconds / p.step * (p.steps - p.step);
  std::fprintf(stderr, "\rtraining [%s%s] %d/%d  loss %.4f  %.0f s, %.0f s to go ",
               std::string(filled, '#').c_str(), std::string(kWidth - filled, '.').c_str(), p.step,
               p.steps, p.loss, p.seconds, eta);
  if (p.step == p.steps) std::fprintf(stderr, "\n");
}

}  // namespace

std::string train_toy_usage() {
  const ToyRecipe r;
  return usage_lines({
      "train-toy --out DIR [--steps " + std::to_string(r.steps) + "] [--batch " +
          std::to_string(r.batch) + "] [--seed " + std::to_string(r.seed) + "] [--size " +
          std::to_string(r.scenes.size) + "]",
      "          [--lr " + number(r.lr) + "] [--weight-decay " + number(r.weight_decay) +
          "] [--start random|sincos|mimetic] [--init DIR]",
      "          [--mean-token-weight " + number(r.mean_token_weight) + "] [--mean-token-blocks " +
          std::to_string(r.mean_token_blocks) + "] [--patch-weight " + number(r.patch_weight) + "]",
      "          [--value-patch-weight " + number(r.value_patch_weight) +
          "] [--value-patch-targets quarter|coverage]",
      "          [--value-patch-readout whole|heads] [--min-items " +
          std::to_string(r.scenes.min_items) + "] [--max-items " +
          std::to_string(r.scenes.max_items) + "]",
      "          [--workers " + std::to_string(r.workers) + "] [--threads N] [--scene-threads " +
          std::to_string(r.scene_threads) + "] [--device " + std::string(kDefaultDevice) +
          "|cuda[:N]]",
      "          [--data " + std::string(kFashionMnistDir) + "]",
      "    Trains the project's small CLIP on Fashion-MNIST scenes (deterministic for a seed).",
  });
}

namespace {

ToyRecipe recipe_from(const Args& args) {
  ToyRecipe recipe;
  recipe.workers = args.get_int("workers", recipe.workers);
  recipe.steps = args.get_int("steps", recipe.steps);
  recipe.batch = args.get_int("batch", recipe.batch);
  recipe.seed = static_cast<uint64_t>(args.get_int("seed", static_cast<int>(recipe.seed)));
  recipe.scenes = SceneOptions::for_size(args.get_int("size", recipe.scenes.size));
  recipe.scenes.min_items = args.get_int("min-items", recipe.scenes.min_items);
  recipe.scenes.max_items = args.get_int("max-items", recipe.scenes.max_items);
  recipe.lr = args.get_double("lr", recipe.lr);
  recipe.mean_token_weight = args.get_double("mean-token-weight", recipe.mean_token_weight);
  recipe.mean_token_blocks = args.get_int("mean-token-blocks", recipe.mean_token_blocks);
  recipe.patch_weight = args.get_double("patch-weight", recipe.patch_weight);
  recipe.value_patch_weight = args.get_double("value-patch-weight", recipe.value_patch_weight);
  if (args.has("value-patch-targets"))
    recipe.value_patch_targets = parse_value_targets(args.get("value-patch-targets"));
  const std::string readout = args.get("value-patch-readout", "whole");
  if (readout != "whole" && readout != "heads")
    throw Error("unknown value-patch readout '" + readout + "' (whole, heads)");
  recipe.value_patch_per_head = readout == "heads";
  recipe.weight_decay = args.get_double("weight-decay", recipe.weight_decay);
  recipe.device = parse_device(args.get("device", kDefaultDevice));
  recipe.scene_threads = args.get_int("scene-threads", recipe.scene_threads);
  recipe.init = args.get("init");
  if (args.has("start")) recipe.start = parse_toy_start(args.get("start"));
  return recipe;
}

// What the model folder records of how it was made.
nlohmann::ordered_json training_record(const std::string& command, const ToyRecipe& recipe,
                                       const std::string& data_dir, const ToyModel& model) {
  return {{"command", command},
          {"recipe",
           {{"seed", recipe.seed},
            {"steps", recipe.steps},
            {"batch", recipe.batch},
            {"lr", recipe.lr},
            {"weight_decay", recipe.weight_decay},
            {"warmup_steps", recipe.warmup_steps},
            {"mean_token_weight", recipe.mean_token_weight},
            {"mean_token_blocks", recipe.mean_token_blocks},
            {"patch_weight", recipe.patch_weight},
            {"value_patch_weight", recipe.value_patch_weight},
            {"value_patch_targets", value_targets_name(recipe.value_patch_targets)},
            {"value_patch_readout", recipe.value_patch_per_head ? "heads" : "whole"},
            {"start", recipe.init.empty() ? toy_start_name(recipe.start) : "init"},
            {"init", recipe.init},
            {"loss",
             "sigmoid image-text loss over the ten class prompts (SigLIP-style), on the "
             "class token, plus mean_token_weight times the same loss on the mean of the "
             "tokens after each of the last mean_token_blocks blocks, plus patch_weight "
             "times it on each patch token there against the items covering a quarter of "
             "its patch, plus value_patch_weight times it on each patch's value vector in "
             "those blocks' attention (through out_proj, then projected; per head with "
             "value_patch_readout heads) against value_patch_targets: quarter = items "
             "covering a quarter present, less left out; coverage = the share each item "
             "covers as the probability of presence"},
            {"scenes",
             {{"size", recipe.scenes.size},
              {"items", {recipe.scenes.min_items, recipe.scenes.max_items}},
              {"item_edge", {recipe.scenes.min_item, recipe.scenes.max_item}},
              {"tint", recipe.scenes.tint},
              {"data", data_dir + " (train split)"}}}}},
          {"final_loss", model.final_loss},
          {"seconds", model.seconds},
          {"device", recipe.device.str()},
          {"threads", at::get_num_threads()},
          {"workers", recipe.workers},
          {"libtorch", TORCH_VERSION}};
}

}  // namespace

int train_toy_command(int argc, char** argv) {
  const Args args(argc, argv,
                  {"out",
                   "steps",
                   "batch",
                   "seed",
                   "data",
                   "threads",
                   "size",
                   "min-items",
                   "max-items",
                   "lr",
                   "init",
                   "mean-token-weight",
                   "mean-token-blocks",
                   "patch-weight",
                   "value-patch-weight",
                   "value-patch-targets",
                   "value-patch-readout",
                   "start",
                   "weight-decay",
                   "device",
                   "scene-threads",
                   "workers"});
  if (!args.has("out")) throw Error("--out DIR is required");
  const ToyRecipe recipe = recipe_from(args);
  // Workers share the cores: by default each computes on one thread.
  set_compute_threads(args.get_int("threads", recipe.workers > 1 ? 1 : 0));
  const std::string data_dir = args.get("data", kFashionMnistDir);

  const FashionMnist train = FashionMnist::load(data_dir, /*train=*/true);
  const ToyModel model = train_toy_model(train, recipe, print_progress);

  std::string command = "legrad train-toy";
  for (int i = 0; i < argc; ++i) command += std::string(" ") + argv[i];
  save_toy_model(model, args.get("out"),
                 training_record(command, recipe, data_dir, model).dump(2) + "\n");
  std::printf("wrote %s (final loss %.4f, %.0f s)\n", args.get("out").c_str(), model.final_loss,
              model.seconds);
  return 0;
}

}  // namespace legrad::cli
