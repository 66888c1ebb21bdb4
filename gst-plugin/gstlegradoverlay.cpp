/**
 * SECTION:element-legradoverlay
 * @title: legradoverlay
 *
 * Draws the #GstLegradHeatmapMeta heatmaps that `legrad` attached onto the frames: one
 * prompt through a colour map; several prompts each in its own colour (`prompt-colours`, the
 * default) or, once `colormap` is set, their per-pixel maximum through the colour map;
 * blended with a per-pixel opacity of `alpha` x heat, so pixels where a heatmap is
 * zero stay exactly as they were. Optionally draws each prompt's label with its score and the
 * region-of-interest boxes. A frame without heatmaps passes untouched. Draws in place on I420
 * and NV12 (what decoders and encoders carry, so a YUV stream needs no conversion) and on the
 * packed RGB formats. When downstream says in the allocation
 * query that it handles #GstVideoOverlayCompositionMeta (hardware compositors, GL sinks), the
 * drawing goes into an overlay rectangle attached to the frame and the pixels stay as they
 * were; otherwise it is blended into the frame.
 *
 * ## Example launch line
 * |[
 * gst-launch-1.0 filesrc location=in.mp4 ! decodebin ! videoconvert ! video/x-raw,format=I420 ! \
 *   legrad model=/models/clip prompts="a person" attach-roi=true ! \
 *   legradoverlay colormap=turbo alpha=0.6 ! x264enc ! mp4mux ! filesink location=out.mp4
 * ]|
 */
#include "gstlegradoverlay.h"

#include <gst/video/video.h>

#include <cstdio>
#include <cstring>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "gstlegradenums.h"
#include "heatmap/colormap.h"
#include "heatmap/drawing.h"
#include "heatmap/heatmap_view.h"
#include "legradframe.h"
#include "meta/gstlegradmeta.h"

GST_DEBUG_CATEGORY_STATIC (gst_legrad_overlay_debug);
#define GST_CAT_DEFAULT gst_legrad_overlay_debug


enum {
  PROP_0,
  PROP_COLORMAP,
  PROP_PROMPT_COLOURS,
  PROP_ALPHA,
  PROP_PROMPT,
  PROP_DRAW_LABELS,
  PROP_DRAW_BOXES,
  PROP_SHOW_STALE,
  PROP_MAX_AGE,
};

/* The `prompt` that selects every prompt, and the default. */
#define ALL_PROMPTS "all"

/* What to draw, with the properties' defaults. */
struct DrawSettings {
  guint max_age = legrad::kStaleAfterFrames;
  bool show_stale = true;
  legrad::Colormap colormap = legrad::kDefaultColormap;
  double alpha = legrad::kDefaultAlpha;
  /* several prompts each in its own colour, rather than through the colour map */
  bool prompt_colours = true;
  bool labels = true;
  bool boxes = true;
  bool all = true;              /* every prompt drawn (derived from `prompt` per frame) */
};

struct _GstLegradOverlay {
  GstBaseTransform parent;
  /* properties, under the object lock */
  DrawSettings settings;
  gchar *prompt;
  GstVideoInfo info;
  /* a `prompt` that matched none of a frame's prompts was warned about */
  gboolean warned_no_match;
  /* downstream composes GstVideoOverlayCompositionMeta itself */
  gboolean attach_composition;
  /* an accept-caps query refused upstream's format, and said so (atomic) */
  gint warned_caps;
};

G_DEFINE_TYPE (GstLegradOverlay, gst_legrad_overlay, GST_TYPE_BASE_TRANSFORM);
GST_ELEMENT_REGISTER_DEFINE (legradoverlay, "legradoverlay", GST_RANK_NONE,
    GST_TYPE_LEGRAD_OVERLAY);


