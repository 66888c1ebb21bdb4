#include "legradrecordingname.h"

#include <glib.h>

namespace legrad {

std::string recording_path(const std::string& folder, const std::string& name) {
  GDateTime* now = g_date_time_new_now_utc();
  gchar* stamp = g_date_time_format(now, "%Y%m%dT%H%M%SZ");
  g_date_time_unref(now);
  const std::string stem = folder + G_DIR_SEPARATOR_S + name + "-" + stamp;
  g_free(stamp);
  std::string path = stem + ".mp4";
  for (int n = 2; g_file_test(path.c_str(), G_FILE_TEST_EXISTS); ++n)
    path = stem + "-" + std::to_string(n) + ".mp4";
  return path;
}

}  // namespace legrad
