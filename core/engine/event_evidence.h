// The evidence picture of a presence event: the frame that started it, scaled down, with the
// heatmap that showed the prompt drawn on it and its box and prompt, as a JPEG bounded in bytes
// so that it travels in a message to a broker.
#pragma once

#include <cstddef>
#include <string>

#include "engine/presence_events.h"
#include "video/video_frame.h"

namespace legrad {

constexpr int kMaxEvidenceSide = 4096;
constexpr size_t kDefaultEvidenceMaxBytes = 64 * 1024;
constexpr size_t kMinEvidenceMaxBytes = 4 * 1024;
constexpr size_t kMaxEvidenceMaxBytes = 16 * 1024 * 1024;

struct EvidenceSettings {
  int longest_side = 0;  // pixels; 0: no evidence pictures
  size_t max_bytes = kDefaultEvidenceMaxBytes;
  float box_threshold = kDefaultRoiThreshold;
};

// `event`'s map in `analysis` drawn on `frame` (scaled so that its longest side is at most
// settings.longest_side) through the default colour map, with the box and the prompt: JPEG bytes
// no longer than settings.max_bytes (the quality steps down, then the size, until it fits).
// Throws legrad::Error where even a small, coarse picture does not fit.
std::string evidence_jpeg(const FramePlanes& frame, const Analysis& analysis,
                          const PresenceEvent& event, const EvidenceSettings& settings);

}  // namespace legrad