static gboolean
gst_legrad_overlay_set_caps (GstBaseTransform * trans, GstCaps * incaps, GstCaps * outcaps)
{
  GstLegradOverlay *self = GST_LEGRAD_OVERLAY (trans);
  if (!gst_video_info_from_caps (&self->info, incaps))
    return FALSE;
  /* In place, the base class asks downstream nothing: ask whether it composes overlays. */
  GstQuery *query = gst_query_new_allocation (outcaps, FALSE);
  self->attach_composition = gst_pad_peer_query (GST_BASE_TRANSFORM_SRC_PAD (trans), query) &&
      gst_query_find_allocation_meta (query, GST_VIDEO_OVERLAY_COMPOSITION_META_API_TYPE, NULL);
  gst_query_unref (query);
  GST_INFO_OBJECT (self, "%s", self->attach_composition ? "attaching overlay compositions" :
      "blending into the frames");
  return TRUE;
}

/* Says once, before upstream fails with "not-negotiated", which formats the overlay takes. */
static gboolean
gst_legrad_overlay_query (GstBaseTransform * trans, GstPadDirection direction,
    GstQuery * query)
{
  GstLegradOverlay *self = GST_LEGRAD_OVERLAY (trans);
  const gboolean ret = GST_BASE_TRANSFORM_CLASS (gst_legrad_overlay_parent_class)->query (trans,
      direction, query);
  if (direction == GST_PAD_SINK) {
    const std::string note = legrad::refused_formats_note (query,
        legrad::FrameFormats::Drawable);
    if (!note.empty () && g_atomic_int_compare_and_exchange (&self->warned_caps, FALSE, TRUE))
      GST_ELEMENT_WARNING (self, CORE, NEGOTIATION, ("legradoverlay cannot draw on the video "
              "upstream offers"), ("%s", note.c_str ()));
  }
  return ret;
}

static gboolean
gst_legrad_overlay_stop (GstBaseTransform * trans)
{
  g_atomic_int_set (&GST_LEGRAD_OVERLAY (trans)->warned_caps, FALSE);
  return TRUE;
}

static bool
selects_all (const gchar * selector)
{
  return !selector || !*selector || g_strcmp0 (selector, ALL_PROMPTS) == 0;
}

/* Whether `meta` is one of the prompts the `prompt` property selects. */
static gboolean
prompt_selected (const gchar * selector, const GstLegradHeatmapMeta * meta)
{
  if (selects_all (selector))
    return TRUE;
  gchar *end = NULL;
  const guint64 index = g_ascii_strtoull (selector, &end, 10);
  if (end && *end == '\0' && end != selector)
    return index == meta->prompt_index;
  return g_strcmp0 (selector, meta->prompt) == 0;
}


/* Where a heatmap goes: the whole frame, or (covers_roi) its region, clipped to the frame;
 * false when that region is gone or empty. */
static bool
heatmap_target (const legrad::Canvas & canvas, GstBuffer * buffer,
    const GstLegradHeatmapMeta * m, legrad::LabelRect * target)
{
  if (!m->covers_roi) {
    *target = legrad::LabelRect {
    0, 0, canvas.width, canvas.height};
    return true;
  }
  const GstVideoRegionOfInterestMeta *roi = gst_legrad_heatmap_meta_get_region (m, buffer);
  guint x, y, w, h;
  if (!roi || !gst_legrad_clip_region (roi, canvas.width, canvas.height, &x, &y, &w, &h))
    return false;
  *target = legrad::LabelRect {
  (int) x, (int) y, (int) w, (int) h};
  return true;
}

static legrad::HeatmapView
heatmap_view (const GstLegradHeatmapMeta * m)
{
  return legrad::HeatmapView {
  gst_legrad_heatmap_meta_get_values (m), (int) m->width, (int) m->height};
}

/* Each heatmap blended in its prompt's own colour. */
static void
blend_in_prompt_colours (const legrad::Canvas & canvas, GstBuffer * buffer,
    const std::vector < GstLegradHeatmapMeta * >&metas, double alpha)
{
  for (GstLegradHeatmapMeta *m:metas) {
    legrad::LabelRect target;
    if (!heatmap_target (canvas, buffer, m, &target))
      continue;
    legrad::HeatColours colours;
    colours.solid = legrad::prompt_color (m->prompt_index);
    legrad::blend_heatmaps (canvas, target, {heatmap_view (m)}, colours, alpha);
  }
}

