/**
 * SECTION:element-legradmetaconvert
 * @title: legradmetaconvert
 *
 * Passes video through unchanged and writes one JSON object per frame (JSON lines) with the
 * frame's timestamp and size and, per prompt, its text, index, presence score, presence
 * probability (null where the model gives none), region box (or null), the heatmap's age in frames and source timestamp, and optionally the heatmap
 * grid itself (covering the box for the per-object heatmaps of `legrad region=roi-list`, which
 * also carry `object`: the region's id and type). The camera-lost and camera-back events of
 * `legradcamerasrc` and the presence events of `legrad` are lines too, in order with the
 * frames, and so is each clip a `legradclipsink` downstream opens (its path, announced
 * upstream). docs/legrad-metadata.schema.json describes every line. Each line is flushed as it
 * is written, so a crash loses at most one line.
 *
 * ## Example launch line
 * |[
 * gst-launch-1.0 videotestsrc num-buffers=10 ! legrad model=/models/clip prompts="a dog" \
 *   attach-roi=true ! legradmetaconvert location=out.jsonl ! fakesink
 * ]|
 */
#include "gstlegradmetaconvert.h"

#include <gst/video/video.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <nlohmann/json.hpp>

#include "legradresultjson.h"

GST_DEBUG_CATEGORY_STATIC (gst_legrad_meta_convert_debug);
#define GST_CAT_DEFAULT gst_legrad_meta_convert_debug

enum {
  PROP_0,
  PROP_LOCATION,
  PROP_INCLUDE_HEATMAP,
};

struct _GstLegradMetaConvert {
  GstBaseTransform parent;
  gchar *location;
  gboolean include_heatmap;
  FILE *out;
  GstVideoInfo info;
};

G_DEFINE_TYPE (GstLegradMetaConvert, gst_legrad_meta_convert, GST_TYPE_BASE_TRANSFORM);
GST_ELEMENT_REGISTER_DEFINE (legradmetaconvert, "legradmetaconvert", GST_RANK_NONE,
    GST_TYPE_LEGRAD_META_CONVERT);

static GstStaticPadTemplate sink_template = GST_STATIC_PAD_TEMPLATE ("sink", GST_PAD_SINK,
    GST_PAD_ALWAYS, GST_STATIC_CAPS ("video/x-raw(ANY)"));
static GstStaticPadTemplate src_template = GST_STATIC_PAD_TEMPLATE ("src", GST_PAD_SRC,
    GST_PAD_ALWAYS, GST_STATIC_CAPS ("video/x-raw(ANY)"));

static gboolean
gst_legrad_meta_convert_start (GstBaseTransform * trans)
{
  GstLegradMetaConvert *self = GST_LEGRAD_META_CONVERT (trans);
  GST_OBJECT_LOCK (self);
  gchar *location = g_strdup (self->location);
  GST_OBJECT_UNLOCK (self);
  if (location && *location) {
    self->out = fopen (location, "w");
    if (!self->out) {
      GST_ELEMENT_ERROR (self, RESOURCE, OPEN_WRITE, ("Could not open '%s' for writing",
              location), ("%s", g_strerror (errno)));
      g_free (location);
      return FALSE;
    }
  } else {
    self->out = stdout;
  }
  g_free (location);
  return TRUE;
}

static gboolean
gst_legrad_meta_convert_stop (GstBaseTransform * trans)
{
  GstLegradMetaConvert *self = GST_LEGRAD_META_CONVERT (trans);
  if (self->out && self->out != stdout)
    fclose (self->out);
  self->out = NULL;
  return TRUE;
}

static gboolean
gst_legrad_meta_convert_set_caps (GstBaseTransform * trans, GstCaps * incaps, GstCaps * outcaps)
{
  (void) outcaps;
  return gst_video_info_from_caps (&GST_LEGRAD_META_CONVERT (trans)->info, incaps);
}

/* One line, flushed; false (and an element error) where it could not be written. */
static gboolean
gst_legrad_meta_convert_write (GstLegradMetaConvert * self, const nlohmann::json & line)
{
  const std::string text = line.dump () + "\n";
  if (fwrite (text.data (), 1, text.size (), self->out) != text.size () || fflush (self->out) != 0) {
    GST_ELEMENT_ERROR (self, RESOURCE, WRITE, ("Could not write the metadata"), ("%s",
            g_strerror (errno)));
    return FALSE;
  }
  return TRUE;
}

static GstFlowReturn
gst_legrad_meta_convert_transform_ip (GstBaseTransform * trans, GstBuffer * buffer)
{
  GstLegradMetaConvert *self = GST_LEGRAD_META_CONVERT (trans);
  GST_OBJECT_LOCK (self);
  const gboolean include_heatmap = self->include_heatmap;
  GST_OBJECT_UNLOCK (self);
  return gst_legrad_meta_convert_write (self, legrad::frame_json (buffer, self->info,
          include_heatmap)) ? GST_FLOW_OK : GST_FLOW_ERROR;
}

/* A line for the events that travel with the frames (a camera lost or back, a presence event),
 * in order with them. */
