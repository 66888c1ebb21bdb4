// Presence events of one stream: when a prompt (or, with RegionMode::RoiList, a prompt on one
// object) starts to be present and when it ends, debounced over analysed frames so that one
// walk past a camera is one event, not thirty. No GStreamer: the `legrad` element posts them.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include "engine/stream_analyzer.h"

namespace legrad {

constexpr unsigned kDefaultEventMinFrames = 3;
constexpr unsigned kDefaultEventHoldMs = 2000;

struct PresenceEventSettings {
  unsigned min_frames = kDefaultEventMinFrames;  // analysed frames present before it starts
  unsigned hold_ms = kDefaultEventHoldMs;        // time without it before it ends
  float box_threshold = kDefaultRoiThreshold;    // heatmap level that bounds the peak's box
};

struct PresenceEvent {
  enum class Kind { Start, End };
  Kind kind = Kind::Start;
  uint64_t id = 0;  // one number for an event's start and end, increasing in a stream
  std::string prompt;
  int object_id = -1;        // RoiList: the object's region id; -1 for the whole frame
  int64_t start_pts = -1;    // ns: the first analysed frame of the presence; -1 unknown
  int64_t start_utc_ms = 0;  // wall-clock time of that frame, ms since the epoch
  int64_t last_pts = -1;     // the last analysed frame it was present in
  uint64_t frames = 0;       // analysed frames it was present in, so far
  float peak_score = 0.0f;
  std::optional<float> peak_probability;
  std::optional<Box> peak_box;  // in frame pixels, at the peak; RoiList: the object's region
  size_t map = 0;               // its map in the newest analysis it was present in
  std::string evidence;         // JPEG, where the element asks: see engine/event_evidence.h

  const char* state() const { return kind == Kind::Start ? "start" : "end"; }
};

// Where `map` of `analysis` says its prompt is, in frame pixels: the object's region for
// RoiList, else the largest region of the map above `threshold` (none where nothing is).
std::optional<Box> map_box(const Analysis& analysis, size_t map, int frame_width, int frame_height,
                           float threshold);

class PresenceEvents {
 public:
  // The events a frame decides. Only a frame that brings a new analysis changes anything;
  // `utc_ms` is the wall clock as the frame is seen, `frame_width` x `frame_height` its size.
  std::vector<PresenceEvent> update(const FrameResult& result, int frame_width, int frame_height,
                                    int64_t utc_ms, const PresenceEventSettings& settings);
  // Ends every event under way (end of stream, stop).
  std::vector<PresenceEvent> finish();

 private:
  using Key = std::tuple<std::string, int>;  // prompt, object id
  struct Track {
    PresenceEvent event;
    bool started = false;
    unsigned run = 0;  // analysed frames in a row present, before it started
  };
  struct Seen {  // one target's decision on the new analysis
    Key key;
    bool present;
    size_t map;
  };

  std::vector<Seen> decisions(const FrameResult& result) const;
  void present(Track& track, const Seen& seen, const FrameResult& result, int frame_width,
               int frame_height, int64_t utc_ms, const PresenceEventSettings& settings,
               std::vector<PresenceEvent>& out);

  std::map<Key, Track> tracks_;
  uint64_t last_frame_number_ = 0;
  bool seen_analysis_ = false;
  int64_t now_ = -1;  // the time of the newest analysed frame, ns
  uint64_t next_id_ = 1;
};

}  // namespace legrad
