#ifndef __GST_LEGRAD_H__
#define __GST_LEGRAD_H__

#include <gst/base/gstbasetransform.h>

G_BEGIN_DECLS

#define GST_TYPE_LEGRAD (gst_legrad_get_type ())
G_DECLARE_FINAL_TYPE (GstLegrad, gst_legrad, GST, LEGRAD, GstBaseTransform)

GST_ELEMENT_REGISTER_DECLARE (legrad);

G_END_DECLS

#endif
