// Where a model's pieces are: a safetensors file, or a folder in the open_clip hub layout
// (open_clip_model.safetensors + open_clip_config.json + tokenizer files).
#pragma once

#include <ATen/Tensor.h>
#include <c10/core/Device.h>

#include <memory>
#include <string>

namespace legrad {

class ClipModel;

// A checkpoint split in shards: this index names each tensor's file.
constexpr const char* kShardIndexFile = "model.safetensors.index.json";

struct ModelFiles {
  std::string weights;  // *.safetensors, or a kShardIndexFile
  std::string config;   // open_clip JSON, or empty: infer from the weights
  // Hugging Face transformers' layout instead (model/hf_clip.h): its config.json and, if
  // there, preprocessor_config.json (mean and std).
  std::string hf_config, hf_preprocessor;
  std::string vocab;  // a tokenizer vocabulary (text/vocabulary.h), or empty: none found
};

// `path` is a .safetensors file or a folder. The config is open_clip_config.json (or a
// config.json that is an open_clip config, or a transformers CLIPConfig) beside the weights; the
// vocabulary is `vocab_override` if given, else the file the config names ("tokenizer":
// "words.txt"), else the first vocabulary file (text/vocabulary.h) beside the weights or one folder
// up. Throws legrad::Error naming what is missing.
ModelFiles locate_model_files(const std::string& path, const std::string& vocab_override = "");

// The project's bundled model (models/fashion-clip, trained by `legrad train-toy`): $LEGRAD_MODEL
// if set, else the installed copy, else the source tree's.
std::string default_model_path();

// Reads the config (or infers it, saying so in the log) and the weights.
std::shared_ptr<ClipModel> load_clip_model(const ModelFiles& files, c10::Device device,
                                           at::ScalarType dtype = at::kFloat);

}  // namespace legrad
