/**
 * SECTION:element-legrad
 * @title: legrad
 *
 * Computes LeGrad heatmaps — where a CLIP or SigLIP vision transformer finds each text
 * prompt — for video frames and attaches them as #GstLegradHeatmapMeta (one per prompt), optionally with a
 * #GstVideoRegionOfInterestMeta around the strongest region. Pixels pass through untouched;
 * frames are mapped read-only. Draw the heatmaps with `legradoverlay`, export them with
 * `legradmetaconvert`.
 *
 * The model is loaded in the READY->PAUSED transition. With `mode=sync` every analysed frame
 * waits for its heatmap (right for files); with `mode=async` a worker analyses the newest
 * frame while frames keep flowing, each carrying the newest finished heatmap and its age.
 * `method` swaps LeGrad for one of the classic explainers (raw attention, attention rollout,
 * GradCAM, CheferCAM) for comparison; the metadata has the same form. `smoothing` averages
 * each prompt's heatmap over analysed frames for steadier overlays on live video. All of
 * LibTorch's work runs on one compute thread per device, shared by the process's elements.
 *
 * With `region=roi-list` the element explains objects instead of frames, as a secondary
 * analyzer behind a detector: each #GstVideoRegionOfInterestMeta on the frame (of `roi-type`,
 * if set) is cropped and explained for the prompts, the crops of a frame in one batch, and
 * each heatmap is attached with the region's id and `covers_roi` set; `legradoverlay` draws
 * it inside the region, `legradmetaconvert` exports the region with it.
 *
 * Presence events: when a prompt (with `region=roi-list`, a prompt on one object) has been
 * present — `min-probability` for models with a logit bias, else `min-score` — in
 * `event-min-frames` analysed frames in a row, a `legrad-event` starts; it ends after
 * `event-hold` milliseconds without it, or at the end of the stream. Each start and end is an
 * element message and a downstream custom event (both a structure named `legrad-event`: id,
 * state, prompt, object-id, start-pts, start-utc, last-pts, frames, peak-score,
 * peak-probability, the box at the peak in frame pixels and, with `event-evidence`, a start's
 * `evidence`: a #GstBuffer holding a JPEG of the frame that started it with its heatmap, box
 * and prompt drawn, at most `event-evidence-max-bytes`), which `legradclipsink` makes
 * clips of and `legradmetaconvert` and `legradmetapublish` pass on.
 *
 * Prompts change while playing through the `prompts` property, a serialized custom
 * downstream event or an upstream custom event named `legrad/prompts` (field `prompts`, a
 * `;`-separated string), or per frame with a #GstLegradPromptsMeta.
 *
 * ## Example launch line
 * |[
 * gst-launch-1.0 videotestsrc num-buffers=30 ! video/x-raw,width=320,height=240 ! \
 *   legrad model=/models/clip prompts="a person;a forklift" attach-roi=true ! \
 *   legradoverlay ! videoconvert ! autovideosink
 * ]|
 * Per detected object (any detector that attaches region-of-interest metas):
 * |[
 * gst-launch-1.0 filesrc location=people.mp4 ! decodebin ! videoconvert ! \
 *   gvadetect model=person-detection.xml ! \
 *   legrad model=/models/clip prompts="a backpack;a phone" region=roi-list roi-type=person ! \
 *   legradoverlay ! videoconvert ! autovideosink
 * ]|
 */
#include "gstlegrad.h"

#include <gst/video/video.h>

#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <vector>

#include "base/device.h"
#include "base/error.h"
#include "engine/event_evidence.h"
#include "engine/model_files.h"
#include "engine/model_session.h"
#include "gstlegradenums.h"
#include "legradbufferadapter.h"
#include "legradframe.h"
#include "legradpresenceevent.h"
#include "model/clip_model.h"
#include "text/prompt_list.h"

/* The settings live in GObject's zeroed memory and are assigned, never constructed. */
static_assert (std::is_trivially_copyable < legrad::StreamSettings >::value &&
    std::is_trivially_copyable < legrad::PresenceEventSettings >::value &&
    std::is_trivially_copyable < legrad::EvidenceSettings >::value,
    "the settings must stay plain data");

GST_DEBUG_CATEGORY_STATIC (gst_legrad_debug);
#define GST_CAT_DEFAULT gst_legrad_debug


enum {
  PROP_0,
  PROP_MODEL,
  PROP_PROMPTS,
  PROP_PROMPTS_FILE,
  PROP_DEVICE,
  PROP_DTYPE,
  PROP_INPUT_SIZE,
  PROP_LAYER_INDEX,
  PROP_CORRECTION_TEXT,
  PROP_CORRECTION_THRESHOLD,
  PROP_INFERENCE_INTERVAL,
  PROP_MODE,
  PROP_METHOD,
  PROP_ATTACH_ROI,
  PROP_ROI_THRESHOLD,
  PROP_MIN_SCORE,
  PROP_MIN_PROBABILITY,
  PROP_SMOOTHING,
  PROP_REGION,
  PROP_ROI_TYPE,
  PROP_MODEL_INSTANCE_ID,
  PROP_BATCH_SIZE,
  PROP_BATCH_TIMEOUT,
  PROP_STATS_INTERVAL,
  PROP_EVENT_MIN_FRAMES,
  PROP_EVENT_HOLD,
  PROP_EVENT_EVIDENCE,
  PROP_EVENT_EVIDENCE_MAX_BYTES,
  PROP_THREADS,
  PROP_NICE,
  PROP_FRAMES_ANALYZED,
  PROP_FRAMES_SKIPPED,
  PROP_MEAN_INFERENCE_MS,
  PROP_LAST_INFERENCE_MS,
};

struct _GstLegrad {
  GstBaseTransform parent;

  /* properties, under the object lock */
  gchar *model;
  gchar *prompts;
  gchar *prompts_file;
  gchar *device;
  gint dtype;                   /* index in legrad::dtype_choices () */
  gchar *model_instance_id;
  gint input_size;
  gint layer_index;
  gchar *correction_text;
  gfloat correction_threshold;
  /* inference-interval, method, attach-roi, roi-threshold, min-score, min-probability,
   * smoothing, region, batching */
  legrad::StreamSettings settings;
  gchar *roi_type;
  legrad::AnalysisMode mode;
  guint stats_interval;
  /* event-min-frames, event-hold */
  legrad::PresenceEventSettings events_settings;
  /* event-evidence, event-evidence-max-bytes */
  legrad::EvidenceSettings evidence;
  /* threads (0: legrad::threads_leaving_a_core) and nice of the device's compute thread */
  legrad::ComputeSettings compute;
  /* prompts from the property or an event, applied at the next frame */
  gchar *pending_prompts;

