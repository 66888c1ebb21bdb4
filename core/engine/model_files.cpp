#include "engine/model_files.h"

#include <cstdlib>
#include <nlohmann/json.hpp>
#include <vector>

#include "base/error.h"
#include "base/file.h"
#include "base/log.h"
#include "model/clip_config.h"
#include "model/clip_model.h"
#include "model/hf_clip.h"
#include "model/safetensors.h"
#include "text/vocabulary.h"

namespace legrad {
namespace {

// The tokenizer file a config names ("tokenizer": "words.txt", beside it), or "".
std::string config_tokenizer(const std::string& config_path) {
  if (config_path.empty()) return "";
  const auto json = nlohmann::json::parse(read_file(config_path, "model config"), nullptr, false);
  if (!json.is_object() || !json.contains("tokenizer")) return "";
  if (!json["tokenizer"].is_string() || json["tokenizer"].get<std::string>().empty() ||
      json["tokenizer"].get<std::string>().find('/') != std::string::npos)
    throw Error(config_path + ": 'tokenizer' must name a file beside the config");
  return json["tokenizer"].get<std::string>();
}

}  // namespace

std::string default_model_path() {
  if (const char* env = std::getenv("LEGRAD_MODEL"); env && *env) return env;
  if (is_dir(LEGRAD_INSTALLED_MODEL)) return LEGRAD_INSTALLED_MODEL;
  return LEGRAD_SOURCE_MODEL;
}

ModelFiles locate_model_files(const std::string& path, const std::string& vocab_override) {
  ModelFiles files;
  std::string dir;
  if (is_dir(path)) {
    dir = path;
    for (const char* name : {"open_clip_model.safetensors", "model.safetensors", kShardIndexFile})
      if (files.weights.empty() && is_file(dir + "/" + name)) files.weights = dir + "/" + name;
    if (files.weights.empty())
      throw Error(path + ": no open_clip_model.safetensors, model.safetensors or " +
                  kShardIndexFile + " in this folder");
  } else if (is_file(path)) {
    files.weights = path;
    dir = parent_dir(path);
  } else {
    throw Error(path + ": model not found (give a .safetensors file or a model folder)");
  }
  for (const char* name : {"open_clip_config.json", "config.json"}) {
    const std::string candidate = dir + "/" + name;
    if (!files.config.empty() || !files.hf_config.empty() || !is_file(candidate)) continue;
    const std::string text = read_file(candidate, "model config");
    if (is_open_clip_config(text)) {
      files.config = candidate;
    } else if (is_hf_clip_config(text)) {
      files.hf_config = candidate;
      if (is_file(dir + "/preprocessor_config.json"))
        files.hf_preprocessor = dir + "/preprocessor_config.json";
    } else if (const std::string type = hf_model_type(text); !type.empty()) {
      throw Error(candidate + ": model_type '" + type +
                  "' is not supported (of transformers' layouts, CLIP only for now)");
    }
  }
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

std::shared_ptr<ClipModel> load_clip_model(const ModelFiles& files, c10::Device device,
                                           at::ScalarType dtype) {
  if (!files.hf_config.empty()) {
    const std::string preprocessor = files.hf_preprocessor.empty()
                                         ? ""
                                         : read_file(files.hf_preprocessor, "preprocessor config");
    const ClipConfig config = parse_hf_clip_config(read_file(files.hf_config, "model config"),
                                                   files.hf_config, preprocessor);
    if (ends_with(files.weights, kShardIndexFile))
      return std::make_shared<ClipModel>(config, HfClipWeights(ShardedSafetensors(files.weights)),
                                         device, dtype);
    const SafetensorsFile weights(files.weights);
    return std::make_shared<ClipModel>(config, HfClipWeights(SafetensorsWeights(weights)), device,
                                       dtype);
  }
  if (ends_with(files.weights, kShardIndexFile))
    throw Error(files.weights +
                ": sharded checkpoints are read in the transformers layout only "
                "(a config.json with model_type clip beside it)");
  const SafetensorsFile weights(files.weights);
  ClipConfig config;
  if (!files.config.empty()) {
    config = load_clip_config(files.config);
  } else {
    config = infer_clip_config(weights);
    log(LogLevel::Info,
        "no open_clip config beside " + files.weights +
            ": architecture inferred from tensor shapes (ViT width " +
            std::to_string(config.vision.width) + ", " + std::to_string(config.vision.layers) +
            " layers, patch " + std::to_string(config.vision.patch_size) + ", image size " +
            std::to_string(config.vision.image_size) + ", head width 64, GELU, OpenAI mean/std)");
  }
  return std::make_shared<ClipModel>(config, weights, device, dtype);
}

}  // namespace legrad
