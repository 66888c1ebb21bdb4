// The `legradoverlay` element: blending into frames and attaching overlay compositions.
#include <array>
#include <map>
#include <vector>

#include "heatmap/colormap.h"
#include "heatmap/drawing.h"
#include "plugin_support.h"

namespace legrad {
namespace {

// Which pixels of two 64x64 RGBx frames differ in colour, row-major.
std::vector<bool> changed_pixels(GstBuffer* out, GstBuffer* before) {
  GstMapInfo a, b;
  gst_buffer_map(out, &a, GST_MAP_READ);
  gst_buffer_map(before, &b, GST_MAP_READ);
  std::vector<bool> changed(64 * 64);
  for (int i = 0; i < 64 * 64; ++i) changed[i] = memcmp(a.data + i * 4, b.data + i * 4, 3) != 0;
  gst_buffer_unmap(out, &a);
  gst_buffer_unmap(before, &b);
  return changed;
}

TEST_F(Plugin, OverlayChangesPixelsOnlyWhereTheHeatmapIsNonZero) {
  GstHarness* h = gst_harness_new_parse("legradoverlay alpha=0.8 draw-labels=false");
  gst_harness_set_src_caps_str(h, caps("RGBx", 64, 64).c_str());
  // Without meta: untouched.
  GstBuffer* plain = frame("RGBx", 64, 64);
  GstBuffer* expected = gst_buffer_copy_deep(plain);
  GstBuffer* out = gst_harness_push_and_pull(h, plain);
  GstMapInfo a, b;
  gst_buffer_map(out, &a, GST_MAP_READ);
  gst_buffer_map(expected, &b, GST_MAP_READ);
  EXPECT_EQ(memcmp(a.data, b.data, a.size), 0);
  gst_buffer_unmap(out, &a);
  gst_buffer_unmap(expected, &b);
  gst_buffer_unref(out);

  out = gst_harness_push_and_pull(h, frame_with_corner_heat());
  const std::vector<bool> changed = changed_pixels(out, expected);
  int changed_inside = 0, changed_outside = 0;
  for (int y = 0; y < 64; ++y)
    for (int x = 0; x < 64; ++x) {
      if (x < 28 && y < 28) changed_inside += changed[y * 64 + x];
      if (x >= 36 || y >= 36) changed_outside += changed[y * 64 + x];  // past the bilinear ramp
    }
  EXPECT_GT(changed_inside, 28 * 28 * 9 / 10);
  EXPECT_EQ(changed_outside, 0);
  gst_buffer_unref(out);
  gst_buffer_unref(expected);
  gst_harness_teardown(h);
}

// YUV frames are drawn on in place: the hot corner's luma and chroma change, every byte of the
// cold part of each plane stays as it was, and the caps stay YUV.
TEST_F(Plugin, OverlayDrawsOnYuvFramesInPlace) {
  for (const char* format : {"I420", "NV12"}) {
    GstHarness* h = gst_harness_new_parse("legradoverlay alpha=0.8 draw-labels=false");
    gst_harness_set_src_caps_str(h, caps(format, 64, 64).c_str());
    GstBuffer* in = frame(format, 64, 64);
    std::vector<float> values(16 * 16, 0.0f);
    for (int y = 0; y < 8; ++y)
      for (int x = 0; x < 8; ++x) values[y * 16 + x] = 1.0f;
    GBytes* bytes = g_bytes_new(values.data(), values.size() * sizeof(float));
    gst_buffer_add_legrad_heatmap_meta(in, "a cat", 0, 0.3f, 16, 16, bytes, 0, 0);
    g_bytes_unref(bytes);
    GstBuffer* before = gst_buffer_copy_deep(in);
    GstBuffer* out = gst_harness_push_and_pull(h, in);
    GstVideoInfo info;
    gst_video_info_set_format(&info, gst_video_format_from_string(format), 64, 64);
    GstVideoFrame a, b;
    ASSERT_TRUE(gst_video_frame_map(&a, &info, out, GST_MAP_READ));
    ASSERT_TRUE(gst_video_frame_map(&b, &info, before, GST_MAP_READ));
    int hot_changed = 0, cold_changed = 0;
    for (guint p = 0; p < GST_VIDEO_FRAME_N_PLANES(&a); ++p) {
      const int shift = p == 0 ? 0 : 1;  // chroma at half size
      const int row_bytes = GST_VIDEO_FRAME_COMP_WIDTH(&a, p) * GST_VIDEO_FRAME_COMP_PSTRIDE(&a, p);
      const int pstride = GST_VIDEO_FRAME_COMP_PSTRIDE(&a, p);
      for (int y = 0; y < (64 >> shift); ++y)
        for (int x = 0; x < row_bytes; ++x) {
          const int px = (x / pstride) << shift, py = y << shift;
          const bool changed = static_cast<const uint8_t*>(GST_VIDEO_FRAME_PLANE_DATA(
                                   &a, p))[y * GST_VIDEO_FRAME_PLANE_STRIDE(&a, p) + x] !=
                               static_cast<const uint8_t*>(GST_VIDEO_FRAME_PLANE_DATA(
                                   &b, p))[y * GST_VIDEO_FRAME_PLANE_STRIDE(&b, p) + x];
          if (px < 24 && py < 24) hot_changed += changed;
          if (px >= 36 || py >= 36) cold_changed += changed;
        }
    }
    gst_video_frame_unmap(&a);
    gst_video_frame_unmap(&b);
    EXPECT_GT(hot_changed, 24 * 24) << format;  // luma and chroma
    EXPECT_EQ(cold_changed, 0) << format;
    GstCaps* negotiated = gst_pad_get_current_caps(h->sinkpad);
    EXPECT_STREQ(gst_structure_get_string(gst_caps_get_structure(negotiated, 0), "format"), format);
    gst_caps_unref(negotiated);
    gst_buffer_unref(out);
    gst_buffer_unref(before);
    gst_harness_teardown(h);
  }
}

// Behind a decoder that offers a format the elements do not take, each says so on the bus,
// naming what it takes, before upstream's "not-negotiated".
TEST_F(Plugin, ARefusedFormatIsAWarningNamingTheFormatsTaken) {
  for (const char* name : {"legrad", "legradoverlay"}) {
    GstElement* pipeline = gst_pipeline_new(nullptr);
    GstElement* element = gst_element_factory_make(name, nullptr);
    gst_bin_add(GST_BIN(pipeline), element);
    GstPad* sink = gst_element_get_static_pad(element, "sink");
    GstCaps* yuy2 = gst_caps_from_string(std::string(name) == "legrad"
                                             ? "video/x-raw,format=Y444,width=64,height=48"
                                             : "video/x-raw,format=YUY2,width=64,height=48");
    EXPECT_FALSE(gst_pad_query_accept_caps(sink, yuy2)) << name;
    EXPECT_FALSE(gst_pad_query_accept_caps(sink, yuy2)) << name << ": asked again";
    GstBus* bus = gst_element_get_bus(pipeline);
    int warnings = 0;
    while (GstMessage* msg = gst_bus_pop_filtered(bus, GST_MESSAGE_WARNING)) {
      gchar* debug = nullptr;
      gst_message_parse_warning(msg, nullptr, &debug);
      EXPECT_NE(std::string(debug).find("takes raw video in RGB"), std::string::npos) << debug;
      EXPECT_NE(std::string(debug).find("I420, NV12"), std::string::npos) << debug;
      g_free(debug);
      gst_message_unref(msg);
      ++warnings;
    }
    EXPECT_EQ(warnings, 1) << name << ": once";
    GstCaps* i420 = gst_caps_from_string("video/x-raw,format=I420,width=64,height=48");
    EXPECT_TRUE(gst_pad_query_accept_caps(sink, i420)) << name;
    gst_caps_unref(i420);
    gst_caps_unref(yuy2);
    gst_object_unref(bus);
    gst_object_unref(sink);
    gst_object_unref(pipeline);
  }
}

// Pixels of `buffer` (RGBx, width w) exactly of colour c.
int pixels_of(GstBuffer* buffer, Rgb c) {
  GstMapInfo map;
  gst_buffer_map(buffer, &map, GST_MAP_READ);
  int n = 0;
  for (gsize i = 0; i + 3 < map.size; i += 4)
    n += map.data[i] == c.r && map.data[i + 1] == c.g && map.data[i + 2] == c.b;
  gst_buffer_unmap(buffer, &map);
  return n;
}

// Two prompts boxed at one corner: both labels readable, apart, on their prompts' colours; the
// label says what decided the box (here the probability).
TEST_F(Plugin, OverlayLabelsSharingACornerDoNotCoverEachOther) {
  std::map<bool, std::array<int, 2>> plate_pixels;  // by draw-labels
  for (const bool labels : {false, true}) {
    GstHarness* h = gst_harness_new_parse(
        (std::string("legradoverlay alpha=0 draw-labels=") + (labels ? "true" : "false")).c_str());
    gst_harness_set_src_caps_str(h, caps("RGBx", 320, 240).c_str());
    GstBuffer* in = frame("RGBx", 320, 240);
    GBytes* bytes = g_bytes_new(std::vector<float>(16, 0.0f).data(), 16 * sizeof(float));
    for (guint p = 0; p < 2; ++p) {
      GstLegradHeatmapMeta* m = gst_buffer_add_legrad_heatmap_meta(
          in, p ? "a photo of a dress" : "a sneaker", p, 0.3f, 4, 4, bytes, 0, 0);
      m->probability = 0.9f;
      m->roi_id = static_cast<gint>(p);
      gst_buffer_add_video_region_of_interest_meta(in, "x", 100, 120, 80, 60)->id = m->roi_id;
    }
    g_bytes_unref(bytes);
    GstBuffer* out = gst_harness_push_and_pull(h, in);
    plate_pixels[labels] = {pixels_of(out, prompt_color(0)), pixels_of(out, prompt_color(1))};
    gst_buffer_unref(out);
    gst_harness_teardown(h);
  }
  for (int p = 0; p < 2; ++p)
    EXPECT_GT(plate_pixels[true][p] - plate_pixels[false][p], 600)
        << "prompt " << p << "'s label is hidden";
}

// A per-object heatmap (covers_roi) is drawn inside its region only; a uniform map fills it.
TEST_F(Plugin, OverlayDrawsObjectHeatmapsInsideTheirRegion) {
  GstHarness* h =
      gst_harness_new_parse("legradoverlay alpha=0.8 draw-labels=false draw-boxes=false");
  gst_harness_set_src_caps_str(h, caps("RGBx", 64, 64).c_str());
  GstBuffer* in = frame("RGBx", 64, 64);
  GstBuffer* expected = gst_buffer_copy_deep(in);
  gst_buffer_add_video_region_of_interest_meta(in, "person", 10, 20, 16, 12)->id = 3;
  std::vector<float> ones(8 * 8, 1.0f);
  GBytes* values = g_bytes_new(ones.data(), ones.size() * sizeof(float));
  GstLegradHeatmapMeta* m =
      gst_buffer_add_legrad_heatmap_meta(in, "a bag", 0, 0.3f, 8, 8, values, 0, 0);
  g_bytes_unref(values);
  m->roi_id = 3;
  m->covers_roi = TRUE;
  GstBuffer* out = gst_harness_push_and_pull(h, in);
  const std::vector<bool> changed = changed_pixels(out, expected);
  int inside = 0, changed_inside = 0, changed_outside = 0;
  for (int y = 0; y < 64; ++y)
    for (int x = 0; x < 64; ++x) {
      const bool in_region = x >= 10 && x < 26 && y >= 20 && y < 32;
      inside += in_region;
      (in_region ? changed_inside : changed_outside) += changed[y * 64 + x];
    }
  EXPECT_GT(changed_inside, inside * 9 / 10);
  EXPECT_EQ(changed_outside, 0);
  gst_buffer_unref(out);
  gst_buffer_unref(expected);
  gst_harness_teardown(h);
}

TEST_F(Plugin, OverlayAttachesACompositionWhenDownstreamComposesIt) {
  GstHarness* blend = gst_harness_new_parse("legradoverlay alpha=0.8");
  gst_harness_set_src_caps_str(blend, caps("RGBx", 64, 64).c_str());
  GstHarness* attach = gst_harness_new_parse("legradoverlay alpha=0.8");
  gst_harness_add_propose_allocation_meta(attach, GST_VIDEO_OVERLAY_COMPOSITION_META_API_TYPE,
                                          nullptr);
  gst_harness_set_src_caps_str(attach, caps("RGBx", 64, 64).c_str());

  GstBuffer* blended = gst_harness_push_and_pull(blend, frame_with_corner_heat());
  GstBuffer* original = frame_with_corner_heat();
  GstBuffer* attached = gst_harness_push_and_pull(attach, gst_buffer_ref(original));
  GstVideoOverlayCompositionMeta* cm = gst_buffer_get_video_overlay_composition_meta(attached);
  ASSERT_NE(cm, nullptr);
  GstMapInfo a, b;
  gst_buffer_map(attached, &a, GST_MAP_READ);
  gst_buffer_map(original, &b, GST_MAP_READ);
  EXPECT_EQ(memcmp(a.data, b.data, a.size), 0);  // pixels left for downstream to compose
  gst_buffer_unmap(attached, &a);
  gst_buffer_unmap(original, &b);

  // Composing the rectangle gives what blending in place gives.
  GstBuffer* composed = gst_buffer_copy_deep(original);
  GstVideoInfo info;
  gst_video_info_set_format(&info, GST_VIDEO_FORMAT_RGBx, 64, 64);
  GstVideoFrame f;
  ASSERT_TRUE(gst_video_frame_map(&f, &info, composed, GST_MAP_READWRITE));
  ASSERT_TRUE(gst_video_overlay_composition_blend(cm->overlay, &f));
  gst_video_frame_unmap(&f);
  gst_buffer_map(composed, &a, GST_MAP_READ);
  gst_buffer_map(blended, &b, GST_MAP_READ);
  int worst = 0;
  for (gsize i = 0; i < a.size; ++i)
    if (i % 4 != 3) worst = std::max(worst, std::abs(a.data[i] - b.data[i]));
  EXPECT_LE(worst, 3);
  gst_buffer_unmap(composed, &a);
  gst_buffer_unmap(blended, &b);
  for (GstBuffer* buf : {blended, original, attached, composed}) gst_buffer_unref(buf);
  gst_harness_teardown(blend);
  gst_harness_teardown(attach);
}

class Overlay : public Plugin {
 protected:
  // Whether the overlay changed any pixel of a frame whose heatmap is `age` frames old.
  static bool draws_heatmap_of_age(GstHarness* h, guint64 age) {
    GstBuffer* in = frame("RGBx", 64, 64);
    GstBuffer* before = gst_buffer_copy_deep(in);
    std::vector<float> values(16 * 16, 1.0f);
    GBytes* bytes = g_bytes_new(values.data(), values.size() * sizeof(float));
    gst_buffer_add_legrad_heatmap_meta(in, "a cat", 0, 0.3f, 16, 16, bytes, 0, age);
    g_bytes_unref(bytes);
    GstBuffer* out = gst_harness_push_and_pull(h, in);
    GstMapInfo a, b;
    gst_buffer_map(out, &a, GST_MAP_READ);
    gst_buffer_map(before, &b, GST_MAP_READ);
    const bool changed = memcmp(a.data, b.data, a.size) != 0;
    gst_buffer_unmap(out, &a);
    gst_buffer_unmap(before, &b);
    gst_buffer_unref(out);
    gst_buffer_unref(before);
    return changed;
  }
};

// Staleness is an age: in async mode every heatmap is a frame or more old and still drawn.
TEST_F(Overlay, HidesOnlyHeatmapsOlderThanMaxAge) {
  GstHarness* h = gst_harness_new_parse("legradoverlay show-stale=false max-age=10");
  gst_harness_set_src_caps_str(h, caps("RGBx", 64, 64).c_str());
  EXPECT_TRUE(draws_heatmap_of_age(h, 0));
  EXPECT_TRUE(draws_heatmap_of_age(h, 3));
  EXPECT_FALSE(draws_heatmap_of_age(h, 11));
  gst_harness_teardown(h);
}

// A `prompt` that names none of the frame's prompts is said, once, not drawn silently.
TEST_F(Overlay, WarnsWhenThePromptMatchesNothing) {
  GstHarness* h = gst_harness_new_parse("legradoverlay prompt=\"a dog\"");
  GstBus* bus = gst_bus_new();
  gst_element_set_bus(h->element, bus);
  gst_harness_set_src_caps_str(h, caps("RGBx", 64, 64).c_str());
  EXPECT_FALSE(draws_heatmap_of_age(h, 0));
  EXPECT_FALSE(draws_heatmap_of_age(h, 0));
  int warnings = 0;
  while (GstMessage* msg = gst_bus_pop_filtered(bus, GST_MESSAGE_WARNING)) {
    GError* err = nullptr;
    gst_message_parse_warning(msg, &err, nullptr);
    EXPECT_NE(std::string(err->message).find("'a dog' matches none"), std::string::npos)
        << err->message;
    g_error_free(err);
    gst_message_unref(msg);
    ++warnings;
  }
  EXPECT_EQ(warnings, 1);
  gst_element_set_bus(h->element, nullptr);
  gst_object_unref(bus);
  gst_harness_teardown(h);
}

// Two prompts, hot in opposite corners; with alpha=1 a fully hot pixel takes the colour drawn.
class TwoPrompts : public Plugin {
 protected:
  static GstBuffer* frame_with_two_prompts() {
    GstBuffer* in = frame("RGBx", 64, 64);
    for (guint prompt : {0u, 1u}) {
      std::vector<float> values(16 * 16, 0.0f);
      for (int y = 0; y < 8; ++y)
        for (int x = 0; x < 8; ++x) values[(y + 8 * prompt) * 16 + x + 8 * prompt] = 1.0f;
      GBytes* bytes = g_bytes_new(values.data(), values.size() * sizeof(float));
      gst_buffer_add_legrad_heatmap_meta(in, prompt ? "a dog" : "a cat", prompt, 0.3f, 16, 16,
                                         bytes, 0, 0);
      g_bytes_unref(bytes);
    }
    return in;
  }
  // The colours at the middle of each prompt's hot corner.
  static std::array<Rgb, 2> corner_colours(const char* launch) {
    GstHarness* h = gst_harness_new_parse(launch);
    gst_harness_set_src_caps_str(h, caps("RGBx", 64, 64).c_str());
    GstBuffer* out = gst_harness_push_and_pull(h, frame_with_two_prompts());
    GstMapInfo map;
    gst_buffer_map(out, &map, GST_MAP_READ);
    std::array<Rgb, 2> colours;
    for (int i : {0, 1}) {
      const uint8_t* px = map.data + ((12 + 40 * i) * 64 + 12 + 40 * i) * 4;
      colours[i] = Rgb{px[0], px[1], px[2]};
    }
    gst_buffer_unmap(out, &map);
    gst_buffer_unref(out);
    gst_harness_teardown(h);
    return colours;
  }
  static Rgb colormap_top(Colormap colormap) { return colormap_levels(colormap)[255]; }
};

bool operator==(const Rgb& a, const Rgb& b) { return a.r == b.r && a.g == b.g && a.b == b.b; }

TEST_F(TwoPrompts, EachInItsOwnColourByDefault) {
  const auto colours = corner_colours("legradoverlay alpha=1 draw-labels=false");
  EXPECT_TRUE(colours[0] == prompt_color(0));
  EXPECT_TRUE(colours[1] == prompt_color(1));
}

// Setting `colormap` is asking to see it: both prompts go through it.
TEST_F(TwoPrompts, ThroughTheColormapOnceItIsSet) {
  const auto colours = corner_colours("legradoverlay alpha=1 draw-labels=false colormap=turbo");
  EXPECT_TRUE(colours[0] == colormap_top(Colormap::Turbo));
  EXPECT_TRUE(colours[1] == colormap_top(Colormap::Turbo));
  const auto solid =
      corner_colours("legradoverlay alpha=1 draw-labels=false colormap=turbo prompt-colours=true");
  EXPECT_TRUE(solid[0] == prompt_color(0));
  EXPECT_TRUE(solid[1] == prompt_color(1));
}

}  // namespace
}  // namespace legrad
