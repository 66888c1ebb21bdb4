// Where a model's pieces are and what layout they are in: open_clip's hub folder (safetensors or
// torch.save archive + open_clip_config.json), transformers' (config.json + safetensors, shards
// or pytorch_model.bin), OpenAI's TorchScript .pt, or a bare weights file.
#pragma once

#include <ATen/Tensor.h>
#include <c10/core/Device.h>

#include <memory>
#include <string>
#include <vector>

namespace legrad {

class ClipModel;
class WeightSource;
struct ClipConfig;

// A checkpoint split in shards: this index names each tensor's file.
constexpr const char* kShardIndexFile = "model.safetensors.index.json";

// How the weights are stored.
enum class WeightFormat {
  Safetensors,         // one file, memory-mapped
  ShardedSafetensors,  // kShardIndexFile and its shards
  TorchArchive,        // a torch.save zip archive of a state dict (model/torch_archive.h)
  TorchScript,         // a TorchScript archive: OpenAI's released .pt files
};

struct ModelFiles {
  std::string weights;  // the weights file (or shard index), in `format`
  WeightFormat format = WeightFormat::Safetensors;
  std::string config;  // open_clip JSON, or empty
  // Hugging Face transformers' layout instead (model/hf_transformers.h): its config.json and,
  // if there, preprocessor_config.json (mean and std).
  std::string hf_config, hf_preprocessor;
  std::string vocab;  // a tokenizer vocabulary (text/vocabulary.h), or empty: none found
  // What was detected, in words: "open_clip hub (torch.save archive)", "OpenAI TorchScript", ...
  std::string layout() const;
};

// The weight file names looked for in a model folder, in this order.
const std::vector<std::string>& model_weight_files();

// `path` is a weights file or a folder holding one of model_weight_files(). The config is
// open_clip_config.json (or a config.json that is an open_clip config, or a transformers
// CLIPConfig / SiglipConfig) beside the weights; the vocabulary is `vocab_override` if given,
// else the file the config names ("tokenizer": "words.txt"), else the first vocabulary file
// (text/vocabulary.h) beside the weights or one folder up. The weights' format is read from the
// file's first bytes. Throws legrad::Error naming what is missing.
ModelFiles locate_model_files(const std::string& path, const std::string& vocab_override = "");

// The project's bundled model (models/fashion-clip, trained by `legrad train-toy`): $LEGRAD_MODEL
// if set, else the installed copy, else the source tree's.
std::string default_model_path();

// The weights under open_clip's tensor names, whatever the layout.
std::unique_ptr<WeightSource> open_weights(const ModelFiles& files);

// The architecture: from the open_clip or transformers config, else inferred from the tensor
// shapes (OpenAI's conventions for a TorchScript archive, open_clip's GELU otherwise; logged).
ClipConfig model_config(const ModelFiles& files, const WeightSource& weights);

// Reads the config (or infers it) and the weights.
std::shared_ptr<ClipModel> load_clip_model(const ModelFiles& files, c10::Device device,
                                           at::ScalarType dtype = at::kFloat);

}  // namespace legrad
