#ifndef __GST_LEGRAD_CLIP_SINK_H__
#define __GST_LEGRAD_CLIP_SINK_H__

#include <gst/base/gstbasesink.h>

G_BEGIN_DECLS

#define GST_TYPE_LEGRAD_CLIP_SINK (gst_legrad_clip_sink_get_type ())
G_DECLARE_FINAL_TYPE (GstLegradClipSink, gst_legrad_clip_sink, GST, LEGRAD_CLIP_SINK,
    GstBaseSink)

GST_ELEMENT_REGISTER_DECLARE (legradclipsink);

G_END_DECLS

#endif
