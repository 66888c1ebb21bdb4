// Randomly initialised CLIP weights with open_clip's key names and shapes, for tests and
// benchmarks that need a model of a given architecture but no trained weights.
#pragma once

#include <cstdint>
#include <string>

#include "model/clip_config.h"
#include "model/safetensors.h"

namespace legrad {

enum class WeightInit {
  Structured,  // attention input projections scaled up and layer norms perturbed, so that an
               // untrained model's attention is far from uniform and its heatmaps have structure
  Training,    // open_clip-like scales, identity layer norms, zero biases: a start for training
};

// Seeded and deterministic.
NamedTensors random_clip_weights(const ClipConfig& config, uint64_t seed,
                                 WeightInit kind = WeightInit::Structured);

// An open_clip model folder (open_clip_config.json, open_clip_model.safetensors) with
// random_clip_weights(config, seed): the model of `legrad bench --arch`, for the element.
// The tokenizer vocabulary is the caller's to add.
void write_random_model(const ClipConfig& config, uint64_t seed, const std::string& dir);

}  // namespace legrad