static gboolean
gst_legrad_meta_convert_sink_event (GstBaseTransform * trans, GstEvent * event)
{
  GstLegradMetaConvert *self = GST_LEGRAD_META_CONVERT (trans);
  if (GST_EVENT_TYPE (event) == GST_EVENT_CUSTOM_DOWNSTREAM && self->out) {
    if (const auto line = legrad::event_json (gst_event_get_structure (event)))
      gst_legrad_meta_convert_write (self, *line);
  }
  return GST_BASE_TRANSFORM_CLASS (gst_legrad_meta_convert_parent_class)->sink_event (trans,
      event);
}

/* A line for a `legradclipsink` clip, which it announces upstream as it opens. */
static gboolean
gst_legrad_meta_convert_src_event (GstBaseTransform * trans, GstEvent * event)
{
  GstLegradMetaConvert *self = GST_LEGRAD_META_CONVERT (trans);
  if (GST_EVENT_TYPE (event) == GST_EVENT_CUSTOM_UPSTREAM && self->out) {
    if (const auto line = legrad::event_json (gst_event_get_structure (event)))
      gst_legrad_meta_convert_write (self, *line);
  }
  return GST_BASE_TRANSFORM_CLASS (gst_legrad_meta_convert_parent_class)->src_event (trans,
      event);
}

static void
gst_legrad_meta_convert_set_property (GObject * object, guint prop_id, const GValue * value,
    GParamSpec * pspec)
{
  GstLegradMetaConvert *self = GST_LEGRAD_META_CONVERT (object);
  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_LOCATION:
      g_free (self->location);
      self->location = g_value_dup_string (value);
      break;
    case PROP_INCLUDE_HEATMAP:
      self->include_heatmap = g_value_get_boolean (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

static void
gst_legrad_meta_convert_get_property (GObject * object, guint prop_id, GValue * value,
    GParamSpec * pspec)
{
  GstLegradMetaConvert *self = GST_LEGRAD_META_CONVERT (object);
  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_LOCATION:
      g_value_set_string (value, self->location);
      break;
    case PROP_INCLUDE_HEATMAP:
      g_value_set_boolean (value, self->include_heatmap);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

static void
gst_legrad_meta_convert_finalize (GObject * object)
{
  g_free (GST_LEGRAD_META_CONVERT (object)->location);
  G_OBJECT_CLASS (gst_legrad_meta_convert_parent_class)->finalize (object);
}

static void
gst_legrad_meta_convert_class_init (GstLegradMetaConvertClass * klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);
  GstBaseTransformClass *trans_class = GST_BASE_TRANSFORM_CLASS (klass);
  const GParamFlags ready = (GParamFlags) (G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
      GST_PARAM_MUTABLE_READY);
  const GParamFlags playing = (GParamFlags) (G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
      GST_PARAM_MUTABLE_PLAYING);

  gobject_class->set_property = gst_legrad_meta_convert_set_property;
  gobject_class->get_property = gst_legrad_meta_convert_get_property;
  gobject_class->finalize = gst_legrad_meta_convert_finalize;

  g_object_class_install_property (gobject_class, PROP_LOCATION,
      g_param_spec_string ("location", "Location", "File to write JSON lines to (empty: "
          "standard output)", NULL, ready));
  g_object_class_install_property (gobject_class, PROP_INCLUDE_HEATMAP,
      g_param_spec_boolean ("include-heatmap", "Include heatmap", "Write each heatmap's values "
          "(width x height floats) too", FALSE, playing));

  gst_element_class_set_static_metadata (element_class, "LeGrad metadata to JSON lines",
      "Filter/Converter/Video", "Writes the LeGrad metadata of each frame as a JSON line",
      "legrad-gst developers");
  gst_element_class_add_static_pad_template (element_class, &sink_template);
  gst_element_class_add_static_pad_template (element_class, &src_template);

  trans_class->start = GST_DEBUG_FUNCPTR (gst_legrad_meta_convert_start);
  trans_class->stop = GST_DEBUG_FUNCPTR (gst_legrad_meta_convert_stop);
  trans_class->set_caps = GST_DEBUG_FUNCPTR (gst_legrad_meta_convert_set_caps);
  trans_class->transform_ip = GST_DEBUG_FUNCPTR (gst_legrad_meta_convert_transform_ip);
  trans_class->sink_event = GST_DEBUG_FUNCPTR (gst_legrad_meta_convert_sink_event);
  trans_class->src_event = GST_DEBUG_FUNCPTR (gst_legrad_meta_convert_src_event);
  trans_class->transform_ip_on_passthrough = TRUE;

  GST_DEBUG_CATEGORY_INIT (gst_legrad_meta_convert_debug, "legradmetaconvert", 0,
      "LeGrad metadata to JSON lines");
}

static void
gst_legrad_meta_convert_init (GstLegradMetaConvert * self)
{
  gst_video_info_init (&self->info);
  /* Only reads metadata: the buffer passes through as it came. */
  gst_base_transform_set_passthrough (GST_BASE_TRANSFORM (self), TRUE);
}
