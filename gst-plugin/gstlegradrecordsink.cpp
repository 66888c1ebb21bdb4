/**
 * SECTION:element-legradrecordsink
 * @title: legradrecordsink
 *
 * A recording that survives the process: encoded video (and sound, on `audio_%u` pads)
 * written as fragmented MP4 in segments of `segment-duration` seconds, each named
 * `STREAM-ID-YYYYMMDDTHHMMSSZ.mp4` (its UTC start time) in the folder `location`. Every
 * `fragment-duration` ms of media is written out whole, so a segment whose process was killed
 * (`kill -9`, a power cut, a full disk) plays up to its last fragment; an EOS (Ctrl-C in
 * `gst-launch-1.0 -e`) finishes it cleanly. Segments start at key frames: the encoder is asked
 * for one at each boundary, and `key-frame-interval` ms after each key frame, since media
 * reaches the file a GOP at a time (a killed recorder loses about a GOP and a fragment).
 * Each segment opened and closed is an element message, `splitmuxsink-fragment-opened` /
 * `-closed`, with its `location`. The video should have no B-frames (a fragmented MP4 has no
 * edit list, so players would cut each segment's last frames): a warning says so where it has.
 *
 * ## Example launch line
 * |[
 * gst-launch-1.0 -e videotestsrc is-live=true ! x264enc tune=zerolatency ! \
 *   legradrecordsink location=/recordings stream-id=gate segment-duration=600
 * ]|
 */
#include "gstlegradrecordsink.h"

#include <gst/video/video.h>

#include <string>

#include "legradfragmentduration.h"
#include "legradrecordingname.h"

GST_DEBUG_CATEGORY_STATIC (gst_legrad_record_sink_debug);
#define GST_CAT_DEFAULT gst_legrad_record_sink_debug

enum {
  PROP_0,
  PROP_LOCATION,
  PROP_STREAM_ID,
  PROP_SEGMENT_DURATION,
  PROP_FRAGMENT_DURATION,
  PROP_MAX_FILES,
  PROP_KEY_FRAME_INTERVAL,
};

#define DEFAULT_SEGMENT_DURATION 600
#define DEFAULT_FRAGMENT_DURATION 500
#define DEFAULT_KEY_FRAME_INTERVAL 1000

struct _GstLegradRecordSink {
  GstBin parent;
  GstElement *splitmux;
  GstElement *muxer;
  /* properties, under the object lock */
  gchar *location;
  gchar *stream_id;
  guint segment_duration;
  guint fragment_duration;
  guint key_frame_interval;
  /* the streaming thread's: the last key frame seen, whether one was asked for since, and
   * whether the video was found to have B-frames */
  GstClockTime last_key_frame;
  gboolean key_frame_requested;
  gboolean warned_reordered;
  /* the segment being written and the running time it began at, under the object lock */
  gchar *open_location;
  GstClockTime open_start;
};

G_DEFINE_TYPE (GstLegradRecordSink, gst_legrad_record_sink, GST_TYPE_BIN);
GST_ELEMENT_REGISTER_DEFINE (legradrecordsink, "legradrecordsink", GST_RANK_NONE,
    GST_TYPE_LEGRAD_RECORD_SINK);

static GstStaticPadTemplate video_template = GST_STATIC_PAD_TEMPLATE ("video", GST_PAD_SINK,
    GST_PAD_ALWAYS, GST_STATIC_CAPS_ANY);
static GstStaticPadTemplate audio_template = GST_STATIC_PAD_TEMPLATE ("audio_%u", GST_PAD_SINK,
    GST_PAD_REQUEST, GST_STATIC_CAPS_ANY);

static gchar *
on_format_location (GstElement * splitmux, guint fragment, GstSample * first, gpointer data)
{
  (void) splitmux;
  (void) fragment;
  (void) first;
  GstLegradRecordSink *self = GST_LEGRAD_RECORD_SINK (data);
  GST_OBJECT_LOCK (self);
  gchar *folder = g_strdup (self->location);
  gchar *stream_id = g_strdup (self->stream_id && *self->stream_id ? self->stream_id :
      GST_OBJECT_NAME (self));
  GST_OBJECT_UNLOCK (self);
  gchar *path = g_strdup (legrad::recording_path (folder, stream_id).c_str ());
  GST_INFO_OBJECT (self, "segment %s", path);
  g_free (folder);
  g_free (stream_id);
  return path;
}

/* splitmuxsink hands the muxer whole GOPs (it holds one until the next key frame), so a long
 * GOP is what a killed recorder would lose: where the encoder's GOP outgrows
 * `key-frame-interval`, it is asked for a key frame. */
