// Whether a prompt is present in a picture: the one decision behind the element's boxes and the
// benchmarks' precision and recall.
#pragma once

#include <optional>

namespace legrad {

// The score (cosine similarity) a prompt needs; -1 lets every score through.
constexpr float kDefaultMinScore = -1.0f;
// The decision a model trained with a sigmoid loss was trained to make (ClipModel::
// presence_probability): present where it says more likely present than not.
constexpr float kDefaultMinProbability = 0.5f;

struct PresenceRule {
  float min_score = kDefaultMinScore;
  float min_probability = kDefaultMinProbability;  // read only where the model gives one

  // The score reaches min_score and, where the model gives a probability, that reaches
  // min_probability.
  bool present(float score, std::optional<float> probability) const {
    return score >= min_score && (!probability || *probability >= min_probability);
  }
};

}  // namespace legrad
