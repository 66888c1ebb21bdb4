// Between GStreamer buffers and the core's StreamAnalyzer: what a buffer brings in (its
// planes, per-frame prompts, upstream objects) and the metadata a FrameResult puts on it.
#pragma once

#include <gst/gst.h>
#include <gst/video/video.h>

#include <optional>
#include <string>
#include <vector>

#include "engine/stream_analyzer.h"

namespace legrad {

// The buffer's GstVideoRegionOfInterestMetas of type `roi_type` (empty: any), clipped to the
// frame; regions left empty by the clipping are skipped.
std::vector<Region> regions_of(GstBuffer* buffer, const GstVideoInfo& info,
                               const std::string& roi_type);

// The prompt list of the buffer's GstLegradPromptsMeta, nothing without one.
std::optional<std::string> prompt_list_of(GstBuffer* buffer);

// One GstLegradHeatmapMeta per map, sharing the analysis's memory; with boxes, a
// GstVideoRegionOfInterestMeta per box (its id after every region already on the buffer) that
// the prompt's heatmap meta points to; objects' maps point to their region.
void attach_result(GstBuffer* buffer, const FrameResult& result);

}  // namespace legrad
