#ifndef __GST_LEGRAD_CAMERA_SRC_H__
#define __GST_LEGRAD_CAMERA_SRC_H__

#include <gst/gst.h>

G_BEGIN_DECLS

#define GST_TYPE_LEGRAD_CAMERA_SRC (gst_legrad_camera_src_get_type ())
G_DECLARE_FINAL_TYPE (GstLegradCameraSrc, gst_legrad_camera_src, GST, LEGRAD_CAMERA_SRC, GstBin)

GST_ELEMENT_REGISTER_DECLARE (legradcamerasrc);

G_END_DECLS

#endif
