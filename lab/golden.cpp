#include "lab/golden.h"

#include <ATen/ATen.h>

#include <cstdio>
#include <nlohmann/json.hpp>

#include "base/device.h"
#include "base/error.h"
#include "base/file.h"
#include "engine/model_files.h"
#include "explain/legrad.h"
#include "explain/legrad_graph.h"
#include "model/clip_config.h"
#include "model/clip_model.h"
#include "model/safetensors.h"
#include "model/weight_source.h"
#include "text/tokenizer.h"
#include "text/vocabulary.h"
#include "video/preprocess.h"

namespace legrad {
namespace {

std::string fmt(const char* format, double a, double b) {
  char buf[128];
  std::snprintf(buf, sizeof buf, format, a, b);
  return buf;
}

double max_abs(const at::Tensor& a, const at::Tensor& b) {
  return (a.to(at::kCPU, at::kDouble) - b.to(at::kCPU, at::kDouble)).abs().max().item<double>();
}

nlohmann::json read_json(const std::string& path) {
  nlohmann::json doc = nlohmann::json::parse(read_file(path, "JSON file"), nullptr, false);
  if (doc.is_discarded()) throw Error(path + ": not well-formed JSON");
  return doc;
}

class Recorder {
 public:
  explicit Recorder(GoldenReport& r) : report_(r) {}
  void within(const std::string& name, double value, double limit) {
    report_.checks.push_back(
        {name, value <= limit, fmt("max abs %.3g (limit %.1g)", value, limit)});
  }
  void add(const std::string& name, bool ok, const std::string& detail) {
    report_.checks.push_back({name, ok, detail});
  }

