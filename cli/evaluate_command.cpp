#include <cstdio>
#include <nlohmann/json.hpp>
#include <sstream>

#include "args.h"
#include "base/device.h"
#include "base/error.h"
#include "commands.h"
#include "engine/model_files.h"
#include "explain/presence.h"
#include "heatmap/boxes.h"
#include "lab/fashion_mnist.h"
#include "lab/localization_benchmark.h"
#include "lab/perturbation_benchmark.h"
#include "model/clip_model.h"

namespace legrad::cli {
namespace {

std::vector<ExplainMethod> parse_methods(const std::string& list) {
  std::vector<ExplainMethod> out;
  std::istringstream in(list);
  for (std::string name; std::getline(in, name, ',');)
    if (!name.empty()) out.push_back(parse_method(name));
  if (out.empty()) throw Error("--methods names no method");
  return out;
}

// Per class, the other class whose prompt embedding is the most similar.
std::vector<int> closest_prompts(const LocalizationReport& r) {
  std::vector<int> closest;
  for (int c = 0; c < kFashionClassCount; ++c) {
    int best = c == 0 ? 1 : 0;
    for (int o = 0; o < kFashionClassCount; ++o)
      if (o != c && r.prompt_similarity[c][o] > r.prompt_similarity[c][best]) best = o;
    closest.push_back(best);
  }
  return closest;
}

// The localisation table (and per-class tables); each method's figures into `json`.
void report_localization(const LocalizationReport& r, const std::vector<ExplainMethod>& methods,
                         bool per_class, nlohmann::ordered_json& json) {
  std::printf("%-15s %9s %6s %6s %8s %9s %8s %11s %8s\n", "method", "pixel_acc", "miou", "map",
              "pointing", "on_other", "near", "class_sens", "seconds");
  const std::vector<int> closest = closest_prompts(r);
  for (ExplainMethod m : methods) {
    const MethodScores& s = r.methods.at(method_name(m));
    std::printf("%-15s %9.3f %6.3f %6.3f %8.3f %9.3f %8.3f %11.3f %8.1f\n", method_name(m),
                s.pixel_acc, s.miou, s.map, s.pointing_game, s.pointing_other, s.pointing_near,
                s.class_sensitivity, s.seconds);
    nlohmann::ordered_json by_class;
    for (int c = 0; c < kFashionClassCount; ++c) {
      const PointingShares& p = s.by_class[c];
      by_class[kFashionClasses[c]] = {{"items", p.items},
                                      {"pointing_game", p.on_item},
                                      {"pointing_other", p.on_other},
                                      {"pointing_near", p.near},
                                      {"closest_prompt", kFashionClasses[closest[c]]},
                                      {"closest_similarity", r.prompt_similarity[c][closest[c]]}};
    }
    json[method_name(m)] = {{"pixel_acc", s.pixel_acc},
                            {"miou", s.miou},
                            {"map", s.map},
                            {"pointing_game", s.pointing_game},
                            {"pointing_other", s.pointing_other},
                            {"pointing_near", s.pointing_near},
                            {"class_sensitivity", s.class_sensitivity},
                            {"seconds", s.seconds},
                            {"presence_auc", r.presence_auc},
                            {"absent_score", r.absent_score},
                            {"present_score", r.present_score},
                            {"presence_precision", r.presence_precision},
                            {"presence_recall", r.presence_recall},
                            {"grid_ceiling_miou", r.grid_ceiling_miou},
                            {"grid_ceiling_pointing", r.grid_ceiling_pointing},
                            {"by_class", by_class}};
  }
  std::printf(
      "model: presence ROC AUC %.3f; mean score of prompts for present items %.3f, for "
      "absent items %.3f; patch-grid ceiling of miou %.3f, of the pointing game %.3f\n",
      r.presence_auc, r.present_score, r.absent_score, r.grid_ceiling_miou,
      r.grid_ceiling_pointing);
  if (r.presence_recall >= 0) {  // a model that gives presence probabilities
    char precision[32] = "none (nothing decided present)";
    if (r.presence_precision >= 0)
      std::snprintf(precision, sizeof precision, "%.3f", r.presence_precision);
    std::printf(
        "model: its own presence decision (probability >= %.2f): precision %s, recall "
        "%.3f\n",
        kDefaultMinProbability, precision, r.presence_recall);
  }
  if (!per_class) return;
  for (ExplainMethod m : methods) {
    std::printf("\n%s by the prompted item's class:\n%-11s %5s %8s %9s %6s  %s\n", method_name(m),
                "class", "items", "pointing", "on_other", "near", "closest prompt (cosine)");
    for (int c = 0; c < kFashionClassCount; ++c) {
      const PointingShares& p = r.methods.at(method_name(m)).by_class[c];
      std::printf("%-11s %5d %8.3f %9.3f %6.3f  %s (%.2f)\n", kFashionClasses[c], p.items,
                  p.on_item, p.on_other, p.near, kFashionClasses[closest[c]],
                  r.prompt_similarity[c][closest[c]]);
    }
  }
}

std::string percents(const std::vector<double>& values) {
  std::string out;
  for (double v : values) out += (out.empty() ? "" : " ") + std::to_string(std::lround(v));
  return out;
}

// The perturbation table; each method's curves and areas into `json` (the random-map
// baseline under its own name).
void report_perturbation(const PerturbationReport& r, nlohmann::ordered_json& json) {
  std::printf(
      "\nperturbation: %d prompted items, accuracy %.1f%% with nothing removed (the item's class "
      "against the classes absent from the scene); 10%%..90%% of the pixels blacked out, most "
      "relevant first (positive: lower is better) or least relevant first (negative: higher is "
      "better); AUC: percent x fraction, trapezoid over 0.1..0.9 (80 at most)\n",
      r.pairs, r.clean_accuracy);
  std::printf("%-15s %8s %8s  %-35s  %s\n", "method", "pos_auc", "neg_auc",
              "positive accuracy % at 10..90%", "negative accuracy % at 10..90%");
  for (const auto& [name, c] : r.methods) {
    std::printf("%-15s %8.2f %8.2f  %-35s  %s\n", name.c_str(), c.positive_auc, c.negative_auc,
                percents(c.positive).c_str(), percents(c.negative).c_str());
    nlohmann::ordered_json& entry = json[name];
    entry["perturbation_positive_auc"] = c.positive_auc;
    entry["perturbation_negative_auc"] = c.negative_auc;
    entry["perturbation_positive"] = c.positive;
    entry["perturbation_negative"] = c.negative;
    entry["perturbation_fractions"] = r.fractions;
    entry["perturbation_clean_accuracy"] = r.clean_accuracy;
  }
}

}  // namespace

std::string evaluate_usage() {
  return usage_lines({
      "evaluate [--model DIR] [--scenes 500] [--seed 1000] [--size S] [--layer-index " +
          std::to_string(kDefaultLayerIndex) + "]",
      "         [--methods " + std::string(kDefaultEvaluatedMethods) + "]",
      "         [--device " + std::string(kDefaultDevice) + "|cuda[:N]] [--dtype fp32|bf16|fp16]",
      "         [--threads N] [--data " + std::string(kFashionMnistDir) + "]",
      "         [--per-class] [--perturbation] [--json]",
      "    Localisation benchmark on held-out Fashion-MNIST scenes with item masks (methods:",
      "    " + method_names(", ") + "); --perturbation adds the perturbation benchmark",
      "    (pixels removed by relevance, zero-shot accuracy; and a random-map baseline).",
  });
}

int evaluate_command(int argc, char** argv) {
  const Args args(argc, argv,
                  {"model", "scenes", "seed", "methods", "data", "threads", "device", "dtype",
                   "layer-index", "size"},
                  {"json", "per-class", "perturbation"});
  set_compute_threads(args.get_int("threads", 0));
  EngineOptions options;
  options.layer_index = args.get_int("layer-index", kDefaultLayerIndex);
  options.input_size = args.get_int("size", 0);
  const std::string model = args.get("model", default_model_path());
  // The benchmarks' figures are fp32 ones.
  const LegradEngine engine(
      model_request(model, "", args.get("device", kDefaultDevice), args.get("dtype", "fp32")),
      options);
  const int count = args.get_int("scenes", 500);
  const auto methods = parse_methods(args.get("methods", kDefaultEvaluatedMethods));
  const uint64_t seed = static_cast<uint64_t>(args.get_int("seed", 1000));
  const SceneOptions scene_options =
      SceneOptions::for_size(engine.model().config().vision.image_size);
  const SceneGenerator scenes(FashionMnist::load(args.get("data", kFashionMnistDir), false),
                              scene_options, seed);
  const LocalizationReport r = evaluate_localization(engine, scenes, count, methods);

  std::printf("%s: %d test-split scenes (seed %llu), %d prompted items\n", model.c_str(), r.scenes,
              static_cast<unsigned long long>(seed), r.pairs);
  nlohmann::ordered_json json;
  report_localization(r, methods, args.has("per-class"), json);
  if (args.has("perturbation"))
    report_perturbation(evaluate_perturbation(engine, scenes, count, methods, seed), json);
  if (args.has("json")) std::printf("%s\n", json.dump().c_str());
  return 0;
}

}  // namespace legrad::cli
