#include "support.h"

#include <ATen/ATen.h>
#include <sys/stat.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "base/error.h"
#include "base/file.h"
#include "lab/fashion_mnist.h"
#include "lab/random_init.h"
#include "model/safetensors.h"
#include "text/clip_tokenizer.h"
#include "text/sentencepiece_tokenizer.h"

namespace legrad::test {

TempDir::TempDir() {
  const char* base = std::getenv("TMPDIR");
  std::string templ = std::string(base && *base ? base : "/tmp") + "/legrad-test-XXXXXX";
  if (!::mkdtemp(templ.data())) throw std::runtime_error("mkdtemp failed");
  path_ = templ;
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

ClipConfig tiny_config() {
  ClipConfig c;
  c.embed_dim = 16;
  c.vision.image_size = 32;
  c.vision.patch_size = 8;
  c.vision.width = 32;
  c.vision.layers = 3;
  c.vision.head_width = 8;
  c.vision.mlp_width = 64;
  c.text.context_length = 16;
  c.text.vocab_size = 600;
  c.text.width = 32;
  c.text.heads = 4;
  c.text.layers = 2;
  c.text.mlp_width = 64;
  return c;
}

ClipConfig tiny_siglip_config() {
  ClipConfig c = tiny_config();
  c.embed_dim = c.vision.width;  // no projection after the attention pool
  c.vision.pool = ImagePool::AttentionPool;
  c.vision.norm_eps = 1e-6;
  c.text.pool = TextPool::Last;
  c.text.causal_mask = false;
  c.text.proj_bias = true;
  c.text.norm_eps = 1e-6;
  c.text.custom_text = true;
  return c;
}

std::string write_sentencepiece_model(const std::string& path) {
  if (!sentencepiece_available()) return "SentencePiece is not available in sanitizer builds";
  if (std::system("command -v spm_train >/dev/null 2>&1") != 0)
    return "spm_train is not installed (Debian package sentencepiece)";
  const std::string corpus = path + ".corpus.txt";
  std::string text;
  for (int i = 0; i < 100; ++i)
    text += "a photo of a cat on the mat number " + std::to_string(i) +
            "\na bright light over the dog and the red car\n";
  std::ofstream(corpus) << text;
  const std::string prefix = path.substr(0, path.size() - std::string(".model").size());
  const std::string command = "spm_train --input=" + corpus + " --model_prefix=" + prefix +
                              " --vocab_size=40 --pad_id=0 --eos_id=1 --unk_id=2 --bos_id=-1"
                              " --character_coverage=1.0 --minloglevel=2 >/dev/null 2>&1";
  if (std::system(command.c_str()) != 0 || !is_file(path)) return "spm_train failed";
  return "";
}

void write_text(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
  if (!out) throw std::runtime_error("cannot write " + path);
}

void write_tiny_model(const std::string& dir, const ClipConfig& config, uint64_t seed) {
  write_safetensors(dir + "/open_clip_model.safetensors", random_clip_weights(config, seed));
  write_text(dir + "/open_clip_config.json", clip_config_to_json(config));
  // vocab.json: 256 byte symbols, the same with </w>, merged words, special tokens.
  nlohmann::ordered_json vocab = nlohmann::ordered_json::object();
  int64_t id = 0;
  for (int b = 0; b < 256; ++b) vocab[clip_byte_symbol(static_cast<uint8_t>(b))] = id++;
  for (int b = 0; b < 256; ++b) vocab[clip_byte_symbol(static_cast<uint8_t>(b)) + "</w>"] = id++;
  const std::vector<std::pair<std::string, std::string>> merges = {
      {"c", "a"}, {"ca", "t</w>"}, {"d", "o"}, {"do", "g</w>"}, {"r", "e"}, {"re", "d</w>"}};
  std::string merges_txt = "#version: 0.2\n";
  for (const auto& [a, b] : merges) {
    merges_txt += a + " " + b + "\n";
    vocab[a + b] = id++;
  }
  vocab["<|startoftext|>"] = id++;
  vocab["<|endoftext|>"] = id++;
  write_text(dir + "/vocab.json", vocab.dump());
  write_text(dir + "/merges.txt", merges_txt);
}

at::Tensor test_picture(int height, int width) {
  at::Tensor y = at::arange(height, at::kFloat).view({height, 1}).expand({height, width});
  at::Tensor x = at::arange(width, at::kFloat).view({1, width}).expand({height, width});
  at::Tensor disc = ((x - width * 0.3).pow(2) + (y - height * 0.6).pow(2))
                        .lt(std::pow(std::min(height, width) * 0.2, 2))
                        .to(at::kFloat);
  at::Tensor r = 40 + 150 * x / std::max(width - 1, 1) + 60 * disc;
  at::Tensor g = 30 + 120 * y / std::max(height - 1, 1);
  at::Tensor b = 200 - 150 * disc;
  return at::stack({r, g, b}, 2).clamp(0, 255).to(at::kByte).contiguous();
}

std::string golden_dir() {
  const char* env = std::getenv("LEGRAD_GOLDEN_DIR");
  const std::string dir = env && *env ? env : "../shared/golden";
  struct stat st {};
  return ::stat((dir + "/README.md").c_str(), &st) == 0 ? dir : "";
}

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

bool have_fashion_mnist() {
  struct stat st {};
  return ::stat((std::string(kFashionMnistDir) + "/t10k-images-idx3-ubyte.gz").c_str(), &st) == 0;
}

}  // namespace legrad::test