/* The heatmaps through the colour map: where several prompts share a target (the frame, or
 * one object's region), their per-pixel maximum, so the hottest prompt shows at each pixel. */
static void
blend_through_colormap (const legrad::Canvas & canvas, GstBuffer * buffer,
    const std::vector < GstLegradHeatmapMeta * >&metas, const DrawSettings & s)
{
  std::map < gint, std::vector < GstLegradHeatmapMeta * >>by_target;
  for (GstLegradHeatmapMeta *m:metas)
    by_target[m->covers_roi ? m->roi_id : -1].push_back (m);
  legrad::HeatColours colours;
  colours.colormap = s.colormap;
  for (const auto & group:by_target) {
    legrad::LabelRect target;
    if (!heatmap_target (canvas, buffer, group.second.front (), &target))
      continue;
    std::vector < legrad::HeatmapView > maps;
    for (GstLegradHeatmapMeta *m:group.second)
      maps.push_back (heatmap_view (m));
    legrad::blend_heatmaps (canvas, target, maps, colours, s.alpha);
  }
}

static legrad::Rgb
label_colour (const GstLegradHeatmapMeta * m, bool solid)
{
  return solid ? legrad::prompt_color (m->prompt_index) : legrad::Rgb {
  255, 255, 255};
}

/* A prompt's label says what decided its box: the model's presence probability where it
 * gives one, the cosine score otherwise. */
static std::string
label_text (const GstLegradHeatmapMeta * m, guint max_age)
{
  gchar *text = m->probability >= 0 ?
      g_strdup_printf ("%s p=%.2f%s", m->prompt, m->probability,
      m->age > max_age ? " (stale)" : "") : g_strdup_printf ("%s cos=%.2f%s", m->prompt,
      m->score, m->age > max_age ? " (stale)" : "");
  std::string out = text;
  g_free (text);
  return out;
}

/* Every label where it belongs (above its box; an object's prompts stacked inside the object's
 * box; frame-wide prompts down the left edge), moved out of each other's way. */
static void
draw_labels (const legrad::Canvas & canvas, GstBuffer * buffer,
    const std::vector < GstLegradHeatmapMeta * >&metas, const DrawSettings & s, bool solid)
{
  legrad::LabelLayout layout (canvas.width, canvas.height);
  int line = 0;
  for (GstLegradHeatmapMeta *m:metas) {
    GstVideoRegionOfInterestMeta *roi = gst_legrad_heatmap_meta_get_region (m, buffer);
    const std::string text = label_text (m, s.max_age);
    legrad::LabelRect plate = legrad::label_plate (canvas, text);
    if ((s.boxes || m->covers_roi) && roi) {
      /* under the label a frame-level analyzer may have put above the object's box */
      const int below = m->covers_roi ? plate.height * (int) (m->prompt_index + 1) : 0;
      plate = layout.place (roi->x, (int) roi->y + below - plate.height, plate.width,
          plate.height);
    } else if (!m->covers_roi) {
      plate = layout.place (0, plate.height * line++, plate.width, plate.height);
    } else {
      continue;
    }
    legrad::draw_label_at (canvas, text, plate, label_colour (m, solid));
  }
}

/* Heatmaps, then boxes and labels, onto `canvas` (the frame or a transparent canvas). */
static void
draw (const legrad::Canvas & canvas, GstBuffer * buffer,
    const std::vector < GstLegradHeatmapMeta * >&metas, const DrawSettings & s)
{
  std::set < guint > prompts;
  for (const GstLegradHeatmapMeta * m:metas)
    prompts.insert (m->prompt_index);
  const bool solid = s.all && s.prompt_colours && prompts.size () > 1;
  if (solid)
    blend_in_prompt_colours (canvas, buffer, metas, s.alpha);
  else
    blend_through_colormap (canvas, buffer, metas, s);
  for (GstLegradHeatmapMeta *m:metas) {
    GstVideoRegionOfInterestMeta *roi = gst_legrad_heatmap_meta_get_region (m, buffer);
    if (s.boxes && roi)
      legrad::draw_box (canvas, roi->x, roi->y, roi->w, roi->h, label_colour (m, solid));
  }
  if (s.labels)
    draw_labels (canvas, buffer, metas, s, solid);
}

