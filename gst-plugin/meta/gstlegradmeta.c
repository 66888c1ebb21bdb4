#include "gstlegradmeta.h"

#include <gst/video/video.h>
#include <string.h>

/* ---- heatmap meta ---- */

/**
 * gst_legrad_heatmap_meta_api_get_type:
 *
 * Returns: the #GType of the heatmap meta's API, for gst_buffer_get_meta() and the like
 */
GType
gst_legrad_heatmap_meta_api_get_type (void)
{
  static GType type = 0;
  static const gchar *tags[] = { GST_META_TAG_VIDEO_STR, GST_META_TAG_VIDEO_SIZE_STR, NULL };
  if (g_once_init_enter (&type)) {
    GType t = gst_meta_api_type_register ("GstLegradHeatmapMetaAPI", tags);
    g_once_init_leave (&type, t);
  }
  return type;
}

static gboolean
heatmap_meta_init (GstMeta * meta, gpointer params, GstBuffer * buffer)
{
  GstLegradHeatmapMeta *m = (GstLegradHeatmapMeta *) meta;
  (void) params;
  (void) buffer;
  m->prompt = NULL;
  m->prompt_index = 0;
  m->score = 0.0f;
  m->width = m->height = 0;
  m->values = NULL;
  m->source_pts = GST_CLOCK_TIME_NONE;
  m->age = 0;
  m->roi_id = -1;
  m->covers_roi = FALSE;
  m->probability = -1.0f;
  return TRUE;
}

static void
heatmap_meta_free (GstMeta * meta, GstBuffer * buffer)
{
  GstLegradHeatmapMeta *m = (GstLegradHeatmapMeta *) meta;
  (void) buffer;
  g_free (m->prompt);
  if (m->values)
    g_bytes_unref (m->values);
}

/* The heatmap covers the whole frame, so copies and scaling keep it as it is; any other
 * transform (flip, rotate, crop) would misplace it, so it is dropped. */
static gboolean
heatmap_meta_transform (GstBuffer * dest, GstMeta * meta, GstBuffer * buffer,
    GQuark type, gpointer data)
{
  GstLegradHeatmapMeta *m = (GstLegradHeatmapMeta *) meta;
  GstLegradHeatmapMeta *copy;
  (void) buffer;
  if (GST_META_TRANSFORM_IS_COPY (type)) {
    GstMetaTransformCopy *c = data;
    if (c->region)
      return FALSE;
  } else if (!GST_VIDEO_META_TRANSFORM_IS_SCALE (type)) {
    return FALSE;
  }
  copy = gst_buffer_add_legrad_heatmap_meta (dest, m->prompt, m->prompt_index, m->score,
      m->width, m->height, m->values, m->source_pts, m->age);
  if (!copy)
    return FALSE;
  /* ROI metas are copied and scaled alongside, keeping their ids. */
  copy->roi_id = m->roi_id;
  copy->covers_roi = m->covers_roi;
  copy->probability = m->probability;
  return TRUE;
}

/**
 * gst_legrad_heatmap_meta_get_info: (skip)
 *
 * Returns: the heatmap meta's registration
 */
const GstMetaInfo *
gst_legrad_heatmap_meta_get_info (void)
{
  static const GstMetaInfo *info = NULL;
  if (g_once_init_enter ((GstMetaInfo **) & info)) {
    const GstMetaInfo *mi = gst_meta_register (GST_LEGRAD_HEATMAP_META_API_TYPE,
        "GstLegradHeatmapMeta", sizeof (GstLegradHeatmapMeta), heatmap_meta_init,
        heatmap_meta_free, heatmap_meta_transform);
    g_once_init_leave ((GstMetaInfo **) & info, (GstMetaInfo *) mi);
  }
  return info;
}

/**
 * gst_buffer_add_legrad_heatmap_meta:
 * @buffer: a #GstBuffer
 * @prompt: the prompt text
 * @prompt_index: the prompt's position in the analysed list
 * @score: the prompt's presence score
 * @width: heatmap width
 * @height: heatmap height
 * @values: @width x @height #gfloat values, row-major; the meta takes a reference
 * @source_pts: PTS of the frame the heatmap was computed from
 * @age: frames since that frame
 *
 * Returns: (transfer none) (nullable): the added meta, or %NULL where @values does not
 *   hold @width x @height floats
 */
GstLegradHeatmapMeta *
gst_buffer_add_legrad_heatmap_meta (GstBuffer * buffer, const gchar * prompt,
    guint prompt_index, gfloat score, guint width, guint height, GBytes * values,
    GstClockTime source_pts, guint64 age)
{
  GstLegradHeatmapMeta *m;
  g_return_val_if_fail (GST_IS_BUFFER (buffer), NULL);
  g_return_val_if_fail (prompt != NULL, NULL);
  g_return_val_if_fail (values != NULL, NULL);
  g_return_val_if_fail (g_bytes_get_size (values) == (gsize) width * height * sizeof (gfloat),
      NULL);
  m = (GstLegradHeatmapMeta *) gst_buffer_add_meta (buffer, GST_LEGRAD_HEATMAP_META_INFO,
      NULL);
  if (!m)
    return NULL;
  m->prompt = g_strdup (prompt);
  m->prompt_index = prompt_index;
  m->score = score;
  m->width = width;
  m->height = height;
  m->values = g_bytes_ref (values);
  m->source_pts = source_pts;
  m->age = age;
  return m;
}

