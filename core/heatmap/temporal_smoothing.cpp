#include "heatmap/temporal_smoothing.h"

#include <algorithm>

namespace legrad {

void TemporalSmoothing::apply(const std::vector<std::string>& prompts, int size, float factor,
                              std::vector<float>& maps) {
  factor = std::clamp(factor, 0.0f, kMaxSmoothing);
  const bool continues =
      factor > 0 && size == size_ && prompts == prompts_ && average_.size() == maps.size();
  if (continues)
    for (size_t i = 0; i < maps.size(); ++i)
      maps[i] = factor * average_[i] + (1.0f - factor) * maps[i];
  if (factor == 0) {
    reset();
    return;
  }
  prompts_ = prompts;
  size_ = size;
  average_ = maps;
}

void TemporalSmoothing::reset() {
  prompts_.clear();
  size_ = 0;
  average_.clear();
}

}  // namespace legrad
