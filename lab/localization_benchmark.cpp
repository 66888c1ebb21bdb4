#include "lab/localization_benchmark.h"

#include <ATen/ATen.h>

#include <algorithm>

#include "base/error.h"
#include "explain/presence.h"
#include "heatmap/boxes.h"
#include "lab/scene_maps.h"
#include "model/clip_model.h"

namespace legrad {
namespace {

struct Counts {
  double inter_fg = 0, union_fg = 0, inter_bg = 0, union_bg = 0;
  void add(const at::Tensor& pred, const at::Tensor& mask) {
    inter_fg += (pred & mask).sum().item<double>();
    union_fg += (pred | mask).sum().item<double>();
    inter_bg += (~pred & ~mask).sum().item<double>();
    union_bg += (~pred | ~mask).sum().item<double>();
  }
  double miou() const {
    return 0.5 * (inter_fg / std::max(union_fg, 1.0) + inter_bg / std::max(union_bg, 1.0));
  }
};

double iou(const at::Tensor& pred, const at::Tensor& mask) {
  const double u = (pred | mask).sum().item<double>();
  return u > 0 ? (pred & mask).sum().item<double>() / u : 0.0;
}

// Average precision of ranking pixels by `score` against `mask`.
double average_precision(const at::Tensor& score, const at::Tensor& mask) {
  const at::Tensor order = score.flatten().argsort(/*stable=*/true, /*dim=*/0, /*descending=*/true);
  const at::Tensor hits = mask.flatten().index_select(0, order).to(at::kDouble);
  const double positives = hits.sum().item<double>();
  if (positives == 0) return 0.0;
  const at::Tensor ranks = at::arange(1, hits.numel() + 1, at::kDouble);
  return (hits * hits.cumsum(0) / ranks).sum().item<double>() / positives;
}

int64_t peak(const at::Tensor& map) { return map.flatten().argmax().item<int64_t>(); }

// The item whose mask holds pixel `at` (a flat index), or null for the background.
const SceneItem* item_at(const Scene& scene, int64_t at) {
  for (const SceneItem& item : scene.items)
    if (item.mask.flatten()[at].item<bool>()) return &item;
  return nullptr;
}

// Whether pixel `at` lies within `radius` pixels (on both axes) of the mask.
bool near_mask(const at::Tensor& mask, int64_t at, int radius) {
  const int64_t size = mask.size(0);
  const at::Tensor grown =
      at::max_pool2d(mask.to(at::kFloat).view({1, 1, size, size}), 2 * radius + 1, 1, radius);
  return grown.flatten()[at].item<float>() > 0;
}

// Mann-Whitney: the probability that a present pair outscores an absent one (ties half).
double roc_auc(const std::vector<std::pair<double, bool>>& scored) {
  std::vector<std::pair<double, bool>> s = scored;
  std::sort(s.begin(), s.end());
  double positives = 0, negatives = 0, rank_sum = 0;
  for (size_t i = 0; i < s.size();) {
    size_t j = i;
    while (j < s.size() && s[j].first == s[i].first) ++j;
    const double mid_rank = 0.5 * (i + 1 + j);  // ranks i+1..j share their mean
    for (size_t k = i; k < j; ++k)
      if (s[k].second) rank_sum += mid_rank;
    i = j;
  }
  for (const auto& p : s) (p.second ? positives : negatives) += 1;
  if (positives == 0 || negatives == 0) return 0.5;
  return (rank_sum - positives * (positives + 1) / 2) / (positives * negatives);
}

// Per method, sums over the set; the report divides them.
struct MethodSums {
  Counts counts;
  double acc = 0, ap = 0;
  std::vector<PointingShares> by_class = std::vector<PointingShares>(kFashionClassCount);
  double sensitivity = 0, seconds = 0;
  int sensitivity_pairs = 0;
};

// The model's own sums: its presence scores and the patch grid's ceiling.
struct ModelSums {
  Counts ceiling;
  double ceiling_pointing = 0;
  std::vector<std::pair<double, bool>> presence;
  // The model's own decision (presence probability >= 0.5), where it has one.
  bool has_probability = false;
  int decided_present = 0, decided_correctly = 0;
  double absent_sum = 0, present_sum = 0;
  int absent_n = 0, present_n = 0, pairs = 0;
};

// Every class prompt's score: the model's own presence decision.
void add_presence(ModelSums& sums, const LegradEngine& engine, const Scene& scene,
                  const PromptSet& all) {
  const at::Tensor scores = engine.scores(image_view(scene.image), all).cpu();
  const at::Tensor probability = engine.model().presence_probability(scores);
  sums.has_probability = probability.defined();
  for (int label = 0; label < kFashionClassCount; ++label) {
    const double s = scores[label].item<double>();
    const bool present = scene.contains(label);
    sums.presence.push_back({s, present});
    if (probability.defined() &&
        PresenceRule{}.present(static_cast<float>(s), probability[label].item<float>())) {
      sums.decided_present++;
      sums.decided_correctly += present;
    }
    (present ? sums.present_sum : sums.absent_sum) += s;
    (present ? sums.present_n : sums.absent_n) += 1;
  }
}

// Each item's mask averaged over the patches and upsampled back: the best a patch grid can do.
void add_grid_ceiling(ModelSums& sums, const Scene& scene, int size, int patch) {
  for (const SceneItem& item : scene.items) {
    const at::Tensor cells =
        at::avg_pool2d(item.mask.to(at::kFloat).view({1, 1, size, size}), patch);
    const at::Tensor back = upsample_relevance(cells, patch).view({size, size});
    sums.ceiling.add(back > 0.5, item.mask);
    sums.ceiling_pointing += item_at(scene, peak(back)) == &item ? 1.0 : 0.0;
  }
  sums.pairs += static_cast<int>(scene.items.size());
}

// Where the map of item k has its maximum: on it, on another item, or near it.
void add_pointing(PointingShares& c, const Scene& scene, size_t k, const at::Tensor& map,
                  int patch) {
  const int64_t at = peak(map);
  const SceneItem* pointed = item_at(scene, at);
  c.items += 1;
  c.on_item += pointed == &scene.items[k] ? 1.0 : 0.0;
  c.on_other += pointed && pointed != &scene.items[k] ? 1.0 : 0.0;
  c.near += !pointed && near_mask(scene.items[k].mask, at, patch / 2) ? 1.0 : 0.0;
}

// The map of item k against its mask and, for class sensitivity, the other items' masks.
void add_item_scores(MethodSums& a, const Scene& scene, size_t k, const at::Tensor& map,
                     int patch) {
  const at::Tensor& mask = scene.items[k].mask;
  const at::Tensor pred = map > map.mean();
  a.counts.add(pred, mask);
  a.acc += pred.eq(mask).to(at::kDouble).mean().item<double>();
  a.ap += average_precision(map, mask);
  add_pointing(a.by_class[scene.items[k].label], scene, k, map, patch);
  for (size_t other = 0; other < scene.items.size(); ++other) {
    if (other == k) continue;
    a.sensitivity += iou(pred, mask) - iou(pred, scene.items[other].mask);
    ++a.sensitivity_pairs;
  }
}

MethodScores method_scores(const MethodSums& a, int pairs) {
  MethodScores m;
  m.pixel_acc = a.acc / pairs;
  m.miou = a.counts.miou();
  m.map = a.ap / pairs;
  for (PointingShares c : a.by_class) {
    m.pointing_game += c.on_item / pairs;
    m.pointing_other += c.on_other / pairs;
    m.pointing_near += c.near / pairs;
    const double n = std::max(c.items, 1);
    m.by_class.push_back({c.items, c.on_item / n, c.on_other / n, c.near / n});
  }
  m.class_sensitivity = a.sensitivity_pairs ? a.sensitivity / a.sensitivity_pairs : 0.0;
  m.seconds = a.seconds;
  return m;
}

// The class prompts' cosine similarities, [classes][classes].
std::vector<std::vector<double>> prompt_similarity(const PromptSet& all) {
  const at::Tensor cosines =
      at::matmul(all.embeddings, all.embeddings.t()).to(at::kCPU, at::kDouble);
  std::vector<std::vector<double>> similarity;
  for (int64_t a = 0; a < kFashionClassCount; ++a) {
    similarity.emplace_back();
    for (int64_t b = 0; b < kFashionClassCount; ++b)
      similarity.back().push_back(cosines[a][b].item<double>());
  }
  return similarity;
}

LocalizationReport make_report(int count, const std::map<std::string, MethodSums>& methods,
                               const ModelSums& model, const PromptSet& all) {
  LocalizationReport report;
  report.scenes = count;
  report.pairs = model.pairs;
  for (const auto& [name, a] : methods) report.methods[name] = method_scores(a, model.pairs);
  report.presence_auc = roc_auc(model.presence);
  report.absent_score = model.absent_n ? model.absent_sum / model.absent_n : 0.0;
  report.present_score = model.present_n ? model.present_sum / model.present_n : 0.0;
  if (model.has_probability) {
    report.presence_precision =
        model.decided_present ? double(model.decided_correctly) / model.decided_present : -1.0;
    report.presence_recall =
        model.present_n ? double(model.decided_correctly) / model.present_n : 0.0;
  }
  report.grid_ceiling_miou = model.ceiling.miou();
  report.grid_ceiling_pointing = model.ceiling_pointing / model.pairs;
  report.prompt_similarity = prompt_similarity(all);
  return report;
}

}  // namespace

LocalizationReport evaluate_localization(const LegradEngine& engine, const SceneGenerator& scenes,
                                         int count, const std::vector<ExplainMethod>& methods) {
  if (count < 1) throw Error("the benchmark needs at least one scene");
  const int size = scenes.options().size;
  const int patch = engine.model().config().vision.patch_size;
  const PromptSet all = class_prompts(engine);

  std::map<std::string, MethodSums> sums;
  ModelSums model;
  for (int i = 0; i < count; ++i) {
    const Scene scene = scenes.scene(static_cast<uint64_t>(i));
    add_presence(model, engine, scene, all);
    add_grid_ceiling(model, scene, size, patch);
    const PromptSet present = item_prompts(all, scene);
    for (ExplainMethod method : methods) {
      MethodSums& a = sums[method_name(method)];
      const at::Tensor maps = item_maps(engine, scene, present, method, size, &a.seconds);
      for (size_t k = 0; k < scene.items.size(); ++k)
        add_item_scores(a, scene, k, maps[static_cast<int64_t>(k)], patch);
    }
  }
  return make_report(count, sums, model, all);
}

}  // namespace legrad
