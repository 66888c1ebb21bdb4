/* The `legrad` plugin: registers the elements and routes the core library's log to GStreamer. */
#include <gst/gst.h>

#include "gstlegrad.h"
#include "gstlegradcamerasrc.h"
#include "gstlegradclipsink.h"
#include "gstlegradmetaconvert.h"
#include "gstlegradmetapublish.h"
#include "gstlegradoverlay.h"
#include "gstlegradrecordsink.h"
#include "base/log.h"

GST_DEBUG_CATEGORY_STATIC (legrad_core_debug);

static void
forward_core_log (legrad::LogLevel level, const std::string & message)
{
  const GstDebugLevel gst_level = level == legrad::LogLevel::Warning ? GST_LEVEL_WARNING :
      level == legrad::LogLevel::Info ? GST_LEVEL_INFO : GST_LEVEL_DEBUG;
  GST_CAT_LEVEL_LOG (legrad_core_debug, gst_level, NULL, "%s", message.c_str ());
}

static gboolean
plugin_init (GstPlugin * plugin)
{
  /* No model is loaded here: the registry scanner runs this. */
  GST_DEBUG_CATEGORY_INIT (legrad_core_debug, "legradcore", 0, "LeGrad core library");
  legrad::set_log_handler (forward_core_log);
  gboolean ok = GST_ELEMENT_REGISTER (legrad, plugin);
  ok &= GST_ELEMENT_REGISTER (legradoverlay, plugin);
  ok &= GST_ELEMENT_REGISTER (legradmetaconvert, plugin);
  ok &= GST_ELEMENT_REGISTER (legradcamerasrc, plugin);
  ok &= GST_ELEMENT_REGISTER (legradrecordsink, plugin);
  ok &= GST_ELEMENT_REGISTER (legradclipsink, plugin);
  ok &= GST_ELEMENT_REGISTER (legradmetapublish, plugin);
  return ok;
}

#define PACKAGE "legrad-gst"
GST_PLUGIN_DEFINE (GST_VERSION_MAJOR, GST_VERSION_MINOR, legrad,
    "LeGrad: where a vision-language model sees text prompts in video",
    plugin_init, LEGRAD_VERSION, "MIT/X11", PACKAGE, LEGRAD_PACKAGE_ORIGIN)
