/**
 * SECTION:element-legradmetapublish
 * @title: legradmetapublish
 *
 * Publishes the LeGrad results of a stream — every frame's prompts, scores, probabilities and
 * boxes, and the presence, camera and clip events — to an MQTT broker, Kafka or a file, as
 * JSON (docs/legrad-metadata.schema.json), and takes prompts from afar. Video passes through
 * untouched. The properties carry the names of DL Streamer's `gvametapublish` where they mean
 * the same (`method`, `address`, `topic`, `mqtt-client-id`, `max-connect-attempts`,
 * `max-reconnect-interval`, `file-path`).
 *
 * The video never waits for the network: messages go into a bounded outbox
 * (`max-queued-messages`, `max-queued-bytes`) that the client drains on its own thread. While
 * the broker is away the client connects again with a doubling wait (1 s up to
 * `max-reconnect-interval`); per-frame messages are dropped first, events kept until the bound;
 * every message dropped is counted (`frames-dropped`, `events-dropped` and the
 * `legrad-publish-stats` message). A broker down at start is a warning and retried, unless
 * `require-connection=true` makes it an error. At EOS the queued messages get up to 2 s to go
 * out before EOS goes on, and a last `legrad-publish-stats` says what became of them.
 *
 * With `control-topic` (MQTT or Kafka), JSON commands such as
 * `{"stream_id": "cam-1", "prompts": ["a person", "a forklift"], "request_id": "7"}` change
 * the prompts of the `legrad` upstream at the next frame (through its `legrad/prompts` event);
 * the answer, with the prompts in use or the reason a command was refused, goes to
 * `status-topic`. On Kafka each element reads the control topic in a consumer group of its own
 * (every element hears every command) and passes over what was sent before it started.
 *
 * ## Example launch line
 * |[
 * gst-launch-1.0 videotestsrc is-live=true ! legrad prompts="a person" ! \
 *   legradmetapublish method=mqtt address=127.0.0.1:1883 stream-id=cam-1 publish=all \
 *   control-topic=legrad/control ! fakesink
 * ]|
 */
#include "gstlegradmetapublish.h"

#include <gst/video/video.h>
#include <unistd.h>

#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "base/error.h"
#include "gstlegradenums.h"
#include "legradoutbox.h"
#include "legradpromptcommand.h"
#include "legradpublishclient.h"
#include "legradresultjson.h"
#include "legradtransport.h"
#include "meta/gstlegradmeta.h"
#include "text/prompt_list.h"

GST_DEBUG_CATEGORY_STATIC (gst_legrad_meta_publish_debug);
#define GST_CAT_DEFAULT gst_legrad_meta_publish_debug

/* Frames a prompt command may take to show on the heatmaps before it counts as refused. */
#define PROMPTS_CONFIRM_FRAMES 150
/* How long EOS waits for the queued messages to go out. */
#define EOS_SEND_WAIT_MS 2000
#define DEFAULT_STATS_INTERVAL 10

enum {
  PROP_0,
  PROP_METHOD,
  PROP_ADDRESS,
  PROP_TOPIC,
  PROP_EVENT_TOPIC,
  PROP_STATUS_TOPIC,
  PROP_CONTROL_TOPIC,
  PROP_MQTT_CLIENT_ID,
  PROP_MAX_CONNECT_ATTEMPTS,
  PROP_MAX_RECONNECT_INTERVAL,
  PROP_REQUIRE_CONNECTION,
  PROP_FILE_PATH,
  PROP_STREAM_ID,
  PROP_PUBLISH,
  PROP_FRAME_INTERVAL,
  PROP_INCLUDE_HEATMAP,
  PROP_QOS,
  PROP_RETAIN,
  PROP_KEEP_ALIVE,
  PROP_CREDENTIALS_FILE,
  PROP_TLS_CA_FILE,
  PROP_TLS_CERT_FILE,
  PROP_TLS_KEY_FILE,
  PROP_KAFKA_ACKS,
  PROP_KAFKA_COMPRESSION,
  PROP_KAFKA_CONFIG,
  PROP_MAX_QUEUED_MESSAGES,
  PROP_MAX_QUEUED_BYTES,
  PROP_STATS_INTERVAL,
  PROP_MESSAGES_PUBLISHED,
  PROP_FRAMES_DROPPED,
  PROP_EVENTS_DROPPED,
  PROP_CONNECTED,
  PROP_RECONNECTIONS,
};

/* The properties, under the object lock. */
struct PublishConfig {
  legrad::PublishSettings transport;
  std::string topic, event_topic, status_topic, stream_id;
  legrad::PublishContent content = legrad::kDefaultPublishContent;
  guint frame_interval = 1;
  gboolean include_heatmap = FALSE;
  guint max_connect_attempts = legrad::kDefaultMaxConnectAttempts;
  gdouble max_reconnect_interval = legrad::kDefaultMaxReconnectInterval;
  gboolean require_connection = FALSE;
  guint max_messages = legrad::kDefaultOutboxMessages;
  guint max_bytes = legrad::kDefaultOutboxBytes;
  guint stats_interval = DEFAULT_STATS_INTERVAL;
};

/* A command whose prompts are asked for upstream, until they show on the frames. */
struct AwaitedPrompts {
  legrad::PromptCommand command;
  guint frames = 0;
  GstClockTime applied_pts = GST_CLOCK_TIME_NONE;       /* the frame it went upstream at */
};

