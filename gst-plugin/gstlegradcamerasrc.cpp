/**
 * SECTION:element-legradcamerasrc
 * @title: legradcamerasrc
 *
 * A camera that comes back: reads a camera URL (RTSP, HTTP, any URI GStreamer reads) and
 * outputs its decoded picture as I420 on the `video` pad and, where the `audio` pad is linked,
 * its sound (S16LE, 48 kHz) on `audio`. On an error, an end of stream, or `timeout` seconds
 * without data, the camera is torn down and connected to again after `reconnect-interval`
 * seconds, the wait doubling up to `max-reconnect-interval`, while everything downstream keeps
 * running. Timestamps are the pipeline's running time, increasing across a loss, so the gap
 * shows as a gap; a camera that comes back at another size is scaled to its first size.
 *
 * Each change is an element message, `camera-connected`, `camera-lost` (with `reason`) or
 * `camera-back` (with `attempts` and `lost-ms`), all with the `uri` (credentials removed),
 * `connection` and `running-time`; `camera-lost` and `camera-back` also go downstream, in
 * order with the frames, as custom events of the same structure (`legradmetaconvert` writes
 * them as lines). A camera not reachable at start is a warning and retried. After
 * `reconnect-attempts` failed connections (default: never) the camera gives up with a
 * warning and ends its streams (EOS), so its recording is finished and the others go on.
 * A URI no plugin reads is an error.
 *
 * ## Example launch line
 * |[
 * gst-launch-1.0 -e legradcamerasrc uri=rtsp://127.0.0.1:8554/cam name=cam \
 *   cam.video ! legrad model=/models/clip prompts="a person" mode=async ! legradoverlay ! \
 *   x264enc tune=zerolatency ! legradrecordsink location=/recordings stream-id=gate
 * ]|
 */
#include "gstlegradcamerasrc.h"

#include <gst/app/gstappsrc.h>

#include <memory>
#include <mutex>

#include "legradcamera.h"

GST_DEBUG_CATEGORY_STATIC (gst_legrad_camera_src_debug);
#define GST_CAT_DEFAULT gst_legrad_camera_src_debug

enum {
  PROP_0,
  PROP_URI,
  PROP_TIMEOUT,
  PROP_RECONNECT_INTERVAL,
  PROP_MAX_RECONNECT_INTERVAL,
  PROP_RECONNECT_ATTEMPTS,
  PROP_LATENCY,
  PROP_CONNECTIONS,
  PROP_CONNECTED,
};

/* The element's C++ state. */
struct CameraSrcState {
  legrad::CameraSettings settings;      /* the properties, under the object lock */
  std::unique_ptr<legrad::Camera> camera;
  std::mutex timeline_mutex;    /* the camera's two streaming threads */
  legrad::CameraTimeline timeline;
  GstClockTime last_running_time = GST_CLOCK_TIME_NONE;
};

struct _GstLegradCameraSrc {
  GstBin parent;
  GstElement *sources[2];       /* appsrc: video, audio */
  GstPad *pads[2];              /* their ghost pads */
  CameraSrcState *state;
};

G_DEFINE_TYPE (GstLegradCameraSrc, gst_legrad_camera_src, GST_TYPE_BIN);
GST_ELEMENT_REGISTER_DEFINE (legradcamerasrc, "legradcamerasrc", GST_RANK_NONE,
    GST_TYPE_LEGRAD_CAMERA_SRC);

static GstStaticPadTemplate video_template = GST_STATIC_PAD_TEMPLATE ("video", GST_PAD_SRC,
    GST_PAD_ALWAYS, GST_STATIC_CAPS ("video/x-raw, format=I420"));
static GstStaticPadTemplate audio_template = GST_STATIC_PAD_TEMPLATE ("audio", GST_PAD_SRC,
    GST_PAD_ALWAYS, GST_STATIC_CAPS ("audio/x-raw, format=S16LE, layout=interleaved, "
        "rate=48000"));

static const char *
change_name (legrad::CameraChange::Kind kind)
{
  switch (kind) {
    case legrad::CameraChange::Connected:
      return "camera-connected";
    case legrad::CameraChange::Unreachable:
      return "camera-unreachable";
    case legrad::CameraChange::Lost:
      return "camera-lost";
    case legrad::CameraChange::Back:
      return "camera-back";
    case legrad::CameraChange::GaveUp:
      break;
  }
  return "camera-gave-up";
}

