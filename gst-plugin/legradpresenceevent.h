// A presence event (../core/engine/presence_events.h) as GStreamer carries it: a structure
// named `legrad-event`, posted as an element message and sent downstream as a custom event
// (which legradclipsink starts and ends clips by, legradmetaconvert writes as a JSON line and
// legradmetapublish publishes).
#pragma once

#include <gst/gst.h>

#include "engine/presence_events.h"

namespace legrad {

constexpr const char* kPresenceEventName = "legrad-event";

// Fields: id (string), state ("start" / "end"), prompt, object-id (-1: the whole frame),
// start-pts, start-utc (ISO 8601), last-pts, frames, peak-score, peak-probability (where the
// model gives one), box-x, box-y, box-width, box-height (where there is a box).
GstStructure* presence_event_structure(const PresenceEvent& event);

}  // namespace legrad
