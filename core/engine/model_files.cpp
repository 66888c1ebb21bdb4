#include "engine/model_files.h"

#include <cstdlib>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <vector>

#include "base/error.h"
#include "base/file.h"
#include "base/json_text.h"
#include "base/log.h"
#include "model/clip_config.h"
#include "model/clip_model.h"
#include "model/hf_transformers.h"
#include "model/safetensors.h"
#include "model/torch_archive.h"
#include "model/torchscript_weights.h"
#include "model/weight_source.h"
#include "text/vocabulary.h"

namespace legrad {
namespace {

// The tokenizer file a config names ("tokenizer": "words.txt", beside it), or "".
std::string config_tokenizer(const std::string& config_path) {
  if (config_path.empty()) return "";
  const auto json = parse_json(read_file(config_path, "model config"), config_path);
  if (!json.is_object() || !json.contains("tokenizer")) return "";
  if (!json["tokenizer"].is_string() || json["tokenizer"].get<std::string>().empty() ||
      json["tokenizer"].get<std::string>().find('/') != std::string::npos)
    throw Error(config_path + ": 'tokenizer' must name a file beside the config");
  return json["tokenizer"].get<std::string>();
}

// A .safetensors file is one; otherwise the first bytes tell: a zip archive (torch.save's or
// TorchScript's), the pickled magic number of torch.save's legacy format (refused there with
// its own message), else safetensors (whose reader validates it).
WeightFormat weight_format(const std::string& path) {
  if (ends_with(path, kShardIndexFile)) return WeightFormat::ShardedSafetensors;
  if (ends_with(path, ".safetensors")) return WeightFormat::Safetensors;
  std::ifstream in(path, std::ios::binary);
  std::string head(4, '\0');
  in.read(&head[0], 4);
  if (in && head == std::string("PK\x03\x04", 4))
    return is_torchscript_archive(path) ? WeightFormat::TorchScript : WeightFormat::TorchArchive;
  if (in && head == std::string("\x80\x02\x8a\x0a", 4)) return WeightFormat::TorchArchive;
  return WeightFormat::Safetensors;
}

// The open_clip or transformers config beside the weights, if any: the one of the weights'
// kind first (hub folders of open_clip models carry both). A config that does not parse is
// an error naming the file and the position, never a fallback to inferring.
void find_config(const std::string& dir, ModelFiles& files) {
  const bool open_clip_weights = file_name(files.weights).rfind("open_clip_", 0) == 0;
  const std::vector<std::string> names =
      open_clip_weights ? std::vector<std::string>{"open_clip_config.json", "config.json"}
                        : std::vector<std::string>{"config.json", "open_clip_config.json"};
  for (const std::string& name : names) {
    const std::string candidate = dir + "/" + name;
    if (!files.config.empty() || !files.hf_config.empty() || !is_file(candidate)) continue;
    const std::string text = read_file(candidate, "model config");
    parse_json(text, candidate);  // throws with the position
    if (is_open_clip_config(text) || name == "open_clip_config.json") {
      files.config = candidate;
    } else if (is_supported_hf_config(text)) {
      files.hf_config = candidate;
      if (is_file(dir + "/preprocessor_config.json"))
        files.hf_preprocessor = dir + "/preprocessor_config.json";
    } else if (const std::string type = hf_model_type(text); !type.empty()) {
      throw Error(
          candidate + ": model_type '" + type +
          "' is not supported (of transformers' layouts, clip and siglip" +
          (type == "siglip2" ? "; SigLIP 2's NaFlex variants need variable patch grids" : "") +
          ")");
    }
  }
}

// For the log: what an inferred architecture is.
std::string describe(const ClipConfig& c) {
  return describe_image_tower(c) + ", " + activation_name(c.activation) + ", OpenAI mean/std";
}

}  // namespace

std::string default_model_path() {
  if (const char* env = std::getenv("LEGRAD_MODEL"); env && *env) return env;
  if (is_dir(LEGRAD_INSTALLED_MODEL)) return LEGRAD_INSTALLED_MODEL;
  return LEGRAD_SOURCE_MODEL;
}

const std::vector<std::string>& model_weight_files() {
  static const std::vector<std::string> names = {
      "open_clip_model.safetensors", "model.safetensors", kShardIndexFile,
      "open_clip_pytorch_model.bin", "pytorch_model.bin",
  };
  return names;
}

std::string ModelFiles::layout() const {
  static const std::map<WeightFormat, const char*> formats = {
      {WeightFormat::Safetensors, "safetensors"},
      {WeightFormat::ShardedSafetensors, "sharded safetensors"},
      {WeightFormat::TorchArchive, "torch.save archive"},
      {WeightFormat::TorchScript, "TorchScript archive"},
  };
  if (format == WeightFormat::TorchScript) return "OpenAI TorchScript (.pt)";
  const std::string what = formats.at(format);
  if (!hf_config.empty()) return "Hugging Face transformers (" + what + ")";
  if (!config.empty()) return "open_clip (" + what + ", open_clip config)";
  return "bare " + what + " (no config)";
}

ModelFiles locate_model_files(const std::string& path, const std::string& vocab_override) {
  ModelFiles files;
  std::string dir;
  if (is_dir(path)) {
    dir = path;
    for (const std::string& name : model_weight_files())
      if (files.weights.empty() && is_file(dir + "/" + name)) files.weights = dir + "/" + name;
    if (files.weights.empty()) {
      std::string names;
      for (const std::string& name : model_weight_files())
        names += (names.empty() ? "" : ", ") + name;
      throw Error(path + ": no model weights in this folder (looked for " + names + ")");
    }
  } else if (is_file(path)) {
    files.weights = path;
    dir = parent_dir(path);
  } else {
    throw Error(path + ": model not found (give a weights file or a model folder)");
  }
  files.format = weight_format(files.weights);
  // A TorchScript archive carries its architecture in its own conventions (OpenAI's).
  if (files.format != WeightFormat::TorchScript) find_config(dir, files);
  if (!vocab_override.empty()) {
    if (!is_file(vocab_override) && !is_dir(vocab_override))
      throw Error(vocab_override + ": tokenizer vocabulary not found");
    files.vocab = vocab_override;
  } else if (const std::string named = config_tokenizer(files.config); !named.empty()) {
    files.vocab = dir + "/" + named;
    if (!is_file(files.vocab))
      throw Error(files.config + ": names the tokenizer file '" + named +
                  "', which is not beside it");
  } else {
    files.vocab = find_vocabulary(dir);
    if (files.vocab.empty()) files.vocab = find_vocabulary(parent_dir(dir));
  }
  return files;
}

std::unique_ptr<WeightSource> open_weights(const ModelFiles& files) {
  std::unique_ptr<WeightSource> raw;
  switch (files.format) {
    case WeightFormat::Safetensors:
      raw = std::make_unique<SafetensorsWeights>(files.weights);
      break;
    case WeightFormat::ShardedSafetensors:
      raw = std::make_unique<ShardedSafetensors>(files.weights);
      break;
    case WeightFormat::TorchArchive:
      raw = std::make_unique<TorchArchiveWeights>(files.weights);
      break;
    case WeightFormat::TorchScript: return std::make_unique<TorchScriptWeights>(files.weights);
  }
  if (files.hf_config.empty()) return raw;
  const bool siglip = hf_model_type(read_file(files.hf_config, "model config")) == "siglip";
  return std::make_unique<HfWeights>(std::move(raw), siglip);
}

ClipConfig model_config(const ModelFiles& files, const WeightSource& weights) {
  if (!files.hf_config.empty()) {
    const std::string preprocessor = files.hf_preprocessor.empty()
                                         ? ""
                                         : read_file(files.hf_preprocessor, "preprocessor config");
    return parse_hf_config(read_file(files.hf_config, "model config"), files.hf_config,
                           preprocessor);
  }
  if (!files.config.empty()) return load_clip_config(files.config);
  if (files.format == WeightFormat::TorchScript) {
    ClipConfig config = infer_clip_config(weights, Activation::QuickGelu, true);
    log(LogLevel::Info, files.weights + ": read from the TorchScript archive: " + describe(config));
    return config;
  }
  if (files.format == WeightFormat::ShardedSafetensors)
    throw Error(files.weights +
                ": a sharded checkpoint needs its config.json (transformers) or "
                "open_clip_config.json beside it");
  ClipConfig config = infer_clip_config(weights, Activation::Gelu, false);
  log(LogLevel::Warning, "no config beside " + files.weights +
                             ": architecture inferred from tensor shapes: " + describe(config));
  for (const std::string& guess : config.guesses)
    log(LogLevel::Warning, files.weights + ": guessed " + guess);
  return config;
}

std::shared_ptr<ClipModel> load_clip_model(const ModelFiles& files, c10::Device device,
                                           at::ScalarType dtype) {
  const std::unique_ptr<WeightSource> weights = open_weights(files);
  return std::make_shared<ClipModel>(model_config(files, *weights), *weights, device, dtype);
}

}  // namespace legrad