  /* streaming state */
  GstVideoInfo info;
  legrad::StreamAnalyzer *analyzer;
  legrad::PresenceEvents *events;
  guint64 analyzed_at_last_message;
  /* the stream's analyses were found too slow for its frame rate, and said so (once for a
   * prompt list) */
  gboolean warned_pace;
  /* an accept-caps query refused upstream's format, and said so (atomic) */
  gint warned_caps;
  /* whether the last LATENCY query found a live source upstream, and the latency we add in
   * sync mode; under the object lock */
  gboolean upstream_live;
  GstClockTime latency;
};

G_DEFINE_TYPE (GstLegrad, gst_legrad, GST_TYPE_BASE_TRANSFORM);
GST_ELEMENT_REGISTER_DEFINE (legrad, "legrad", GST_RANK_NONE, GST_TYPE_LEGRAD);

static void
gst_legrad_set_pending_prompts (GstLegrad * self, const gchar * prompts)
{
  GST_OBJECT_LOCK (self);
  g_free (self->pending_prompts);
  self->pending_prompts = g_strdup (prompts);
  GST_OBJECT_UNLOCK (self);
}

/* After new prompts: says on the bus (an info message) how long they took to encode (a long
 * list costs seconds before the first frame, and a user should see where they went), and
 * lets the pace check speak again for them. */
static void
gst_legrad_prompts_applied (GstLegrad * self, const legrad::StreamStats & stats)
{
  gchar *text = g_strdup_printf ("Encoded %zu prompt%s in %.0f ms", stats.prompts,
      stats.prompts == 1 ? "" : "s", stats.prompts_encode_ms);
  /* gst-launch-1.0 prints an info message's details only */
  GST_ELEMENT_INFO (self, LIBRARY, SETTINGS, ("%s", text), ("%s", text));
  g_free (text);
  self->warned_pace = FALSE;
}

/* Warns once a prompt list when the analyses cannot keep up with a live stream's frame rate
 * (or the async worker with any stream's), naming the prompt count and the measured cost
 * (legrad::pace_warning). A file analysed frame by frame just takes longer. */
static void
gst_legrad_check_pace (GstLegrad * self, const legrad::StreamStats & stats,
    const legrad::StreamSettings & settings)
{
  GST_OBJECT_LOCK (self);
  const gboolean live = self->upstream_live;
  GST_OBJECT_UNLOCK (self);
  if (self->warned_pace || GST_VIDEO_INFO_FPS_N (&self->info) <= 0 || (!live && !settings.async))
    return;
  const double fps = (double) GST_VIDEO_INFO_FPS_N (&self->info) /
      GST_VIDEO_INFO_FPS_D (&self->info);
  const std::string warning = legrad::pace_warning (stats, fps, settings.inference_interval,
      settings.async);
  if (warning.empty ())
    return;
  self->warned_pace = TRUE;
  GST_ELEMENT_WARNING (self, STREAM, FAILED, ("The analysis cannot keep up with the video"),
      ("%s; fewer prompts, a larger inference-interval, a smaller input-size or a GPU would "
          "help", warning.c_str ()));
}

/* Applies prompts that arrived by property or event; a bad list keeps the old prompts. */
static void
gst_legrad_apply_pending_prompts (GstLegrad * self)
{
  GST_OBJECT_LOCK (self);
  gchar *pending = self->pending_prompts;
  self->pending_prompts = NULL;
  GST_OBJECT_UNLOCK (self);
  if (!pending)
    return;
  try {
    self->analyzer->set_prompts (pending);
    GST_INFO_OBJECT (self, "prompts now '%s'", pending);
    gst_legrad_prompts_applied (self, self->analyzer->stats ());
  } catch (const std::exception & e) {
    GST_ELEMENT_WARNING (self, LIBRARY, SETTINGS, ("Invalid prompts '%s', keeping the previous "
            "ones", pending), ("%s", e.what ()));
    /* The property reads back the prompts in use, not the refused ones. */
    const std::string current = self->analyzer->prompt_list ();
    GST_OBJECT_LOCK (self);
    g_free (self->prompts);
    self->prompts = current.empty ()? NULL : g_strdup (current.c_str ());
    GST_OBJECT_UNLOCK (self);
    g_object_notify (G_OBJECT (self), "prompts");
  }
  g_free (pending);
}

/* device=auto resolved here rather than by parse_device: the fallback to the CPU deserves a
 * warning on the bus. */
static std::string
gst_legrad_resolve_device (GstLegrad * self, const std::string & device)
{
  if (device != "auto")
    return device;
  if (legrad::cuda_available ())
    return "cuda";
  GST_ELEMENT_WARNING (self, RESOURCE, SETTINGS, ("No CUDA device: running on the CPU"),
      ("device=auto found no usable CUDA device"));
  return "cpu";
}

/* What the element was asked for, copied under the object lock at start. */
struct StartRequest {
  std::string model, device, dtype, instance, prompts_file, prompts;
  legrad::EngineOptions options;
  legrad::ComputeSettings compute;
};

/* The model session acquired (loaded or shared) and an analyzer on it; NULL after an element
 * error that says whether the model or the input-size / layer-index settings were at fault. */
static legrad::StreamAnalyzer *
gst_legrad_make_analyzer (GstLegrad * self, const StartRequest & r)
{
  std::shared_ptr < legrad::ModelSession > session;
  try {
    const legrad::ModelRequest request = legrad::model_request (r.model, "",
        gst_legrad_resolve_device (self, r.device), r.dtype);
    session = legrad::ModelSession::acquire (request, r.instance, r.compute);
  } catch (const std::exception & e) {
    GST_ELEMENT_ERROR (self, RESOURCE, OPEN_READ, ("Could not load the model '%s'",
            r.model.c_str ()), ("%s", e.what ()));
    return NULL;
  }
  /* What shapes cannot tell (no config beside the weights) is guessed: say which guesses. */
  std::string guesses;
  for (const std::string & guess:session->model ()->model->config ().guesses)
    guesses += (guesses.empty ()? "" : "; ") + guess;
  if (!guesses.empty ())
    GST_ELEMENT_WARNING (self, RESOURCE, SETTINGS, ("No config for the model '%s': guessed %s",
            r.model.c_str (), guesses.c_str ()), ("give its open_clip_config.json or "
            "config.json beside the weights"));
  try {
    return new legrad::StreamAnalyzer (session, r.options);
  } catch (const std::exception & e) {
    GST_ELEMENT_ERROR (self, LIBRARY, SETTINGS, ("Invalid input-size %d, layer-index %d or "
            "correction settings for the model '%s'", r.options.input_size,
            r.options.layer_index, r.model.c_str ()), ("%s", e.what ()));
    return NULL;
  }
}

