// Shared test fixtures: temporary folders, a tiny random CLIP model written in the hub
// layout, a small synthetic BPE vocabulary, and where the golden cases are.
#pragma once

#include <ATen/Tensor.h>

#include <functional>
#include <string>
#include <vector>

#include "model/clip_config.h"

namespace legrad::test {

// A fresh directory under $TMPDIR, removed with everything in it when destroyed.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  std::string file(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

// ViT: patch 8, width 32, 3 layers, head width 8 (4 heads), input 32; text: width 32,
// 2 layers, 4 heads, context 16, vocabulary big enough for tiny_vocab's tokens.
ClipConfig tiny_config();
// The same sizes as a SigLIP model (attention pool, text pooled at the last position).
ClipConfig tiny_siglip_config();

// Trains a small SentencePiece model (ids: 0 pad, 1 end, 2 unknown, no start; under 60 pieces)
// with Debian's spm_train and writes it to `path`. Returns why it cannot (spm_train missing,
// a sanitizer build), or "" when written: callers skip with that reason.
std::string write_sentencepiece_model(const std::string& path);

// Writes open_clip_model.safetensors + open_clip_config.json + vocab.json/merges.txt
// (a byte-level vocabulary plus merges for a few words) into `dir`.
void write_tiny_model(const std::string& dir, const ClipConfig& config, uint64_t seed = 7);

// An RGB test picture: smooth gradients plus a bright disc, height x width x 3 uint8.
at::Tensor test_picture(int height, int width);

// ../shared/golden, or empty when it is not there.
std::string golden_dir();

void write_text(const std::string& path, const std::string& text);

// What `f` throws as legrad::Error, or "" if it throws nothing.
std::string error_of(const std::function<void()>& f);

// Whether Debian's dataset-fashion-mnist is installed (the toy model's data).
bool have_fashion_mnist();

}  // namespace legrad::test

#define REQUIRE_FASHION_MNIST()                                                      \
  if (!::legrad::test::have_fashion_mnist())                                         \
  GTEST_SKIP() << "Fashion-MNIST is not installed (Debian's dataset-fashion-mnist; " \
                  "scripts/setup.sh installs it)"
