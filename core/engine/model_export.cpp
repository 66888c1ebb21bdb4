#include "engine/model_export.h"

#include <sys/stat.h>

#include <cmath>
#include <cstdio>
#include <fstream>
#include <set>

#include "base/error.h"
#include "base/file.h"
#include "model/clip_model.h"
#include "model/weight_source.h"

namespace legrad {
namespace {

// The tokenizer a vocabulary file stands for, in words.
std::string tokenizer_kind(const std::string& vocab) {
  if (vocab.empty()) return "none found (give --vocab)";
  if (ends_with(vocab, ".model")) return "SentencePiece (" + vocab + ")";
  if (ends_with(vocab, "vocab.json"))
    return "CLIP BPE, transformers' files (" + vocab + " + merges.txt)";
  if (ends_with(vocab, ".txt.gz")) return "CLIP BPE (" + vocab + ")";
  return "word list (" + vocab + ")";
}

// The tokenizer files to copy: (source, name in the new folder).
std::vector<std::pair<std::string, std::string>> tokenizer_files(const std::string& vocab) {
  if (vocab.empty() || !is_file(vocab)) return {};
  if (ends_with(vocab, "vocab.json"))
    return {{vocab, "vocab.json"}, {parent_dir(vocab) + "/merges.txt", "merges.txt"}};
  // A SentencePiece model under another name is found again as spiece.model.
  if (ends_with(vocab, ".model")) return {{vocab, "spiece.model"}};
  return {{vocab, file_name(vocab)}};
}

void copy_file(const std::string& from, const std::string& to) {
  std::ifstream in(from, std::ios::binary);
  if (!in) throw Error(from + ": cannot read");
  std::ofstream out(to, std::ios::binary | std::ios::trunc);
  out << in.rdbuf();
  if (!out) throw Error(to + ": cannot write");
}

std::string number(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", v);
  return buf;
}

// The model's own logit scale and bias, as stored (the scale as its log).
std::string logits_line(const NamedTensors& tensors) {
  std::string scale, bias;
  for (const auto& [name, tensor] : tensors) {
    if (name == "logit_scale")
      scale = "scale " + number(std::exp(tensor.item<double>())) + " (stored as its log, " +
              number(tensor.item<double>()) + ")";
    if (name == "logit_bias") bias = "bias " + number(tensor.item<double>());
  }
  if (scale.empty() && bias.empty()) return "none stored";
  return scale + (scale.empty() || bias.empty() ? "" : ", ") + bias;
}

std::string triple(const std::array<float, 3>& v) {
  char buf[96];
  std::snprintf(buf, sizeof buf, "%.6g %.6g %.6g", v[0], v[1], v[2]);
  return buf;
}

}  // namespace

ModelContents read_model(const std::string& path, const std::string& vocab, at::ScalarType dtype) {
  ModelContents out;
  out.files = locate_model_files(path, vocab);
  const auto weights = open_weights(out.files);
  out.config = model_config(out.files, *weights);
  const RecordingWeights recorder(*weights);
  const ClipModel model(out.config, recorder, c10::Device(c10::kCPU), dtype);
  std::set<std::string> seen;
  for (const auto& [name, tensor] : recorder.recorded())
    if (seen.insert(name).second) out.tensors.emplace_back(name, tensor.to(dtype));
  // open_clip keeps the logit scale and bias as scalars (transformers: one-element vectors).
  for (auto& [name, tensor] : out.tensors)
    if (name == "logit_scale" || name == "logit_bias") tensor = tensor.reshape({});
  for (const auto& [name, tensor] : out.tensors) out.parameters += tensor.numel();
  return out;
}

std::string describe_model(const ModelContents& m) {
  const ClipConfig& c = m.config;
  char params[32];
  std::snprintf(params, sizeof params, "%.2f M", m.parameters / 1e6);
  std::string out;
  auto line = [&](const char* key, const std::string& value) {
    char head[24];
    std::snprintf(head, sizeof head, "%-12s ", key);
    out += head + value + "\n";
  };
  line("layout:", m.files.layout());
  line("weights:", m.files.weights);
  line("config:", !m.files.hf_config.empty() ? m.files.hf_config
                  : !m.files.config.empty()  ? m.files.config
                                             : "none: " + c.source);
  line("family:", c.family());
  line("activation:", activation_name(c.activation));
  line("image tower:", describe_image_tower(c));
  line("text tower:", describe_text_tower(c));
  line("embedding:", std::to_string(c.embed_dim));
  line("logits:", logits_line(m.tensors));
  line("mean:", triple(c.mean));
  line("std:", triple(c.std));
  line("tokenizer:", tokenizer_kind(m.files.vocab));
  line("parameters:", std::string(params) + " (" + std::to_string(m.tensors.size()) + " tensors)");
  for (const std::string& guess : c.guesses) line("guessed:", guess);
  return out;
}

void write_open_clip_folder(const ModelContents& model, const std::string& out_dir) {
  ::mkdir(out_dir.c_str(), 0755);
  if (!is_dir(out_dir)) throw Error(out_dir + ": cannot create this folder");
  write_safetensors(out_dir + "/open_clip_model.safetensors", model.tensors,
                    {{"format", "pt"}, {"converted_from", model.files.weights}});
  std::ofstream config(out_dir + "/open_clip_config.json", std::ios::trunc);
  config << clip_config_to_json(model.config);
  if (!config) throw Error(out_dir + "/open_clip_config.json: cannot write");
  for (const auto& [from, name] : tokenizer_files(model.files.vocab))
    copy_file(from, out_dir + "/" + name);
}

}  // namespace legrad