/* The prompts file's prompts, then the `prompts` property's; none is a warning (they may
 * come later by property, event or meta), a bad one an error. */
static gboolean
gst_legrad_start_prompts (GstLegrad * self, legrad::StreamAnalyzer * analyzer,
    const std::string & prompts_file, std::string prompts)
{
  try {
    if (!prompts_file.empty ())
      prompts = legrad::read_prompt_file (prompts_file) + prompts;
    if (!prompts.empty ()) {
      analyzer->set_prompts (prompts);
      gst_legrad_prompts_applied (self, analyzer->stats ());
    } else
      GST_ELEMENT_WARNING (self, LIBRARY, SETTINGS, ("No prompts"),
          ("frames pass without heatmaps until prompts arrive by property, event or meta"));
  } catch (const std::exception & e) {
    GST_ELEMENT_ERROR (self, LIBRARY, SETTINGS, ("Invalid prompts"), ("%s", e.what ()));
    return FALSE;
  }
  return TRUE;
}

static StartRequest
gst_legrad_start_request (GstLegrad * self)
{
  StartRequest r;
  /* Without a model: the bundled one (legrad::default_model_path). */
  r.model = self->model && *self->model ? self->model : legrad::default_model_path ();
  r.device = self->device ? self->device : legrad::kDefaultDevice;
  r.dtype = legrad::dtype_choices ()[self->dtype].name;
  r.instance = self->model_instance_id ? self->model_instance_id : "";
  r.prompts_file = self->prompts_file ? self->prompts_file : "";
  r.prompts = self->prompts ? self->prompts : "";
  r.options.input_size = self->input_size;
  r.options.layer_index = self->layer_index;
  r.options.correction_text = self->correction_text ? self->correction_text : "";
  r.options.correction_threshold = self->correction_threshold;
  r.compute = self->compute;
  if (r.compute.threads == 0)
    r.compute.threads = legrad::threads_leaving_a_core ();
  return r;
}

/* The evidence picture of each event that starts, drawn on the frame that started it. One that
 * cannot be made is a warning: the event goes on without it. */
static void
gst_legrad_draw_evidence (GstLegrad * self, GstBuffer * buffer,
    const legrad::FrameResult & result, const legrad::EvidenceSettings & settings,
    std::vector < legrad::PresenceEvent > &events)
{
  if (settings.longest_side == 0 || !result.analysis)
    return;
  std::optional < legrad::MappedFrame > mapped;
  for (legrad::PresenceEvent & e:events) {
    if (e.kind != legrad::PresenceEvent::Kind::Start)
      continue;
    if (!mapped)
      mapped.emplace (buffer, self->info);
    try {
      e.evidence = legrad::evidence_jpeg (mapped->planes (), *result.analysis, e, settings);
    } catch (const legrad::Error & err) {
      GST_ELEMENT_WARNING (self, STREAM, ENCODE, ("no evidence picture for '%s'",
              e.prompt.c_str ()), ("%s", err.what ()));
    }
  }
}

/* Each event as a `legrad-event` element message and, while the stream flows, a downstream
 * event in order with the frames. */
static void
gst_legrad_announce_events (GstLegrad * self, const std::vector < legrad::PresenceEvent > &events,
    gboolean downstream)
{
  for (const legrad::PresenceEvent & e:events) {
    GST_INFO_OBJECT (self, "event %" G_GUINT64_FORMAT " %s: '%s', evidence %zu bytes", e.id,
        e.state (), e.prompt.c_str (), e.evidence.size ());
    GstStructure *s = legrad::presence_event_structure (e);
    if (downstream)
      gst_pad_push_event (GST_BASE_TRANSFORM_SRC_PAD (self),
          gst_event_new_custom (GST_EVENT_CUSTOM_DOWNSTREAM, gst_structure_copy (s)));
    gst_element_post_message (GST_ELEMENT (self), gst_message_new_element (GST_OBJECT (self),
            s));
  }
}

static gboolean
gst_legrad_start (GstBaseTransform * trans)
{
  GstLegrad *self = GST_LEGRAD (trans);
  GST_OBJECT_LOCK (self);
  const StartRequest r = gst_legrad_start_request (self);
  const gboolean async_roi_list = self->settings.region == legrad::RegionMode::RoiList &&
      self->mode == legrad::AnalysisMode::Async;
  g_clear_pointer (&self->pending_prompts, g_free);
  GST_OBJECT_UNLOCK (self);

  if (async_roi_list) {
    GST_ELEMENT_ERROR (self, LIBRARY, SETTINGS, ("mode=async cannot run with region=roi-list"),
        ("the regions belong to the frame that carries them: use mode=sync or auto"));
    return FALSE;
  }
  std::unique_ptr < legrad::StreamAnalyzer > analyzer (gst_legrad_make_analyzer (self, r));
  if (!analyzer || !gst_legrad_start_prompts (self, analyzer.get (), r.prompts_file, r.prompts))
    return FALSE;
  self->analyzed_at_last_message = 0;
  self->events = new legrad::PresenceEvents ();
  g_atomic_int_set (&self->warned_caps, FALSE);
  GST_INFO_OBJECT (self, "loaded %s on %s as %s, input size %d; %s", r.model.c_str (),
      analyzer->model ().device ().str ().c_str (),
      legrad::dtype_name (analyzer->model ().dtype ()).c_str (), analyzer->input_size (),
      analyzer->gives_probabilities ()? "boxes need min-score and min-probability" :
      "no presence probability: boxes need only min-score");
  /* Published under the lock: property reads and queries from other threads use it. */
  GST_OBJECT_LOCK (self);
  self->analyzer = analyzer.release ();
  self->latency = 0;
  self->upstream_live = FALSE;
  GST_OBJECT_UNLOCK (self);
  return TRUE;
}

