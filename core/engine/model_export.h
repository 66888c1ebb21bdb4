// What `legrad info` and `legrad convert` do with a model in any layout: read it as the engine
// does, count what it reads, and write it back in open_clip's own layout (safetensors, config,
// tokenizer files), which loads fastest (memory-mapped) and runs no code when opened.
#pragma once

#include <c10/core/ScalarType.h>

#include <cstdint>
#include <string>

#include "engine/model_files.h"
#include "model/clip_config.h"
#include "model/safetensors.h"

namespace legrad {

struct ModelContents {
  ModelFiles files;
  ClipConfig config;
  NamedTensors tensors;  // every tensor the model reads, open_clip's names, in `dtype`
  int64_t parameters = 0;
};

// Loads and checks the whole model (shapes against the config); throws legrad::Error.
ModelContents read_model(const std::string& path, const std::string& vocab = "",
                         at::ScalarType dtype = at::kFloat);

// The human summary `legrad info` prints: layout, family, towers, tokenizer, parameters.
std::string describe_model(const ModelContents& model);

// Writes open_clip_model.safetensors, open_clip_config.json and a copy of the tokenizer files
// into `out_dir` (created if needed; existing files of those names are replaced).
void write_open_clip_folder(const ModelContents& model, const std::string& out_dir);

}  // namespace legrad
