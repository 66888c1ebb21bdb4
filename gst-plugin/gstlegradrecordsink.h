#ifndef __GST_LEGRAD_RECORD_SINK_H__
#define __GST_LEGRAD_RECORD_SINK_H__

#include <gst/gst.h>

G_BEGIN_DECLS

#define GST_TYPE_LEGRAD_RECORD_SINK (gst_legrad_record_sink_get_type ())
G_DECLARE_FINAL_TYPE (GstLegradRecordSink, gst_legrad_record_sink, GST, LEGRAD_RECORD_SINK,
    GstBin)

GST_ELEMENT_REGISTER_DECLARE (legradrecordsink);

G_END_DECLS

#endif