struct PublishState {
  PublishConfig config;
  /* while started */
  PublishConfig running;
  std::string where;            /* the address or file, for messages */
  std::unique_ptr < legrad::Outbox > outbox;
  std::unique_ptr < legrad::PublishClient > client;
  legrad::PublishCounts last_counts;    /* the client's, once stopped */
  guint64 frames = 0;
  std::mutex seq_mutex;
  guint64 seq = 0;
  gint64 last_stats_us = 0;
  bool claimed = false;
  std::mutex command_mutex;
  std::optional < legrad::PromptCommand > pending;
  std::optional < AwaitedPrompts > awaited;     /* streaming thread only */
  std::vector < std::string > prompts_in_use;   /* under command_mutex */
};

struct _GstLegradMetaPublish {
  GstBaseTransform parent;
  GstVideoInfo info;
  PublishState *state;
};

G_DEFINE_TYPE (GstLegradMetaPublish, gst_legrad_meta_publish, GST_TYPE_BASE_TRANSFORM);
GST_ELEMENT_REGISTER_DEFINE (legradmetapublish, "legradmetapublish", GST_RANK_NONE,
    GST_TYPE_LEGRAD_META_PUBLISH);

static GstStaticPadTemplate sink_template = GST_STATIC_PAD_TEMPLATE ("sink", GST_PAD_SINK,
    GST_PAD_ALWAYS, GST_STATIC_CAPS ("video/x-raw(ANY)"));
static GstStaticPadTemplate src_template = GST_STATIC_PAD_TEMPLATE ("src", GST_PAD_SRC,
    GST_PAD_ALWAYS, GST_STATIC_CAPS ("video/x-raw(ANY)"));

/* The topics where unset: per kind on MQTT, one topic per kind keyed by stream on Kafka. */
static std::string
default_topic (legrad::PublishMethod method, const char *kind)
{
  if (method == legrad::PublishMethod::Kafka)
    return std::string ("legrad.") + kind;
  return std::string ("legrad/{stream-id}/") + kind;
}

/* Adds the stream, a sequence number and the time, and queues it; never waits. */
static void
gst_legrad_meta_publish_queue (GstLegradMetaPublish * self, legrad::OutgoingMessage::Kind kind,
    const std::string & topic, nlohmann::json message)
{
  PublishState *st = self->state;
  {
    std::lock_guard < std::mutex > lock (st->seq_mutex);
    message["seq"] = st->seq++;
  }
  message["stream_id"] = st->running.stream_id;
  message["utc_us"] = g_get_real_time ();
  legrad::OutgoingMessage m;
  m.kind = kind;
  m.topic = topic;
  m.key = st->running.stream_id;
  m.payload = message.dump ();
  st->outbox->push (std::move (m));
}

static void
gst_legrad_meta_publish_answer (GstLegradMetaPublish * self,
    const legrad::PromptCommand & command, bool accepted, const std::string & reason,
    const nlohmann::json & times = nlohmann::json::object ())
{
  PublishState *st = self->state;
  std::vector < std::string > in_use;
  {
    std::lock_guard < std::mutex > lock (st->command_mutex);
    in_use = st->prompts_in_use;
  }
  nlohmann::json answer = legrad::command_answer (st->running.stream_id, command, accepted,
      in_use, reason);
  answer["host"] = g_get_host_name ();
  answer.update (times);
  GST_INFO_OBJECT (self, "prompt command answered: %s", answer.dump ().c_str ());
  const std::string topic = legrad::expand_topic (st->running.status_topic,
      st->running.stream_id, "");
  gst_legrad_meta_publish_queue (self, legrad::OutgoingMessage::Kind::Status, topic, answer);
  gst_element_post_message (GST_ELEMENT (self), gst_message_new_element (GST_OBJECT (self),
          gst_structure_new ("legrad-prompts-command", "accepted", G_TYPE_BOOLEAN, accepted,
              "request-id", G_TYPE_STRING, command.request_id.c_str (), "prompts",
              G_TYPE_STRING, legrad::join_prompt_list (accepted ? in_use : command.prompts).c_str (),
              "reason", G_TYPE_STRING, reason.c_str (), NULL)));
}

/* On the client's thread: a command from the control topic, for this stream, another one
 * here, or none here. */
static void
gst_legrad_meta_publish_on_command (GstLegradMetaPublish * self, const std::string & text)
{
  PublishState *st = self->state;
  const std::string &id = st->running.stream_id;
  const legrad::PromptCommand command = legrad::parse_prompt_command (text);
  if (!command.valid ()) {
    if (legrad::answers_for_the_process (id))
      gst_legrad_meta_publish_answer (self, command, false, command.refusal);
    return;
  }
  if (command.is_for (id)) {
    std::lock_guard < std::mutex > lock (st->command_mutex);
    st->pending = command;
    return;
  }
  if (!legrad::stream_id_claimed (*command.stream_id) && legrad::answers_for_the_process (id))
    gst_legrad_meta_publish_answer (self, command, false, "no stream '" + *command.stream_id +
        "' on " + g_get_host_name ());
}

