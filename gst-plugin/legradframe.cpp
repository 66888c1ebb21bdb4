#include "legradframe.h"

#include <string>

#include "base/error.h"

namespace legrad {

bool to_pixel_format(GstVideoFormat format, PixelFormat* out) {
  switch (format) {
    case GST_VIDEO_FORMAT_RGB: *out = PixelFormat::RGB; return true;
    case GST_VIDEO_FORMAT_BGR: *out = PixelFormat::BGR; return true;
    case GST_VIDEO_FORMAT_RGBx: *out = PixelFormat::RGBx; return true;
    case GST_VIDEO_FORMAT_BGRx: *out = PixelFormat::BGRx; return true;
    case GST_VIDEO_FORMAT_xRGB: *out = PixelFormat::xRGB; return true;
    case GST_VIDEO_FORMAT_xBGR: *out = PixelFormat::xBGR; return true;
    case GST_VIDEO_FORMAT_RGBA: *out = PixelFormat::RGBA; return true;
    case GST_VIDEO_FORMAT_BGRA: *out = PixelFormat::BGRA; return true;
    case GST_VIDEO_FORMAT_ARGB: *out = PixelFormat::ARGB; return true;
    case GST_VIDEO_FORMAT_ABGR: *out = PixelFormat::ABGR; return true;
    case GST_VIDEO_FORMAT_I420: *out = PixelFormat::I420; return true;
    case GST_VIDEO_FORMAT_NV12: *out = PixelFormat::NV12; return true;
    default: return false;
  }
}

namespace {

PixelFormat checked_format(GstVideoFormat format) {
  PixelFormat out;
  if (!to_pixel_format(format, &out))
    throw Error(std::string("unsupported video format ") + gst_video_format_to_string(format));
  return out;
}

}  // namespace

MappedFrame::MappedFrame(GstBuffer* buffer, const GstVideoInfo& info) {
  planes_.format = checked_format(GST_VIDEO_INFO_FORMAT(&info));
  if (!gst_video_frame_map(&frame_, const_cast<GstVideoInfo*>(&info), buffer, GST_MAP_READ))
    throw Error("cannot map the video frame for reading");
  planes_.width = GST_VIDEO_FRAME_WIDTH(&frame_);
  planes_.height = GST_VIDEO_FRAME_HEIGHT(&frame_);
  for (guint i = 0; i < GST_VIDEO_FRAME_N_PLANES(&frame_) && i < 3; ++i) {
    planes_.data[i] = static_cast<const uint8_t*>(GST_VIDEO_FRAME_PLANE_DATA(&frame_, i));
    planes_.stride[i] = GST_VIDEO_FRAME_PLANE_STRIDE(&frame_, i);
  }
  planes_.matrix =
      info.colorimetry.matrix == GST_VIDEO_COLOR_MATRIX_BT709 ? YuvMatrix::BT709 : YuvMatrix::BT601;
  planes_.full_range = info.colorimetry.range == GST_VIDEO_COLOR_RANGE_0_255;
}

MappedFrame::~MappedFrame() { gst_video_frame_unmap(&frame_); }

PixelView writable_pixels(GstVideoFrame* frame) {
  PixelView view = packed_pixels(static_cast<uint8_t*>(GST_VIDEO_FRAME_PLANE_DATA(frame, 0)),
                                 GST_VIDEO_FRAME_WIDTH(frame), GST_VIDEO_FRAME_HEIGHT(frame),
                                 GST_VIDEO_FRAME_PLANE_STRIDE(frame, 0),
                                 checked_format(GST_VIDEO_FRAME_FORMAT(frame)));
  view.alpha = -1;
  return view;
}

}  // namespace legrad
