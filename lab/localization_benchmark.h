// How well explainers localise what a prompt names, on Fashion-MNIST scenes with known item
// masks (toy_scenes.h, test split). Per (scene, present item) pair the method's map for that
// item's class prompt is compared with the item's mask:
//   pixel_acc          map > its mean, against the mask, fraction of pixels right
//   miou               two-class (item, rest) IoU of that thresholding, intersections and
//                      unions summed over the set, then averaged over the two classes
//   map                average precision of the map's pixel ranking against the mask, averaged
//                      over pairs (the ImageNet-Segmentation protocol of LeGrad and Chefer et al.)
//   pointing_game      fraction of maps whose maximum lies on the item
//   pointing_other     fraction of maps whose maximum lies on another item of the scene
//   pointing_near      fraction of maps whose maximum lies on the background but within half a
//                      patch of the item (a miss finer than the patch grid; the remaining misses
//                      fall on the background further away)
//   class_sensitivity  in scenes with several items: IoU with the prompted item minus IoU with
//                      another item of the scene, averaged over ordered pairs
// The pointing shares are also kept per class of the prompted item, to tell which classes
// are missed and how.
// And, for the model itself: presence ROC AUC of every class prompt's score over all scenes,
// the mean score of prompts for absent and for present items, the precision and recall of its
// own presence decision where it has one (presence_probability >= kDefaultMinProbability, the
// element's default), and the patch-grid ceiling of miou (the mask averaged over patches,
// upsampled back and thresholded at one half) and of the pointing game (that patch-averaged
// mask's maximum on the item); and the cosine similarity of the class prompts' embeddings
// (prompts the model confuses are close).
// The engine may explain at another input size than the scenes' (as LeGrad's demos explain at
// twice the size their model was trained at): its maps are then area-averaged to the scene size.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "engine/engine.h"
#include "explain/classic_explainers.h"
#include "lab/toy_scenes.h"

namespace legrad {

// Where a set of maps has its maxima: fractions of `items` maps (the benchmark counts in it
// first, then divides).
struct PointingShares {
  int items = 0;
  double on_item = 0, on_other = 0, near = 0;
};

struct MethodScores {
  double pixel_acc = 0, miou = 0, map = 0, pointing_game = 0, pointing_other = 0, pointing_near = 0;
  double class_sensitivity = 0;
  double seconds = 0;                    // explaining time over the set
  std::vector<PointingShares> by_class;  // [kFashionClassCount], by the prompted item's class
};

struct LocalizationReport {
  int scenes = 0, pairs = 0;
  std::map<std::string, MethodScores> methods;  // by method name
  double presence_auc = 0;
  double absent_score = 0, present_score = 0;
  // The model's own presence decision (probability >= kDefaultMinProbability; models with a
  // logit bias only, else negative): precision and recall over every class prompt of every
  // scene; precision negative too where it decided nothing present.
  double presence_precision = -1, presence_recall = -1;
  double grid_ceiling_miou = 0, grid_ceiling_pointing = 0;
  std::vector<std::vector<double>> prompt_similarity;  // class prompts' cosines, by class
};

LocalizationReport evaluate_localization(const LegradEngine& engine, const SceneGenerator& scenes,
                                         int count, const std::vector<ExplainMethod>& methods);

}  // namespace legrad