 private:
  GoldenReport& report_;
};

// Smallest Pearson correlation between matching maps of a and b ([P, S, S]).
double min_correlation(const at::Tensor& a, const at::Tensor& b) {
  const at::Tensor x = a.to(at::kCPU, at::kDouble).flatten(1),
                   y = b.to(at::kCPU, at::kDouble).flatten(1);
  const at::Tensor xc = x - x.mean(1, true), yc = y - y.mean(1, true);
  const at::Tensor r = (xc * yc).sum(1) / (xc.norm(2, 1) * yc.norm(2, 1)).clamp_min(1e-30);
  return r.min().item<double>();
}

// What a case's checks read.
struct GoldenCase {
  const ClipModel& model;
  const SafetensorsFile& io;
  c10::Device device;
  LegradOptions opts;
  int size;           // the input size the case explains at
  at::Tensor pixels;  // the reference's pixel_values
  at::Tensor text;    // our embeddings of the reference's tokens
};

// Reduced precision: the maps must keep their shape, not every digit.
void check_reduced_precision(Recorder& rec, const GoldenCase& c, const std::string& dtype_name) {
  const at::Tensor want_heat = c.io.load("heatmaps").squeeze(0);
  const Explanation ex = explain_legrad(c.model, c.pixels, c.text, c.opts);
  const double r = min_correlation(ex.heatmaps.cpu(), want_heat);
  rec.add("heatmap correlation (" + dtype_name + ", from pixel_values)", r >= 0.99,
          fmt("min over prompts %.5f (limit %.2f)", r, 0.99));
}

// The per-layer features, relevance grids and heatmaps, where the case has them.
void check_layers(Recorder& rec, const GoldenCase& c, const Explanation& ex) {
  if (c.io.contains("layer_image_features"))
    rec.within("layer_image_features",
               max_abs(ex.layer_features, c.io.load("layer_image_features")), 1e-5);
  if (c.io.contains("layer_relevance_grid")) {
    const at::Tensor want = c.io.load("layer_relevance_grid").to(at::kDouble);
    const at::Tensor err = (ex.layer_grids.to(at::kCPU, at::kDouble) - want).abs().amax({-2, -1});
    const at::Tensor scale = want.abs().amax({-2, -1});
    const double rel = (err / scale.clamp_min(1e-30)).max().item<double>();
    rec.add("layer_relevance_grid", rel <= 1e-4,
            fmt("max abs / grid max %.3g (limit %.1g)", rel, 1e-4));
  }
  if (c.io.contains("heatmaps_per_layer")) {
    const at::Tensor per_layer =
        upsample_relevance(ex.layer_grids, c.model.config().vision.patch_size);
    const at::Tensor want = c.io.load("heatmaps_per_layer").squeeze(1);
    const double rel = max_abs(per_layer, want) / want.abs().max().item<double>();
    rec.add("heatmaps_per_layer", rel <= 1e-4, fmt("max abs / max %.3g (limit %.1g)", rel, 1e-4));
  }
}

// Full precision: from the reference's tokens and pixels, every stage within float limits.
void check_from_reference_inputs(Recorder& rec, const GoldenCase& c) {
  rec.within("text_embeddings", max_abs(c.text, c.io.load("text_embeddings")), 1e-5);
  if (c.io.contains("positional_embedding_used"))
    rec.within(
        "positional_embedding_used",
        max_abs(c.model.positional_embedding(c.size), c.io.load("positional_embedding_used")),
        1e-5);
  const Explanation ex = explain_legrad(c.model, c.pixels, c.text, c.opts);
  rec.within("image_embedding",
             max_abs(ex.image_embedding, c.io.load("image_embedding").squeeze(0)), 1e-5);
  check_layers(rec, c, ex);
  rec.within("heatmaps (from pixel_values)", max_abs(ex.heatmaps, c.io.load("heatmaps").squeeze(0)),
             2e-5);
  if (c.device.is_cuda() && GraphedLegrad::supported()) {
    const GraphedLegrad graph(c.model, c.size, c.text.size(0), c.opts);
    const Explanation replayed = graph.explain(c.pixels.to(c.device), c.text);
    rec.within("heatmaps (CUDA graph replay vs plain launches)",
               max_abs(replayed.heatmaps, ex.heatmaps), 1e-6);
  }
}

// Our own preprocessing, end to end from the raw picture.
void check_preprocessing(Recorder& rec, const GoldenCase& c) {
  const at::Tensor image = c.io.load("image_uint8");
  const at::Tensor resized = resize_bicubic(image_view(image), c.size, c.size);
  if (c.io.contains("image_resized_uint8")) {
    const at::Tensor want = c.io.load("image_resized_uint8");
    const int64_t differing = resized.ne(want).sum().item<int64_t>();
    rec.add("preprocess: bicubic resize", differing == 0,
            std::to_string(differing) + " of " + std::to_string(want.numel()) + " values differ");
  }
  // The whole frame path on the model's device (on CUDA: upload, matrix resize, normalise).
  const ClipConfig& cfg = c.model.config();
  const FramePreprocessor preprocess(cfg.mean, cfg.std, c.size, c.device);
  const at::Tensor own_pixels = preprocess(image_view(image));
  rec.within("preprocess: pixel_values (on " + c.device.str() + ")", max_abs(own_pixels, c.pixels),
             1e-6);
  const Explanation own = explain_legrad(c.model, own_pixels, c.text, c.opts);
  const at::Tensor diff = (own.heatmaps.cpu() - c.io.load("heatmaps").squeeze(0)).abs();
  const double mean = diff.mean().item<double>();
  rec.add("heatmaps (end to end from image_uint8)", mean <= 1e-2,
          fmt("max abs %.3g, mean abs %.3g (limit mean 1e-2)", diff.max().item<double>(), mean));
}

void check_tokens(Recorder& rec, const nlohmann::json& cfg_json, const ModelFiles& files,
                  const at::Tensor& want_tokens) {
  if (files.vocab.empty())
    throw Error(files.weights +
                ": no bpe_simple_vocab_16e6.txt.gz in the case folder or its parent");
  const auto tokenizer = load_tokenizer(files.vocab);
  const auto prompts = cfg_json.at("prompts").get<std::vector<std::string>>();
  const at::Tensor tokens = tokenizer->tokenize_prompts(prompts, want_tokens.size(1));
  const bool same = tokens.equal(want_tokens);
  rec.add("text_tokens", same, same ? "exact" : "differ");
}

// SigLIP's correction: the correction text's embedding and per-layer grids, its mask, the maps
// without it; and the input sizes the reference accepts and refuses.
void check_siglip_correction(Recorder& rec, const GoldenCase& c) {
  const at::Tensor empty = c.opts.correction_embedding;
  rec.within("empty_text_embedding", max_abs(empty, c.io.load("empty_text_embedding")), 1e-5);
  LegradOptions plain = c.opts;
  plain.correction_embedding = at::Tensor();
  const Explanation of_empty = explain_legrad(c.model, c.pixels, empty, plain);
  const at::Tensor empty_grids = of_empty.layer_grids.select(1, 0);  // [Lu, g, g]
  const at::Tensor want_grids = c.io.load("layer_relevance_grid_empty");
  const double rel = max_abs(empty_grids, want_grids) / want_grids.abs().max().item<double>();
  rec.add("layer_relevance_grid_empty", rel <= 1e-4,
          fmt("max abs / max %.3g (limit %.1g)", rel, 1e-4));
  const at::Tensor mask = min_max_normalize(empty_grids.sum(0)) > c.opts.correction_threshold;
  const int64_t differing =
      mask.cpu().ne(c.io.load("correction_mask").to(at::kBool)).sum().item<int64_t>();
  rec.add("correction_mask", differing == 0, std::to_string(differing) + " cells differ");
  const Explanation uncorrected = explain_legrad(c.model, c.pixels, c.text, plain);
  rec.within("heatmaps_no_correction",
             max_abs(uncorrected.heatmaps, c.io.load("heatmaps_no_correction").squeeze(0)), 2e-5);
  // Other input sizes, from the case's patch size: multiples of it must give finite,
  // normalised maps at that size (as the reference does), a size between two multiples must be
  // refused (the reference raises).
  for (const ProbeSize& probe : probe_input_sizes(c.model.config().vision.patch_size)) {
    const int other = probe.size;
    const at::Tensor pixels = at::upsample_bilinear2d(c.pixels, {other, other}, false);
    const bool works = !probe.refused;
    const std::string name = "input size " + std::to_string(other);
    try {
      const at::Tensor maps = explain_legrad(c.model, pixels, c.text, c.opts).heatmaps;
      const bool ok = maps.size(-1) == other && at::isfinite(maps).all().item<bool>() &&
                      maps.min().item<float>() >= 0 && maps.max().item<float>() <= 1;
      rec.add(name, works && ok,
              ok ? "finite maps in [0, 1]" : "maps not finite or not normalised");
    } catch (const Error& e) {
      rec.add(name, !works, std::string("refused: ") + e.what());
    }
  }
}

}  // namespace

std::vector<ProbeSize> probe_input_sizes(int patch) {
  std::vector<ProbeSize> out;
  for (const int size : {10 * patch, 14 * patch + patch / 2 + 1, 18 * patch, 20 * patch})
    out.push_back({size, size % patch != 0});
  return out;
}

int GoldenReport::passed() const {
  int n = 0;
  for (const auto& c : checks) n += c.passed;
  return n;
}

int GoldenReport::failed() const { return static_cast<int>(checks.size()) - passed(); }

GoldenReport run_golden_case(const std::string& case_dir, const std::string& vocab,
                             const std::string& dtype_name, const std::string& device_name,
                             const std::string& weights_path) {
  const nlohmann::json cfg_json = read_json(case_dir + "/config.json");
  const ModelFiles files = locate_model_files(case_dir + "/model.safetensors", vocab);
  const c10::Device device = parse_device(device_name);
  const at::ScalarType dtype = parse_dtype(dtype_name, device);
  // The case's architecture with the weights from the file or folder given, in its layout.
  const auto weights =
      open_weights(weights_path.empty() ? files : locate_model_files(weights_path));
  const auto model =
      std::make_shared<ClipModel>(model_config(files, *weights), *weights, device, dtype);
  const SafetensorsFile io(case_dir + "/io.safetensors");
  const ClipConfig& cfg = model->config();
  LegradOptions opts;
  opts.layer_index = cfg_json.value("layer_index", kDefaultLayerIndex);
  const int size = cfg_json.value("image_size", cfg.vision.image_size);

  GoldenReport report;
  Recorder rec(report);
  const at::Tensor want_tokens = io.load("text_tokens");
  // SigLIP cases give the reference tokenizer's ids (no SentencePiece model ships with them).
  if (!cfg.siglip()) check_tokens(rec, cfg_json, files, want_tokens);
  if (cfg.siglip()) {
    opts.correction_embedding = model->encode_text(io.load("empty_text_tokens"));
    opts.correction_threshold =
        cfg_json["legrad"].value("correction_threshold", kDefaultCorrectionThreshold);
  }
  const at::Tensor text = model->encode_text(want_tokens);
  const GoldenCase c{*model, io, device, opts, size, io.load("pixel_values", at::kFloat), text};
  if (dtype != at::kFloat) {
    check_reduced_precision(rec, c, dtype_name);
    return report;
  }
  check_from_reference_inputs(rec, c);
  if (cfg.siglip()) check_siglip_correction(rec, c);
  check_preprocessing(rec, c);
  return report;
}

GoldenReport run_tokenizer_cases(const std::string& cases_json, const std::string& vocab) {
  const nlohmann::json cases = read_json(cases_json);
  if (!cases.is_array()) throw Error(cases_json + ": expected a JSON array of cases");
  const auto tokenizer_ptr = load_tokenizer(vocab);
  const TextTokenizer& tokenizer = *tokenizer_ptr;
  GoldenReport report;
  int index = 0;
  for (const auto& c : cases) {
    ++index;
    const std::string text = c.at("text").get<std::string>();
    const auto want = c.at("tokens").get<std::vector<int64_t>>();
    GoldenCheck check;
    std::string shown = text;
    if (shown.size() > 40) {
      size_t cut = 37;
      while (cut > 0 && (static_cast<unsigned char>(shown[cut]) & 0xC0) == 0x80) --cut;
      shown = shown.substr(0, cut) + "...";
    }
    for (char& ch : shown)
      if (ch == '\n' || ch == '\t') ch = ' ';
    check.name = "case " + std::to_string(index) + ": " + shown;
    try {
      const auto got = tokenizer.tokenize(text, static_cast<int>(want.size()));
      check.passed = got == want;
      if (check.passed) {
        check.detail = "exact";
      } else {
        size_t at = 0;
        while (at < got.size() && got[at] == want[at]) ++at;
        check.detail = "first difference at position " + std::to_string(at) + ": got " +
                       std::to_string(got[at]) + ", want " + std::to_string(want[at]);
      }
    } catch (const Error& e) {
      check.detail = e.what();
    }
    report.checks.push_back(check);
  }
  return report;
}

}  // namespace legrad
