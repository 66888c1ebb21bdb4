#include "gstlegradenums.h"

#include <cstring>

#include "base/device.h"
#include "engine/stream_analyzer.h"
#include "explain/methods.h"
#include "heatmap/colormap.h"
#include "legradtransport.h"

/* An enum whose values are the table's indices (each table is in its enum's order), with the
 * table's names as nicks. The values live as long as the type, i.e. the process. */
template < typename Table > static GType
register_enum_from (const gchar * type_name, const Table & table)
{
  GEnumValue *values = g_new0 (GEnumValue, table.size () + 1);
  for (size_t i = 0; i < table.size (); i++) {
    values[i].value = (gint) i;
    values[i].value_name = table[i].description;
    values[i].value_nick = table[i].name;
  }
  return g_enum_register_static (type_name, values);
}

/* The get_type function of the enum made from a table, registered on first use. */
#define DEFINE_ENUM_FROM_TABLE(get_type, type_name, table)                    \
  GType get_type (void)                                                       \
  {                                                                           \
    static GType type = 0;                                                    \
    if (g_once_init_enter (&type))                                            \
      g_once_init_leave (&type, register_enum_from (type_name, table));       \
    return type;                                                              \
  }

DEFINE_ENUM_FROM_TABLE (gst_legrad_method_get_type, "GstLegradMethod", legrad::explain_methods ())
DEFINE_ENUM_FROM_TABLE (gst_legrad_colormap_get_type, "GstLegradColormap", legrad::colormaps ())
DEFINE_ENUM_FROM_TABLE (gst_legrad_dtype_get_type, "GstLegradDtype", legrad::dtype_choices ())
DEFINE_ENUM_FROM_TABLE (gst_legrad_mode_get_type, "GstLegradMode", legrad::analysis_modes ())
DEFINE_ENUM_FROM_TABLE (gst_legrad_region_get_type, "GstLegradRegion", legrad::region_modes ())
DEFINE_ENUM_FROM_TABLE (gst_legrad_publish_method_get_type, "GstLegradPublishMethod",
    legrad::publish_methods ())
DEFINE_ENUM_FROM_TABLE (gst_legrad_publish_content_get_type, "GstLegradPublishContent",
    legrad::publish_contents ())

gint
gst_legrad_default_dtype (void)
{
  const auto & choices = legrad::dtype_choices ();
  for (size_t i = 0; i < choices.size (); i++)
    if (strcmp (choices[i].name, legrad::kDefaultDtype) == 0)
      return (gint) i;
  g_assert_not_reached ();
}
