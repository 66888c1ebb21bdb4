#include "lab/perturbation_benchmark.h"

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>

#include <cmath>

#include "base/error.h"
#include "lab/scene_maps.h"
#include "model/clip_model.h"

namespace legrad {
namespace {

constexpr int kSteps = 9;  // 10%, 20%, ..., 90% of the pixels removed

double removed_fraction(int step) { return 0.1 * (step + 1); }

// Per method, correct pairs at each step; the report divides them.
struct Tally {
  std::vector<double> positive = std::vector<double>(kSteps);
  std::vector<double> negative = std::vector<double>(kSteps);
};

// The class prompts' scores [B, classes] for images [B, S, S, 3] (uint8 RGB).
at::Tensor class_scores(const LegradEngine& engine, const at::Tensor& images,
                        const PromptSet& all) {
  std::vector<at::Tensor> pixels;
  for (int64_t b = 0; b < images.size(0); ++b)
    pixels.push_back(engine.preprocess(image_view(images[b])));
  at::NoGradGuard no_grad;
  const at::Tensor embeddings = engine.model().encode_image(at::cat(pixels));
  const at::Tensor prompts = all.embeddings.to(embeddings.device(), embeddings.dtype());
  return at::matmul(embeddings, prompts.t()).to(at::kCPU, at::kFloat);
}

// Per row of `scores`, whether `label` outscores every class absent from the scene.
at::Tensor correct(const at::Tensor& scores, const Scene& scene, int label) {
  at::Tensor present = at::zeros({kFashionClassCount}, at::kBool);
  for (const SceneItem& item : scene.items) present[item.label] = true;
  const at::Tensor rivals = scores.masked_fill(present, -INFINITY).amax(1);
  return scores.select(1, label) > rivals;
}

// `image` [S, S, 3] with each step's share of pixels blacked out, ranked by `map` [S, S]: the
// kSteps positive perturbations (most relevant first), then the kSteps negative ones.
at::Tensor perturbed_images(const at::Tensor& image, const at::Tensor& map) {
  const int64_t n = map.numel();
  const at::Tensor order = map.flatten().argsort(/*stable=*/true, /*dim=*/0, /*descending=*/true);
  std::vector<at::Tensor> images;
  for (bool most_relevant_first : {true, false})
    for (int step = 0; step < kSteps; ++step) {
      const int64_t k = std::llround(removed_fraction(step) * static_cast<double>(n));
      const at::Tensor removed =
          most_relevant_first ? order.slice(0, 0, k) : order.slice(0, n - k, n);
      const at::Tensor black = at::zeros({n}, at::kBool).index_fill_(0, removed, true);
      images.push_back(image.masked_fill(black.view(map.sizes()).unsqueeze(-1), 0));
    }
  return at::stack(images);
}

void add_pair(Tally& tally, const LegradEngine& engine, const Scene& scene, size_t item,
              const at::Tensor& map, const PromptSet& all) {
  const at::Tensor scores = class_scores(engine, perturbed_images(scene.image, map), all);
  const at::Tensor right = correct(scores, scene, scene.items[item].label).to(at::kDouble);
  for (int step = 0; step < kSteps; ++step) {
    tally.positive[step] += right[step].item<double>();
    tally.negative[step] += right[kSteps + step].item<double>();
  }
}

// Trapezoid rule over the steps, accuracy in percent, x the removed fraction.
double area(const std::vector<double>& accuracy) {
  double sum = 0;
  for (size_t i = 0; i + 1 < accuracy.size(); ++i)
    sum += 0.1 * 0.5 * (accuracy[i] + accuracy[i + 1]);
  return sum;
}

PerturbationCurves curves(const Tally& tally, int pairs) {
  PerturbationCurves c;
  for (int step = 0; step < kSteps; ++step) {
    c.positive.push_back(100.0 * tally.positive[step] / pairs);
    c.negative.push_back(100.0 * tally.negative[step] / pairs);
  }
  c.positive_auc = area(c.positive);
  c.negative_auc = area(c.negative);
  return c;
}

}  // namespace

PerturbationReport evaluate_perturbation(const LegradEngine& engine, const SceneGenerator& scenes,
                                         int count, const std::vector<ExplainMethod>& methods,
                                         uint64_t seed) {
  if (count < 1) throw Error("the benchmark needs at least one scene");
  const int size = scenes.options().size;
  const PromptSet all = class_prompts(engine);
  at::Generator noise = at::detail::createCPUGenerator(seed);
  std::map<std::string, Tally> tallies;
  double clean = 0;
  int pairs = 0;
  for (int i = 0; i < count; ++i) {
    const Scene scene = scenes.scene(static_cast<uint64_t>(i));
    const PromptSet present = item_prompts(all, scene);
    std::map<std::string, at::Tensor> maps;
    for (ExplainMethod method : methods)
      maps[method_name(method)] = item_maps(engine, scene, present, method, size);
    const auto items = static_cast<int64_t>(scene.items.size());
    maps[kRandomMapBaseline] = at::rand({items, size, size}, noise);
    const at::Tensor clean_scores = class_scores(engine, scene.image.unsqueeze(0), all);
    for (size_t k = 0; k < scene.items.size(); ++k) {
      clean += correct(clean_scores, scene, scene.items[k].label)[0].item<double>();
      ++pairs;
      for (const auto& [name, method_maps] : maps)
        add_pair(tallies[name], engine, scene, k, method_maps[static_cast<int64_t>(k)], all);
    }
  }
  PerturbationReport report;
  report.scenes = count;
  report.pairs = pairs;
  report.clean_accuracy = 100.0 * clean / pairs;
  for (int step = 0; step < kSteps; ++step) report.fractions.push_back(removed_fraction(step));
  for (const auto& [name, tally] : tallies) report.methods[name] = curves(tally, pairs);
  return report;
}

}  // namespace legrad
