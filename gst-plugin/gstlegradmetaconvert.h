#ifndef __GST_LEGRAD_META_CONVERT_H__
#define __GST_LEGRAD_META_CONVERT_H__

#include <gst/base/gstbasetransform.h>

G_BEGIN_DECLS

#define GST_TYPE_LEGRAD_META_CONVERT (gst_legrad_meta_convert_get_type ())
G_DECLARE_FINAL_TYPE (GstLegradMetaConvert, gst_legrad_meta_convert, GST, LEGRAD_META_CONVERT,
    GstBaseTransform)

GST_ELEMENT_REGISTER_DECLARE (legradmetaconvert);

G_END_DECLS

#endif
