/**
 * SECTION:element-legradclipsink
 * @title: legradclipsink
 *
 * Event clips: keeps the last `pre-roll` seconds of encoded H.264 in memory, from a key frame
 * on and at most `max-bytes`, and when an event starts writes a clip from there to
 * `post-roll` seconds after the event ends, as `STREAM-ID-clip-YYYYMMDDTHHMMSSZ.mp4` (the UTC
 * time the event started) in the folder `location`. Events that overlap, or start before the
 * clip of an earlier one is finished, extend that clip.
 *
 * An event starts and ends with a custom downstream event `legrad-event` (fields `id`, a
 * string, and `state`, "start" or "end"), in order with the frames, or with the action
 * signals `start-event` and `end-event` (an id each) from the application; the start and
 * end are placed at the latest frame. Each clip is an element message when it opens,
 * `legrad-clip-opened` (`location`, `events`), and when its file is finished,
 * `legrad-clip-closed` (`location`, `events`, `duration`, and `error` where it failed); the
 * opening also goes upstream as a custom event `legrad-clip` (`location`, `events`,
 * `running-time`), which `legradmetaconvert` writes as a line.
 *
 * ## Example launch line
 * |[
 * gst-launch-1.0 -e legradcamerasrc uri=rtsp://127.0.0.1:8554/cam name=cam cam.video ! \
 *   legrad model=/models/clip prompts="a person" ! legradoverlay ! \
 *   x264enc tune=zerolatency key-int-max=30 ! legradclipsink location=/clips pre-roll=5 post-roll=5
 * ]|
 */
#include "gstlegradclipsink.h"

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "legradclip.h"
#include "legradrecordingname.h"

GST_DEBUG_CATEGORY_STATIC (gst_legrad_clip_sink_debug);
#define GST_CAT_DEFAULT gst_legrad_clip_sink_debug

enum {
  PROP_0,
  PROP_LOCATION,
  PROP_STREAM_ID,
  PROP_PRE_ROLL,
  PROP_POST_ROLL,
  PROP_MAX_BYTES,
  PROP_CLIPS,
};

enum {
  SIGNAL_START_EVENT,
  SIGNAL_END_EVENT,
  N_SIGNALS,
};
static guint signals[N_SIGNALS];

#define DEFAULT_PRE_ROLL 5.0
#define DEFAULT_POST_ROLL 5.0
#define DEFAULT_MAX_BYTES (64 << 20)

/* The clips' state, under `mutex`: the ring, the events, the clip being written and those
 * being finished. */
struct ClipSinkState {
  std::mutex mutex;
  legrad::ClipRing ring;
  legrad::ClipSchedule schedule;
  GstCaps *caps = nullptr;
  GstClockTime latest = GST_CLOCK_TIME_NONE;    /* the latest frame's timestamp */
  GstClockTime latest_running = GST_CLOCK_TIME_NONE;    /* and its running time */
  std::unique_ptr < legrad::ClipWriter > writer;
  bool pending = false;         /* a clip to open at the first key frame */
  std::vector < std::unique_ptr < legrad::ClipWriter >> finishing;
  guint clips = 0;
};

struct _GstLegradClipSink {
  GstBaseSink parent;
  ClipSinkState *state;
  /* properties, under the object lock */
  gchar *location;
  gchar *stream_id;
  gdouble pre_roll;
  gdouble post_roll;
  guint64 max_bytes;
};

G_DEFINE_TYPE (GstLegradClipSink, gst_legrad_clip_sink, GST_TYPE_BASE_SINK);
GST_ELEMENT_REGISTER_DEFINE (legradclipsink, "legradclipsink", GST_RANK_NONE,
    GST_TYPE_LEGRAD_CLIP_SINK);

static GstStaticPadTemplate sink_template = GST_STATIC_PAD_TEMPLATE ("sink", GST_PAD_SINK,
    GST_PAD_ALWAYS, GST_STATIC_CAPS ("video/x-h264"));

static void
on_clip_closed (GstLegradClipSink * self, const std::string & events,
    const std::string & location, GstClockTime duration, const std::string & error)
{
  GstStructure *s = gst_structure_new ("legrad-clip-closed", "location", G_TYPE_STRING,
      location.c_str (), "events", G_TYPE_STRING, events.c_str (), "duration", G_TYPE_UINT64,
      (guint64) duration, NULL);
  if (!error.empty ()) {
    gst_structure_set (s, "error", G_TYPE_STRING, error.c_str (), NULL);
    GST_ELEMENT_WARNING (self, RESOURCE, WRITE, ("Could not write the clip '%s': %s",
            location.c_str (), error.c_str ()), (NULL));
  }
  GST_INFO_OBJECT (self, "%" GST_PTR_FORMAT, s);
  gst_element_post_message (GST_ELEMENT (self), gst_message_new_element (GST_OBJECT (self), s));
}

