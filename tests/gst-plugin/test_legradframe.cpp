// GStreamer frames described for the core: one format list behind the caps and the mapping,
// and mapped planes that read as the pixels do.
#include "legradframe.h"

#include <gst/video/video.h>
#include <gtest/gtest.h>

#include "base/error.h"
#include "plugin_support.h"

namespace legrad {
namespace {

std::vector<std::string> formats_of(GstCaps* caps) {
  std::vector<std::string> out;
  const GValue* list = gst_structure_get_value(gst_caps_get_structure(caps, 0), "format");
  for (guint i = 0; i < gst_value_list_get_size(list); ++i)
    out.push_back(g_value_get_string(gst_value_list_get_value(list, i)));
  return out;
}

TEST(LegradFrame, TheCapsAreTheFormatsTheCoreReads) {
  gst_init(nullptr, nullptr);
  GstCaps* all = frame_caps(FrameFormats::All);
  GstCaps* drawable = frame_caps(FrameFormats::Drawable);
  const std::vector<std::string> every = formats_of(all);
  EXPECT_EQ(every.size(), 15u);
  for (const std::string& name : every) {
    PixelFormat core;
    EXPECT_TRUE(to_pixel_format(gst_video_format_from_string(name.c_str()), &core)) << name;
  }
  for (const std::string& name : formats_of(drawable)) {
    PixelFormat core;
    ASSERT_TRUE(to_pixel_format(gst_video_format_from_string(name.c_str()), &core));
    EXPECT_TRUE(is_drawable(core)) << name;
  }
  EXPECT_EQ(formats_of(drawable).size(), 12u) << "every packed RGB format, I420 and NV12";
  PixelFormat unused;
  EXPECT_FALSE(to_pixel_format(GST_VIDEO_FORMAT_Y444, &unused));
  gst_caps_unref(all);
  gst_caps_unref(drawable);
}

TEST(LegradFrame, MappedPlanesReadTheFramesPixels) {
  gst_init(nullptr, nullptr);
  GstVideoInfo info;
  gst_video_info_set_format(&info, GST_VIDEO_FORMAT_I420, 17, 9);  // odd sizes
  GstBuffer* buf = gst_buffer_new_allocate(nullptr, GST_VIDEO_INFO_SIZE(&info), nullptr);
  gst_buffer_memset(buf, 0, 128, GST_VIDEO_INFO_SIZE(&info));
  {
    const MappedFrame mapped(buf, info);
    const FramePlanes& p = mapped.planes();
    EXPECT_EQ(p.format, PixelFormat::I420);
    EXPECT_EQ(p.width, 17);
    EXPECT_EQ(p.height, 9);
    EXPECT_EQ(p.stride[0], GST_VIDEO_INFO_PLANE_STRIDE(&info, 0));
    const at::Tensor rgb = frame_to_rgb(p);
    EXPECT_EQ(rgb.sizes(), (at::IntArrayRef{9, 17, 3}));
  }
  gst_video_info_set_format(&info, GST_VIDEO_FORMAT_Y444, 16, 8);
  EXPECT_THROW(MappedFrame(buf, info), Error) << "a format the core does not read";
  gst_buffer_unref(buf);
}

// A format the element does not take is named, with what it takes, where upstream asks; other
// refusals (sizes, other media) and acceptances say nothing.
TEST(LegradFrame, ARefusedFormatIsNamedWithTheFormatsTaken) {
  gst_init(nullptr, nullptr);
  GstCaps* y444 = gst_caps_from_string("video/x-raw,format=Y444_10LE,width=64,height=48");
  GstQuery* accept = gst_query_new_accept_caps(y444);
  gst_query_set_accept_caps_result(accept, FALSE);
  const std::string note = refused_formats_note(accept, FrameFormats::Drawable);
  EXPECT_NE(note.find("takes raw video in RGB, BGR"), std::string::npos) << note;
  EXPECT_NE(note.find("I420, NV12, and upstream offers Y444_10LE"), std::string::npos) << note;
  EXPECT_NE(note.find("videoconvert"), std::string::npos) << note;
  gst_query_set_accept_caps_result(accept, TRUE);
  EXPECT_EQ(refused_formats_note(accept, FrameFormats::Drawable), "");
  gst_query_unref(accept);

  accept = gst_query_new_accept_caps(y444);
  gst_query_set_accept_caps_result(accept, FALSE);
  EXPECT_NE(refused_formats_note(accept, FrameFormats::All).find("GRAY8, and upstream offers"),
            std::string::npos);
  gst_query_unref(accept);
  // A caps query finding nothing in common is how autoplugging probes: no note.
  GstQuery* caps = gst_query_new_caps(y444);
  GstCaps* empty = gst_caps_new_empty();
  gst_query_set_caps_result(caps, empty);
  EXPECT_EQ(refused_formats_note(caps, FrameFormats::All), "");
  gst_query_unref(caps);

  for (const char* other : {"audio/x-raw,format=S16LE", "video/x-raw,format=I420,width=0"}) {
    GstCaps* c = gst_caps_from_string(other);
    GstQuery* q = gst_query_new_accept_caps(c);
    gst_query_set_accept_caps_result(q, FALSE);
    EXPECT_EQ(refused_formats_note(q, FrameFormats::All), "") << other;
    gst_query_unref(q);
    gst_caps_unref(c);
  }
  gst_caps_unref(empty);
  gst_caps_unref(y444);
}

}  // namespace
}  // namespace legrad