/* The pipeline's running time now, or NONE before it plays. */
static GstClockTime
running_time_now (GstLegradCameraSrc * self)
{
  GstClockTime now = GST_CLOCK_TIME_NONE;
  GST_OBJECT_LOCK (self);
  GstClock *clock = GST_ELEMENT_CLOCK (self);
  if (clock && GST_STATE (self) == GST_STATE_PLAYING) {
    const GstClockTime base = GST_ELEMENT_CAST (self)->base_time;
    now = gst_clock_get_time (clock) - base;
  }
  GST_OBJECT_UNLOCK (self);
  return now;
}

static void
on_camera_sample (GstLegradCameraSrc * self, legrad::CameraMedia media, GstSample * sample,
    unsigned connection)
{
  GstBuffer *in = gst_sample_get_buffer (sample);
  const GstSegment *segment = gst_sample_get_segment (sample);
  const GstClockTime now = running_time_now (self);
  if (!in || !segment || !GST_CLOCK_TIME_IS_VALID (now))
    return;
  const GstClockTime running_time = gst_segment_to_running_time (segment, GST_FORMAT_TIME,
      GST_BUFFER_PTS (in));
  if (!GST_CLOCK_TIME_IS_VALID (running_time))
    return;
  GstClockTime pts;
  {
    std::lock_guard < std::mutex > lock (self->state->timeline_mutex);
    pts = self->state->timeline.place (connection, media, running_time, now);
    if (media == legrad::CameraMedia::Video)
      self->state->last_running_time = pts;
  }
  GstElement *appsrc = self->sources[media == legrad::CameraMedia::Video ? 0 : 1];
  GstCaps *current = gst_app_src_get_caps (GST_APP_SRC (appsrc));
  if (!current)
    gst_app_src_set_caps (GST_APP_SRC (appsrc), gst_sample_get_caps (sample));
  else
    gst_caps_unref (current);
  GstBuffer *out = gst_buffer_copy (in);
  GST_BUFFER_PTS (out) = pts;
  GST_BUFFER_DTS (out) = GST_CLOCK_TIME_NONE;
  gst_app_src_push_buffer (GST_APP_SRC (appsrc), out);
}

static GstStructure *
change_structure (GstLegradCameraSrc * self, const legrad::CameraChange & change)
{
  GstClockTime at;
  {
    std::lock_guard < std::mutex > lock (self->state->timeline_mutex);
    at = change.kind == legrad::CameraChange::Lost ? self->state->last_running_time :
        running_time_now (self);
  }
  GST_OBJECT_LOCK (self);
  const std::string uri = legrad::uri_without_credentials (self->state->settings.uri);
  GST_OBJECT_UNLOCK (self);
  GstStructure *s = gst_structure_new (change_name (change.kind),
      "uri", G_TYPE_STRING, uri.c_str (), "connection", G_TYPE_UINT, change.connection,
      "running-time", G_TYPE_UINT64, (guint64) at, NULL);
  if (!change.reason.empty ())
    gst_structure_set (s, "reason", G_TYPE_STRING, change.reason.c_str (), NULL);
  if (change.kind == legrad::CameraChange::Back)
    gst_structure_set (s, "attempts", G_TYPE_INT, change.attempt, "lost-ms", G_TYPE_INT64,
        (gint64) change.lost_ms, NULL);
  return s;
}

static void
on_camera_change (GstLegradCameraSrc * self, const legrad::CameraChange & change)
{
  GstStructure *s = change_structure (self, change);
  GST_INFO_OBJECT (self, "%" GST_PTR_FORMAT, s);
  if (change.kind == legrad::CameraChange::Lost || change.kind == legrad::CameraChange::Back) {
    for (GstElement * appsrc:self->sources)
      gst_element_send_event (appsrc, gst_event_new_custom (GST_EVENT_CUSTOM_DOWNSTREAM,
              gst_structure_copy (s)));
  }
  const gchar *uri = gst_structure_get_string (s, "uri");
  if (change.kind == legrad::CameraChange::Unreachable)
    GST_ELEMENT_WARNING (self, RESOURCE, OPEN_READ, ("Cannot connect to the camera '%s' "
            "(trying again): %s", uri, change.reason.c_str ()), (NULL));
  if (change.kind == legrad::CameraChange::GaveUp)
    GST_ELEMENT_WARNING (self, RESOURCE, READ, ("Gave up on the camera '%s' after %d attempts: "
            "%s", uri, change.attempt, change.reason.c_str ()), (NULL));
  const bool ends = change.kind == legrad::CameraChange::GaveUp;
  gst_element_post_message (GST_ELEMENT (self), gst_message_new_element (GST_OBJECT (self), s));
  /* After the message, so the bus says why before the pipeline's EOS. */
  if (ends) {
    for (GstElement * appsrc:self->sources)
      gst_app_src_end_of_stream (GST_APP_SRC (appsrc));
  }
}