/* On the client's thread (or start's): connections made, failed and lost. */
static void
gst_legrad_meta_publish_on_change (GstLegradMetaPublish * self,
    const legrad::ConnectionChange & change)
{
  PublishState *st = self->state;
  GST_INFO_OBJECT (self, "%s: %s %s", st->where.c_str (), change.connected ? "connected" :
      "not connected", change.reason.c_str ());
  if (!change.connected && change.attempt == 0)
    GST_ELEMENT_WARNING (self, RESOURCE, WRITE, ("Lost the connection to '%s' (publishing "
            "again once it is back)", st->where.c_str ()), ("%s", change.reason.c_str ()));
  else if (!change.connected && change.attempt == st->running.max_connect_attempts &&
      !st->running.require_connection)
    GST_ELEMENT_WARNING (self, RESOURCE, OPEN_WRITE, ("Cannot connect to '%s' (trying again, "
            "at most every %g s)", st->where.c_str (), st->running.max_reconnect_interval),
        ("%s", change.reason.c_str ()));
  gst_element_post_message (GST_ELEMENT (self), gst_message_new_element (GST_OBJECT (self),
          gst_structure_new ("legrad-publish-connection", "connected", G_TYPE_BOOLEAN,
              change.connected, "address", G_TYPE_STRING, st->where.c_str (), "reason",
              G_TYPE_STRING, change.reason.c_str (), "attempt", G_TYPE_UINT, change.attempt,
              NULL)));
}

/* The configuration as started: defaults filled, topics expanded and checked. Throws
 * legrad::Error naming the setting. */
static PublishConfig
gst_legrad_meta_publish_resolve (GstLegradMetaPublish * self, PublishConfig c)
{
  if (c.stream_id.empty ()) {
    gchar *name = gst_object_get_name (GST_OBJECT (self));
    c.stream_id = name;
    g_free (name);
  }
  const legrad::PublishMethod method = c.transport.method;
  if (c.topic.empty ())
    c.topic = default_topic (method, "frames");
  if (c.event_topic.empty ())
    c.event_topic = default_topic (method, "events");
  if (c.status_topic.empty ())
    c.status_topic = default_topic (method, "status");
  if (method != legrad::PublishMethod::File) {
    legrad::check_publish_topic ("topic", legrad::expand_topic (c.topic, c.stream_id, ""));
    legrad::check_publish_topic ("event-topic", legrad::expand_topic (c.event_topic,
            c.stream_id, "p"));
    legrad::check_publish_topic ("status-topic", legrad::expand_topic (c.status_topic,
            c.stream_id, ""));
  }
  if (c.topic.find ("{prompt}") != std::string::npos)
    throw legrad::Error ("topic '" + c.topic + "': {prompt} is for event-topic (a frame "
        "holds every prompt)");
  if (c.transport.client_id.empty ())
    c.transport.client_id = std::string ("legrad-") + g_get_host_name () + "-" +
        std::to_string (getpid ()) + "-" + c.stream_id;
  return c;
}

static std::string
where_of (const legrad::PublishSettings & s)
{
  if (s.method == legrad::PublishMethod::File)
    return s.file_path.empty ()? "standard output" : s.file_path;
  if (!s.address.empty ())
    return s.address;
  return "127.0.0.1:" + std::to_string (s.method == legrad::PublishMethod::Mqtt ?
      legrad::kDefaultMqttPort : legrad::kDefaultKafkaPort);
}

static gboolean
gst_legrad_meta_publish_start (GstBaseTransform * trans)
{
  GstLegradMetaPublish *self = GST_LEGRAD_META_PUBLISH (trans);
  PublishState *st = self->state;
  GST_OBJECT_LOCK (self);
  PublishConfig config = st->config;
  GST_OBJECT_UNLOCK (self);
  std::unique_ptr < legrad::Transport > transport;
  try {
    st->running = gst_legrad_meta_publish_resolve (self, config);
    st->where = where_of (st->running.transport);
    transport = legrad::make_transport (st->running.transport,[self] (const std::string & c) {
          gst_legrad_meta_publish_on_command (self, c);
        });
  }
  catch (const std::exception & e) {
    GST_ELEMENT_ERROR (self, RESOURCE, SETTINGS, ("Cannot publish to '%s': %s",
            where_of (config.transport).c_str (), e.what ()), (NULL));
    return FALSE;
  }
  if (!st->running.transport.control_topic.empty ()) {
    if (!legrad::claim_stream_id (st->running.stream_id)) {
      GST_ELEMENT_ERROR (self, RESOURCE, SETTINGS, ("stream-id '%s' is another "
              "legradmetapublish's in this process", st->running.stream_id.c_str ()), (NULL));
      return FALSE;
    }
    st->claimed = true;
  }
  st->frames = 0;
  st->seq = 0;
  st->last_stats_us = g_get_monotonic_time ();
  st->awaited.reset ();
  st->pending.reset ();
  GST_OBJECT_LOCK (self);       /* the counters' properties read them */
  st->last_counts = legrad::PublishCounts ();
  st->outbox.reset (new legrad::Outbox (st->running.max_messages, st->running.max_bytes));
  st->client.reset (new legrad::PublishClient (std::move (transport), *st->outbox,
          st->running.max_reconnect_interval,[self] (const legrad::ConnectionChange & c) {
            gst_legrad_meta_publish_on_change (self, c);
          }));
  GST_OBJECT_UNLOCK (self);
  if (st->running.require_connection) {
    const std::string reason = st->client->connect_now (st->running.max_connect_attempts);
    if (!reason.empty ()) {
      GST_ELEMENT_ERROR (self, RESOURCE, OPEN_WRITE, ("Cannot connect to '%s' "
              "(require-connection=true)", st->where.c_str ()), ("%s", reason.c_str ()));
      GST_OBJECT_LOCK (self);
      st->client.reset ();
      GST_OBJECT_UNLOCK (self);
      return FALSE;
    }
  }
  st->client->start ();
  return TRUE;
}