static GstPadProbeReturn
on_video_buffer (GstPad * pad, GstPadProbeInfo * info, gpointer data)
{
  GstLegradRecordSink *self = GST_LEGRAD_RECORD_SINK (data);
  GstBuffer *buffer = GST_PAD_PROBE_INFO_BUFFER (info);
  const GstClockTime pts = GST_BUFFER_PTS (buffer);
  GST_OBJECT_LOCK (self);
  const GstClockTime interval = self->key_frame_interval * GST_MSECOND;
  GST_OBJECT_UNLOCK (self);
  const GstClockTime dts = GST_BUFFER_DTS (buffer);
  if (!self->warned_reordered && GST_CLOCK_TIME_IS_VALID (dts) && pts != dts) {
    self->warned_reordered = TRUE;
    GST_ELEMENT_WARNING (self, STREAM, FORMAT, ("The video has B-frames: players cut the last "
            "frames of each segment (a fragmented MP4 has no edit list); encode without them "
            "(x264enc bframes=0 or tune=zerolatency)"), (NULL));
  }
  if (!GST_CLOCK_TIME_IS_VALID (pts) || interval == 0)
    return GST_PAD_PROBE_OK;
  if (!GST_BUFFER_FLAG_IS_SET (buffer, GST_BUFFER_FLAG_DELTA_UNIT)) {
    self->last_key_frame = pts;
    self->key_frame_requested = FALSE;
  } else if (!self->key_frame_requested && GST_CLOCK_TIME_IS_VALID (self->last_key_frame) &&
      pts >= self->last_key_frame + interval) {
    self->key_frame_requested = TRUE;
    gst_pad_push_event (pad, gst_video_event_new_upstream_force_key_unit (GST_CLOCK_TIME_NONE,
            FALSE, 0));
  }
  return GST_PAD_PROBE_OK;
}

/* Settings go to the children as the recording starts; the folder must exist and be one. */
static gboolean
gst_legrad_record_sink_configure (GstLegradRecordSink * self)
{
  GST_OBJECT_LOCK (self);
  gchar *folder = g_strdup (self->location);
  const guint segment = self->segment_duration;
  const guint fragment = self->fragment_duration;
  GST_OBJECT_UNLOCK (self);
  if (!self->splitmux) {
    GST_ELEMENT_ERROR (self, CORE, MISSING_PLUGIN, ("splitmuxsink or mp4mux is missing "
            "(gstreamer1.0-plugins-good)"), (NULL));
    g_free (folder);
    return FALSE;
  }
  const gboolean ok = g_file_test (folder, G_FILE_TEST_IS_DIR);
  if (!ok)
    GST_ELEMENT_ERROR (self, RESOURCE, NOT_FOUND, ("location '%s' is not a folder", folder),
        (NULL));
  g_free (folder);
  g_object_set (self->splitmux, "max-size-time", (guint64) segment * GST_SECOND, NULL);
  g_object_set (self->muxer, "fragment-duration", fragment, NULL);
  return ok;
}

static GstStateChangeReturn
gst_legrad_record_sink_change_state (GstElement * element, GstStateChange transition)
{
  GstLegradRecordSink *self = GST_LEGRAD_RECORD_SINK (element);
  if (transition == GST_STATE_CHANGE_NULL_TO_READY && !gst_legrad_record_sink_configure (self))
    return GST_STATE_CHANGE_FAILURE;
  if (transition == GST_STATE_CHANGE_READY_TO_PAUSED) {
    self->last_key_frame = GST_CLOCK_TIME_NONE;
    self->key_frame_requested = FALSE;
    self->warned_reordered = FALSE;
  }
  return GST_ELEMENT_CLASS (gst_legrad_record_sink_parent_class)->change_state (element,
      transition);
}

/* A ghost pad of ours for the splitmuxsink pad requested by NAME. */
static GstPad *
ghost_splitmux_pad (GstLegradRecordSink * self, const gchar * request, const gchar * name,
    GstPadTemplate * templ)
{
  GstPad *target = gst_element_request_pad_simple (self->splitmux, request);
  if (!target)
    return NULL;
  GstPad *pad = gst_ghost_pad_new_from_template (name, target, templ);
  gst_object_unref (target);
  gst_pad_set_active (pad, TRUE);
  gst_element_add_pad (GST_ELEMENT (self), pad);
  return pad;
}

static GstPad *
gst_legrad_record_sink_request_new_pad (GstElement * element, GstPadTemplate * templ,
    const gchar * name, const GstCaps * caps)
{
  (void) caps;
  GstLegradRecordSink *self = GST_LEGRAD_RECORD_SINK (element);
  GST_OBJECT_LOCK (self);
  gchar *pad_name = name ? g_strdup (name) : g_strdup_printf ("audio_%u",
      element->numsinkpads - 1);
  GST_OBJECT_UNLOCK (self);
  GstPad *pad = ghost_splitmux_pad (self, "audio_%u", pad_name, templ);
  g_free (pad_name);
  return pad;
}

