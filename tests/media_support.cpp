#include "media_support.h"

#include <gst/pbutils/pbutils.h>

#include <dirent.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>

#include <algorithm>

namespace legrad {
namespace test {

Decoded decode_mp4(const std::string& path) {
  const std::string desc = "filesrc location=\"" + path +
                           "\" ! qtdemux ! h264parse ! identity name=coded ! avdec_h264 ! "
                           "fakesink name=sink signal-handoffs=true";
  Decoded out;
  GstElement* pipeline = gst_parse_launch(desc.c_str(), nullptr);
  if (!pipeline) return out;
  struct Count {
    int frames = 0;
    GstClockTime first_pts = GST_CLOCK_TIME_NONE;
    GstClockTime last_pts = GST_CLOCK_TIME_NONE;
    int coded = 0;
    bool first_key = false;
  } count;
  GstElement* sink = gst_bin_get_by_name(GST_BIN(pipeline), "sink");
  g_signal_connect(sink, "handoff", G_CALLBACK(+[](GstElement*, GstBuffer* b, GstPad*, gpointer c) {
                     auto* n = static_cast<Count*>(c);
                     if (n->frames++ == 0) n->first_pts = GST_BUFFER_PTS(b);
                     n->last_pts = GST_BUFFER_PTS(b);
                   }),
                   &count);
  gst_object_unref(sink);
  GstElement* coded = gst_bin_get_by_name(GST_BIN(pipeline), "coded");
  g_signal_connect(coded, "handoff", G_CALLBACK(+[](GstElement*, GstBuffer* b, gpointer c) {
                     auto* n = static_cast<Count*>(c);
                     if (n->coded++ == 0)
                       n->first_key = !GST_BUFFER_FLAG_IS_SET(b, GST_BUFFER_FLAG_DELTA_UNIT);
                   }),
                   &count);
  gst_object_unref(coded);
  gst_element_set_state(pipeline, GST_STATE_PLAYING);
  GstBus* bus = gst_element_get_bus(pipeline);
  GstMessage* msg = gst_bus_timed_pop_filtered(
      bus, 30 * GST_SECOND, (GstMessageType)(GST_MESSAGE_ERROR | GST_MESSAGE_EOS));
  const bool ok = msg && GST_MESSAGE_TYPE(msg) == GST_MESSAGE_EOS;
  if (msg) gst_message_unref(msg);
  gst_object_unref(bus);
  gst_element_set_state(pipeline, GST_STATE_NULL);
  gst_object_unref(pipeline);
  if (ok) {
    out.frames = count.frames;
    out.first_pts = count.first_pts;
    out.last_pts = count.last_pts;
    out.starts_with_key_frame = count.first_key;
  }
  return out;
}

namespace {

// What GstDiscoverer finds in a file (null where it cannot), in-process: a gst-discoverer-1.0
// child would not get the sanitizer runtime our plugin needs when the registry is rescanned
// under scripts/test-sanitizers.sh.
GstDiscovererInfo* discover(const std::string& path) {
  GError* error = nullptr;
  GstDiscoverer* discoverer = gst_discoverer_new(30 * GST_SECOND, &error);
  g_clear_error(&error);
  if (!discoverer) return nullptr;
  gchar* uri = gst_filename_to_uri(path.c_str(), nullptr);
  GstDiscovererInfo* info = uri ? gst_discoverer_discover_uri(discoverer, uri, &error) : nullptr;
  g_free(uri);
  g_clear_error(&error);
  g_object_unref(discoverer);
  return info;
}

}  // namespace

std::string streams_of(const std::string& path) {
  GstDiscovererInfo* info = discover(path);
  std::string out;
  GList* streams = info ? gst_discoverer_info_get_stream_list(info) : nullptr;
  for (GList* s = streams; s; s = s->next) {
    auto* stream = static_cast<GstDiscovererStreamInfo*>(s->data);
    const char* kind = GST_IS_DISCOVERER_VIDEO_INFO(stream)   ? "video "
                       : GST_IS_DISCOVERER_AUDIO_INFO(stream) ? "audio "
                                                              : nullptr;
    GstCaps* caps = gst_discoverer_stream_info_get_caps(stream);
    if (kind && caps) {
      gchar* codec = gst_pb_utils_get_codec_description(caps);
      out += std::string(kind) + (codec ? codec : "") + "\n";
      g_free(codec);
    }
    if (caps) gst_caps_unref(caps);
  }
  gst_discoverer_stream_info_list_free(streams);
  if (info) gst_discoverer_info_unref(info);
  return out;
}

GstClockTime duration_of(const std::string& path) {
  GstDiscovererInfo* info = discover(path);
  if (!info) return GST_CLOCK_TIME_NONE;
  const GstClockTime duration = gst_discoverer_info_get_duration(info);
  gst_discoverer_info_unref(info);
  return duration;
}

bool have_rtsp_server() {
  const char* server = std::getenv("LEGRAD_RTSP_SERVER");
  return server && *server;
}

RtspCamera::RtspCamera(std::string launch, int port) : launch_(std::move(launch)), port_(port) {
  start();
}

void RtspCamera::start() {
  if (pid_ > 0 || !have_rtsp_server()) return;
  int out[2];
  if (pipe(out) != 0) return;
  pid_ = fork();
  if (pid_ == 0) {
    dup2(out[1], STDOUT_FILENO);
    close(out[0]);
    execl(std::getenv("LEGRAD_RTSP_SERVER"), "rtsp-test-server", std::to_string(port_).c_str(),
          launch_.c_str(), nullptr);
    _exit(127);
  }
  close(out[1]);
  FILE* f = fdopen(out[0], "r");
  char line[256] = "";
  if (f && fgets(line, sizeof line, f)) url_ = std::string(line, strcspn(line, "\n"));
  if (f) fclose(f);
  // The same port when started again.
  const size_t colon = url_.rfind(':');
  if (port_ == 0 && colon != std::string::npos) port_ = std::atoi(url_.c_str() + colon + 1);
}

void RtspCamera::stop() {
  if (pid_ <= 0) return;
  kill(pid_, SIGTERM);
  waitpid(pid_, nullptr, 0);
  pid_ = -1;
}

static int entries(const char* folder) {
  DIR* d = opendir(folder);
  if (!d) return -1;
  int n = 0;
  while (struct dirent* e = readdir(d))
    if (e->d_name[0] != '.') ++n;
  closedir(d);
  return n;
}

std::vector<std::string> files_in(const std::string& dir, const std::string& prefix,
                                  const std::string& suffix) {
  std::vector<std::string> out;
  DIR* d = opendir(dir.c_str());
  if (!d) return out;
  while (struct dirent* e = readdir(d)) {
    const std::string name = e->d_name;
    if (name.size() >= prefix.size() + suffix.size() &&
        name.compare(0, prefix.size(), prefix) == 0 &&
        name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0)
      out.push_back(dir + "/" + name);
  }
  closedir(d);
  std::sort(out.begin(), out.end());
  return out;
}

int open_fds() { return entries("/proc/self/fd") - 1; }  // less the one listing them
int threads() { return entries("/proc/self/task"); }

}  // namespace test
}  // namespace legrad
