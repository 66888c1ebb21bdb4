// Randomly initialised CLIP weights with open_clip's key names and shapes, for tests and
// benchmarks that need a model of a given architecture but no trained weights.
#pragma once

#include <cstdint>
#include <string>

#include "clip_config.h"
#include "safetensors.h"

namespace legrad {

// Seeded and deterministic. Attention input projections are scaled up so the attention is
// far from uniform and the heatmaps have structure.
NamedTensors random_clip_weights(const ClipConfig& config, uint64_t seed);

// The bare open_clip JSON form of `config` (readable by parse_clip_config).
std::string clip_config_to_json(const ClipConfig& config);

}  // namespace legrad
