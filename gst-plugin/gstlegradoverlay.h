#ifndef __GST_LEGRAD_OVERLAY_H__
#define __GST_LEGRAD_OVERLAY_H__

#include <gst/base/gstbasetransform.h>

G_BEGIN_DECLS

#define GST_TYPE_LEGRAD_OVERLAY (gst_legrad_overlay_get_type ())
G_DECLARE_FINAL_TYPE (GstLegradOverlay, gst_legrad_overlay, GST, LEGRAD_OVERLAY, GstBaseTransform)

GST_ELEMENT_REGISTER_DECLARE (legradoverlay);

G_END_DECLS

#endif