/* Opens the clip for the schedule's events from the ring, or at the first key frame where
 * there is none yet; with the state's lock. */
static void
gst_legrad_clip_sink_open (GstLegradClipSink * self, ClipSinkState * state)
{
  GST_OBJECT_LOCK (self);
  const std::string folder = self->location;
  const std::string stream = self->stream_id && *self->stream_id ? self->stream_id :
      GST_OBJECT_NAME (self);
  GST_OBJECT_UNLOCK (self);
  if (!state->caps || state->ring.frames ().empty ()) {
    GST_DEBUG_OBJECT (self, "no key frame yet: the clip opens at the first");
    state->pending = true;
    return;
  }
  state->pending = false;
  const std::string location = legrad::recording_path (folder, stream + "-clip");
  const std::string events = state->schedule.events ();
  state->writer.reset (new legrad::ClipWriter (location, state->caps));
  for (GstBuffer * frame:state->ring.frames ())
    state->writer->push (frame);
  state->clips++;
  GstStructure *s = gst_structure_new ("legrad-clip-opened", "location", G_TYPE_STRING,
      location.c_str (), "events", G_TYPE_STRING, events.c_str (), NULL);
  gst_element_post_message (GST_ELEMENT (self), gst_message_new_element (GST_OBJECT (self), s));
  gst_pad_push_event (GST_BASE_SINK_PAD (self),
      gst_event_new_custom (GST_EVENT_CUSTOM_UPSTREAM, gst_structure_new ("legrad-clip",
              "location", G_TYPE_STRING, location.c_str (), "events", G_TYPE_STRING,
              events.c_str (), "running-time", G_TYPE_UINT64, (guint64) state->latest_running,
              NULL)));
}

/* Hands the clip being written over to be finished; with the state's lock. */
static void
gst_legrad_clip_sink_close (GstLegradClipSink * self, ClipSinkState * state)
{
  if (!state->writer)
    return;
  const std::string events = state->schedule.events ();
  state->writer->close ([self, events] (const std::string & path, GstClockTime duration,
          const std::string & error) {
        on_clip_closed (self, events, path, duration, error);
      });
  state->finishing.push_back (std::move (state->writer));
  /* those already finished go */
  std::vector < std::unique_ptr < legrad::ClipWriter >> still;
  for (auto & w:state->finishing)
    if (!w->finished ())
      still.push_back (std::move (w));
    else
      w.reset ();
  state->finishing = std::move (still);
}

static void
gst_legrad_clip_sink_start_event (GstLegradClipSink * self, const gchar * id)
{
  ClipSinkState *state = self->state;
  std::lock_guard < std::mutex > lock (state->mutex);
  GST_DEBUG_OBJECT (self, "event %s starts", id);
  if (state->schedule.start (id ? id : ""))
    gst_legrad_clip_sink_open (self, state);
}

static void
gst_legrad_clip_sink_end_event (GstLegradClipSink * self, const gchar * id)
{
  ClipSinkState *state = self->state;
  std::lock_guard < std::mutex > lock (state->mutex);
  GST_DEBUG_OBJECT (self, "event %s ends", id);
  state->schedule.end (id ? id : "", state->latest);
}

static GstFlowReturn
gst_legrad_clip_sink_render (GstBaseSink * sink, GstBuffer * buffer)
{
  GstLegradClipSink *self = GST_LEGRAD_CLIP_SINK (sink);
  ClipSinkState *state = self->state;
  std::lock_guard < std::mutex > lock (state->mutex);
  const GstClockTime t = GST_BUFFER_DTS_IS_VALID (buffer) ? GST_BUFFER_DTS (buffer) :
      GST_BUFFER_PTS (buffer);
  if (GST_CLOCK_TIME_IS_VALID (t))
    state->latest = t;
  state->latest_running = gst_segment_to_running_time (&sink->segment, GST_FORMAT_TIME,
      GST_BUFFER_PTS (buffer));
  state->ring.push (buffer);
  if (state->writer)
    state->writer->push (buffer);
  else if (state->pending)
    gst_legrad_clip_sink_open (self, state);
  if (state->schedule.should_close (state->latest)) {
    gst_legrad_clip_sink_close (self, state);
    state->pending = false;
  }
  return GST_FLOW_OK;
}