/* Draws into a transparent canvas attached as an overlay composition (straight alpha, which
 * every compositor accepts). */
static void
gst_legrad_overlay_attach (GstLegradOverlay * self, GstBuffer * buffer,
    const std::vector < GstLegradHeatmapMeta * >&metas, const DrawSettings & s)
{
  const int width = GST_VIDEO_INFO_WIDTH (&self->info);
  const int height = GST_VIDEO_INFO_HEIGHT (&self->info);
  GstBuffer *canvas = gst_buffer_new_allocate (NULL, (gsize) width * height * 4, NULL);
  gst_buffer_add_video_meta (canvas, GST_VIDEO_FRAME_FLAG_NONE,
      GST_VIDEO_OVERLAY_COMPOSITION_FORMAT_RGB, width, height);
  GstMapInfo map;
  gst_buffer_map (canvas, &map, GST_MAP_WRITE);
  memset (map.data, 0, map.size);
  /* GST_VIDEO_OVERLAY_COMPOSITION_FORMAT_RGB: BGRA little-endian, ARGB big-endian. */
  const legrad::PixelFormat format = G_BYTE_ORDER == G_LITTLE_ENDIAN ?
      legrad::PixelFormat::BGRA : legrad::PixelFormat::ARGB;
  const legrad::PixelView view = legrad::packed_pixels (map.data, width, height,
      (int64_t) width * 4, format);
  try {
    draw (legrad::rgb_canvas (view), buffer, metas, s);
  } catch (...) {
    gst_buffer_unmap (canvas, &map);
    gst_buffer_unref (canvas);
    throw;
  }
  legrad::unpremultiply (view);
  gst_buffer_unmap (canvas, &map);
  GstVideoOverlayRectangle *rect = gst_video_overlay_rectangle_new_raw (canvas, 0, 0, width,
      height, GST_VIDEO_OVERLAY_FORMAT_FLAG_NONE);
  GstVideoOverlayComposition *comp = gst_video_overlay_composition_new (rect);
  gst_buffer_add_video_overlay_composition_meta (buffer, comp);
  gst_video_overlay_composition_unref (comp);
  gst_video_overlay_rectangle_unref (rect);
  gst_buffer_unref (canvas);
}

/* Warns once (until `prompt` changes) when it names a prompt none of a frame's heatmaps has:
 * drawing nothing silently would look like a broken pipeline. */
static void
gst_legrad_overlay_warn_no_match (GstLegradOverlay * self, const gchar * selector, guint present)
{
  GST_OBJECT_LOCK (self);
  const gboolean warned = self->warned_no_match;
  self->warned_no_match = TRUE;
  GST_OBJECT_UNLOCK (self);
  if (!warned)
    GST_ELEMENT_WARNING (self, STREAM, FAILED, ("prompt '%s' matches none of the frame's %u "
            "prompts: nothing is drawn", selector, present),
        ("give a prompt index from 0, a prompt's exact text, or \"all\""));
}

