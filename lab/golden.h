// Conformance against cases produced by the official LeGrad implementation (the format of
// ../shared/golden: config.json, model.safetensors, io.safetensors; tokenizer_cases.json).
#pragma once

#include <string>
#include <vector>

namespace legrad {

struct GoldenCheck {
  std::string name;
  bool passed = false;
  std::string detail;  // measured value against its limit
};

struct GoldenReport {
  std::vector<GoldenCheck> checks;
  int passed() const;
  int failed() const;
};

// Tokens (exact), text and image embeddings, the resampled positional embedding, per-layer
// features and grids, heatmaps from pixel_values, and our own preprocessing end to end.
// `vocab` empty: the case folder or its parent. With a reduced-precision `dtype` ("bf16",
// "fp16") the float checks become the heatmaps' correlation with the reference (>= 0.99).
// `weights` (a file or folder in any layout engine/model_files.h reads) replaces the case's
// model.safetensors; the architecture and the LeGrad settings still come from the case.
// Throws legrad::Error if files are unusable.
GoldenReport run_golden_case(const std::string& case_dir, const std::string& vocab = "",
                             const std::string& dtype = "fp32", const std::string& device = "cpu",
                             const std::string& weights = "");

// The other input sizes a SigLIP case is probed at, from its patch size: multiples of it
// (explained at that size) and one between two multiples (refused, as the reference raises).
struct ProbeSize {
  int size;
  bool refused;
};
std::vector<ProbeSize> probe_input_sizes(int patch);

// Every case of a tokenizer_cases.json file, exact match.

GoldenReport run_tokenizer_cases(const std::string& cases_json, const std::string& vocab);

}  // namespace legrad