static gboolean
gst_legrad_clip_sink_event (GstBaseSink * sink, GstEvent * event)
{
  GstLegradClipSink *self = GST_LEGRAD_CLIP_SINK (sink);
  const GstStructure *s = gst_event_get_structure (event);
  if (GST_EVENT_TYPE (event) == GST_EVENT_CUSTOM_DOWNSTREAM &&
      gst_structure_has_name (s, "legrad-event")) {
    const gchar *id = gst_structure_get_string (s, "id");
    const gchar *what = gst_structure_get_string (s, "state");
    if (g_strcmp0 (what, "start") == 0)
      gst_legrad_clip_sink_start_event (self, id);
    else if (g_strcmp0 (what, "end") == 0)
      gst_legrad_clip_sink_end_event (self, id);
    else
      GST_WARNING_OBJECT (self, "legrad-event without a state of start or end: %"
          GST_PTR_FORMAT, s);
  } else if (GST_EVENT_TYPE (event) == GST_EVENT_EOS) {
    /* the stream ends: so does the clip */
    std::lock_guard < std::mutex > lock (self->state->mutex);
    gst_legrad_clip_sink_close (self, self->state);
    self->state->pending = false;
  }
  return GST_BASE_SINK_CLASS (gst_legrad_clip_sink_parent_class)->event (sink, event);
}

static gboolean
gst_legrad_clip_sink_set_caps (GstBaseSink * sink, GstCaps * caps)
{
  GstLegradClipSink *self = GST_LEGRAD_CLIP_SINK (sink);
  std::lock_guard < std::mutex > lock (self->state->mutex);
  ClipSinkState *state = self->state;
  const gboolean changed = state->caps && !gst_caps_is_equal (state->caps, caps);
  gst_caps_replace (&state->caps, caps);
  if (changed) {
    /* frames of other caps do not decode with the earlier ones: a new clip from the next
     * key frame */
    state->ring.clear ();
    if (state->writer) {
      gst_legrad_clip_sink_close (self, state);
      state->pending = true;
    }
  }
  return TRUE;
}

/* The folder must exist and be one; the ring takes its bounds. */
static gboolean
gst_legrad_clip_sink_start (GstBaseSink * sink)
{
  GstLegradClipSink *self = GST_LEGRAD_CLIP_SINK (sink);
  GST_OBJECT_LOCK (self);
  gchar *folder = g_strdup (self->location);
  const GstClockTime pre_roll = (GstClockTime) (self->pre_roll * GST_SECOND);
  const GstClockTime post_roll = (GstClockTime) (self->post_roll * GST_SECOND);
  const guint64 max_bytes = self->max_bytes;
  GST_OBJECT_UNLOCK (self);
  const gboolean ok = g_file_test (folder, G_FILE_TEST_IS_DIR);
  if (!ok)
    GST_ELEMENT_ERROR (self, RESOURCE, NOT_FOUND, ("location '%s' is not a folder", folder),
        (NULL));
  g_free (folder);
  std::lock_guard < std::mutex > lock (self->state->mutex);
  self->state->ring.set_bounds (pre_roll, max_bytes);
  self->state->schedule.set_post_roll (post_roll);
  return ok;
}

/* Every clip is finished before the element stops. */
static gboolean
gst_legrad_clip_sink_stop (GstBaseSink * sink)
{
  GstLegradClipSink *self = GST_LEGRAD_CLIP_SINK (sink);
  ClipSinkState *state = self->state;
  std::vector < std::unique_ptr < legrad::ClipWriter >> finishing;
  {
    std::lock_guard < std::mutex > lock (state->mutex);
    gst_legrad_clip_sink_close (self, state);
    finishing = std::move (state->finishing);
    state->ring.clear ();
    state->schedule = legrad::ClipSchedule ();
    state->pending = false;
    state->latest = state->latest_running = GST_CLOCK_TIME_NONE;
    gst_caps_replace (&state->caps, NULL);
  }
  finishing.clear ();           /* joins their threads */
  return TRUE;
}