static void
gst_legrad_meta_publish_post_stats (GstLegradMetaPublish * self)
{
  PublishState *st = self->state;
  if (!st->outbox || !st->client)
    return;
  const legrad::OutboxCounts o = st->outbox->counts ();
  const legrad::PublishCounts c = st->client->counts ();
  gst_element_post_message (GST_ELEMENT (self), gst_message_new_element (GST_OBJECT (self),
          gst_structure_new ("legrad-publish-stats", "published", G_TYPE_UINT64, c.published,
              "queued", G_TYPE_UINT64, o.queued, "waiting", G_TYPE_UINT64, (guint64) o.waiting,
              "frames-dropped", G_TYPE_UINT64, o.dropped_frames, "events-dropped",
              G_TYPE_UINT64, o.dropped_events, "connected", G_TYPE_BOOLEAN, c.connected,
              "reconnections", G_TYPE_UINT64, c.reconnections, NULL)));
}

static gboolean
gst_legrad_meta_publish_stop (GstBaseTransform * trans)
{
  GstLegradMetaPublish *self = GST_LEGRAD_META_PUBLISH (trans);
  PublishState *st = self->state;
  if (st->client) {
    /* Joined before the outbox goes: it drains it for a last time. Its counts stay readable
     * (the object lock: the counters' properties read the client). */
    st->client->stop ();
    GST_OBJECT_LOCK (self);
    std::unique_ptr < legrad::PublishClient > client = std::move (st->client);
    st->last_counts = client->counts ();
    GST_OBJECT_UNLOCK (self);
  }
  if (st->claimed)
    legrad::release_stream_id (st->running.stream_id);
  st->claimed = false;
  return TRUE;
}

static gboolean
gst_legrad_meta_publish_set_caps (GstBaseTransform * trans, GstCaps * incaps, GstCaps * outcaps)
{
  (void) outcaps;
  return gst_video_info_from_caps (&GST_LEGRAD_META_PUBLISH (trans)->info, incaps);
}

static std::vector < std::string > prompts_of (GstBuffer * buffer)
{
  std::vector < std::string > prompts;
  gpointer state = NULL;
  while (GstLegradHeatmapMeta * m = gst_buffer_iterate_legrad_heatmap_meta (buffer, &state)) {
    if (m->prompt_index == prompts.size ())
      prompts.push_back (m->prompt);
  }
  return prompts;
}

/* A command taken from the control topic goes upstream at this frame; it is answered once the
 * frames carry its prompts. */
static void
gst_legrad_meta_publish_follow_commands (GstLegradMetaPublish * self, GstBuffer * buffer)
{
  PublishState *st = self->state;
  std::optional < legrad::PromptCommand > pending;
  const std::vector < std::string > prompts = prompts_of (buffer);
  {
    std::lock_guard < std::mutex > lock (st->command_mutex);
    pending.swap (st->pending);
    st->prompts_in_use = prompts;
  }
  if (pending) {
    if (st->awaited)
      gst_legrad_meta_publish_answer (self, st->awaited->command, false,
          "replaced by a later command");
    const std::string list = legrad::join_prompt_list (pending->prompts);
    GST_INFO_OBJECT (self, "prompts from the control topic: '%s'", list.c_str ());
    gst_pad_push_event (GST_BASE_TRANSFORM_SINK_PAD (self),
        gst_event_new_custom (GST_EVENT_CUSTOM_UPSTREAM, gst_structure_new ("legrad/prompts",
                "prompts", G_TYPE_STRING, list.c_str (), NULL)));
    st->awaited = AwaitedPrompts { *pending, 0, GST_BUFFER_PTS (buffer) };
    return;
  }
  if (!st->awaited)
    return;
  if (prompts == st->awaited->command.prompts) {
    /* Where it went upstream, and the first frame that carries it. */
    const GstClockTime applied = st->awaited->applied_pts;
    gst_legrad_meta_publish_answer (self, st->awaited->command, true, "", {
          {"applied_pts", GST_CLOCK_TIME_IS_VALID (applied) ? nlohmann::json (applied) :
                nlohmann::json (nullptr)},
          {"effective_pts", GST_BUFFER_PTS_IS_VALID (buffer) ? nlohmann::json (GST_BUFFER_PTS
                      (buffer)) : nlohmann::json (nullptr)}});
    st->awaited.reset ();
  } else if (++st->awaited->frames >= PROMPTS_CONFIRM_FRAMES) {
    gst_legrad_meta_publish_answer (self, st->awaited->command, false, "the frames do not "
        "carry them " G_STRINGIFY (PROMPTS_CONFIRM_FRAMES) " frames later: no legrad "
        "upstream, or it refused them (see its warning)");
    st->awaited.reset ();
  }
}

static GstFlowReturn
gst_legrad_meta_publish_transform_ip (GstBaseTransform * trans, GstBuffer * buffer)
{
  GstLegradMetaPublish *self = GST_LEGRAD_META_PUBLISH (trans);
  PublishState *st = self->state;
  GST_OBJECT_LOCK (self);
  const gboolean include_heatmap = st->config.include_heatmap;
  const guint interval = MAX (1, st->config.frame_interval);
  const legrad::PublishContent content = st->config.content;
  const guint stats_interval = st->config.stats_interval;
  GST_OBJECT_UNLOCK (self);

  gst_legrad_meta_publish_follow_commands (self, buffer);
  if (content != legrad::PublishContent::Events && st->frames++ % interval == 0)
    gst_legrad_meta_publish_queue (self, legrad::OutgoingMessage::Kind::Frame,
        legrad::expand_topic (st->running.topic, st->running.stream_id, ""),
        legrad::frame_json (buffer, self->info, include_heatmap));
  const gint64 now = g_get_monotonic_time ();
  if (stats_interval > 0 && now - st->last_stats_us >= (gint64) stats_interval * G_USEC_PER_SEC) {
    st->last_stats_us = now;
    gst_legrad_meta_publish_post_stats (self);
  }
  return GST_FLOW_OK;
}

