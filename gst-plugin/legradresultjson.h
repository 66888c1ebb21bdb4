// The JSON that legradmetaconvert writes and legradmetapublish publishes, in one place: one
// object per frame, and one per event (a camera lost or back, a presence event, a clip).
// docs/legrad-metadata.schema.json describes both; the tests check them against it.
#pragma once

#include <gst/gst.h>
#include <gst/video/video.h>

#include <nlohmann/json.hpp>
#include <optional>

namespace legrad {

// {"pts", "width", "height", "prompts": [{"prompt", "index", "score", "probability", "age",
// "source_pts", "box", ["object"], ["heatmap"]}]} from the buffer's LeGrad metadata.
nlohmann::json frame_json(GstBuffer* buffer, const GstVideoInfo& info, bool include_heatmap);

// The line of an event structure that legradcamerasrc (camera-lost, camera-back), legrad
// (legrad-event) or legradclipsink (legrad-clip) sends; nothing for any other structure.
std::optional<nlohmann::json> event_json(const GstStructure* s);

}  // namespace legrad
