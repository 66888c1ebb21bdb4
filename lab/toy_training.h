// The project's own small CLIP: the open_clip architecture the core runs, trained here on
// Fashion-MNIST scenes (toy_scenes.h) with a sigmoid image-text loss over the ten class
// prompts, so that a prompt's score says whether its item is in the picture. No real CLIP
// weights can be downloaded on the project's machines; this model makes heatmaps mean
// something in tests, demos and the localisation benchmark.
#pragma once

#include <c10/core/Device.h>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "lab/toy_scenes.h"
#include "model/clip_config.h"
#include "model/safetensors.h"
#include "model/transformer.h"

namespace legrad {

class ClipModel;

// How the vision tower starts: random weights; with 2-D sine-cosine positional embeddings;
// or with those and mimetic attention weights (see toy_training.cpp).
enum class ToyStart { Random, Sincos, Mimetic };
ToyStart parse_toy_start(const std::string& name);  // "random", "sincos", "mimetic"
const char* toy_start_name(ToyStart start);

// What the value-patch loss asks of each patch and prompt.
enum class ValueTargets {
  Quarter,   // present where the item covers at least a quarter of the patch, absent where
             // none of it; left out in between
  Coverage,  // the share of the patch the item covers, as the probability of presence: a
             // patch the item only grazes scores below one it fills
};
ValueTargets parse_value_targets(const std::string& name);  // "quarter", "coverage"
const char* value_targets_name(ValueTargets targets);

struct ToyRecipe {
  uint64_t seed = 1;
  int steps = 9000;
  int batch = 32;
  double lr = 2e-3;
  double weight_decay = 0.05;
  int warmup_steps = 100;
  // Weight of the auxiliary loss on the mean of all tokens after each of the last blocks
  // (projected like the class token): the features LeGrad differentiates. Large CLIPs align
  // them by themselves; a small model trained on its class token alone does not.
  double mean_token_weight = 1.0;
  int mean_token_blocks = 2;  // how many of the last blocks get that loss (and the patch losses)
  // Weight of a patch-level loss on the same blocks: each patch token, projected, against the
  // prompts of the items covering at least a quarter of the patch (from the scene's masks).
  double patch_weight = 0.0;
  // Weight of the same patch loss on what each patch passes on through those blocks' attention
  // (its value vector through out_proj, then projected, as MaskCLIP reads CLIP densely); a
  // prompt whose item covers less than a quarter of the patch is left out there. That path is
  // the one attention-gradient explainers read (LeGrad, GradCAM, CheferCAM): without it the
  // patches of other items pass on much of a prompt's evidence.
  double value_patch_weight = 0.0;
  ValueTargets value_patch_targets = ValueTargets::Quarter;
  // The same loss on each head's share of that readout (its slice of the value vector through
  // its columns of out_proj) instead of on their sum. LeGrad clamps each head's gradient at
  // zero before averaging the heads, so one head that passes on another item's evidence adds
  // to the map however much the others take away.
  bool value_patch_per_head = false;
  ToyStart start = ToyStart::Sincos;
  std::string init;                // start from this model folder's weights instead of random ones
  SceneOptions scenes;             // the training scenes (size = the model's input size)
  c10::Device device = c10::kCPU;  // where the model trains (scenes are composed on the CPU)
  int scene_threads = 1;           // CPU threads composing the next batch during a step
  // Data-parallel workers: the batch is split into this many shards whose gradients are
  // computed side by side (on the CPU, give each worker one intra-op thread).
  int workers = 1;
};

// Vision: 8-pixel patches (64x64 input by default), width 128, 4 blocks of 4 heads; text: 2
// blocks of width 64 over the word list; 64-dimensional embeddings.
ClipConfig toy_clip_config(int image_size);
// The words of the ten class prompts ("a photo of a t-shirt", ...), the model's vocabulary.
std::vector<std::string> toy_words();

struct TrainingProgress {
  int step = 0, steps = 0;
  double loss = 0.0;     // mean over the last reported steps
  double seconds = 0.0;  // since training began
};

struct ToyModel {
  ClipConfig config;
  NamedTensors weights;  // open_clip key names, plus logit_scale and logit_bias
  std::vector<std::string> words;
  double final_loss = 0.0;
  double seconds = 0.0;
};

// Targets of the patch losses from coverage [..., g*g, kFashionClassCount] (the share of each
// patch the item of each class covers): +1 where it covers at least a quarter, else -1; with
// `leave_out_partial`, 0 (no loss) where it covers less than a quarter but some.
at::Tensor patch_targets(const at::Tensor& coverage, bool leave_out_partial);

// What each patch passes on through one block's attention, as if it alone were attended:
// its value vector through out_proj, [B, g*g, D]; with `per_head`, each head's slice through
// that head's columns, bias left out, [B, H, g*g, D] (summed over heads plus the bias: the
// whole).
at::Tensor value_contributions(const ResidualBlock& block, const AttentionParts& parts,
                               bool per_head);

// MaskCLIP's dense readout of one block's attention: value_contributions, then ln_post, proj
// and normalisation like the class token: [B, g*g, E] ([B, H, g*g, E] per head).
at::Tensor value_readout(const ClipModel& model, const ResidualBlock& block,
                         const AttentionParts& parts, bool per_head = false);

// Deterministic for a recipe and a thread count. `progress` is called every few steps.
ToyModel train_toy_model(const FashionMnist& train, const ToyRecipe& recipe,
                         const std::function<void(const TrainingProgress&)>& progress = {});

// Writes DIR/open_clip_model.safetensors, open_clip_config.json (naming words.txt as its
// tokenizer), words.txt and training.json (`recipe_text`: how it was made, and the loss).
void save_toy_model(const ToyModel& model, const std::string& dir, const std::string& recipe_text);

}  // namespace legrad