static void
gst_legrad_meta_publish_event (GstLegradMetaPublish * self, GstEvent * event)
{
  PublishState *st = self->state;
  GST_OBJECT_LOCK (self);
  const legrad::PublishContent content = st->config.content;
  GST_OBJECT_UNLOCK (self);
  if (!st->outbox || content == legrad::PublishContent::Frames)
    return;
  const GstStructure *s = gst_event_get_structure (event);
  if (const auto message = legrad::event_json (s)) {
    const gchar *prompt = gst_structure_get_string (s, "prompt");
    gst_legrad_meta_publish_queue (self, legrad::OutgoingMessage::Kind::Event,
        legrad::expand_topic (st->running.event_topic, st->running.stream_id,
            prompt ? prompt : ""), *message);
  }
}

static gboolean
gst_legrad_meta_publish_sink_event (GstBaseTransform * trans, GstEvent * event)
{
  GstLegradMetaPublish *self = GST_LEGRAD_META_PUBLISH (trans);
  if (GST_EVENT_TYPE (event) == GST_EVENT_CUSTOM_DOWNSTREAM)
    gst_legrad_meta_publish_event (self, event);
  /* At the end, what is queued goes out first (the stream is over: nothing waits behind it)
   * and the stats say what became of every message. */
  if (GST_EVENT_TYPE (event) == GST_EVENT_EOS && self->state->client) {
    self->state->client->wait_until_sent (EOS_SEND_WAIT_MS);
    gst_legrad_meta_publish_post_stats (self);
  }
  return GST_BASE_TRANSFORM_CLASS (gst_legrad_meta_publish_parent_class)->sink_event (trans,
      event);
}

static gboolean
gst_legrad_meta_publish_src_event (GstBaseTransform * trans, GstEvent * event)
{
  if (GST_EVENT_TYPE (event) == GST_EVENT_CUSTOM_UPSTREAM)
    gst_legrad_meta_publish_event (GST_LEGRAD_META_PUBLISH (trans), event);
  return GST_BASE_TRANSFORM_CLASS (gst_legrad_meta_publish_parent_class)->src_event (trans,
      event);
}

static std::string
string_of (const GValue * value)
{
  const gchar *s = g_value_get_string (value);
  return s ? s : "";
}

