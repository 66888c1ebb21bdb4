#ifndef __GST_LEGRAD_META_PUBLISH_H__
#define __GST_LEGRAD_META_PUBLISH_H__

#include <gst/base/gstbasetransform.h>

G_BEGIN_DECLS

#define GST_TYPE_LEGRAD_META_PUBLISH (gst_legrad_meta_publish_get_type ())
G_DECLARE_FINAL_TYPE (GstLegradMetaPublish, gst_legrad_meta_publish, GST, LEGRAD_META_PUBLISH,
    GstBaseTransform)

GST_ELEMENT_REGISTER_DECLARE (legradmetapublish);

G_END_DECLS

#endif