static void
gst_legrad_clip_sink_set_property (GObject * object, guint prop_id, const GValue * value,
    GParamSpec * pspec)
{
  GstLegradClipSink *self = GST_LEGRAD_CLIP_SINK (object);
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
    case PROP_PRE_ROLL:
      self->pre_roll = g_value_get_double (value);
      break;
    case PROP_POST_ROLL:
      self->post_roll = g_value_get_double (value);
      break;
    case PROP_MAX_BYTES:
      self->max_bytes = g_value_get_uint64 (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

static void
gst_legrad_clip_sink_get_property (GObject * object, guint prop_id, GValue * value,
    GParamSpec * pspec)
{
  GstLegradClipSink *self = GST_LEGRAD_CLIP_SINK (object);
  if (prop_id == PROP_CLIPS) {
    std::lock_guard < std::mutex > lock (self->state->mutex);
    g_value_set_uint (value, self->state->clips);
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
    case PROP_PRE_ROLL:
      g_value_set_double (value, self->pre_roll);
      break;
    case PROP_POST_ROLL:
      g_value_set_double (value, self->post_roll);
      break;
    case PROP_MAX_BYTES:
      g_value_set_uint64 (value, self->max_bytes);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

static void
gst_legrad_clip_sink_finalize (GObject * object)
{
  GstLegradClipSink *self = GST_LEGRAD_CLIP_SINK (object);
  delete self->state;
  g_free (self->location);
  g_free (self->stream_id);
  G_OBJECT_CLASS (gst_legrad_clip_sink_parent_class)->finalize (object);
}

static void
gst_legrad_clip_sink_class_init (GstLegradClipSinkClass * klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);
  GstBaseSinkClass *sink_class = GST_BASE_SINK_CLASS (klass);
  const GParamFlags ready = (GParamFlags) (G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
      GST_PARAM_MUTABLE_READY);
  const GParamFlags playing = (GParamFlags) (G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
      GST_PARAM_MUTABLE_PLAYING);

  gobject_class->set_property = gst_legrad_clip_sink_set_property;
  gobject_class->get_property = gst_legrad_clip_sink_get_property;
  gobject_class->finalize = gst_legrad_clip_sink_finalize;

  g_object_class_install_property (gobject_class, PROP_LOCATION,
      g_param_spec_string ("location", "Location", "The folder the clips go to", ".", ready));
  g_object_class_install_property (gobject_class, PROP_STREAM_ID,
      g_param_spec_string ("stream-id", "Stream id", "What the clips' names start with "
          "(empty: the element's name)", NULL, playing));
  g_object_class_install_property (gobject_class, PROP_PRE_ROLL,
      g_param_spec_double ("pre-roll", "Pre-roll", "Seconds of video before an event's start "
          "that its clip holds (from the key frame before them)", 0, 600, DEFAULT_PRE_ROLL,
          ready));
  g_object_class_install_property (gobject_class, PROP_POST_ROLL,
      g_param_spec_double ("post-roll", "Post-roll", "Seconds of video after the last event's "
          "end that its clip holds", 0, 3600, DEFAULT_POST_ROLL, ready));
  g_object_class_install_property (gobject_class, PROP_MAX_BYTES,
      g_param_spec_uint64 ("max-bytes", "Max bytes", "The most encoded video kept in memory "
          "for the pre-roll (whole GOPs)", 1 << 16, G_MAXUINT64, DEFAULT_MAX_BYTES, ready));
  g_object_class_install_property (gobject_class, PROP_CLIPS,
      g_param_spec_uint ("clips", "Clips", "Clips opened so far", 0, G_MAXUINT, 0,
          (GParamFlags) (G_PARAM_READABLE | G_PARAM_STATIC_STRINGS)));

  signals[SIGNAL_START_EVENT] = g_signal_new_class_handler ("start-event",
      G_TYPE_FROM_CLASS (klass), (GSignalFlags) (G_SIGNAL_RUN_LAST | G_SIGNAL_ACTION),
      G_CALLBACK (gst_legrad_clip_sink_start_event), NULL, NULL, NULL, G_TYPE_NONE, 1,
      G_TYPE_STRING);
  signals[SIGNAL_END_EVENT] = g_signal_new_class_handler ("end-event",
      G_TYPE_FROM_CLASS (klass), (GSignalFlags) (G_SIGNAL_RUN_LAST | G_SIGNAL_ACTION),
      G_CALLBACK (gst_legrad_clip_sink_end_event), NULL, NULL, NULL, G_TYPE_NONE, 1,
      G_TYPE_STRING);

  gst_element_class_set_static_metadata (element_class, "LeGrad event clips",
      "Sink/Video", "MP4 clips around events, from a ring of the last seconds of H.264",
      "legrad-gst developers");
  gst_element_class_add_static_pad_template (element_class, &sink_template);
  sink_class->render = GST_DEBUG_FUNCPTR (gst_legrad_clip_sink_render);
  sink_class->event = GST_DEBUG_FUNCPTR (gst_legrad_clip_sink_event);
  sink_class->set_caps = GST_DEBUG_FUNCPTR (gst_legrad_clip_sink_set_caps);
  sink_class->start = GST_DEBUG_FUNCPTR (gst_legrad_clip_sink_start);
  sink_class->stop = GST_DEBUG_FUNCPTR (gst_legrad_clip_sink_stop);

  GST_DEBUG_CATEGORY_INIT (gst_legrad_clip_sink_debug, "legradclipsink", 0,
      "LeGrad event clips");
}

static void
gst_legrad_clip_sink_init (GstLegradClipSink * self)
{
  self->state = new ClipSinkState ();
  self->location = g_strdup (".");
  self->pre_roll = DEFAULT_PRE_ROLL;
  self->post_roll = DEFAULT_POST_ROLL;
  self->max_bytes = DEFAULT_MAX_BYTES;
  /* a recorder: frames are kept as they come, not waited for against the clock */
  gst_base_sink_set_sync (GST_BASE_SINK (self), FALSE);
}
