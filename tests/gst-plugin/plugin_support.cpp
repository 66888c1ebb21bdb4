#include "plugin_support.h"

namespace legrad {

std::string error_text(GstMessage* msg) {
  GError* err = nullptr;
  gchar* debug = nullptr;
  gst_message_parse_error(msg, &err, &debug);
  std::string text = std::string(err->message) + " | " + (debug ? debug : "");
  g_error_free(err);
  g_free(debug);
  return text;
}

std::string error_message(GstBus* bus) {
  GstMessage* msg = gst_bus_pop_filtered(bus, GST_MESSAGE_ERROR);
  if (!msg) return "";
  const std::string text = ": " + error_text(msg);
  gst_message_unref(msg);
  return text;
}

std::string element_error_of(const std::string& desc) {
  GstElement* pipeline = gst_parse_launch(desc.c_str(), nullptr);
  EXPECT_NE(pipeline, nullptr);
  if (!pipeline) return "";
  gst_element_set_state(pipeline, GST_STATE_PLAYING);
  GstBus* bus = gst_element_get_bus(pipeline);
  GstMessage* msg = gst_bus_timed_pop_filtered(
      bus, 60 * GST_SECOND, (GstMessageType)(GST_MESSAGE_ERROR | GST_MESSAGE_EOS));
  std::string text;
  EXPECT_NE(msg, nullptr) << desc;
  if (msg) {
    EXPECT_EQ(GST_MESSAGE_TYPE(msg), GST_MESSAGE_ERROR) << desc;
    if (GST_MESSAGE_TYPE(msg) == GST_MESSAGE_ERROR) {
      text = error_text(msg);
      EXPECT_LT(text.find(" | ") + 3, text.size()) << "no debug text: " << text;
    }
    gst_message_unref(msg);
  }
  gst_object_unref(bus);
  // Shuts down cleanly after the error: NULL is reached and nothing hangs.
  EXPECT_EQ(gst_element_set_state(pipeline, GST_STATE_NULL), GST_STATE_CHANGE_SUCCESS);
  gst_object_unref(pipeline);
  return text;
}

std::vector<GstStructure*> run_collecting(const std::string& desc, const char* name) {
  GstElement* pipeline = gst_parse_launch(desc.c_str(), nullptr);
  EXPECT_NE(pipeline, nullptr);
  std::vector<GstStructure*> found;
  if (!pipeline) return found;
  gst_element_set_state(pipeline, GST_STATE_PLAYING);
  GstBus* bus = gst_element_get_bus(pipeline);
  while (GstMessage* msg = gst_bus_timed_pop_filtered(
             bus, 30 * GST_SECOND,
             (GstMessageType)(GST_MESSAGE_ELEMENT | GST_MESSAGE_ERROR | GST_MESSAGE_EOS))) {
    const GstMessageType type = GST_MESSAGE_TYPE(msg);
    if (type == GST_MESSAGE_ELEMENT && gst_message_has_name(msg, name))
      found.push_back(gst_structure_copy(gst_message_get_structure(msg)));
    EXPECT_NE(type, GST_MESSAGE_ERROR);
    gst_message_unref(msg);
    if (type != GST_MESSAGE_ELEMENT) break;
  }
  gst_object_unref(bus);
  gst_element_set_state(pipeline, GST_STATE_NULL);
  gst_object_unref(pipeline);
  return found;
}

std::string notices_of(const std::string& desc, GstMessageType type) {
  GstElement* pipeline = gst_parse_launch(desc.c_str(), nullptr);
  EXPECT_NE(pipeline, nullptr);
  if (!pipeline) return "";
  gst_element_set_state(pipeline, GST_STATE_PLAYING);
  GstBus* bus = gst_element_get_bus(pipeline);
  std::string text;
  while (GstMessage* msg = gst_bus_timed_pop_filtered(
             bus, 60 * GST_SECOND, (GstMessageType)(type | GST_MESSAGE_ERROR | GST_MESSAGE_EOS))) {
    const GstMessageType got = GST_MESSAGE_TYPE(msg);
    if (got == type) {
      GError* err = nullptr;
      gchar* debug = nullptr;
      if (type == GST_MESSAGE_INFO)
        gst_message_parse_info(msg, &err, &debug);
      else
        gst_message_parse_warning(msg, &err, &debug);
      text += std::string(err->message) + " | " + (debug ? debug : "") + "\n";
      g_error_free(err);
      g_free(debug);
    }
    gst_message_unref(msg);
    if (got != type) break;
  }
  gst_object_unref(bus);
  gst_element_set_state(pipeline, GST_STATE_NULL);
  gst_object_unref(pipeline);
  return text;
}

}  // namespace legrad