static void
gst_legrad_meta_publish_set_property (GObject * object, guint prop_id, const GValue * value,
    GParamSpec * pspec)
{
  GstLegradMetaPublish *self = GST_LEGRAD_META_PUBLISH (object);
  GST_OBJECT_LOCK (self);
  PublishConfig & c = self->state->config;
  legrad::PublishSettings & t = c.transport;
  switch (prop_id) {
    case PROP_METHOD:
      t.method = (legrad::PublishMethod) g_value_get_enum (value);
      break;
    case PROP_ADDRESS:
      t.address = string_of (value);
      break;
    case PROP_TOPIC:
      c.topic = string_of (value);
      break;
    case PROP_EVENT_TOPIC:
      c.event_topic = string_of (value);
      break;
    case PROP_STATUS_TOPIC:
      c.status_topic = string_of (value);
      break;
    case PROP_CONTROL_TOPIC:
      t.control_topic = string_of (value);
      break;
    case PROP_MQTT_CLIENT_ID:
      t.client_id = string_of (value);
      break;
    case PROP_MAX_CONNECT_ATTEMPTS:
      c.max_connect_attempts = g_value_get_uint (value);
      break;
    case PROP_MAX_RECONNECT_INTERVAL:
      c.max_reconnect_interval = g_value_get_double (value);
      break;
    case PROP_REQUIRE_CONNECTION:
      c.require_connection = g_value_get_boolean (value);
      break;
    case PROP_FILE_PATH:
      t.file_path = string_of (value);
      break;
    case PROP_STREAM_ID:
      c.stream_id = string_of (value);
      break;
    case PROP_PUBLISH:
      c.content = (legrad::PublishContent) g_value_get_enum (value);
      break;
    case PROP_FRAME_INTERVAL:
      c.frame_interval = g_value_get_uint (value);
      break;
    case PROP_INCLUDE_HEATMAP:
      c.include_heatmap = g_value_get_boolean (value);
      break;
    case PROP_QOS:
      t.qos = (int) g_value_get_uint (value);
      break;
    case PROP_RETAIN:
      t.retain = g_value_get_boolean (value);
      break;
    case PROP_KEEP_ALIVE:
      t.keep_alive_s = g_value_get_uint (value);
      break;
    case PROP_CREDENTIALS_FILE:
      t.credentials_file = string_of (value);
      break;
    case PROP_TLS_CA_FILE:
      t.tls_ca_file = string_of (value);
      break;
    case PROP_TLS_CERT_FILE:
      t.tls_cert_file = string_of (value);
      break;
    case PROP_TLS_KEY_FILE:
      t.tls_key_file = string_of (value);
      break;
    case PROP_KAFKA_ACKS:
      t.kafka_acks = string_of (value);
      break;
    case PROP_KAFKA_COMPRESSION:
      t.kafka_compression = string_of (value);
      break;
    case PROP_KAFKA_CONFIG:
      t.kafka_config_file = string_of (value);
      break;
    case PROP_MAX_QUEUED_MESSAGES:
      c.max_messages = g_value_get_uint (value);
      break;
    case PROP_MAX_QUEUED_BYTES:
      c.max_bytes = g_value_get_uint (value);
      break;
    case PROP_STATS_INTERVAL:
      c.stats_interval = g_value_get_uint (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

/* The read-only counters, from the outbox and the client (the last run's once stopped). */
static gboolean
gst_legrad_meta_publish_get_counter (GstLegradMetaPublish * self, guint prop_id, GValue * value)
{
  PublishState *st = self->state;
  GST_OBJECT_LOCK (self);
  const legrad::OutboxCounts o = st->outbox ? st->outbox->counts () : legrad::OutboxCounts ();
  const legrad::PublishCounts c = st->client ? st->client->counts () : st->last_counts;
  GST_OBJECT_UNLOCK (self);
  switch (prop_id) {
    case PROP_MESSAGES_PUBLISHED:
      g_value_set_uint64 (value, c.published);
      return TRUE;
    case PROP_FRAMES_DROPPED:
      g_value_set_uint64 (value, o.dropped_frames);
      return TRUE;
    case PROP_EVENTS_DROPPED:
      g_value_set_uint64 (value, o.dropped_events);
      return TRUE;
    case PROP_CONNECTED:
      g_value_set_boolean (value, c.connected);
      return TRUE;
    case PROP_RECONNECTIONS:
      g_value_set_uint64 (value, c.reconnections);
      return TRUE;
    default:
      return FALSE;
  }
}

static void
gst_legrad_meta_publish_get_property (GObject * object, guint prop_id, GValue * value,
    GParamSpec * pspec)
{
  GstLegradMetaPublish *self = GST_LEGRAD_META_PUBLISH (object);
  if (gst_legrad_meta_publish_get_counter (self, prop_id, value))
    return;
  GST_OBJECT_LOCK (self);
  const PublishConfig & c = self->state->config;
  const legrad::PublishSettings & t = c.transport;
  switch (prop_id) {
    case PROP_METHOD:
      g_value_set_enum (value, (gint) t.method);
      break;
    case PROP_ADDRESS:
      g_value_set_string (value, t.address.c_str ());
      break;
    case PROP_TOPIC:
      g_value_set_string (value, c.topic.c_str ());
      break;
    case PROP_EVENT_TOPIC:
      g_value_set_string (value, c.event_topic.c_str ());
      break;
    case PROP_STATUS_TOPIC:
      g_value_set_string (value, c.status_topic.c_str ());
      break;
    case PROP_CONTROL_TOPIC:
      g_value_set_string (value, t.control_topic.c_str ());
      break;
    case PROP_MQTT_CLIENT_ID:
      g_value_set_string (value, t.client_id.c_str ());
      break;
    case PROP_MAX_CONNECT_ATTEMPTS:
      g_value_set_uint (value, c.max_connect_attempts);
      break;
    case PROP_MAX_RECONNECT_INTERVAL:
      g_value_set_double (value, c.max_reconnect_interval);
      break;
    case PROP_REQUIRE_CONNECTION:
      g_value_set_boolean (value, c.require_connection);
      break;
    case PROP_FILE_PATH:
      g_value_set_string (value, t.file_path.c_str ());
      break;
    case PROP_STREAM_ID:
      g_value_set_string (value, c.stream_id.c_str ());
      break;
    case PROP_PUBLISH:
      g_value_set_enum (value, (gint) c.content);
      break;
    case PROP_FRAME_INTERVAL:
      g_value_set_uint (value, c.frame_interval);
      break;
    case PROP_INCLUDE_HEATMAP:
      g_value_set_boolean (value, c.include_heatmap);
      break;
    case PROP_QOS:
      g_value_set_uint (value, (guint) t.qos);
      break;
    case PROP_RETAIN:
      g_value_set_boolean (value, t.retain);
      break;
    case PROP_KEEP_ALIVE:
      g_value_set_uint (value, t.keep_alive_s);
      break;
    case PROP_CREDENTIALS_FILE:
      g_value_set_string (value, t.credentials_file.c_str ());
      break;
    case PROP_TLS_CA_FILE:
      g_value_set_string (value, t.tls_ca_file.c_str ());
      break;
    case PROP_TLS_CERT_FILE:
      g_value_set_string (value, t.tls_cert_file.c_str ());
      break;
    case PROP_TLS_KEY_FILE:
      g_value_set_string (value, t.tls_key_file.c_str ());
      break;
    case PROP_KAFKA_ACKS:
      g_value_set_string (value, t.kafka_acks.c_str ());
      break;
    case PROP_KAFKA_COMPRESSION:
      g_value_set_string (value, t.kafka_compression.c_str ());
      break;
    case PROP_KAFKA_CONFIG:
      g_value_set_string (value, t.kafka_config_file.c_str ());
      break;
    case PROP_MAX_QUEUED_MESSAGES:
      g_value_set_uint (value, c.max_messages);
      break;
    case PROP_MAX_QUEUED_BYTES:
      g_value_set_uint (value, c.max_bytes);
      break;
    case PROP_STATS_INTERVAL:
      g_value_set_uint (value, c.stats_interval);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

static void
gst_legrad_meta_publish_finalize (GObject * object)
{
  delete GST_LEGRAD_META_PUBLISH (object)->state;
  G_OBJECT_CLASS (gst_legrad_meta_publish_parent_class)->finalize (object);
}

static void
install_string (GObjectClass * klass, guint id, const gchar * name, const gchar * nick,
    const gchar * blurb, const gchar * default_value, GParamFlags flags)
{
  g_object_class_install_property (klass, id, g_param_spec_string (name, nick, blurb,
          default_value, flags));
}

static void
install_counter (GObjectClass * klass, guint id, const gchar * name, const gchar * nick,
    const gchar * blurb)
{
  g_object_class_install_property (klass, id, g_param_spec_uint64 (name, nick, blurb, 0,
          G_MAXUINT64, 0, (GParamFlags) (G_PARAM_READABLE | G_PARAM_STATIC_STRINGS)));
}

static void
gst_legrad_meta_publish_install_connection (GObjectClass * k, GParamFlags ready)
{
  g_object_class_install_property (k, PROP_METHOD, g_param_spec_enum ("method", "Method",
          "Where to publish", GST_TYPE_LEGRAD_PUBLISH_METHOD,
          (gint) legrad::kDefaultPublishMethod, ready));
  install_string (k, PROP_ADDRESS, "address", "Address", "Broker as host:port (Kafka: "
      "bootstrap servers, comma-separated); empty: 127.0.0.1 on the method's port", NULL, ready);
  install_string (k, PROP_FILE_PATH, "file-path", "File path", "method=file: the file to "
      "write JSON lines to (empty: standard output)", NULL, ready);
  install_string (k, PROP_MQTT_CLIENT_ID, "mqtt-client-id", "MQTT client id", "Client id "
      "(empty: legrad-HOST-PID-STREAM)", NULL, ready);
  g_object_class_install_property (k, PROP_MAX_CONNECT_ATTEMPTS,
      g_param_spec_uint ("max-connect-attempts", "Max connect attempts", "Attempts at the "
          "first connection before a warning (with require-connection=true: an error); it "
          "goes on trying", 1, 1000, legrad::kDefaultMaxConnectAttempts, ready));
  g_object_class_install_property (k, PROP_MAX_RECONNECT_INTERVAL,
      g_param_spec_double ("max-reconnect-interval", "Max reconnect interval", "Longest wait "
          "between connection attempts, in seconds (the wait doubles from 1 s)", 1.0, 3600.0,
          legrad::kDefaultMaxReconnectInterval, ready));
  g_object_class_install_property (k, PROP_REQUIRE_CONNECTION,
      g_param_spec_boolean ("require-connection", "Require connection", "A broker that "
          "cannot be reached at start is an error (after max-connect-attempts), not a warning",
          FALSE, ready));
  g_object_class_install_property (k, PROP_QOS, g_param_spec_uint ("qos", "QoS", "MQTT "
          "quality of service: 0 at most once, 1 at least once (exact loss counts)", 0, 1, 0,
          ready));
  g_object_class_install_property (k, PROP_RETAIN, g_param_spec_boolean ("retain", "Retain",
          "MQTT: the broker keeps the last message of each topic for new subscribers", FALSE,
          ready));
  g_object_class_install_property (k, PROP_KEEP_ALIVE, g_param_spec_uint ("keep-alive",
          "Keep-alive", "MQTT keep-alive, in seconds", 5, 3600, legrad::kDefaultKeepAlive,
          ready));
  install_string (k, PROP_CREDENTIALS_FILE, "credentials-file", "Credentials file", "MQTT: a "
      "file of two lines, user name and password (unset: LEGRAD_MQTT_USERNAME and "
      "LEGRAD_MQTT_PASSWORD from the environment, if set)", NULL, ready);
  install_string (k, PROP_TLS_CA_FILE, "tls-ca-file", "TLS CA file", "MQTT over TLS: the CA "
      "certificate (PEM) the broker's must be signed by", NULL, ready);
  install_string (k, PROP_TLS_CERT_FILE, "tls-cert-file", "TLS certificate file", "MQTT over "
      "TLS: this client's certificate (PEM), with tls-key-file", NULL, ready);
  install_string (k, PROP_TLS_KEY_FILE, "tls-key-file", "TLS key file", "MQTT over TLS: this "
      "client's private key (PEM)", NULL, ready);
  install_string (k, PROP_KAFKA_ACKS, "kafka-acks", "Kafka acks", "Kafka: acknowledgements "
      "a message needs (0, 1, all)", "all", ready);
  install_string (k, PROP_KAFKA_COMPRESSION, "kafka-compression", "Kafka compression",
      "Kafka: none, gzip, snappy, lz4 or zstd", "none", ready);
  install_string (k, PROP_KAFKA_CONFIG, "kafka-config", "Kafka config", "Kafka: a file of "
      "further librdkafka settings, key=value lines (e.g. security.protocol, sasl.*)", NULL,
      ready);
}

static void
gst_legrad_meta_publish_install_content (GObjectClass * k, GParamFlags ready,
    GParamFlags playing)
{
  install_string (k, PROP_STREAM_ID, "stream-id", "Stream id", "The stream's name in every "
      "message, topic ({stream-id}) and command (empty: the element's name)", NULL, ready);
  install_string (k, PROP_TOPIC, "topic", "Topic", "Topic of the per-frame messages "
      "({stream-id} replaced; empty: legrad/{stream-id}/frames, on Kafka legrad.frames)",
      NULL, ready);
  install_string (k, PROP_EVENT_TOPIC, "event-topic", "Event topic", "Topic of the events "
      "({stream-id} and {prompt} replaced; empty: legrad/{stream-id}/events, on Kafka "
      "legrad.events)", NULL, ready);
  install_string (k, PROP_STATUS_TOPIC, "status-topic", "Status topic", "Topic of the "
      "answers to prompt commands (empty: legrad/{stream-id}/status, on Kafka legrad.status)",
      NULL, ready);
  install_string (k, PROP_CONTROL_TOPIC, "control-topic", "Control topic", "MQTT or Kafka "
      "topic to take prompt commands from (JSON: stream_id, prompts, request_id); empty: none", NULL,
      ready);
  g_object_class_install_property (k, PROP_PUBLISH, g_param_spec_enum ("publish", "Publish",
          "What to publish", GST_TYPE_LEGRAD_PUBLISH_CONTENT,
          (gint) legrad::kDefaultPublishContent, playing));
  g_object_class_install_property (k, PROP_FRAME_INTERVAL, g_param_spec_uint ("frame-interval",
          "Frame interval", "Publish every N-th frame's results", 1, 100000, 1, playing));
  g_object_class_install_property (k, PROP_INCLUDE_HEATMAP,
      g_param_spec_boolean ("include-heatmap", "Include heatmap", "Put each heatmap's values "
          "in the frame messages too", FALSE, playing));
  g_object_class_install_property (k, PROP_MAX_QUEUED_MESSAGES,
      g_param_spec_uint ("max-queued-messages", "Max queued messages", "Messages the outbox "
          "holds while the broker is slow or away", 1, 10000000,
          legrad::kDefaultOutboxMessages, ready));
  g_object_class_install_property (k, PROP_MAX_QUEUED_BYTES,
      g_param_spec_uint ("max-queued-bytes", "Max queued bytes", "Bytes the outbox holds",
          1024, G_MAXUINT, legrad::kDefaultOutboxBytes, ready));
  g_object_class_install_property (k, PROP_STATS_INTERVAL,
      g_param_spec_uint ("stats-interval", "Statistics interval", "Post a "
          "'legrad-publish-stats' element message every N seconds (0: never)", 0, 86400,
          DEFAULT_STATS_INTERVAL, playing));
  install_counter (k, PROP_MESSAGES_PUBLISHED, "messages-published", "Messages published",
      "Messages the broker acknowledged (QoS 1, Kafka) or that were sent (QoS 0) or written");
  install_counter (k, PROP_FRAMES_DROPPED, "frames-dropped", "Frames dropped", "Per-frame "
      "messages dropped (outbox full, or lost with a connection)");
  install_counter (k, PROP_EVENTS_DROPPED, "events-dropped", "Events dropped", "Event and "
      "status messages dropped");
  install_counter (k, PROP_RECONNECTIONS, "reconnections", "Reconnections", "Connections "
      "made again after the first");
  g_object_class_install_property (k, PROP_CONNECTED, g_param_spec_boolean ("connected",
          "Connected", "Whether the broker is connected now", FALSE,
          (GParamFlags) (G_PARAM_READABLE | G_PARAM_STATIC_STRINGS)));
}

static void
gst_legrad_meta_publish_class_init (GstLegradMetaPublishClass * klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);
  GstBaseTransformClass *trans_class = GST_BASE_TRANSFORM_CLASS (klass);
  const GParamFlags rw = (GParamFlags) (G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);

  gobject_class->set_property = gst_legrad_meta_publish_set_property;
  gobject_class->get_property = gst_legrad_meta_publish_get_property;
  gobject_class->finalize = gst_legrad_meta_publish_finalize;
  gst_legrad_meta_publish_install_connection (gobject_class,
      (GParamFlags) (rw | GST_PARAM_MUTABLE_READY));
  gst_legrad_meta_publish_install_content (gobject_class,
      (GParamFlags) (rw | GST_PARAM_MUTABLE_READY), (GParamFlags) (rw |
          GST_PARAM_MUTABLE_PLAYING));

  gst_element_class_set_static_metadata (element_class, "LeGrad metadata publisher",
      "Filter/Metadata/Video", "Publishes LeGrad results and events to MQTT, Kafka or a "
      "file, and takes prompts from a control topic", "legrad-gst developers");
  gst_element_class_add_static_pad_template (element_class, &sink_template);
  gst_element_class_add_static_pad_template (element_class, &src_template);

  trans_class->start = GST_DEBUG_FUNCPTR (gst_legrad_meta_publish_start);
  trans_class->stop = GST_DEBUG_FUNCPTR (gst_legrad_meta_publish_stop);
  trans_class->set_caps = GST_DEBUG_FUNCPTR (gst_legrad_meta_publish_set_caps);
  trans_class->transform_ip = GST_DEBUG_FUNCPTR (gst_legrad_meta_publish_transform_ip);
  trans_class->sink_event = GST_DEBUG_FUNCPTR (gst_legrad_meta_publish_sink_event);
  trans_class->src_event = GST_DEBUG_FUNCPTR (gst_legrad_meta_publish_src_event);
  trans_class->transform_ip_on_passthrough = TRUE;

  gst_type_mark_as_plugin_api (GST_TYPE_LEGRAD_PUBLISH_METHOD, (GstPluginAPIFlags) 0);
  gst_type_mark_as_plugin_api (GST_TYPE_LEGRAD_PUBLISH_CONTENT, (GstPluginAPIFlags) 0);
  GST_DEBUG_CATEGORY_INIT (gst_legrad_meta_publish_debug, "legradmetapublish", 0,
      "LeGrad metadata publisher");
}

static void
gst_legrad_meta_publish_init (GstLegradMetaPublish * self)
{
  self->state = new PublishState ();
  gst_video_info_init (&self->info);
  /* Only reads metadata: the buffer passes through as it came. */
  gst_base_transform_set_passthrough (GST_BASE_TRANSFORM (self), TRUE);
}