static gboolean
gst_legrad_stop (GstBaseTransform * trans)
{
  GstLegrad *self = GST_LEGRAD (trans);
  GST_OBJECT_LOCK (self);
  legrad::StreamAnalyzer *analyzer = self->analyzer;
  self->analyzer = NULL;
  GST_OBJECT_UNLOCK (self);
  delete analyzer;              /* joins the worker */
  if (self->events)
    gst_legrad_announce_events (self, self->events->finish (), FALSE);
  delete self->events;
  self->events = NULL;
  return TRUE;
}

static gboolean
gst_legrad_set_caps (GstBaseTransform * trans, GstCaps * incaps, GstCaps * outcaps)
{
  GstLegrad *self = GST_LEGRAD (trans);
  (void) outcaps;
  GstVideoInfo info;
  if (!gst_video_info_from_caps (&info, incaps)) {
    GST_ELEMENT_ERROR (self, CORE, NEGOTIATION, ("Unsupported caps"), ("%" GST_PTR_FORMAT,
            incaps));
    return FALSE;
  }
  /* A heatmap of frames of another size must not be carried onto the new ones. */
  if (self->analyzer && (GST_VIDEO_INFO_WIDTH (&info) != GST_VIDEO_INFO_WIDTH (&self->info) ||
          GST_VIDEO_INFO_HEIGHT (&info) != GST_VIDEO_INFO_HEIGHT (&self->info)))
    self->analyzer->flush ();
  self->info = info;
  return TRUE;
}

static void
gst_legrad_post_stats (GstLegrad * self, const legrad::StreamStats & stats)
{
  GstStructure *s = gst_structure_new ("legrad-stats",
      "frames-analyzed", G_TYPE_UINT64, (guint64) stats.frames_analyzed,
      "frames-skipped", G_TYPE_UINT64, (guint64) stats.frames_skipped,
      "mean-inference-ms", G_TYPE_DOUBLE, stats.mean_inference_ms,
      "last-inference-ms", G_TYPE_DOUBLE, stats.last_inference_ms, NULL);
  gst_element_post_message (GST_ELEMENT (self), gst_message_new_element (GST_OBJECT (self), s));
}

/* mode=auto is async on a live upstream: a frame never waits for an analysis there, so the
 * pipeline keeps real time whatever the model costs. Called with the object lock held. */
static gboolean
gst_legrad_runs_async (GstLegrad * self)
{
  /* Regions of interest belong to the frame that carries them: roi-list waits for them. */
  if (self->settings.region == legrad::RegionMode::RoiList)
    return FALSE;
  return self->mode == legrad::AnalysisMode::Async ||
      (self->mode == legrad::AnalysisMode::Auto && self->upstream_live);
}

/* In sync mode our latency follows the time analyses take: raised as soon as they take longer,
 * lowered when it is more than twice what they need, with a quarter's margin. The pipeline
 * learns it from a LATENCY message and asks again. */
static void
gst_legrad_follow_latency (GstLegrad * self, const legrad::StreamStats & stats)
{
  if (stats.frames_analyzed == 0)
    return;
  const GstClockTime needed = (GstClockTime) (stats.recent_max_inference_ms * GST_MSECOND);
  GST_OBJECT_LOCK (self);
  const gboolean change = needed > self->latency || needed * 5 / 2 < self->latency;
  if (change)
    self->latency = needed * 5 / 4;
  const GstClockTime latency = self->latency;
  GST_OBJECT_UNLOCK (self);
  if (!change)
    return;
  GST_DEBUG_OBJECT (self, "latency now %" GST_TIME_FORMAT, GST_TIME_ARGS (latency));
  gst_element_post_message (GST_ELEMENT (self), gst_message_new_latency (GST_OBJECT (self)));
}

static GstFlowReturn
gst_legrad_transform_ip (GstBaseTransform * trans, GstBuffer * buffer)
{
  GstLegrad *self = GST_LEGRAD (trans);
  if (!self->analyzer)
    return GST_FLOW_FLUSHING;
  gst_legrad_apply_pending_prompts (self);

  GST_OBJECT_LOCK (self);
  legrad::StreamSettings settings = self->settings;
  settings.async = gst_legrad_runs_async (self);
  const std::string roi_type = self->roi_type ? self->roi_type : "";
  const guint stats_interval = self->stats_interval;
  legrad::PresenceEventSettings events_settings = self->events_settings;
  events_settings.box_threshold = settings.box_threshold;
  legrad::EvidenceSettings evidence = self->evidence;
  evidence.box_threshold = settings.box_threshold;
  GST_OBJECT_UNLOCK (self);

  std::vector < legrad::PresenceEvent > events;
  try {
    /* Mapped only for frames that are analysed (a mapping may be a download), and unmapped
     * before the metas go on: a mapped frame holds a reference to the buffer. */
    std::optional < legrad::MappedFrame > mapped;
    legrad::StreamFrame frame;
    frame.width = GST_VIDEO_INFO_WIDTH (&self->info);
    frame.height = GST_VIDEO_INFO_HEIGHT (&self->info);
    frame.planes =[&]()->const legrad::FramePlanes & {
      if (!mapped)
        mapped.emplace (buffer, self->info);
      return mapped->planes ();
    };
    frame.regions =[&] {
      return legrad::regions_of (buffer, self->info, roi_type);
    };
    frame.pts = GST_BUFFER_PTS_IS_VALID (buffer) ? (int64_t) GST_BUFFER_PTS (buffer) : -1;
    frame.prompt_list = legrad::prompt_list_of (buffer);
    const legrad::FrameResult result = self->analyzer->process (frame, settings);
    mapped.reset ();
    legrad::attach_result (buffer, result);
    events = self->events->update (result, frame.width, frame.height,
        g_get_real_time () / 1000, events_settings);
    gst_legrad_draw_evidence (self, buffer, result, evidence, events);
  } catch (const std::exception & e) {
    GST_ELEMENT_ERROR (self, STREAM, FAILED, ("LeGrad analysis failed"), ("%s", e.what ()));
    return GST_FLOW_ERROR;
  }
  gst_legrad_announce_events (self, events, TRUE);

  const legrad::StreamStats stats = self->analyzer->stats ();
  if (stats_interval > 0 && stats.frames_analyzed >= self->analyzed_at_last_message + stats_interval) {
    self->analyzed_at_last_message = stats.frames_analyzed;
    gst_legrad_post_stats (self, stats);
  }
  if (!settings.async)
    gst_legrad_follow_latency (self, stats);
  gst_legrad_check_pace (self, stats, settings);
  return GST_FLOW_OK;
}

