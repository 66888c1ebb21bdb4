/* A camera on 127.0.0.1 for tests and measurements: serves one GStreamer launch line (a
 * payloader named pay0, and pay1 for sound) over RTSP at rtsp://127.0.0.1:PORT/cam. Port 0
 * picks a free one; the URL is printed on stdout once the server listens. Runs until killed
 * (SIGTERM / SIGINT end it cleanly), so a test can stop a camera and start it again.
 *
 *   rtsp-test-server PORT 'videotestsrc is-live=true ! x264enc ! rtph264pay name=pay0 pt=96'
 */
#include <glib-unix.h>
#include <gst/gst.h>
#include <gst/rtsp-server/rtsp-server.h>
#include <stdio.h>
#include <stdlib.h>

static gboolean quit(gpointer loop) {
  g_main_loop_quit((GMainLoop *)loop);
  return G_SOURCE_REMOVE;
}

int main(int argc, char **argv) {
  gst_init(&argc, &argv);
  if (argc != 3) {
    fprintf(stderr, "usage: %s PORT LAUNCH\n", argv[0]);
    return 2;
  }
  GMainLoop *loop = g_main_loop_new(NULL, FALSE);
  GstRTSPServer *server = gst_rtsp_server_new();
  gst_rtsp_server_set_address(server, "127.0.0.1");
  gst_rtsp_server_set_service(server, argv[1]);
  GstRTSPMediaFactory *factory = gst_rtsp_media_factory_new();
  gchar *launch = g_strdup_printf("( %s )", argv[2]);
  gst_rtsp_media_factory_set_launch(factory, launch);
  g_free(launch);
  /* one pipeline for every client: a camera runs whether or not someone watches */
  gst_rtsp_media_factory_set_shared(factory, TRUE);
  GstRTSPMountPoints *mounts = gst_rtsp_server_get_mount_points(server);
  gst_rtsp_mount_points_add_factory(mounts, "/cam", factory);
  g_object_unref(mounts);
  if (gst_rtsp_server_attach(server, NULL) == 0) {
    fprintf(stderr, "cannot listen on 127.0.0.1:%s\n", argv[1]);
    return 1;
  }
  printf("rtsp://127.0.0.1:%d/cam\n", gst_rtsp_server_get_bound_port(server));
  fflush(stdout);
  g_unix_signal_add(SIGTERM, quit, loop);
  g_unix_signal_add(SIGINT, quit, loop);
  g_main_loop_run(loop);
  g_object_unref(server);
  g_main_loop_unref(loop);
  return 0;
}
