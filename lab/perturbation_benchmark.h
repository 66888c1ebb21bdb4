// Faithfulness by perturbation (Chefer et al. 2021, as the LeGrad paper evaluates it), on the
// Fashion-MNIST scenes with the model as a zero-shot classifier over the ten class prompts.
// Per (scene, item) pair, the method's map for the item's class prompt ranks the pixels; a
// fraction of them (10%, 20%, ..., 90%) is set to black before normalisation, most relevant
// first (positive perturbation: a faithful map makes accuracy fall fast) or least relevant
// first (negative: accuracy should hold). A pair counts as correct when the item's class
// prompt scores above every class absent from the scene: the scene's other items take no
// part, so each item of a multi-item scene is judged on its own. The area under each accuracy
// curve (percent, over fractions 0.1 to 0.9, trapezoid rule with steps of 0.1: 80 at most) is
// the figure: lower is better for positive, higher for negative. A baseline ranks the pixels
// by a random map (uniform noise, seeded).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "engine/engine.h"
#include "lab/toy_scenes.h"

namespace legrad {

// The random-map baseline's name in the report, beside the methods'.
constexpr const char* kRandomMapBaseline = "random";

struct PerturbationCurves {
  std::vector<double> positive, negative;  // accuracy (percent) at each fraction
  double positive_auc = 0, negative_auc = 0;
};

struct PerturbationReport {
  int scenes = 0, pairs = 0;
  double clean_accuracy = 0;                          // percent, nothing removed
  std::vector<double> fractions;                      // 0.1, 0.2, ..., 0.9
  std::map<std::string, PerturbationCurves> methods;  // by method name, and kRandomMapBaseline
};

// Throws legrad::Error for fewer than one scene.
PerturbationReport evaluate_perturbation(const LegradEngine& engine, const SceneGenerator& scenes,
                                         int count, const std::vector<ExplainMethod>& methods,
                                         uint64_t seed);

}  // namespace legrad