static gboolean
gst_legrad_camera_src_start (GstLegradCameraSrc * self)
{
  GST_OBJECT_LOCK (self);
  legrad::CameraSettings settings = self->state->settings;
  GST_OBJECT_UNLOCK (self);
  const std::string problem = legrad::uri_problem (settings.uri);
  if (!problem.empty ()) {
    GST_ELEMENT_ERROR (self, RESOURCE, NOT_FOUND, ("Invalid uri: %s", problem.c_str ()), (NULL));
    return FALSE;
  }
  settings.audio = gst_pad_is_linked (self->pads[1]);
  self->state->timeline = legrad::CameraTimeline ();
  self->state->last_running_time = GST_CLOCK_TIME_NONE;
  self->state->camera.reset (new legrad::Camera (settings,
          [self] (legrad::CameraMedia media, GstSample * sample, unsigned connection) {
            on_camera_sample (self, media, sample, connection);
          },
          [self] (const legrad::CameraChange & change) {
            on_camera_change (self, change);
          }));
  self->state->camera->start ();
  return TRUE;
}

static GstStateChangeReturn
gst_legrad_camera_src_change_state (GstElement * element, GstStateChange transition)
{
  GstLegradCameraSrc *self = GST_LEGRAD_CAMERA_SRC (element);
  if (transition == GST_STATE_CHANGE_READY_TO_PAUSED && !gst_legrad_camera_src_start (self))
    return GST_STATE_CHANGE_FAILURE;
  /* Before the sources stop: the camera pushes into them. */
  if (transition == GST_STATE_CHANGE_PAUSED_TO_READY)
    self->state->camera.reset ();
  const GstStateChangeReturn ret =
      GST_ELEMENT_CLASS (gst_legrad_camera_src_parent_class)->change_state (element, transition);
  if (ret == GST_STATE_CHANGE_FAILURE && transition == GST_STATE_CHANGE_READY_TO_PAUSED)
    self->state->camera.reset ();
  return ret;
}

