/* GStreamer LeGrad metadata: per-prompt heatmaps attached to video frames, and prompts an
 * application attaches to a frame to have it analysed with them.
 *
 * Link with `pkg-config --libs gstlegradmeta-1.0`; from Python (PyGObject), import it as
 * `gi.require_version("GstLegrad", "1.0"); from gi.repository import GstLegrad`.
 */
#ifndef __GST_LEGRAD_META_H__
#define __GST_LEGRAD_META_H__

#include <gst/gst.h>
#include <gst/video/video.h>

G_BEGIN_DECLS

#define GST_LEGRAD_HEATMAP_META_API_TYPE (gst_legrad_heatmap_meta_api_get_type ())
#define GST_LEGRAD_HEATMAP_META_INFO (gst_legrad_heatmap_meta_get_info ())
#define GST_LEGRAD_PROMPTS_META_API_TYPE (gst_legrad_prompts_meta_api_get_type ())
#define GST_LEGRAD_PROMPTS_META_INFO (gst_legrad_prompts_meta_get_info ())

/**
 * GstLegradHeatmapMeta:
 * @meta: parent #GstMeta
 * @prompt: the prompt text
 * @prompt_index: the prompt's position in the analysed prompt list
 * @score: presence score: cosine similarity of the image embedding with the prompt
 * @width: heatmap width (the model input size S)
 * @height: heatmap height
 * @values: @width x @height #gfloat values in [0, 1], row-major, covering the whole frame;
 *   shared by reference between frames that carry the same heatmap
 * @source_pts: PTS of the frame the heatmap was computed from
 * @age: frames since that frame (0: computed from this frame)
 * @roi_id: id of the matching #GstVideoRegionOfInterestMeta (unique on the buffer), or -1
 * @covers_roi: %TRUE when @values cover that region of interest rather than the whole frame
 *   (the analyzer's `region=roi-list`: one heatmap per prompt per upstream object)
 * @probability: the model's own probability that the prompt is present, sigmoid of its logit
 *   (models trained with a sigmoid loss: SigLIP, the bundled model), or -1 where the model
 *   gives none (CLIP's softmax-trained logits say nothing of one prompt alone)
 *
 * One per prompt per frame (per prompt per region of interest with @covers_roi). Survives
 * copies, conversion and scaling (the heatmap covers the whole frame, or its region, whatever
 * the size). Its transform drops it for region copies and any
 * transform other than a copy or a scale; note that GStreamer 1.22's GstVideoFilter-based
 * elements (videoflip among them) copy every meta tagged only video/size as it is, so a
 * heatmap after videoflip is not flipped with the picture.
 */
typedef struct {
  GstMeta meta;
  gchar *prompt;
  guint prompt_index;
  gfloat score;
  guint width;
  guint height;
  GBytes *values;
  GstClockTime source_pts;
  guint64 age;
  gint roi_id;
  gboolean covers_roi;
  gfloat probability;
} GstLegradHeatmapMeta;

/**
 * GstLegradPromptsMeta:
 * @meta: parent #GstMeta
 * @prompts: `;`-separated prompts this frame is to be analysed with
 */
typedef struct {
  GstMeta meta;
  gchar *prompts;
} GstLegradPromptsMeta;

GType gst_legrad_heatmap_meta_api_get_type (void);
const GstMetaInfo *gst_legrad_heatmap_meta_get_info (void);
GType gst_legrad_prompts_meta_api_get_type (void);
const GstMetaInfo *gst_legrad_prompts_meta_get_info (void);

/* @values must hold width * height floats; the meta takes a reference. */
GstLegradHeatmapMeta *gst_buffer_add_legrad_heatmap_meta (GstBuffer *buffer, const gchar *prompt,
    guint prompt_index, gfloat score, guint width, guint height, GBytes *values,
    GstClockTime source_pts, guint64 age);

guint gst_buffer_get_n_legrad_heatmap_metas (GstBuffer *buffer);
GstLegradHeatmapMeta *gst_buffer_get_legrad_heatmap_meta_by_index (GstBuffer *buffer,
    guint prompt_index);
GstLegradHeatmapMeta *gst_buffer_get_legrad_heatmap_meta_by_prompt (GstBuffer *buffer,
    const gchar *prompt);
/* Every heatmap meta, in the order attached (for bindings; free with g_list_free). */
GList *gst_buffer_get_legrad_heatmap_metas (GstBuffer *buffer);
/* Iterate: GstLegradHeatmapMeta *m; gpointer state = NULL;
 * while ((m = gst_buffer_iterate_legrad_heatmap_meta (buf, &state))) ... */
GstLegradHeatmapMeta *gst_buffer_iterate_legrad_heatmap_meta (GstBuffer *buffer, gpointer *state);

/* The heatmap values (width * height floats). */
const gfloat *gst_legrad_heatmap_meta_get_values (const GstLegradHeatmapMeta *meta);
/* The same values as a new reference to the bytes (for bindings). */
GBytes *gst_legrad_heatmap_meta_get_bytes (const GstLegradHeatmapMeta *meta);

/* The region of interest the heatmap belongs to (its roi_id) on @buffer, or NULL. */
GstVideoRegionOfInterestMeta *gst_legrad_heatmap_meta_get_region (const GstLegradHeatmapMeta *meta,
    GstBuffer *buffer);
/* @roi clipped to a @width x @height frame; FALSE when nothing of it is inside. */
gboolean gst_legrad_clip_region (const GstVideoRegionOfInterestMeta *roi, guint width,
    guint height, guint *x, guint *y, guint *w, guint *h);

GstLegradPromptsMeta *gst_buffer_add_legrad_prompts_meta (GstBuffer *buffer, const gchar *prompts);
GstLegradPromptsMeta *gst_buffer_get_legrad_prompts_meta (GstBuffer *buffer);

G_END_DECLS

#endif /* __GST_LEGRAD_META_H__ */