static const gchar *
prompts_event_text (GstEvent * event)
{
  const GstStructure *s = gst_event_get_structure (event);
  if (!s || !gst_structure_has_name (s, "legrad/prompts"))
    return NULL;
  const gchar *prompts = gst_structure_get_string (s, "prompts");
  return prompts;
}

static gboolean
gst_legrad_sink_event (GstBaseTransform * trans, GstEvent * event)
{
  GstLegrad *self = GST_LEGRAD (trans);
  switch (GST_EVENT_TYPE (event)) {
    case GST_EVENT_CUSTOM_DOWNSTREAM:{
      const gchar *prompts = prompts_event_text (event);
      if (prompts)
        gst_legrad_set_pending_prompts (self, prompts);
      break;
    }
    case GST_EVENT_FLUSH_STOP:
    case GST_EVENT_EOS:
      /* Pending async work belongs to frames that will never be pushed again. */
      if (self->analyzer)
        self->analyzer->flush ();
      /* Whatever was present ends with the stream (or before the frames after a seek). */
      if (self->events)
        gst_legrad_announce_events (self, self->events->finish (),
            GST_EVENT_TYPE (event) == GST_EVENT_EOS);
      break;
    default:
      break;
  }
  return GST_BASE_TRANSFORM_CLASS (gst_legrad_parent_class)->sink_event (trans, event);
}

static gboolean
gst_legrad_src_event (GstBaseTransform * trans, GstEvent * event)
{
  GstLegrad *self = GST_LEGRAD (trans);
  if (GST_EVENT_TYPE (event) == GST_EVENT_CUSTOM_UPSTREAM) {
    const gchar *prompts = prompts_event_text (event);
    if (prompts)
      gst_legrad_set_pending_prompts (self, prompts);
  }
  return GST_BASE_TRANSFORM_CLASS (gst_legrad_parent_class)->src_event (trans, event);
}

/* Says once, before upstream fails with "not-negotiated", which formats legrad takes. */
static void
gst_legrad_note_refused_caps (GstLegrad * self, GstQuery * query)
{
  const std::string note = legrad::refused_formats_note (query, legrad::FrameFormats::All);
  if (note.empty () || !g_atomic_int_compare_and_exchange (&self->warned_caps, FALSE, TRUE))
    return;
  GST_ELEMENT_WARNING (self, CORE, NEGOTIATION, ("legrad cannot take the video upstream offers"),
      ("%s", note.c_str ()));
}

static gboolean
gst_legrad_query (GstBaseTransform * trans, GstPadDirection direction, GstQuery * query)
{
  GstLegrad *self = GST_LEGRAD (trans);
  gboolean ret = GST_BASE_TRANSFORM_CLASS (gst_legrad_parent_class)->query (trans, direction,
      query);
  if (direction == GST_PAD_SINK)
    gst_legrad_note_refused_caps (self, query);
  if (ret && direction == GST_PAD_SRC && GST_QUERY_TYPE (query) == GST_QUERY_LATENCY) {
    gboolean live;
    GstClockTime min, max;
    gst_query_parse_latency (query, &live, &min, &max);
    GST_OBJECT_LOCK (self);
    self->upstream_live = live;
    /* In sync mode each analysed frame leaves one analysis later. */
    const GstClockTime ours = gst_legrad_runs_async (self) ? 0 : self->latency;
    GST_OBJECT_UNLOCK (self);
    gst_query_set_latency (query, live, min + ours,
        GST_CLOCK_TIME_IS_VALID (max) ? max + ours : max);
    GST_DEBUG_OBJECT (self, "added %" GST_TIME_FORMAT " of latency", GST_TIME_ARGS (ours));
  }
  return ret;
}