static void
gst_legrad_camera_src_set_property (GObject * object, guint prop_id, const GValue * value,
    GParamSpec * pspec)
{
  GstLegradCameraSrc *self = GST_LEGRAD_CAMERA_SRC (object);
  GST_OBJECT_LOCK (self);
  legrad::CameraSettings & s = self->state->settings;
  switch (prop_id) {
    case PROP_URI:
      s.uri = g_value_get_string (value) ? g_value_get_string (value) : "";
      break;
    case PROP_TIMEOUT:
      s.timeout_s = g_value_get_double (value);
      break;
    case PROP_RECONNECT_INTERVAL:
      s.reconnect_interval_s = g_value_get_double (value);
      break;
    case PROP_MAX_RECONNECT_INTERVAL:
      s.max_reconnect_interval_s = g_value_get_double (value);
      break;
    case PROP_RECONNECT_ATTEMPTS:
      s.reconnect_attempts = g_value_get_int (value);
      break;
    case PROP_LATENCY:
      s.latency_ms = (int) g_value_get_uint (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

static void
gst_legrad_camera_src_get_property (GObject * object, guint prop_id, GValue * value,
    GParamSpec * pspec)
{
  GstLegradCameraSrc *self = GST_LEGRAD_CAMERA_SRC (object);
  GST_OBJECT_LOCK (self);
  const legrad::CameraSettings & s = self->state->settings;
  const legrad::Camera *camera = self->state->camera.get ();
  switch (prop_id) {
    case PROP_URI:
      g_value_set_string (value, s.uri.c_str ());
      break;
    case PROP_TIMEOUT:
      g_value_set_double (value, s.timeout_s);
      break;
    case PROP_RECONNECT_INTERVAL:
      g_value_set_double (value, s.reconnect_interval_s);
      break;
    case PROP_MAX_RECONNECT_INTERVAL:
      g_value_set_double (value, s.max_reconnect_interval_s);
      break;
    case PROP_RECONNECT_ATTEMPTS:
      g_value_set_int (value, s.reconnect_attempts);
      break;
    case PROP_LATENCY:
      g_value_set_uint (value, (guint) s.latency_ms);
      break;
    case PROP_CONNECTIONS:
      g_value_set_uint (value, camera ? camera->connections () : 0);
      break;
    case PROP_CONNECTED:
      g_value_set_boolean (value, camera && camera->connected ());
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

static void
gst_legrad_camera_src_finalize (GObject * object)
{
  delete GST_LEGRAD_CAMERA_SRC (object)->state;
  G_OBJECT_CLASS (gst_legrad_camera_src_parent_class)->finalize (object);
}

static void
gst_legrad_camera_src_class_init (GstLegradCameraSrcClass * klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);
  const GParamFlags ready = (GParamFlags) (G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
      GST_PARAM_MUTABLE_READY);
  const GParamFlags read_only = (GParamFlags) (G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  const legrad::CameraSettings defaults;

  gobject_class->set_property = gst_legrad_camera_src_set_property;
  gobject_class->get_property = gst_legrad_camera_src_get_property;
  gobject_class->finalize = gst_legrad_camera_src_finalize;

  g_object_class_install_property (gobject_class, PROP_URI,
      g_param_spec_string ("uri", "URI", "The camera (rtsp://, http://, file://, ...)", NULL,
          ready));
  g_object_class_install_property (gobject_class, PROP_TIMEOUT,
      g_param_spec_double ("timeout", "Timeout", "Seconds without data after which the camera "
          "counts as lost", 0.1, 3600, defaults.timeout_s, ready));
  g_object_class_install_property (gobject_class, PROP_RECONNECT_INTERVAL,
      g_param_spec_double ("reconnect-interval", "Reconnect interval", "Seconds to wait "
          "before the first new connection after a loss (doubled after each failed one)",
          0.01, 3600, defaults.reconnect_interval_s, ready));
  g_object_class_install_property (gobject_class, PROP_MAX_RECONNECT_INTERVAL,
      g_param_spec_double ("max-reconnect-interval", "Max reconnect interval", "The longest "
          "wait between connections, in seconds", 0.01, 3600,
          defaults.max_reconnect_interval_s, ready));
  g_object_class_install_property (gobject_class, PROP_RECONNECT_ATTEMPTS,
      g_param_spec_int ("reconnect-attempts", "Reconnect attempts", "Failed connections after "
          "which the camera gives up and ends its streams (-1: never)", -1, G_MAXINT,
          defaults.reconnect_attempts, ready));
  g_object_class_install_property (gobject_class, PROP_LATENCY,
      g_param_spec_uint ("latency", "Latency", "Jitter buffer of an RTSP camera, in ms", 0,
          60000, (guint) defaults.latency_ms, ready));
  g_object_class_install_property (gobject_class, PROP_CONNECTIONS,
      g_param_spec_uint ("connections", "Connections", "Connections made or tried so far", 0,
          G_MAXUINT, 0, read_only));
  g_object_class_install_property (gobject_class, PROP_CONNECTED,
      g_param_spec_boolean ("connected", "Connected", "Whether the camera is delivering",
          FALSE, read_only));

  gst_element_class_set_static_metadata (element_class, "LeGrad camera source",
      "Source/Video", "A camera URL decoded to raw video (and sound) that reconnects on "
      "errors, ends of stream and silence, keeping downstream running",
      "legrad-gst developers");
  gst_element_class_add_static_pad_template (element_class, &video_template);
  gst_element_class_add_static_pad_template (element_class, &audio_template);
  element_class->change_state = GST_DEBUG_FUNCPTR (gst_legrad_camera_src_change_state);

  GST_DEBUG_CATEGORY_INIT (gst_legrad_camera_src_debug, "legradcamerasrc", 0,
      "LeGrad reconnecting camera source");
}

static void
gst_legrad_camera_src_init (GstLegradCameraSrc * self)
{
  self->state = new CameraSrcState ();
  GstStaticPadTemplate *templates[2] = { &video_template, &audio_template };
  for (int i = 0; i < 2; ++i) {
    GstElement *appsrc = gst_element_factory_make ("appsrc", NULL);
    /* A live source that drops its oldest frame rather than hold the camera up. */
    g_object_set (appsrc, "format", GST_FORMAT_TIME, "is-live", TRUE, "max-bytes",
        (guint64) 0, "max-buffers", (guint64) (i == 0 ? 4 : 64), "leaky-type", 2 /* downstream */,
        NULL);
    gst_bin_add (GST_BIN (self), appsrc);
    GstPad *target = gst_element_get_static_pad (appsrc, "src");
    GstPadTemplate *templ = gst_static_pad_template_get (templates[i]);
    self->pads[i] = gst_ghost_pad_new_from_template (templates[i]->name_template, target, templ);
    gst_object_unref (templ);
    gst_object_unref (target);
    gst_element_add_pad (GST_ELEMENT (self), self->pads[i]);
    self->sources[i] = appsrc;
  }
  GST_OBJECT_FLAG_SET (self, GST_ELEMENT_FLAG_SOURCE);
}
