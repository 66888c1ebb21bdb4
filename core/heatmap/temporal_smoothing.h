// Steady heatmaps on live video: each prompt's map averaged over the analysed frames
// (exponential moving average), started afresh when the prompts or the map size change.
#pragma once

#include <string>
#include <vector>

namespace legrad {

// The previous average's weight; 0 = off (every map as it was computed).
constexpr float kDefaultSmoothing = 0.0f;
constexpr float kMaxSmoothing = 0.99f;

class TemporalSmoothing {
 public:
  // `maps`: one size x size map per prompt, back to back; replaced by
  // factor * average + (1 - factor) * map, which becomes the new average.
  void apply(const std::vector<std::string>& prompts, int size, float factor,
             std::vector<float>& maps);
  // Forgets the average (flush, caps change): the next maps start it again.
  void reset();

 private:
  std::vector<std::string> prompts_;
  int size_ = 0;
  std::vector<float> average_;
};

}  // namespace legrad
