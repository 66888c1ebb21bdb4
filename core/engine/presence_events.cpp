#include "engine/presence_events.h"

#include <set>

namespace legrad {

namespace {

// The analysis's time: its frame's timestamp, or the wall clock for frames without one.
int64_t analysis_time(const Analysis& a, int64_t utc_ms) {
  return a.source_pts >= 0 ? a.source_pts : utc_ms * 1000000;
}

}  // namespace

std::optional<Box> map_box(const Analysis& a, size_t map, int frame_width, int frame_height,
                           float threshold) {
  if (a.covers_regions()) {
    const Region& r = a.regions[map / a.prompt_count()];
    return Box{r.x, r.y, r.width, r.height};
  }
  const std::optional<Box> box = largest_region({a.map(map), a.size, a.size}, threshold);
  if (!box) return std::nullopt;
  return scale_box(*box, a.size, a.size, frame_width, frame_height);
}

std::vector<PresenceEvents::Seen> PresenceEvents::decisions(const FrameResult& result) const {
  const Analysis& a = *result.analysis;
  std::vector<Seen> out;
  const size_t prompts = a.prompt_count();
  for (size_t i = 0; i < a.map_count() && i < result.present.size(); ++i) {
    const int object = a.covers_regions() ? a.regions[i / prompts].id : -1;
    out.push_back({Key(a.prompts[i % prompts], object), bool(result.present[i]), i});
  }
  return out;
}

void PresenceEvents::present(Track& track, const Seen& seen, const FrameResult& result,
                             int frame_width, int frame_height, int64_t utc_ms,
                             const PresenceEventSettings& settings,
                             std::vector<PresenceEvent>& out) {
  const Analysis& a = *result.analysis;
  PresenceEvent& e = track.event;
  if (track.run == 0 && !track.started) {
    e = PresenceEvent();
    e.prompt = std::get<0>(seen.key);
    e.object_id = std::get<1>(seen.key);
    e.start_pts = a.source_pts;
    e.start_utc_ms = utc_ms;
    e.peak_score = a.scores[seen.map];
  }
  e.last_pts = now_;
  ++e.frames;
  if (e.frames == 1 || a.scores[seen.map] >= e.peak_score) {
    e.peak_score = a.scores[seen.map];
    e.peak_probability = a.probability(seen.map);
    e.peak_box = map_box(a, seen.map, frame_width, frame_height, settings.box_threshold);
  }
  e.map = seen.map;
  if (track.started) return;
  if (++track.run < std::max(1u, settings.min_frames)) return;
  track.started = true;
  e.id = next_id_++;
  e.kind = PresenceEvent::Kind::Start;
  out.push_back(e);
}

std::vector<PresenceEvent> PresenceEvents::update(const FrameResult& result, int frame_width,
                                                  int frame_height, int64_t utc_ms,
                                                  const PresenceEventSettings& settings) {
  std::vector<PresenceEvent> out;
  if (!result.analysis) return out;
  const Analysis& a = *result.analysis;
  if (seen_analysis_ && a.frame_number == last_frame_number_) return out;
  seen_analysis_ = true;
  last_frame_number_ = a.frame_number;
  now_ = analysis_time(a, utc_ms);

  std::set<Key> present_now;
  for (const Seen& seen : decisions(result)) {
    if (!seen.present) continue;
    present_now.insert(seen.key);
    present(tracks_[seen.key], seen, result, frame_width, frame_height, utc_ms, settings, out);
  }
  const int64_t hold = int64_t(settings.hold_ms) * 1000000;
  for (auto it = tracks_.begin(); it != tracks_.end();) {
    Track& track = it->second;
    const bool gone = !present_now.count(it->first);
    if (gone && !track.started) {
      it = tracks_.erase(it);  // a run too short to start: forgotten
    } else if (gone && now_ - track.event.last_pts >= hold) {
      track.event.kind = PresenceEvent::Kind::End;
      out.push_back(track.event);
      it = tracks_.erase(it);
    } else {
      ++it;
    }
  }
  return out;
}

std::vector<PresenceEvent> PresenceEvents::finish() {
  std::vector<PresenceEvent> out;
  for (auto& [key, track] : tracks_) {
    if (!track.started) continue;
    track.event.kind = PresenceEvent::Kind::End;
    out.push_back(track.event);
  }
  tracks_.clear();
  seen_analysis_ = false;
  return out;
}

}  // namespace legrad