static void
gst_legrad_set_property (GObject * object, guint prop_id, const GValue * value,
    GParamSpec * pspec)
{
  GstLegrad *self = GST_LEGRAD (object);
  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_MODEL:
      g_free (self->model);
      self->model = g_value_dup_string (value);
      break;
    case PROP_PROMPTS:
      g_free (self->prompts);
      self->prompts = g_value_dup_string (value);
      if (self->analyzer) {
        g_free (self->pending_prompts);
        self->pending_prompts = g_strdup (self->prompts ? self->prompts : "");
      }
      break;
    case PROP_PROMPTS_FILE:
      g_free (self->prompts_file);
      self->prompts_file = g_value_dup_string (value);
      break;
    case PROP_DEVICE:
      g_free (self->device);
      self->device = g_value_dup_string (value);
      break;
    case PROP_DTYPE:
      self->dtype = g_value_get_enum (value);
      break;
    case PROP_MODEL_INSTANCE_ID:
      g_free (self->model_instance_id);
      self->model_instance_id = g_value_dup_string (value);
      break;
    case PROP_INPUT_SIZE:
      self->input_size = g_value_get_int (value);
      break;
    case PROP_LAYER_INDEX:
      self->layer_index = g_value_get_int (value);
      break;
    case PROP_CORRECTION_TEXT:
      g_free (self->correction_text);
      self->correction_text = g_value_dup_string (value);
      break;
    case PROP_CORRECTION_THRESHOLD:
      self->correction_threshold = g_value_get_float (value);
      break;
    case PROP_INFERENCE_INTERVAL:
      self->settings.inference_interval = g_value_get_uint (value);
      break;
    case PROP_MODE:
      self->mode = (legrad::AnalysisMode) g_value_get_enum (value);
      break;
    case PROP_METHOD:
      self->settings.method = (legrad::ExplainMethod) g_value_get_enum (value);
      break;
    case PROP_ATTACH_ROI:
      self->settings.attach_boxes = g_value_get_boolean (value);
      break;
    case PROP_ROI_THRESHOLD:
      self->settings.box_threshold = g_value_get_float (value);
      break;
    case PROP_REGION:
      self->settings.region = (legrad::RegionMode) g_value_get_enum (value);
      break;
    case PROP_ROI_TYPE:
      g_free (self->roi_type);
      self->roi_type = g_value_dup_string (value);
      break;
    case PROP_MIN_SCORE:
      self->settings.presence.min_score = g_value_get_float (value);
      break;
    case PROP_MIN_PROBABILITY:
      self->settings.presence.min_probability = g_value_get_float (value);
      break;
    case PROP_SMOOTHING:
      self->settings.smoothing = g_value_get_float (value);
      break;
    case PROP_BATCH_SIZE:
      self->settings.batch_size = g_value_get_uint (value);
      break;
    case PROP_BATCH_TIMEOUT:
      self->settings.batch_timeout_ms = g_value_get_uint (value);
      break;
    case PROP_STATS_INTERVAL:
      self->stats_interval = g_value_get_uint (value);
      break;
    case PROP_EVENT_MIN_FRAMES:
      self->events_settings.min_frames = g_value_get_uint (value);
      break;
    case PROP_EVENT_HOLD:
      self->events_settings.hold_ms = g_value_get_uint (value);
      break;
    case PROP_EVENT_EVIDENCE:
      self->evidence.longest_side = (int) g_value_get_uint (value);
      break;
    case PROP_EVENT_EVIDENCE_MAX_BYTES:
      self->evidence.max_bytes = g_value_get_uint (value);
      break;
    case PROP_THREADS:
      self->compute.threads = (int) g_value_get_uint (value);
      break;
    case PROP_NICE:
      self->compute.nice = g_value_get_int (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

static void
gst_legrad_get_property (GObject * object, guint prop_id, GValue * value, GParamSpec * pspec)
{
  GstLegrad *self = GST_LEGRAD (object);
  legrad::StreamStats stats;
  GST_OBJECT_LOCK (self);
  if (prop_id >= PROP_FRAMES_ANALYZED && self->analyzer)
    stats = self->analyzer->stats ();
  switch (prop_id) {
    case PROP_MODEL:
      g_value_set_string (value, self->model);
      break;
    case PROP_PROMPTS:
      g_value_set_string (value, self->prompts);
      break;
    case PROP_PROMPTS_FILE:
      g_value_set_string (value, self->prompts_file);
      break;
    case PROP_DEVICE:
      g_value_set_string (value, self->device);
      break;
    case PROP_DTYPE:
      g_value_set_enum (value, self->dtype);
      break;
    case PROP_MODEL_INSTANCE_ID:
      g_value_set_string (value, self->model_instance_id);
      break;
    case PROP_INPUT_SIZE:
      g_value_set_int (value, self->input_size);
      break;
    case PROP_LAYER_INDEX:
      g_value_set_int (value, self->layer_index);
      break;
    case PROP_CORRECTION_TEXT:
      g_value_set_string (value, self->correction_text);
      break;
    case PROP_CORRECTION_THRESHOLD:
      g_value_set_float (value, self->correction_threshold);
      break;
    case PROP_INFERENCE_INTERVAL:
      g_value_set_uint (value, self->settings.inference_interval);
      break;
    case PROP_MODE:
      g_value_set_enum (value, (gint) self->mode);
      break;
    case PROP_METHOD:
      g_value_set_enum (value, (gint) self->settings.method);
      break;
    case PROP_ATTACH_ROI:
      g_value_set_boolean (value, self->settings.attach_boxes);
      break;
    case PROP_ROI_THRESHOLD:
      g_value_set_float (value, self->settings.box_threshold);
      break;
    case PROP_REGION:
      g_value_set_enum (value, (gint) self->settings.region);
      break;
    case PROP_ROI_TYPE:
      g_value_set_string (value, self->roi_type);
      break;
    case PROP_MIN_SCORE:
      g_value_set_float (value, self->settings.presence.min_score);
      break;
    case PROP_MIN_PROBABILITY:
      g_value_set_float (value, self->settings.presence.min_probability);
      break;
    case PROP_SMOOTHING:
      g_value_set_float (value, self->settings.smoothing);
      break;
    case PROP_BATCH_SIZE:
      g_value_set_uint (value, self->settings.batch_size);
      break;
    case PROP_BATCH_TIMEOUT:
      g_value_set_uint (value, self->settings.batch_timeout_ms);
      break;
    case PROP_STATS_INTERVAL:
      g_value_set_uint (value, self->stats_interval);
      break;
    case PROP_EVENT_MIN_FRAMES:
      g_value_set_uint (value, self->events_settings.min_frames);
      break;
    case PROP_EVENT_HOLD:
      g_value_set_uint (value, self->events_settings.hold_ms);
      break;
    case PROP_EVENT_EVIDENCE:
      g_value_set_uint (value, (guint) self->evidence.longest_side);
      break;
    case PROP_EVENT_EVIDENCE_MAX_BYTES:
      g_value_set_uint (value, (guint) self->evidence.max_bytes);
      break;
    case PROP_THREADS:
      g_value_set_uint (value, (guint) self->compute.threads);
      break;
    case PROP_NICE:
      g_value_set_int (value, self->compute.nice);
      break;
    case PROP_FRAMES_ANALYZED:
      g_value_set_uint64 (value, stats.frames_analyzed);
      break;
    case PROP_FRAMES_SKIPPED:
      g_value_set_uint64 (value, stats.frames_skipped);
      break;
    case PROP_MEAN_INFERENCE_MS:
      g_value_set_double (value, stats.mean_inference_ms);
      break;
    case PROP_LAST_INFERENCE_MS:
      g_value_set_double (value, stats.last_inference_ms);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

static void
gst_legrad_finalize (GObject * object)
{
  GstLegrad *self = GST_LEGRAD (object);
  delete self->analyzer;
  delete self->events;
  g_free (self->model);
  g_free (self->prompts);
  g_free (self->prompts_file);
  g_free (self->device);
  g_free (self->model_instance_id);
  g_free (self->pending_prompts);
  g_free (self->correction_text);
  g_free (self->roi_type);
  G_OBJECT_CLASS (gst_legrad_parent_class)->finalize (object);
}

static void
gst_legrad_class_init (GstLegradClass * klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);
  GstBaseTransformClass *trans_class = GST_BASE_TRANSFORM_CLASS (klass);
  const GParamFlags rw = (GParamFlags) (G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);
  const GParamFlags ready = (GParamFlags) (rw | GST_PARAM_MUTABLE_READY);
  const GParamFlags playing = (GParamFlags) (rw | GST_PARAM_MUTABLE_PLAYING);
  const GParamFlags ro = (GParamFlags) (G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  const legrad::StreamSettings defaults;

  gobject_class->set_property = gst_legrad_set_property;
  gobject_class->get_property = gst_legrad_get_property;
  gobject_class->finalize = gst_legrad_finalize;

  g_object_class_install_property (gobject_class, PROP_MODEL,
      g_param_spec_string ("model", "Model", "CLIP or SigLIP model: a folder (open_clip or "
          "transformers layout) or a weights file (.safetensors, torch.save .bin, OpenAI .pt); "
          "`legrad info` shows what is detected; unset: the bundled Fashion-MNIST model",
          NULL, ready));
  g_object_class_install_property (gobject_class, PROP_PROMPTS,
      g_param_spec_string ("prompts", "Prompts", "Text prompts separated by ';' "
          "(changes apply from the next frame)", NULL, playing));
  g_object_class_install_property (gobject_class, PROP_PROMPTS_FILE,
      g_param_spec_string ("prompts-file", "Prompts file", "File with one prompt per line, "
          "read at start (before the 'prompts' property's prompts)", NULL, ready));
  g_object_class_install_property (gobject_class, PROP_DEVICE,
      g_param_spec_string ("device", "Device", "Compute device: auto, cpu, cuda or cuda:N "
          "(auto falls back to the CPU with a warning)", legrad::kDefaultDevice, ready));
  g_object_class_install_property (gobject_class, PROP_DTYPE,
      g_param_spec_enum ("dtype", "Dtype", "Compute precision (the choice auto makes is "
          "logged at INFO)", GST_TYPE_LEGRAD_DTYPE, gst_legrad_default_dtype (), ready));
  g_object_class_install_property (gobject_class, PROP_INPUT_SIZE,
      g_param_spec_int ("input-size", "Input size", "Model input size S (frames are squashed "
          "to S x S; a multiple of the patch size; 0 = the model's trained size)",
          0, 4096, 0, ready));
  g_object_class_install_property (gobject_class, PROP_LAYER_INDEX,
      g_param_spec_int ("layer-index", "Layer index", "First block used by LeGrad "
          "(negative: counted from the end; -2 = the last two blocks)", -256, 255,
          legrad::kDefaultLayerIndex, ready));
  g_object_class_install_property (gobject_class, PROP_CORRECTION_TEXT,
      g_param_spec_string ("correction-text", "Correction text", "SigLIP models: cells "
          "where this text's own map exceeds correction-threshold are zeroed in every "
          "prompt's map, as the reference does (empty = no correction; CLIP ignores it)",
          legrad::kDefaultCorrectionText, ready));
  g_object_class_install_property (gobject_class, PROP_CORRECTION_THRESHOLD,
      g_param_spec_float ("correction-threshold", "Correction threshold", "SigLIP models: "
          "level of the correction text's min-max normalised map above which cells are "
          "zeroed", 0.0f, 1.0f, (gfloat) legrad::kDefaultCorrectionThreshold, ready));
  g_object_class_install_property (gobject_class, PROP_INFERENCE_INTERVAL,
      g_param_spec_uint ("inference-interval", "Inference interval", "Analyse every Nth frame; "
          "frames between carry the newest heatmap and its age", 1, G_MAXUINT,
          defaults.inference_interval, playing));
  g_object_class_install_property (gobject_class, PROP_MODE,
      g_param_spec_enum ("mode", "Mode", "sync: analysed frames wait for their heatmap; "
          "async: the streaming thread never waits; auto: async on live sources, sync on "
          "files", GST_TYPE_LEGRAD_MODE, (gint) legrad::kDefaultAnalysisMode, playing));
  g_object_class_install_property (gobject_class, PROP_METHOD,
      g_param_spec_enum ("method", "Method", "Explainer: LeGrad, or a classic one to compare "
          "with (raw-attention and rollout ignore the prompt)", GST_TYPE_LEGRAD_METHOD,
          (gint) defaults.method, playing));
  g_object_class_install_property (gobject_class, PROP_ATTACH_ROI,
      g_param_spec_boolean ("attach-roi", "Attach ROI", "Attach a GstVideoRegionOfInterestMeta "
          "around each prompt's largest region above roi-threshold", defaults.attach_boxes,
          playing));
  g_object_class_install_property (gobject_class, PROP_ROI_THRESHOLD,
      g_param_spec_float ("roi-threshold", "ROI threshold", "Heatmap level that bounds a "
          "region of interest", 0.0f, 1.0f, defaults.box_threshold, playing));
  g_object_class_install_property (gobject_class, PROP_MIN_SCORE,
      g_param_spec_float ("min-score", "Minimum score", "Presence score (cosine similarity) a "
          "prompt needs to be present (boxes, presence events)", -1.0f, 1.0f, defaults.presence.min_score, playing));
  g_object_class_install_property (gobject_class, PROP_MIN_PROBABILITY,
      g_param_spec_float ("min-probability", "Minimum probability", "Presence probability a "
          "prompt needs for a region of interest, for models that give one (trained with a "
          "sigmoid loss: SigLIP, the bundled model); CLIP models give none and only min-score "
          "applies", 0.0f, 1.0f, defaults.presence.min_probability, playing));
  g_object_class_install_property (gobject_class, PROP_SMOOTHING,
      g_param_spec_float ("smoothing", "Smoothing", "Steadier heatmaps on live video: each "
          "prompt's map averaged over analysed frames, this being the previous average's "
          "weight (0 = off; restarts on new prompts, caps or a flush)", 0.0f,
          legrad::kMaxSmoothing, defaults.smoothing, playing));
  g_object_class_install_property (gobject_class, PROP_REGION,
      g_param_spec_enum ("region", "Region", "frame: explain the whole frame; roi-list: "
          "explain each region of interest an upstream detector attached (of roi-type), one "
          "heatmap per prompt per region, covering that region (analysed frames wait; no "
          "smoothing)", GST_TYPE_LEGRAD_REGION, (gint) defaults.region, ready));
  g_object_class_install_property (gobject_class, PROP_ROI_TYPE,
      g_param_spec_string ("roi-type", "ROI type", "With region=roi-list: only regions of "
          "this type (a detector's label, e.g. \"person\"); unset: every region", NULL,
          playing));
  g_object_class_install_property (gobject_class, PROP_MODEL_INSTANCE_ID,
      g_param_spec_string ("model-instance-id", "Model instance id", "Elements with the same "
          "id share one loaded model (same model and device required)", NULL, ready));
  g_object_class_install_property (gobject_class, PROP_BATCH_SIZE,
      g_param_spec_uint ("batch-size", "Batch size", "Most frames explained in one forward "
          "pass together with those of the other elements sharing the model "
          "(model-instance-id); 1 = each frame alone", 1, 64, defaults.batch_size,
          playing));
  g_object_class_install_property (gobject_class, PROP_BATCH_TIMEOUT,
      g_param_spec_uint ("batch-timeout", "Batch timeout", "Longest a frame waits for a batch "
          "to fill, in milliseconds", 0, 10000, defaults.batch_timeout_ms, playing));
  g_object_class_install_property (gobject_class, PROP_STATS_INTERVAL,
      g_param_spec_uint ("stats-interval", "Statistics interval", "Post a 'legrad-stats' "
          "element message every N analysed frames (0 = never)", 0, G_MAXUINT, 0, playing));
  g_object_class_install_property (gobject_class, PROP_EVENT_MIN_FRAMES,
      g_param_spec_uint ("event-min-frames", "Event minimum frames", "Analysed frames in a "
          "row a prompt (or, with region=roi-list, a prompt on an object) must be present in "
          "(min-score, min-probability) before its 'legrad-event' starts", 1, 10000,
          legrad::kDefaultEventMinFrames, playing));
  g_object_class_install_property (gobject_class, PROP_EVENT_HOLD,
      g_param_spec_uint ("event-hold", "Event hold", "Milliseconds without the prompt before "
          "its 'legrad-event' ends", 0, 3600000, legrad::kDefaultEventHoldMs, playing));
  g_object_class_install_property (gobject_class, PROP_EVENT_EVIDENCE,
      g_param_spec_uint ("event-evidence", "Event evidence", "Longest side in pixels of the "
          "evidence picture (a JPEG of the frame with the heatmap, box and prompt drawn) a "
          "'legrad-event' start carries (0 = none)", 0, legrad::kMaxEvidenceSide, 0, playing));
  g_object_class_install_property (gobject_class, PROP_EVENT_EVIDENCE_MAX_BYTES,
      g_param_spec_uint ("event-evidence-max-bytes", "Event evidence maximum bytes",
          "Bound on an evidence picture's size: its quality, then its size, step down until "
          "it fits", legrad::kMinEvidenceMaxBytes, legrad::kMaxEvidenceMaxBytes,
          legrad::kDefaultEvidenceMaxBytes, playing));
  g_object_class_install_property (gobject_class, PROP_THREADS,
      g_param_spec_uint ("threads", "Threads", "CPU threads for the model's operators, set at "
          "start for the whole process (0 = every core but one, left to the decoder, encoder "
          "and the rest of the pipeline)", 0, 1024, 0, ready));
  g_object_class_install_property (gobject_class, PROP_NICE,
      g_param_spec_int ("nice", "Nice", "Niceness of the model's compute threads, so that the "
          "rest of a live pipeline (decoder, overlay, encoder) gets the CPU first; it can only "
          "be raised (Linux)", 0, 19, legrad::kPipelineNice, ready));
  g_object_class_install_property (gobject_class, PROP_FRAMES_ANALYZED,
      g_param_spec_uint64 ("frames-analyzed", "Frames analysed", "Frames analysed so far",
          0, G_MAXUINT64, 0, ro));
  g_object_class_install_property (gobject_class, PROP_FRAMES_SKIPPED,
      g_param_spec_uint64 ("frames-skipped", "Frames skipped", "Frames not analysed "
          "(inference-interval, or replaced in the async mailbox)", 0, G_MAXUINT64, 0, ro));
  g_object_class_install_property (gobject_class, PROP_MEAN_INFERENCE_MS,
      g_param_spec_double ("mean-inference-ms", "Mean inference time", "Mean milliseconds per "
          "analysed frame", 0.0, G_MAXDOUBLE, 0.0, ro));
  g_object_class_install_property (gobject_class, PROP_LAST_INFERENCE_MS,
      g_param_spec_double ("last-inference-ms", "Last inference time", "Milliseconds of the "
          "last analysed frame", 0.0, G_MAXDOUBLE, 0.0, ro));

  gst_element_class_set_static_metadata (element_class, "LeGrad analyzer",
      "Filter/Analyzer/Video", "Attaches LeGrad heatmaps of text prompts (where a CLIP vision "
      "transformer sees them) as metadata", "legrad-gst developers");
  legrad::add_frame_pad_templates (element_class, legrad::FrameFormats::All);

  trans_class->start = GST_DEBUG_FUNCPTR (gst_legrad_start);
  trans_class->stop = GST_DEBUG_FUNCPTR (gst_legrad_stop);
  trans_class->set_caps = GST_DEBUG_FUNCPTR (gst_legrad_set_caps);
  trans_class->transform_ip = GST_DEBUG_FUNCPTR (gst_legrad_transform_ip);
  trans_class->sink_event = GST_DEBUG_FUNCPTR (gst_legrad_sink_event);
  trans_class->src_event = GST_DEBUG_FUNCPTR (gst_legrad_src_event);
  trans_class->query = GST_DEBUG_FUNCPTR (gst_legrad_query);

  gst_type_mark_as_plugin_api (GST_TYPE_LEGRAD_MODE, (GstPluginAPIFlags) 0);
  gst_type_mark_as_plugin_api (GST_TYPE_LEGRAD_REGION, (GstPluginAPIFlags) 0);
  gst_type_mark_as_plugin_api (GST_TYPE_LEGRAD_METHOD, (GstPluginAPIFlags) 0);
  GST_DEBUG_CATEGORY_INIT (gst_legrad_debug, "legrad", 0, "LeGrad analyzer");
}

static void
gst_legrad_init (GstLegrad * self)
{
  self->device = g_strdup (legrad::kDefaultDevice);
  self->dtype = gst_legrad_default_dtype ();
  self->layer_index = legrad::kDefaultLayerIndex;
  self->correction_text = g_strdup (legrad::kDefaultCorrectionText);
  self->correction_threshold = (gfloat) legrad::kDefaultCorrectionThreshold;
  self->settings = legrad::StreamSettings ();
  self->compute = legrad::ComputeSettings ();
  self->compute.nice = legrad::kPipelineNice;
  self->mode = legrad::kDefaultAnalysisMode;
  self->events_settings = legrad::PresenceEventSettings ();
  self->evidence = legrad::EvidenceSettings ();
  gst_video_info_init (&self->info);
  /* In place and never passthrough: metas need a writable buffer, but the pixels are only
   * read, so a shared buffer costs a shallow copy and no pixel copy. */
  gst_base_transform_set_in_place (GST_BASE_TRANSFORM (self), TRUE);
  gst_base_transform_set_passthrough (GST_BASE_TRANSFORM (self), FALSE);
}