static GstFlowReturn
gst_legrad_overlay_transform_ip (GstBaseTransform * trans, GstBuffer * buffer)
{
  GstLegradOverlay *self = GST_LEGRAD_OVERLAY (trans);
  GST_OBJECT_LOCK (self);
  DrawSettings settings = self->settings;
  gchar *selector = g_strdup (self->prompt);
  GST_OBJECT_UNLOCK (self);
  settings.all = selects_all (selector);

  std::vector < GstLegradHeatmapMeta * >metas;
  gpointer state = NULL;
  GstLegradHeatmapMeta *meta;
  guint present = 0, matched = 0;
  while ((meta = gst_buffer_iterate_legrad_heatmap_meta (buffer, &state))) {
    present++;
    if (!prompt_selected (selector, meta))
      continue;
    matched++;
    if (settings.show_stale || meta->age <= settings.max_age)
      metas.push_back (meta);
  }
  if (present > 0 && matched == 0 && !settings.all)
    gst_legrad_overlay_warn_no_match (self, selector, present);
  g_free (selector);
  if (metas.empty ())
    return GST_FLOW_OK;         /* untouched: not even mapped for writing */

  GstVideoFrame frame;
  if (!self->attach_composition &&
      !gst_video_frame_map (&frame, &self->info, buffer, GST_MAP_READWRITE)) {
    GST_ELEMENT_ERROR (self, STREAM, FAILED, ("Cannot map the frame for drawing"), (NULL));
    return GST_FLOW_ERROR;
  }
  GstFlowReturn ret = GST_FLOW_OK;
  try {
    if (self->attach_composition)
      gst_legrad_overlay_attach (self, buffer, metas, settings);
    else
      draw (legrad::writable_canvas (&frame), buffer, metas, settings);
  } catch (const std::exception & e) {
    GST_ELEMENT_ERROR (self, STREAM, FAILED, ("Drawing the heatmap failed"), ("%s", e.what ()));
    ret = GST_FLOW_ERROR;
  }
  if (!self->attach_composition)
    gst_video_frame_unmap (&frame);
  return ret;
}

