// The plugin: its elements register, with documented properties.
#include "plugin_support.h"

namespace legrad {
namespace {

TEST_F(Plugin, ElementsRegisterAndEveryPropertyHasABlurb) {
  for (const char* name : {"legrad", "legradoverlay", "legradmetaconvert", "legradcamerasrc",
                           "legradrecordsink", "legradclipsink"}) {
    GstElement* e = gst_element_factory_make(name, nullptr);
    ASSERT_NE(e, nullptr) << name << " not found (GST_PLUGIN_PATH?)";
    guint n = 0;
    GParamSpec** specs = g_object_class_list_properties(G_OBJECT_GET_CLASS(e), &n);
    for (guint i = 0; i < n; ++i) {
      const gchar* blurb = g_param_spec_get_blurb(specs[i]);
      EXPECT_TRUE(blurb && *blurb) << name << "::" << specs[i]->name;
    }
    g_free(specs);
    gst_object_unref(e);
  }
}

// What gst-inspect-1.0 shows of the plugin: the project's version, a licence GStreamer knows
// (no "unknown license" warning) and the origin the build was given.
TEST_F(Plugin, DetailsComeFromTheBuild) {
  GstPlugin* plugin = gst_registry_find_plugin(gst_registry_get(), "legrad");
  ASSERT_NE(plugin, nullptr);
  EXPECT_STREQ(gst_plugin_get_version(plugin), LEGRAD_VERSION);
  EXPECT_STREQ(gst_plugin_get_license(plugin), "MIT/X11");
  EXPECT_STREQ(gst_plugin_get_origin(plugin), LEGRAD_PACKAGE_ORIGIN);
  gst_object_unref(plugin);
}

}  // namespace
}  // namespace legrad