/**
 * gst_buffer_iterate_legrad_heatmap_meta: (skip)
 * @buffer: a #GstBuffer
 * @state: iteration state, %NULL at first
 *
 * Returns: (transfer none) (nullable): the next heatmap meta, or %NULL after the last
 */
GstLegradHeatmapMeta *
gst_buffer_iterate_legrad_heatmap_meta (GstBuffer * buffer, gpointer * state)
{
  return (GstLegradHeatmapMeta *) gst_buffer_iterate_meta_filtered (buffer, state,
      GST_LEGRAD_HEATMAP_META_API_TYPE);
}

/**
 * gst_buffer_get_n_legrad_heatmap_metas:
 * @buffer: a #GstBuffer
 *
 * Returns: how many heatmap metas @buffer carries
 */
guint
gst_buffer_get_n_legrad_heatmap_metas (GstBuffer * buffer)
{
  gpointer state = NULL;
  guint n = 0;
  while (gst_buffer_iterate_legrad_heatmap_meta (buffer, &state))
    n++;
  return n;
}

/**
 * gst_buffer_get_legrad_heatmap_meta_by_index:
 * @buffer: a #GstBuffer
 * @prompt_index: a prompt's position in the analysed list
 *
 * Returns: (transfer none) (nullable): that prompt's heatmap meta, or %NULL
 */
GstLegradHeatmapMeta *
gst_buffer_get_legrad_heatmap_meta_by_index (GstBuffer * buffer, guint prompt_index)
{
  gpointer state = NULL;
  GstLegradHeatmapMeta *m;
  while ((m = gst_buffer_iterate_legrad_heatmap_meta (buffer, &state)))
    if (m->prompt_index == prompt_index)
      return m;
  return NULL;
}

/**
 * gst_buffer_get_legrad_heatmap_meta_by_prompt:
 * @buffer: a #GstBuffer
 * @prompt: a prompt text
 *
 * Returns: (transfer none) (nullable): that prompt's heatmap meta, or %NULL
 */
GstLegradHeatmapMeta *
gst_buffer_get_legrad_heatmap_meta_by_prompt (GstBuffer * buffer, const gchar * prompt)
{
  gpointer state = NULL;
  GstLegradHeatmapMeta *m;
  g_return_val_if_fail (prompt != NULL, NULL);
  while ((m = gst_buffer_iterate_legrad_heatmap_meta (buffer, &state)))
    if (g_strcmp0 (m->prompt, prompt) == 0)
      return m;
  return NULL;
}

/**
 * gst_legrad_heatmap_meta_get_values: (skip)
 * @meta: a #GstLegradHeatmapMeta
 *
 * Returns: (transfer none): the @meta's width x height values
 */
const gfloat *
gst_legrad_heatmap_meta_get_values (const GstLegradHeatmapMeta * meta)
{
  g_return_val_if_fail (meta != NULL && meta->values != NULL, NULL);
  return g_bytes_get_data (meta->values, NULL);
}

/**
 * gst_buffer_get_legrad_heatmap_metas:
 * @buffer: a #GstBuffer
 *
 * Every heatmap meta of @buffer, for bindings (which cannot use the iterator).
 *
 * Returns: (transfer container) (element-type GstLegradHeatmapMeta): the metas in the
 *   order they were attached; free the list with g_list_free()
 */
GList *
gst_buffer_get_legrad_heatmap_metas (GstBuffer * buffer)
{
  gpointer state = NULL;
  GstLegradHeatmapMeta *m;
  GList *metas = NULL;
  g_return_val_if_fail (GST_IS_BUFFER (buffer), NULL);
  while ((m = gst_buffer_iterate_legrad_heatmap_meta (buffer, &state)))
    metas = g_list_prepend (metas, m);
  return g_list_reverse (metas);
}

/**
 * gst_legrad_heatmap_meta_get_bytes:
 * @meta: a #GstLegradHeatmapMeta
 *
 * The values as bytes: width x height native-endian #gfloat, row-major. From Python,
 * `numpy.frombuffer(meta.get_bytes().get_data(), dtype=numpy.float32)` reshaped to
 * (height, width).
 *
 * Returns: (transfer full): a new reference to the values
 */
GBytes *
gst_legrad_heatmap_meta_get_bytes (const GstLegradHeatmapMeta * meta)
{
  g_return_val_if_fail (meta != NULL && meta->values != NULL, NULL);
  return g_bytes_ref (meta->values);
}