static void
gst_legrad_overlay_set_property (GObject * object, guint prop_id, const GValue * value,
    GParamSpec * pspec)
{
  GstLegradOverlay *self = GST_LEGRAD_OVERLAY (object);
  gboolean prompt_colours_changed = FALSE;
  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_COLORMAP:
      self->settings.colormap = (legrad::Colormap) g_value_get_enum (value);
      /* asking for a colour map means seeing it, whatever the number of prompts */
      prompt_colours_changed = self->settings.prompt_colours;
      self->settings.prompt_colours = false;
      break;
    case PROP_PROMPT_COLOURS:
      self->settings.prompt_colours = g_value_get_boolean (value);
      break;
    case PROP_ALPHA:
      self->settings.alpha = g_value_get_double (value);
      break;
    case PROP_PROMPT:
      g_free (self->prompt);
      self->prompt = g_value_dup_string (value);
      self->warned_no_match = FALSE;
      break;
    case PROP_DRAW_LABELS:
      self->settings.labels = g_value_get_boolean (value);
      break;
    case PROP_DRAW_BOXES:
      self->settings.boxes = g_value_get_boolean (value);
      break;
    case PROP_SHOW_STALE:
      self->settings.show_stale = g_value_get_boolean (value);
      break;
    case PROP_MAX_AGE:
      self->settings.max_age = g_value_get_uint (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
  if (prompt_colours_changed)
    g_object_notify (object, "prompt-colours");
}

static void
gst_legrad_overlay_get_property (GObject * object, guint prop_id, GValue * value,
    GParamSpec * pspec)
{
  GstLegradOverlay *self = GST_LEGRAD_OVERLAY (object);
  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_COLORMAP:
      g_value_set_enum (value, (gint) self->settings.colormap);
      break;
    case PROP_PROMPT_COLOURS:
      g_value_set_boolean (value, self->settings.prompt_colours);
      break;
    case PROP_ALPHA:
      g_value_set_double (value, self->settings.alpha);
      break;
    case PROP_PROMPT:
      g_value_set_string (value, self->prompt);
      break;
    case PROP_DRAW_LABELS:
      g_value_set_boolean (value, self->settings.labels);
      break;
    case PROP_DRAW_BOXES:
      g_value_set_boolean (value, self->settings.boxes);
      break;
    case PROP_SHOW_STALE:
      g_value_set_boolean (value, self->settings.show_stale);
      break;
    case PROP_MAX_AGE:
      g_value_set_uint (value, self->settings.max_age);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

static void
gst_legrad_overlay_finalize (GObject * object)
{
  g_free (GST_LEGRAD_OVERLAY (object)->prompt);
  G_OBJECT_CLASS (gst_legrad_overlay_parent_class)->finalize (object);
}

static void
gst_legrad_overlay_class_init (GstLegradOverlayClass * klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);
  GstBaseTransformClass *trans_class = GST_BASE_TRANSFORM_CLASS (klass);
  const GParamFlags playing = (GParamFlags) (G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
      GST_PARAM_MUTABLE_PLAYING);
  const DrawSettings defaults;

  gobject_class->set_property = gst_legrad_overlay_set_property;
  gobject_class->get_property = gst_legrad_overlay_get_property;
  gobject_class->finalize = gst_legrad_overlay_finalize;

  g_object_class_install_property (gobject_class, PROP_COLORMAP,
      g_param_spec_enum ("colormap", "Colour map", "Colour map for the heatmaps; several "
          "prompts go through it as their per-pixel maximum. Setting it turns prompt-colours off",
          GST_TYPE_LEGRAD_COLORMAP, (gint) defaults.colormap, playing));
  g_object_class_install_property (gobject_class, PROP_PROMPT_COLOURS,
      g_param_spec_boolean ("prompt-colours", "Prompt colours", "Draw several prompts each in "
          "its own solid colour (boxes and labels too) instead of through the colour map; "
          "setting colormap turns it off, so give it after colormap", defaults.prompt_colours,
          playing));
  g_object_class_install_property (gobject_class, PROP_ALPHA,
      g_param_spec_double ("alpha", "Alpha", "Opacity of the heatmap where it is 1 (it scales "
          "with the heat)", 0.0, 1.0, defaults.alpha, playing));
  g_object_class_install_property (gobject_class, PROP_PROMPT,
      g_param_spec_string ("prompt", "Prompt", "Which prompt to draw: its index, its text, or "
          "\"all\"", ALL_PROMPTS, playing));
  g_object_class_install_property (gobject_class, PROP_DRAW_LABELS,
      g_param_spec_boolean ("draw-labels", "Draw labels", "Write each prompt and its score",
          defaults.labels, playing));
  g_object_class_install_property (gobject_class, PROP_DRAW_BOXES,
      g_param_spec_boolean ("draw-boxes", "Draw boxes", "Draw the region-of-interest boxes",
          defaults.boxes, playing));
  g_object_class_install_property (gobject_class, PROP_SHOW_STALE,
      g_param_spec_boolean ("show-stale", "Show stale", "Draw heatmaps older than max-age "
          "frames (labelled \"stale\")", defaults.show_stale, playing));
  g_object_class_install_property (gobject_class, PROP_MAX_AGE,
      g_param_spec_uint ("max-age", "Maximum age", "Frames since its analysis after which a "
          "heatmap counts as stale (inference-interval and async mode age every heatmap)", 0,
          G_MAXUINT, defaults.max_age, playing));

  gst_element_class_set_static_metadata (element_class, "LeGrad heatmap overlay",
      "Analyzer/Visualization/Video", "Draws LeGrad heatmaps, labels and boxes onto frames",
      "legrad-gst developers");
  legrad::add_frame_pad_templates (element_class, legrad::FrameFormats::Drawable);

  trans_class->set_caps = GST_DEBUG_FUNCPTR (gst_legrad_overlay_set_caps);
  trans_class->transform_ip = GST_DEBUG_FUNCPTR (gst_legrad_overlay_transform_ip);
  trans_class->query = GST_DEBUG_FUNCPTR (gst_legrad_overlay_query);
  trans_class->stop = GST_DEBUG_FUNCPTR (gst_legrad_overlay_stop);

  gst_type_mark_as_plugin_api (GST_TYPE_LEGRAD_COLORMAP, (GstPluginAPIFlags) 0);
  GST_DEBUG_CATEGORY_INIT (gst_legrad_overlay_debug, "legradoverlay", 0,
      "LeGrad heatmap overlay");
}

static void
gst_legrad_overlay_init (GstLegradOverlay * self)
{
  self->settings = DrawSettings ();
  self->prompt = g_strdup (ALL_PROMPTS);
  gst_video_info_init (&self->info);
  gst_base_transform_set_in_place (GST_BASE_TRANSFORM (self), TRUE);
}
