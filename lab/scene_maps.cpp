#include "lab/scene_maps.h"

#include <ATen/ATen.h>

#include <chrono>
#include <string>
#include <vector>

#include "video/preprocess.h"

namespace legrad {

PromptSet class_prompts(const LegradEngine& engine) {
  std::vector<std::string> prompts;
  for (int label = 0; label < kFashionClassCount; ++label) prompts.push_back(class_prompt(label));
  return engine.encode_prompts(prompts);
}

PromptSet item_prompts(const PromptSet& all, const Scene& scene) {
  PromptSet present;
  std::vector<int64_t> rows;
  for (const SceneItem& item : scene.items) {
    present.texts.push_back(all.texts[item.label]);
    rows.push_back(item.label);
  }
  present.embeddings = all.embeddings.index_select(0, at::tensor(rows).to(all.embeddings.device()));
  return present;
}

at::Tensor item_maps(const LegradEngine& engine, const Scene& scene, const PromptSet& present,
                     ExplainMethod method, int size, double* seconds) {
  const auto start = std::chrono::steady_clock::now();
  const Explanation ex = engine.explain(image_view(scene.image), present, method);
  if (seconds)
    *seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  at::Tensor maps = ex.heatmaps.to(at::kCPU, at::kFloat);
  if (maps.size(-1) != size)  // explained at another input size: back to the scene's
    maps = at::adaptive_avg_pool2d(maps.unsqueeze(1), {size, size}).squeeze(1);
  return maps;
}

}  // namespace legrad