/**
 * gst_legrad_heatmap_meta_get_region:
 * @meta: a #GstLegradHeatmapMeta
 * @buffer: the buffer that carries @meta
 *
 * The region of interest the heatmap belongs to (its @roi_id): the box the analyzer drew
 * around the prompt, or with @covers_roi the object the heatmap covers.
 *
 * Returns: (transfer none) (nullable): that #GstVideoRegionOfInterestMeta on @buffer, or
 *   %NULL where it has none
 */
GstVideoRegionOfInterestMeta *
gst_legrad_heatmap_meta_get_region (const GstLegradHeatmapMeta * meta, GstBuffer * buffer)
{
  g_return_val_if_fail (meta != NULL && GST_IS_BUFFER (buffer), NULL);
  if (meta->roi_id < 0)
    return NULL;
  return gst_buffer_get_video_region_of_interest_meta_id (buffer, meta->roi_id);
}

/**
 * gst_legrad_clip_region:
 * @roi: a #GstVideoRegionOfInterestMeta
 * @width: the frame's width
 * @height: the frame's height
 * @x: (out): left edge of the clipped region
 * @y: (out): top edge
 * @w: (out): width
 * @h: (out): height
 *
 * The part of @roi inside a @width x @height frame: detectors' boxes may reach past the
 * frame's edges.
 *
 * Returns: %TRUE when some of the region lies inside the frame
 */
gboolean
gst_legrad_clip_region (const GstVideoRegionOfInterestMeta * roi, guint width, guint height,
    guint * x, guint * y, guint * w, guint * h)
{
  g_return_val_if_fail (roi != NULL && x && y && w && h, FALSE);
  *x = MIN (roi->x, width);
  *y = MIN (roi->y, height);
  *w = (guint) MIN ((guint64) roi->w, (guint64) (width - *x));
  *h = (guint) MIN ((guint64) roi->h, (guint64) (height - *y));
  return *w > 0 && *h > 0;
}

/* ---- prompts meta ---- */

/**
 * gst_legrad_prompts_meta_api_get_type:
 *
 * Returns: the #GType of the prompts meta's API
 */
GType
gst_legrad_prompts_meta_api_get_type (void)
{
  static GType type = 0;
  static const gchar *tags[] = { NULL };
  if (g_once_init_enter (&type)) {
    GType t = gst_meta_api_type_register ("GstLegradPromptsMetaAPI", tags);
    g_once_init_leave (&type, t);
  }
  return type;
}

static gboolean
prompts_meta_init (GstMeta * meta, gpointer params, GstBuffer * buffer)
{
  (void) params;
  (void) buffer;
  ((GstLegradPromptsMeta *) meta)->prompts = NULL;
  return TRUE;
}

static void
prompts_meta_free (GstMeta * meta, GstBuffer * buffer)
{
  (void) buffer;
  g_free (((GstLegradPromptsMeta *) meta)->prompts);
}

static gboolean
prompts_meta_transform (GstBuffer * dest, GstMeta * meta, GstBuffer * buffer,
    GQuark type, gpointer data)
{
  (void) buffer;
  (void) type;
  (void) data;
  return gst_buffer_add_legrad_prompts_meta (dest,
      ((GstLegradPromptsMeta *) meta)->prompts) != NULL;
}

/**
 * gst_legrad_prompts_meta_get_info: (skip)
 *
 * Returns: the prompts meta's registration
 */
const GstMetaInfo *
gst_legrad_prompts_meta_get_info (void)
{
  static const GstMetaInfo *info = NULL;
  if (g_once_init_enter ((GstMetaInfo **) & info)) {
    const GstMetaInfo *mi = gst_meta_register (GST_LEGRAD_PROMPTS_META_API_TYPE,
        "GstLegradPromptsMeta", sizeof (GstLegradPromptsMeta), prompts_meta_init,
        prompts_meta_free, prompts_meta_transform);
    g_once_init_leave ((GstMetaInfo **) & info, (GstMetaInfo *) mi);
  }
  return info;
}

/**
 * gst_buffer_add_legrad_prompts_meta:
 * @buffer: a #GstBuffer
 * @prompts: `;`-separated prompts
 *
 * Returns: (transfer none) (nullable): the added meta
 */
GstLegradPromptsMeta *
gst_buffer_add_legrad_prompts_meta (GstBuffer * buffer, const gchar * prompts)
{
  GstLegradPromptsMeta *m;
  g_return_val_if_fail (GST_IS_BUFFER (buffer), NULL);
  g_return_val_if_fail (prompts != NULL, NULL);
  m = (GstLegradPromptsMeta *) gst_buffer_add_meta (buffer, GST_LEGRAD_PROMPTS_META_INFO, NULL);
  if (m)
    m->prompts = g_strdup (prompts);
  return m;
}

/**
 * gst_buffer_get_legrad_prompts_meta:
 * @buffer: a #GstBuffer
 *
 * Returns: (transfer none) (nullable): the @buffer's prompts meta, or %NULL
 */
GstLegradPromptsMeta *
gst_buffer_get_legrad_prompts_meta (GstBuffer * buffer)
{
  return (GstLegradPromptsMeta *) gst_buffer_get_meta (buffer, GST_LEGRAD_PROMPTS_META_API_TYPE);
}
