#include "legradframe.h"

#include <string>

#include "base/error.h"

namespace legrad {

namespace {

// Every format the elements take, listed once: their caps and the mapping come from it.
struct FormatName {
  GstVideoFormat gst;
  PixelFormat core;
};
constexpr FormatName kFormats[] = {
    {GST_VIDEO_FORMAT_RGB, PixelFormat::RGB},     {GST_VIDEO_FORMAT_BGR, PixelFormat::BGR},
    {GST_VIDEO_FORMAT_RGBx, PixelFormat::RGBx},   {GST_VIDEO_FORMAT_BGRx, PixelFormat::BGRx},
    {GST_VIDEO_FORMAT_xRGB, PixelFormat::xRGB},   {GST_VIDEO_FORMAT_xBGR, PixelFormat::xBGR},
    {GST_VIDEO_FORMAT_RGBA, PixelFormat::RGBA},   {GST_VIDEO_FORMAT_BGRA, PixelFormat::BGRA},
    {GST_VIDEO_FORMAT_ARGB, PixelFormat::ARGB},   {GST_VIDEO_FORMAT_ABGR, PixelFormat::ABGR},
    {GST_VIDEO_FORMAT_I420, PixelFormat::I420},   {GST_VIDEO_FORMAT_NV12, PixelFormat::NV12},
    {GST_VIDEO_FORMAT_YUY2, PixelFormat::YUY2},   {GST_VIDEO_FORMAT_UYVY, PixelFormat::UYVY},
    {GST_VIDEO_FORMAT_GRAY8, PixelFormat::GRAY8},
};

}  // namespace

bool to_pixel_format(GstVideoFormat format, PixelFormat* out) {
  for (const FormatName& f : kFormats)
    if (f.gst == format) {
      *out = f.core;
      return true;
    }
  return false;
}

GstCaps* frame_caps(FrameFormats which) {
  GValue list = G_VALUE_INIT;
  gst_value_list_init(&list, G_N_ELEMENTS(kFormats));
  for (const FormatName& f : kFormats) {
    if (which == FrameFormats::Drawable && !is_drawable(f.core)) continue;
    GValue name = G_VALUE_INIT;
    g_value_init(&name, G_TYPE_STRING);
    g_value_set_static_string(&name, gst_video_format_to_string(f.gst));
    gst_value_list_append_and_take_value(&list, &name);
  }
  GstCaps* caps = gst_caps_from_string(GST_VIDEO_CAPS_MAKE("RGB"));
  gst_caps_set_value(caps, "format", &list);
  g_value_unset(&list);
  return caps;
}

void add_frame_pad_templates(GstElementClass* klass, FrameFormats which) {
  for (GstPadDirection direction : {GST_PAD_SINK, GST_PAD_SRC}) {
    GstCaps* caps = frame_caps(which);
    gst_element_class_add_pad_template(
        klass, gst_pad_template_new(direction == GST_PAD_SINK ? "sink" : "src", direction,
                                    GST_PAD_ALWAYS, caps));
    gst_caps_unref(caps);
  }
}

namespace {

// The formats named in raw video caps, joined by ", "; "" if any structure is not raw video in
// system memory or names none.
std::string raw_formats_of(GstCaps* caps) {
  std::string names;
  for (guint i = 0; i < gst_caps_get_size(caps); ++i) {
    const GstStructure* s = gst_caps_get_structure(caps, i);
    const GstCapsFeatures* f = gst_caps_get_features(caps, i);
    if (!gst_structure_has_name(s, "video/x-raw") ||
        (f && !gst_caps_features_is_any(f) &&
         !gst_caps_features_contains(f, GST_CAPS_FEATURE_MEMORY_SYSTEM_MEMORY)))
      return "";
    const GValue* format = gst_structure_get_value(s, "format");
    if (!format) return "";
    const guint n = GST_VALUE_HOLDS_LIST(format) ? gst_value_list_get_size(format) : 1;
    for (guint k = 0; k < n; ++k) {
      const GValue* v = GST_VALUE_HOLDS_LIST(format) ? gst_value_list_get_value(format, k) : format;
      if (!G_VALUE_HOLDS_STRING(v)) return "";
      names += (names.empty() ? "" : ", ") + std::string(g_value_get_string(v));
    }
  }
  return names;
}

}  // namespace

std::string refused_formats_note(GstQuery* query, FrameFormats which) {
  // Only accept-caps: caps queries that find nothing in common are also how autoplugging
  // probes candidates, and most of those end well.
  if (GST_QUERY_TYPE(query) != GST_QUERY_ACCEPT_CAPS) return "";
  GstCaps* offered_caps = nullptr;
  gboolean accepted = TRUE;
  gst_query_parse_accept_caps(query, &offered_caps);
  gst_query_parse_accept_caps_result(query, &accepted);
  if (accepted) return "";
  if (!offered_caps || gst_caps_is_any(offered_caps) || gst_caps_is_empty(offered_caps)) return "";
  const std::string offered = raw_formats_of(offered_caps);
  if (offered.empty()) return "";
  GstCaps* taken = frame_caps(which);
  const bool refused_for_format = !gst_caps_can_intersect(taken, offered_caps) && [&] {
    // the same caps in one of our formats would do: the format alone is what is refused
    GstCaps* reformatted = gst_caps_copy(offered_caps);
    for (guint i = 0; i < gst_caps_get_size(reformatted); ++i)
      gst_structure_remove_field(gst_caps_get_structure(reformatted, i), "format");
    const bool other_format_fits = gst_caps_can_intersect(taken, reformatted);
    gst_caps_unref(reformatted);
    return other_format_fits;
  }();
  const std::string takes = raw_formats_of(taken);
  gst_caps_unref(taken);
  if (!refused_for_format) return "";
  return "it takes raw video in " + takes + ", and upstream offers " + offered +
         ": put videoconvert before it";
}

namespace {

PixelFormat checked_format(GstVideoFormat format) {
  PixelFormat out;
  if (!to_pixel_format(format, &out))
    throw Error(std::string("unsupported video format ") + gst_video_format_to_string(format));
  return out;
}

YuvEncoding yuv_encoding(const GstVideoInfo& info) {
  return {
      info.colorimetry.matrix == GST_VIDEO_COLOR_MATRIX_BT709 ? YuvMatrix::BT709 : YuvMatrix::BT601,
      info.colorimetry.range == GST_VIDEO_COLOR_RANGE_0_255};
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
  const YuvEncoding encoding = yuv_encoding(info);
  planes_.matrix = encoding.matrix;
  planes_.full_range = encoding.full_range;
}

MappedFrame::~MappedFrame() { gst_video_frame_unmap(&frame_); }

Canvas writable_canvas(GstVideoFrame* frame) {
  const PixelFormat format = checked_format(GST_VIDEO_FRAME_FORMAT(frame));
  const int width = GST_VIDEO_FRAME_WIDTH(frame), height = GST_VIDEO_FRAME_HEIGHT(frame);
  if (is_packed_rgb(format)) {
    PixelView view = packed_pixels(static_cast<uint8_t*>(GST_VIDEO_FRAME_PLANE_DATA(frame, 0)),
                                   width, height, GST_VIDEO_FRAME_PLANE_STRIDE(frame, 0), format);
    view.alpha = -1;
    return rgb_canvas(view);
  }
  uint8_t* data[3] = {nullptr, nullptr, nullptr};
  int64_t stride[3] = {0, 0, 0};
  for (guint i = 0; i < GST_VIDEO_FRAME_N_PLANES(frame) && i < 3; ++i) {
    data[i] = static_cast<uint8_t*>(GST_VIDEO_FRAME_PLANE_DATA(frame, i));
    stride[i] = GST_VIDEO_FRAME_PLANE_STRIDE(frame, i);
  }
  return yuv420_canvas(format, width, height, data, stride, yuv_encoding(frame->info));
}

}  // namespace legrad