static void
gst_legrad_record_sink_release_pad (GstElement * element, GstPad * pad)
{
  GstLegradRecordSink *self = GST_LEGRAD_RECORD_SINK (element);
  GstPad *target = gst_ghost_pad_get_target (GST_GHOST_PAD (pad));
  if (target) {
    gst_element_release_request_pad (self->splitmux, target);
    gst_object_unref (target);
  }
  gst_element_remove_pad (element, pad);
}

static void
gst_legrad_record_sink_set_property (GObject * object, guint prop_id, const GValue * value,
    GParamSpec * pspec)
{
  GstLegradRecordSink *self = GST_LEGRAD_RECORD_SINK (object);
  if (prop_id == PROP_MAX_FILES) {
    if (self->splitmux)
      g_object_set_property (G_OBJECT (self->splitmux), "max-files", value);
    return;
  }
  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_LOCATION:
      g_free (self->location);
      self->location = g_value_dup_string (value);
      if (!self->location)
        self->location = g_strdup (".");
      break;
    case PROP_STREAM_ID:
      g_free (self->stream_id);
      self->stream_id = g_value_dup_string (value);
      break;
    case PROP_SEGMENT_DURATION:
      self->segment_duration = g_value_get_uint (value);
      break;
    case PROP_FRAGMENT_DURATION:
      self->fragment_duration = g_value_get_uint (value);
      break;
    case PROP_KEY_FRAME_INTERVAL:
      self->key_frame_interval = g_value_get_uint (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

static void
gst_legrad_record_sink_get_property (GObject * object, guint prop_id, GValue * value,
    GParamSpec * pspec)
{
  GstLegradRecordSink *self = GST_LEGRAD_RECORD_SINK (object);
  if (prop_id == PROP_MAX_FILES) {
    if (self->splitmux)
      g_object_get_property (G_OBJECT (self->splitmux), "max-files", value);
    return;
  }
  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_LOCATION:
      g_value_set_string (value, self->location);
      break;
    case PROP_STREAM_ID:
      g_value_set_string (value, self->stream_id);
      break;
    case PROP_SEGMENT_DURATION:
      g_value_set_uint (value, self->segment_duration);
      break;
    case PROP_FRAGMENT_DURATION:
      g_value_set_uint (value, self->fragment_duration);
      break;
    case PROP_KEY_FRAME_INTERVAL:
      g_value_set_uint (value, self->key_frame_interval);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

/* A segment finished: its times put right (legradfragmentduration.h says why). */
static void
gst_legrad_record_sink_handle_message (GstBin * bin, GstMessage * message)
{
  GstLegradRecordSink *self = GST_LEGRAD_RECORD_SINK (bin);
  const GstStructure *s = gst_message_get_structure (message);
  const gchar *location = s ? gst_structure_get_string (s, "location") : NULL;
  GstClockTime running_time = GST_CLOCK_TIME_NONE;
  if (GST_MESSAGE_TYPE (message) == GST_MESSAGE_ELEMENT && location &&
      gst_structure_get_uint64 (s, "running-time", &running_time)) {
    GST_OBJECT_LOCK (self);
    gchar *finished = NULL;
    GstClockTime start = self->open_start;
    if (gst_structure_has_name (s, "splitmuxsink-fragment-opened")) {
      g_free (self->open_location);
      self->open_location = g_strdup (location);
      self->open_start = running_time;
    } else if (gst_structure_has_name (s, "splitmuxsink-fragment-closed") &&
        g_strcmp0 (location, self->open_location) == 0) {
      finished = g_steal_pointer (&self->open_location);
    }
    GST_OBJECT_UNLOCK (self);
    if (finished && GST_CLOCK_TIME_IS_VALID (start)) {
      const std::string why = legrad::shift_fragment_times (finished, start);
      if (!why.empty ())
        GST_WARNING_OBJECT (self, "%s: its times are left as the muxer wrote them: %s",
            finished, why.c_str ());
    }
    g_free (finished);
  }
  GST_BIN_CLASS (gst_legrad_record_sink_parent_class)->handle_message (bin, message);
}

static void
gst_legrad_record_sink_finalize (GObject * object)
{
  GstLegradRecordSink *self = GST_LEGRAD_RECORD_SINK (object);
  g_free (self->location);
  g_free (self->stream_id);
  g_free (self->open_location);
  G_OBJECT_CLASS (gst_legrad_record_sink_parent_class)->finalize (object);
}

static void
gst_legrad_record_sink_class_init (GstLegradRecordSinkClass * klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);
  const GParamFlags ready = (GParamFlags) (G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
      GST_PARAM_MUTABLE_READY);
  const GParamFlags playing = (GParamFlags) (G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
      GST_PARAM_MUTABLE_PLAYING);

  gobject_class->set_property = gst_legrad_record_sink_set_property;
  gobject_class->get_property = gst_legrad_record_sink_get_property;
  gobject_class->finalize = gst_legrad_record_sink_finalize;

  g_object_class_install_property (gobject_class, PROP_LOCATION,
      g_param_spec_string ("location", "Location", "The folder the segments go to", ".",
          ready));
  g_object_class_install_property (gobject_class, PROP_STREAM_ID,
      g_param_spec_string ("stream-id", "Stream id", "What the segments' names start with "
          "(empty: the element's name)", NULL, playing));
  g_object_class_install_property (gobject_class, PROP_SEGMENT_DURATION,
      g_param_spec_uint ("segment-duration", "Segment duration", "Seconds of media per file "
          "(0: one file)", 0, G_MAXUINT / 2, DEFAULT_SEGMENT_DURATION, ready));
  g_object_class_install_property (gobject_class, PROP_FRAGMENT_DURATION,
      g_param_spec_uint ("fragment-duration", "Fragment duration", "Milliseconds of media "
          "written out whole at a time: what a killed process loses at most", 100, 60000,
          DEFAULT_FRAGMENT_DURATION, ready));
  g_object_class_install_property (gobject_class, PROP_KEY_FRAME_INTERVAL,
      g_param_spec_uint ("key-frame-interval", "Key frame interval", "Milliseconds after a "
          "key frame at which the encoder is asked for the next (0: its own GOP). A killed "
          "recorder loses up to this plus fragment-duration", 0, 60000,
          DEFAULT_KEY_FRAME_INTERVAL, playing));
  g_object_class_install_property (gobject_class, PROP_MAX_FILES,
      g_param_spec_uint ("max-files", "Max files", "Segments kept, the oldest deleted first "
          "(0: all)", 0, G_MAXUINT, 0, playing));

  gst_element_class_set_static_metadata (element_class, "LeGrad recording sink",
      "Sink/Muxer", "Fragmented MP4 segments named by stream and UTC start time, playable "
      "after a crash", "legrad-gst developers");
  gst_element_class_add_static_pad_template (element_class, &video_template);
  gst_element_class_add_static_pad_template (element_class, &audio_template);
  element_class->change_state = GST_DEBUG_FUNCPTR (gst_legrad_record_sink_change_state);
  GST_BIN_CLASS (klass)->handle_message =
      GST_DEBUG_FUNCPTR (gst_legrad_record_sink_handle_message);
  element_class->request_new_pad = GST_DEBUG_FUNCPTR (gst_legrad_record_sink_request_new_pad);
  element_class->release_pad = GST_DEBUG_FUNCPTR (gst_legrad_record_sink_release_pad);

  GST_DEBUG_CATEGORY_INIT (gst_legrad_record_sink_debug, "legradrecordsink", 0,
      "LeGrad crash-proof recording");
}

static void
gst_legrad_record_sink_init (GstLegradRecordSink * self)
{
  self->location = g_strdup (".");
  self->segment_duration = DEFAULT_SEGMENT_DURATION;
  self->fragment_duration = DEFAULT_FRAGMENT_DURATION;
  self->key_frame_interval = DEFAULT_KEY_FRAME_INTERVAL;
  self->last_key_frame = GST_CLOCK_TIME_NONE;
  self->open_start = GST_CLOCK_TIME_NONE;
  self->splitmux = gst_element_factory_make ("splitmuxsink", NULL);
  self->muxer = gst_element_factory_make ("mp4mux", NULL);
  GstElement *sink = gst_element_factory_make ("filesink", NULL);
  if (!self->splitmux || !self->muxer || !sink) {
    /* an error once it starts */
    gst_clear_object (&self->splitmux);
    gst_clear_object (&self->muxer);
    gst_clear_object (&sink);
    return;
  }
  /* Written as it comes: a killed process loses no buffered bytes. */
  g_object_set (sink, "buffer-mode", 2 /* unbuffered */, NULL);
  g_object_set (self->splitmux, "muxer", self->muxer, "sink", sink, "send-keyframe-requests",
      TRUE, "max-size-time", (guint64) DEFAULT_SEGMENT_DURATION * GST_SECOND, NULL);
  g_signal_connect (self->splitmux, "format-location-full", G_CALLBACK (on_format_location),
      self);
  gst_bin_add (GST_BIN (self), self->splitmux);
  GstPadTemplate *templ = gst_static_pad_template_get (&video_template);
  GstPad *video = ghost_splitmux_pad (self, "video", "video", templ);
  gst_object_unref (templ);
  gst_pad_add_probe (video, GST_PAD_PROBE_TYPE_BUFFER, on_video_buffer, self, NULL);
}
