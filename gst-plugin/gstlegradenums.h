/* The elements' enum types, generated from the core's tables (explain/methods.h,
 * heatmap/colormap.h, base/device.h, engine/stream_analyzer.h) so that a method or colour map
 * added there appears here too. */
#ifndef __GST_LEGRAD_ENUMS_H__
#define __GST_LEGRAD_ENUMS_H__

#include <glib-object.h>

G_BEGIN_DECLS

#define GST_TYPE_LEGRAD_METHOD (gst_legrad_method_get_type ())
GType gst_legrad_method_get_type (void);

#define GST_TYPE_LEGRAD_COLORMAP (gst_legrad_colormap_get_type ())
GType gst_legrad_colormap_get_type (void);

#define GST_TYPE_LEGRAD_DTYPE (gst_legrad_dtype_get_type ())
GType gst_legrad_dtype_get_type (void);
/* legrad::kDefaultDtype's value in that enum. */
gint gst_legrad_default_dtype (void);

#define GST_TYPE_LEGRAD_MODE (gst_legrad_mode_get_type ())
GType gst_legrad_mode_get_type (void);

#define GST_TYPE_LEGRAD_REGION (gst_legrad_region_get_type ())
GType gst_legrad_region_get_type (void);

#define GST_TYPE_LEGRAD_PUBLISH_METHOD (gst_legrad_publish_method_get_type ())
GType gst_legrad_publish_method_get_type (void);

#define GST_TYPE_LEGRAD_PUBLISH_CONTENT (gst_legrad_publish_content_get_type ())
GType gst_legrad_publish_content_get_type (void);

G_END_DECLS

#endif
