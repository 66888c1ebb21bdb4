// The scripts in pipelines/, run as a user runs them, and what they write checked with
// GStreamer's own demuxer and decoder.
#include <ATen/ATen.h>
#include <gst/check/gstharness.h>
#include <gst/gst.h>
#include <gst/video/video.h>
#include <gtest/gtest.h>

#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <fstream>
#include <nlohmann/json.hpp>
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <thread>

#include "base/device.h"
#include "broker_support.h"
#include "engine/engine.h"
#include "json_lines.h"
#include "json_schema.h"
#include "lab/random_init.h"
#include "media_support.h"
#include "meta/gstlegradmeta.h"
#include "support.h"
#include "video/preprocess.h"

namespace legrad {
namespace {

// Under the sanitizer run (scripts/test-sanitizers.sh names the runtime in
// LEGRAD_SANITIZER_PRELOAD) the scripts' gst-launch-1.0 children load our instrumented plugin:
// they get the sanitizer runtime first, as an instrumented program would (loaded later with the
// plugin, it frees memory the C library allocated), and no leak check of their own (the shell's
// and GStreamer's are not ours; the elements' leaks are checked in-process by the other suites).
const bool children_get_the_sanitizer_first = [] {
  if (const char* runtime = std::getenv("LEGRAD_SANITIZER_PRELOAD")) {
    setenv("LD_PRELOAD", runtime, 1);
    setenv("ASAN_OPTIONS", "detect_leaks=0:verify_asan_link_order=0:allocator_may_return_null=1",
           1);
  }
  return true;
}();

// What qtdemux says of an MP4's H.264 video: "profile WIDTHxHEIGHT" ("high 256x256"), or "".
std::string h264_stream(const std::string& path) {
  const std::string desc = "filesrc location=\"" + path + "\" ! qtdemux ! fakesink name=sink";
  GstElement* pipeline = gst_parse_launch(desc.c_str(), nullptr);
  if (!pipeline) return "";
  gst_element_set_state(pipeline, GST_STATE_PAUSED);
  gst_element_get_state(pipeline, nullptr, nullptr, 30 * GST_SECOND);
  GstElement* sink = gst_bin_get_by_name(GST_BIN(pipeline), "sink");
  GstPad* pad = gst_element_get_static_pad(sink, "sink");
  GstCaps* caps = gst_pad_get_current_caps(pad);
  std::string out;
  if (caps) {
    const GstStructure* s = gst_caps_get_structure(caps, 0);
    int width = 0, height = 0;
    gst_structure_get_int(s, "width", &width);
    gst_structure_get_int(s, "height", &height);
    const char* profile = gst_structure_get_string(s, "profile");
    out = std::string(profile ? profile : "?") + " " + std::to_string(width) + "x" +
          std::to_string(height);
    gst_caps_unref(caps);
  }
  gst_object_unref(pad);
  gst_object_unref(sink);
  gst_element_set_state(pipeline, GST_STATE_NULL);
  gst_object_unref(pipeline);
  return out;
}

// Runs a pipeline script with the tiny model in `dir` as OUT; true if it exited 0.
bool run_script(const test::TempDir& dir, const std::string& env, const std::string& script_args) {
  const std::string cmd = "MODEL=" + dir.path() + " OUT=" + dir.path() + " PROMPTS='a cat;a dog' " +
                          "LEGRAD=" + std::getenv("LEGRAD_CLI") + " " + env + " timeout 300 " +
                          std::getenv("LEGRAD_PIPELINES") + "/" + script_args + " > " +
                          dir.file("log.txt") + " 2>&1";
  return std::system(cmd.c_str()) == 0;
}

TEST(Pipelines, HeadlessDemoWritesAPlayableMp4AndJsonLines) {
  const char* scripts = std::getenv("LEGRAD_PIPELINES");
  ASSERT_TRUE(scripts) << "LEGRAD_PIPELINES not set";
  gst_init(nullptr, nullptr);
  test::TempDir dir;
  test::write_tiny_model(dir.path(), test::tiny_config());
  const std::string cmd =
      "MODEL=" + dir.path() + " OUT=" + dir.path() + " FRAMES=24 PROMPTS='a cat;a dog' " +
      "LEGRAD=" + std::getenv("LEGRAD_CLI") + " " + "timeout 300 " + std::string(scripts) +
      "/headless-demo.sh > " + dir.file("log.txt") + " 2>&1";
  ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
  EXPECT_EQ(test::decodable_frames(dir.file("demo.mp4")), 24);
  // 4:2:0 (High), not the High 4:4:4 that x264enc writes from RGB and most players refuse.
  EXPECT_EQ(h264_stream(dir.file("demo.mp4")), "high 256x256");
  const auto frames = test::frame_lines(dir.file("demo.jsonl"));
  for (const auto& j : frames) EXPECT_EQ(j["prompts"].size(), 2u);
  EXPECT_EQ(frames.size(), 24u);
}

// `legrad explain` and `legradoverlay` draw a prompt's heatmap alike: on the same picture, with
// the same model, colour map and alpha, their pictures are the same to a unit of rounding.
TEST(Pipelines, ExplainAndTheOverlayDrawTheSamePicture) {
  ASSERT_TRUE(std::getenv("LEGRAD_PIPELINES") && std::getenv("LEGRAD_CLI"));
  gst_init(nullptr, nullptr);
  test::TempDir dir;
  const std::string picture =
      std::string(std::getenv("LEGRAD_PIPELINES")) + "/data/sneaker-dress-sandal.png";
  const std::string explain =
      std::string(std::getenv("LEGRAD_CLI")) +
      " explain --dtype fp32 --prompts 'a photo of a dress' --colormap turbo "
      "--alpha 0.7 --out " +
      dir.file("cli") + " " + picture + " > " + dir.file("log.txt") + " 2>&1";
  ASSERT_EQ(std::system(explain.c_str()), 0) << explain;
  const std::string overlay =
      "gst-launch-1.0 -q filesrc location=" + picture +
      " ! pngdec ! videoconvert ! "
      "video/x-raw,format=RGB ! legrad dtype=fp32 prompts='a photo of a dress' ! "
      "legradoverlay colormap=turbo alpha=0.7 draw-labels=false draw-boxes=false ! "
      "videoconvert ! pngenc ! filesink location=" +
      dir.file("element.png");
  ASSERT_EQ(std::system(overlay.c_str()), 0) << overlay;
  const cv::Mat cli = cv::imread(dir.file("cli_0_a-photo-of-a-dress.png"));
  const cv::Mat element = cv::imread(dir.file("element.png"));
  ASSERT_FALSE(cli.empty());
  ASSERT_EQ(cli.size(), element.size());
  cv::Mat difference;
  cv::absdiff(cli, element, difference);
  double most = 0;
  cv::minMaxLoc(difference.reshape(1), nullptr, &most);
  EXPECT_LE(most, 1.0) << "the two pictures differ by up to " << most;
  const cv::Mat original = cv::imread(picture);
  cv::absdiff(cli, original, difference);
  cv::minMaxLoc(difference.reshape(1), nullptr, &most);
  EXPECT_GT(most, 20.0) << "a heatmap was drawn";
}

// Writes an H.264 MP4 of `frames` frames of `width` x `height` at 10 fps (videotestsrc's
// `pattern`) to `path`; true if gst-launch-1.0 did.
bool write_test_mp4(const std::string& path, int frames, int width, int height,
                    const std::string& pattern = "smpte") {
  const std::string make = "gst-launch-1.0 -q videotestsrc pattern=" + pattern +
                           " num-buffers=" + std::to_string(frames) +
                           " ! video/x-raw,width=" + std::to_string(width) +
                           ",height=" + std::to_string(height) +
                           ",framerate=10/1 ! videoconvert ! video/x-raw,format=I420 ! x264enc ! "
                           "mp4mux ! filesink location=\"" +
                           path + "\"";
  return std::system(make.c_str()) == 0;
}

// A file the user names: a path with spaces, its size and aspect kept, 4:2:0 out.
TEST(Pipelines, FilesKeepTheirSizeAndPathsMayHoldSpaces) {
  ASSERT_TRUE(std::getenv("LEGRAD_PIPELINES") && std::getenv("LEGRAD_CLI"));
  gst_init(nullptr, nullptr);
  test::TempDir dir;
  test::write_tiny_model(dir.path(), test::tiny_config());
  const std::string input = dir.file("my clip.mp4");
  ASSERT_TRUE(write_test_mp4(input, 6, 320, 180));
  EXPECT_TRUE(run_script(dir, "", "headless-demo.sh '" + input + "'"));
  EXPECT_EQ(h264_stream(dir.file("demo.mp4")), "high 320x180");
  EXPECT_EQ(test::decodable_frames(dir.file("demo.mp4")), 6);
  EXPECT_TRUE(run_script(dir, "",
                         "file-to-annotated.sh '" + input + "' '" + dir.file("out put.mp4") + "'"));
  EXPECT_EQ(h264_stream(dir.file("out put.mp4")), "high 320x180");
}

// Two inputs of different sizes through one shared, batching model: a recording and a JSON
// line per frame for each, and with CLIPS a clip of each input's presence events.
TEST(Pipelines, ManyCamerasShareOneModel) {
  ASSERT_TRUE(std::getenv("LEGRAD_PIPELINES") && std::getenv("LEGRAD_CLI"));
  gst_init(nullptr, nullptr);
  test::TempDir dir;
  test::write_tiny_model(dir.path(), test::tiny_config());
  const std::vector<std::string> sizes = {"160x120", "200x100"};
  std::string inputs;
  for (size_t i = 0; i < sizes.size(); ++i) {
    const std::string input = dir.file("cam " + std::to_string(i) + ".mp4");
    const std::string w = sizes[i].substr(0, sizes[i].find('x'));
    const std::string h = sizes[i].substr(sizes[i].find('x') + 1);
    ASSERT_TRUE(write_test_mp4(input, 5, std::stoi(w), std::stoi(h), "ball"));
    inputs += " '" + input + "'";
  }
  const std::string clips = dir.file("clips");
  EXPECT_TRUE(run_script(dir, "CLIPS='" + clips + "' PRE_ROLL=1 POST_ROLL=1 EVENT_MIN_FRAMES=1",
                         "many-cameras.sh" + inputs))
      << std::ifstream(dir.file("log.txt")).rdbuf();
  for (size_t i = 0; i < sizes.size(); ++i) {
    const std::string cam = "cam-" + std::to_string(i + 1) + "-";
    const auto videos = test::files_in(dir.path(), cam, ".mp4");
    const auto metadata = test::files_in(dir.path(), cam, ".jsonl");
    ASSERT_EQ(videos.size(), 1u) << "a file is recorded whole, in one segment";
    ASSERT_EQ(metadata.size(), 1u);
    const std::string out = videos[0].substr(0, videos[0].size() - 4);
    EXPECT_EQ(h264_stream(out + ".mp4"), "high " + sizes[i]);
    EXPECT_EQ(test::decodable_frames(out + ".mp4"), 5);
    const auto frames = test::frame_lines(metadata[0]);
    for (const auto& j : frames) EXPECT_EQ(j["prompts"].size(), 2u);
    EXPECT_EQ(frames.size(), 5u);
    // CLIPS: the input's presence events (present from the first frame to EOS) make one clip.
    const auto clip = test::files_in(clips, "cam-" + std::to_string(i + 1) + "-clip-", ".mp4");
    ASSERT_EQ(clip.size(), 1u);
    EXPECT_EQ(test::decodable_frames(clip[0]), 5);
    bool in_sidecar = false;
    for (const auto& j : test::event_lines(metadata[0]))
      in_sidecar = in_sidecar || (j["event"] == "clip" && j["location"] == clip[0]);
    EXPECT_TRUE(in_sidecar) << "the clip's path is in its input's JSON lines";
  }
}

// A camera that cannot be reached (nothing listens on the loopback's discard port) is an error
// that leaves no empty recording behind.
TEST(Pipelines, UnreachableCameraLeavesNoEmptyFiles) {
  ASSERT_TRUE(std::getenv("LEGRAD_PIPELINES") && std::getenv("LEGRAD_CLI"));
  test::TempDir dir;
  test::write_tiny_model(dir.path(), test::tiny_config());
  EXPECT_FALSE(run_script(dir, "", "rtsp-to-mp4.sh rtsp://127.0.0.1:9/none " + dir.file("rec")));
  struct stat st {};
  EXPECT_NE(::stat(dir.file("rec").c_str(), &st), 0) << "the recording's folder was made";
}

// pipelines/headless-demo.sh on its generated video of `frames` frames into `dir`.
void run_demo(const char* scripts, const test::TempDir& dir, int frames, const std::string& env) {
  const std::string cmd = env + " OUT=" + dir.path() + " FRAMES=" + std::to_string(frames) +
                          " LEGRAD=" + std::getenv("LEGRAD_CLI") + " timeout 300 " +
                          std::string(scripts) + "/headless-demo.sh > " + dir.file("log.txt") +
                          " 2>&1";
  ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
}

// By default the bundled model (trained with a sigmoid loss) boxes a prompt exactly in the
// frames where its presence probability reaches one half.
TEST(Pipelines, DemoBoxesThePromptsTheModelThinksPresent) {
  const char* scripts = std::getenv("LEGRAD_PIPELINES");
  ASSERT_TRUE(scripts) << "LEGRAD_PIPELINES not set";
  REQUIRE_FASHION_MNIST();
  test::TempDir dir;
  run_demo(scripts, dir, 20, "");
  int lines = 0, boxes = 0;
  for (const nlohmann::json& frame : test::frame_lines(dir.file("demo.jsonl"))) {
    ++lines;
    const std::string line = frame.dump();
    for (const nlohmann::json& p : frame["prompts"]) {
      const double probability = p["probability"].get<double>();
      EXPECT_GE(probability, 0.0);
      EXPECT_LE(probability, 1.0);
      EXPECT_EQ(!p["box"].is_null(), probability >= 0.5) << line;
      boxes += !p["box"].is_null();
    }
  }
  EXPECT_EQ(lines, 20);
  EXPECT_GT(boxes, 0);
}

// The demo (a generated video of a held-out scene: a sneaker, a dress and a sandal moving on a
// textured background, the bundled model), with a box for every prompt (MIN_PROBABILITY=0),
// keeps each prompt's region box on its own item while they move, in the frames where the
// box's centre is not where two items overlap.
TEST(Pipelines, BundledModelsHeatmapsFollowTheirMovingItems) {
  const char* scripts = std::getenv("LEGRAD_PIPELINES");
  ASSERT_TRUE(scripts) << "LEGRAD_PIPELINES not set";
  REQUIRE_FASHION_MNIST();
  gst_init(nullptr, nullptr);
  test::TempDir dir;
  const int frames = 40;
  run_demo(scripts, dir, frames, "MIN_PROBABILITY=0");
  auto box_of = [](const std::string& line, const std::string& name) {
    std::array<int, 3> b{};
    const size_t at = line.find(" " + name + " at ");
    EXPECT_NE(at, std::string::npos) << line;
    if (at != std::string::npos)
      std::sscanf(line.c_str() + at + name.size() + 5, "%d,%d size %d", &b[0], &b[1], &b[2]);
    return b;
  };
  auto inside = [](const std::array<int, 3>& b, double x, double y) {
    return x >= b[0] && x <= b[0] + b[2] && y >= b[1] && y <= b[1] + b[2];
  };
  const std::vector<std::string> items = {"sneaker", "dress", "sandal"};
  for (size_t p = 0; p < 2; ++p) {  // the demo's prompts: a sneaker, a dress
    std::ifstream item_lines(dir.file("frames/items.txt"));
    const auto meta = test::frame_lines(dir.file("demo.jsonl"));
    std::string item_line;
    int n = 0, clear = 0, on_item = 0;
    while (n < int(meta.size()) && std::getline(item_lines, item_line)) {
      const nlohmann::json prompt = meta[n++]["prompts"][p];
      ASSERT_EQ(prompt["prompt"], "a photo of a " + items[p]);
      if (prompt["box"].is_null()) continue;
      const double cx = prompt["box"]["x"].get<double>() + prompt["box"]["width"].get<double>() / 2;
      const double cy =
          prompt["box"]["y"].get<double>() + prompt["box"]["height"].get<double>() / 2;
      const bool on = inside(box_of(item_line, items[p]), cx, cy);
      bool elsewhere = false;
      for (const std::string& other : items)
        if (other != items[p]) elsewhere |= inside(box_of(item_line, other), cx, cy);
      if (on && elsewhere) continue;  // the items overlap there
      ++clear;
      on_item += on;
    }
    EXPECT_EQ(n, frames);
    EXPECT_GE(clear, frames / 2) << items[p];
    EXPECT_GE(on_item * 10, clear * 8)
        << on_item << " of " << clear << " frames on the " << items[p];
  }
}

// A pipeline script run as a user runs it from a terminal: in a process group of its own, with
// the tiny model in `dir` and its output in `dir`, its log in dir/log.txt.
class ScriptRun {
 public:
  ScriptRun(const test::TempDir& dir, const std::string& script_args, const std::string& env = "")
      : log_(dir.file("log.txt")) {
    const std::string cmd = "MODEL='" + dir.path() + "' OUT='" + dir.path() +
                            "' PROMPTS='a cat;a dog' " + env + " exec \"$LEGRAD_PIPELINES\"/" +
                            script_args + " > '" + log_ + "' 2>&1";
    pid_ = fork();
    if (pid_ == 0) {
      setsid();
      execl("/bin/bash", "bash", "-c", cmd.c_str(), nullptr);
      _exit(127);
    }
  }
  ~ScriptRun() {
    if (pid_ > 0) signal_and_wait(SIGKILL, 10);
  }
  // Until gst-launch-1.0 plays (the script looks at its inputs and loads the model first).
  bool playing() const {
    for (int i = 0; i < 600; ++i) {
      if (log().find("Setting pipeline to PLAYING") != std::string::npos) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return false;
  }
  // Ctrl-C (SIGINT to the process group, as a terminal sends it); false if the script had
  // not ended 20 s later (it hung, and is killed).
  bool interrupt() { return signal_and_wait(SIGINT, 20); }
  void kill9() { signal_and_wait(SIGKILL, 10); }
  // Waits for the script to end by itself; false if it had not after `seconds` (it is killed).
  bool ends_within(int seconds) { return signal_and_wait(0, seconds); }
  std::string log() const {
    std::ifstream in(log_);
    return std::string(std::istreambuf_iterator<char>(in), {});
  }

 private:
  bool signal_and_wait(int sig, int seconds) {
    kill(-pid_, sig);
    for (int i = 0; i < seconds * 10; ++i) {
      if (waitpid(pid_, nullptr, WNOHANG) == pid_) {
        pid_ = -1;
        return true;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    kill(-pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
    pid_ = -1;
    return false;
  }
  std::string log_;
  pid_t pid_ = -1;
};

// pipelines/publish-to-mqtt.sh on a file, to a mosquitto the test starts: every frame's results
// on the stream's topic, in the repository schema's form and in order; a command pushed on the
// control topic while it plays changes the prompts of the frames after it, and is answered.
TEST(Pipelines, PublishToMqttSendsEveryFrameAndTakesPromptsFromAfar) {
  ASSERT_TRUE(std::getenv("LEGRAD_PIPELINES"));
  if (!test::have_mosquitto()) GTEST_SKIP() << "no /usr/sbin/mosquitto (Debian's mosquitto)";
  gst_init(nullptr, nullptr);
  test::TempDir dir;
  test::write_tiny_model(dir.path(), test::tiny_config());
  const std::string input = dir.file("yard.mp4");
  ASSERT_TRUE(write_test_mp4(input, 40, 160, 120, "ball"));
  test::MqttBroker broker(dir.path());
  test::MqttSubscriber sub(broker.port(), "legrad/#");
  ASSERT_TRUE(sub.connected());
  ScriptRun run(dir, "publish-to-mqtt.sh '" + input + "' " + broker.address(),
                "STREAM=yard EVIDENCE=64");
  ASSERT_TRUE(run.playing()) << run.log();
  ASSERT_TRUE(sub.wait_for(1, 60)) << run.log();
  sub.publish("legrad/control", R"({"prompts": ["a dog"], "request_id": "r1"})");
  ASSERT_TRUE(run.ends_within(120)) << run.log();
  std::vector<nlohmann::json> frames, answers, events;
  for (const auto& m : sub.messages()) {
    if (m.topic == "legrad/yard/frames") frames.push_back(nlohmann::json::parse(m.payload));
    if (m.topic == "legrad/yard/status") answers.push_back(nlohmann::json::parse(m.payload));
    if (m.topic == "legrad/yard/events") events.push_back(nlohmann::json::parse(m.payload));
  }

  ASSERT_EQ(frames.size(), 40u) << run.log();
  for (size_t i = 0; i < frames.size(); ++i) {
    EXPECT_EQ(test::metadata_problem(frames[i]), "") << frames[i];
    EXPECT_EQ(frames[i]["stream_id"], "yard");
    if (i) {
      EXPECT_GT(frames[i]["seq"], frames[i - 1]["seq"]) << "out of order";
    }
  }
  EXPECT_EQ(frames.front()["prompts"].size(), 2u);
  ASSERT_EQ(answers.size(), 1u);
  EXPECT_TRUE(answers[0]["accepted"].get<bool>()) << answers[0];
  EXPECT_EQ(answers[0]["request_id"], "r1");
  ASSERT_EQ(frames.back()["prompts"].size(), 1u) << "the pushed prompts never arrived";
  EXPECT_EQ(frames.back()["prompts"][0]["prompt"], "a dog");
  ASSERT_FALSE(events.empty()) << run.log();
  for (const auto& e : events) {  // EVIDENCE=64: each start with a picture 64 pixels wide
    EXPECT_EQ(test::metadata_problem(e), "") << e;
    if (e["state"] != "start") continue;
    const std::string uri = e.value("evidence", "");
    gsize size = 0;
    guchar* jpeg = g_base64_decode(uri.substr(uri.find(',') + 1).c_str(), &size);
    EXPECT_EQ(cv::imdecode(std::vector<uchar>(jpeg, jpeg + size), cv::IMREAD_COLOR).cols, 64)
        << e["prompt"];
    g_free(jpeg);
  }
}

// Whatever the camera sends (H.265 with G.711 sound, MJPEG without sound) is recorded as
// H.264 with the camera's sound (AAC) when it has some, and Ctrl-C finishes the file.
TEST(Pipelines, CamerasOfAnyCodecAreRecordedWithTheirSound) {
  ASSERT_TRUE(std::getenv("LEGRAD_PIPELINES"));
  if (!std::getenv("LEGRAD_RTSP_SERVER") || !*std::getenv("LEGRAD_RTSP_SERVER"))
    GTEST_SKIP() << "no test camera: tests/tools/rtsp-test-server needs libgstrtspserver-1.0-dev";
  gst_init(nullptr, nullptr);
  const std::string video =
      "videotestsrc is-live=true pattern=ball ! "
      "video/x-raw,format=I420,width=320,height=240,framerate=15/1";
  const struct {
    std::string launch;
    bool sound;
  } cameras[] = {
      {video + " ! x265enc tune=zerolatency ! rtph265pay name=pay0 pt=96 audiotestsrc "
               "is-live=true ! alawenc ! rtppcmapay name=pay1 pt=8",
       true},
      {video + " ! jpegenc ! rtpjpegpay name=pay0 pt=26", false},
  };
  for (const auto& c : cameras) {
    test::TempDir dir;
    test::write_tiny_model(dir.path(), test::tiny_config());
    const test::RtspCamera camera(c.launch);
    ASSERT_FALSE(camera.url().empty()) << "the RTSP server did not start";
    ScriptRun run(dir, "rtsp-to-mp4.sh " + camera.url() + " '" + dir.file("rec") + "'");
    ASSERT_TRUE(run.playing()) << run.log();
    std::this_thread::sleep_for(std::chrono::seconds(4));
    EXPECT_TRUE(run.interrupt()) << "Ctrl-C did not end the recording";
    const auto files = test::files_in(dir.file("rec"), "cam-", ".mp4");
    ASSERT_EQ(files.size(), 1u) << run.log();
    const std::string streams = test::streams_of(files[0]);
    EXPECT_NE(streams.find("video H.264"), std::string::npos) << c.launch << "\n" << streams;
    EXPECT_EQ(streams.find("audio MPEG-4 AAC") != std::string::npos, c.sound) << c.launch << "\n"
                                                                              << streams;
    EXPECT_GT(test::decodable_frames(files[0]), 30) << c.launch;  // of 15 fps x 4 s
  }
}

const char* kH264Camera =
    "videotestsrc is-live=true pattern=ball ! "
    "video/x-raw,format=I420,width=320,height=240,framerate=15/1 ! x264enc tune=zerolatency ! "
    "rtph264pay name=pay0 pt=96";

// The lines of a JSON-lines file that are camera events, their names in order.
std::vector<std::string> camera_events(const std::string& path) {
  std::vector<std::string> events;
  for (const auto& j : test::event_lines(path)) {
    const std::string name = j["event"];
    if (name.rfind("camera-", 0) == 0) events.push_back(name);
  }
  return events;
}

// The camera dropped in the middle of a recording and back 4 s later: the recording goes on
// across the gap (one playable file whose timeline holds the gap), with its sound, and the
// sidecar says when the camera went and came back.
TEST(Pipelines, ARecordingGoesOnAcrossADroppedCamera) {
  ASSERT_TRUE(std::getenv("LEGRAD_PIPELINES"));
  if (!test::have_rtsp_server()) GTEST_SKIP() << "no test camera (libgstrtspserver-1.0-dev)";
  gst_init(nullptr, nullptr);
  test::TempDir dir;
  test::write_tiny_model(dir.path(), test::tiny_config());
  test::RtspCamera camera(std::string(kH264Camera) +
                          " audiotestsrc is-live=true ! alawenc ! rtppcmapay name=pay1 pt=8");
  ASSERT_FALSE(camera.url().empty());
  ScriptRun run(dir, "rtsp-to-mp4.sh " + camera.url() + " '" + dir.file("rec") + "'", "TIMEOUT=2");
  ASSERT_TRUE(run.playing()) << run.log();
  std::this_thread::sleep_for(std::chrono::seconds(3));
  camera.stop();
  std::this_thread::sleep_for(std::chrono::seconds(4));
  camera.start();
  std::this_thread::sleep_for(std::chrono::seconds(8));
  EXPECT_TRUE(run.interrupt()) << "Ctrl-C did not end the recording";
  const auto files = test::files_in(dir.file("rec"), "cam-", ".mp4");
  ASSERT_EQ(files.size(), 1u) << run.log();
  const test::Decoded d = test::decode_mp4(files[0]);
  EXPECT_GT(d.frames, 15 * 7) << run.log();  // of 3 s before and 8 s after, less reconnecting
  EXPECT_GE(d.last_pts, 12 * GST_SECOND) << "the timeline holds the gap";
  EXPECT_NE(test::streams_of(files[0]).find("audio MPEG-4 AAC"), std::string::npos);
  const auto sidecars = test::files_in(dir.file("rec"), "cam-", ".jsonl");
  ASSERT_EQ(sidecars.size(), 1u);
  const std::vector<std::string> expected = {"camera-lost", "camera-back"};
  EXPECT_EQ(camera_events(sidecars[0]), expected);
}

// CLIPS: each presence event becomes a clip (the two prompts' events overlap: one clip) that
// plays from a key frame, and the sidecar holds the events and the clip's path.
TEST(Pipelines, ACameraRecorderMakesClipsOfPresenceEvents) {
  ASSERT_TRUE(std::getenv("LEGRAD_PIPELINES"));
  if (!test::have_rtsp_server()) GTEST_SKIP() << "no test camera (libgstrtspserver-1.0-dev)";
  gst_init(nullptr, nullptr);
  test::TempDir dir;
  test::write_tiny_model(dir.path(), test::tiny_config());
  test::RtspCamera camera(kH264Camera);
  ScriptRun run(dir, "rtsp-to-mp4.sh " + camera.url() + " '" + dir.file("rec") + "'",
                "CLIPS='" + dir.file("clips") + "' PRE_ROLL=1 POST_ROLL=1 EVENT_MIN_FRAMES=2");
  ASSERT_TRUE(run.playing()) << run.log();
  std::this_thread::sleep_for(std::chrono::seconds(6));
  EXPECT_TRUE(run.interrupt()) << "Ctrl-C did not end the recording";
  const auto clips = test::files_in(dir.file("clips"), "cam-clip-", ".mp4");
  ASSERT_EQ(clips.size(), 1u) << run.log();
  const test::Decoded d = test::decode_mp4(clips[0]);
  EXPECT_TRUE(d.starts_with_key_frame);
  EXPECT_GT(d.frames, 15 * 2) << "the clip runs from its event's start to the end";
  const auto sidecars = test::files_in(dir.file("rec"), "cam-", ".jsonl");
  ASSERT_EQ(sidecars.size(), 1u);
  std::vector<std::string> seen;
  for (const auto& j : test::event_lines(sidecars[0])) {
    EXPECT_EQ(test::metadata_problem(j), "") << j;
    seen.push_back(j["event"].get<std::string>() +
                   (j.contains("state") ? " " + j["state"].get<std::string>() : ""));
    if (j["event"] == "clip") {
      EXPECT_EQ(j["location"], clips[0]);
    }
  }
  EXPECT_NE(std::find(seen.begin(), seen.end(), "presence start"), seen.end());
  EXPECT_NE(std::find(seen.begin(), seen.end(), "clip"), seen.end()) << "no clip line";
  EXPECT_NE(std::find(seen.begin(), seen.end(), "presence end"), seen.end()) << "no end at EOS";
}

// A camera recorder killed with SIGKILL leaves segments that play, the last to within two
// seconds of when it was killed.
TEST(Pipelines, AKilledCameraRecorderLeavesPlayableSegments) {
  ASSERT_TRUE(std::getenv("LEGRAD_PIPELINES"));
  if (!test::have_rtsp_server()) GTEST_SKIP() << "no test camera (libgstrtspserver-1.0-dev)";
  gst_init(nullptr, nullptr);
  test::TempDir dir;
  test::write_tiny_model(dir.path(), test::tiny_config());
  test::RtspCamera camera(kH264Camera);
  ScriptRun run(dir, "rtsp-to-mp4.sh " + camera.url() + " '" + dir.file("rec") + "'", "SEGMENT=3");
  ASSERT_TRUE(run.playing()) << run.log();
  const auto started = std::chrono::steady_clock::now();
  std::this_thread::sleep_for(std::chrono::seconds(8));
  run.kill9();
  const double ran =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  const auto files = test::files_in(dir.file("rec"), "cam-", ".mp4");
  ASSERT_GE(files.size(), 2u) << run.log();
  // Each segment's timestamps start again near 0: the recording's length is their sum.
  double recorded = 0;
  for (const auto& f : files) {
    const test::Decoded d = test::decode_mp4(f);
    ASSERT_GT(d.frames, 0) << f << " does not play";
    EXPECT_TRUE(d.starts_with_key_frame) << f;
    recorded += (double)(d.last_pts - d.first_pts) / GST_SECOND + 1.0 / 15;
  }
  // The camera's first frame comes a little after PLAYING, the last two seconds may be lost.
  EXPECT_GE(recorded, ran - 2.5) << "ran " << ran << " s";
}

// Two cameras, one of which goes for good: the other's recording goes on, and both play.
TEST(Pipelines, ACameraLostForGoodSpoilsNoOtherRecording) {
  ASSERT_TRUE(std::getenv("LEGRAD_PIPELINES"));
  if (!test::have_rtsp_server()) GTEST_SKIP() << "no test camera (libgstrtspserver-1.0-dev)";
  gst_init(nullptr, nullptr);
  test::TempDir dir;
  test::write_tiny_model(dir.path(), test::tiny_config());
  test::RtspCamera staying(kH264Camera), going(kH264Camera);
  ScriptRun run(dir, "many-cameras.sh " + staying.url() + " " + going.url(), "TIMEOUT=2");
  ASSERT_TRUE(run.playing()) << run.log();
  std::this_thread::sleep_for(std::chrono::seconds(3));
  going.stop();
  std::this_thread::sleep_for(std::chrono::seconds(6));
  EXPECT_TRUE(run.interrupt()) << "Ctrl-C did not end the recordings";
  const auto first = test::files_in(dir.path(), "cam-1-", ".mp4");
  const auto second = test::files_in(dir.path(), "cam-2-", ".mp4");
  ASSERT_EQ(first.size(), 1u) << run.log();
  ASSERT_EQ(second.size(), 1u) << run.log();
  EXPECT_GT(test::decodable_frames(first[0]), 15 * 7) << run.log();  // of 9 s at 15 fps
  const int lost = test::decodable_frames(second[0]);
  EXPECT_GT(lost, 15 * 1) << run.log();
  EXPECT_LT(lost, 15 * 5);
}

// A file's sound goes into the annotated MP4 with its video, in both scripts that take a file.
TEST(Pipelines, FilesKeepTheirSound) {
  ASSERT_TRUE(std::getenv("LEGRAD_PIPELINES") && std::getenv("LEGRAD_CLI"));
  gst_init(nullptr, nullptr);
  test::TempDir dir;
  test::write_tiny_model(dir.path(), test::tiny_config());
  const std::string input = dir.file("with sound.mp4");
  const std::string make =
      "gst-launch-1.0 -q videotestsrc num-buffers=10 ! "
      "video/x-raw,width=160,height=120,framerate=10/1 ! videoconvert ! "
      "video/x-raw,format=I420 ! x264enc ! mp4mux name=m ! filesink location=\"" +
      input + "\" audiotestsrc num-buffers=43 ! audioconvert ! avenc_aac ! m.";
  ASSERT_EQ(std::system(make.c_str()), 0);
  ASSERT_NE(test::streams_of(input).find("audio"), std::string::npos);
  EXPECT_TRUE(run_script(dir, "", "file-to-annotated.sh '" + input + "' " + dir.file("out.mp4")));
  const std::string streams = test::streams_of(dir.file("out.mp4"));
  EXPECT_NE(streams.find("audio MPEG-4 AAC"), std::string::npos) << streams;
  EXPECT_EQ(test::decodable_frames(dir.file("out.mp4")), 10);
  EXPECT_TRUE(run_script(dir, "", "headless-demo.sh '" + input + "'"));
  EXPECT_NE(test::streams_of(dir.file("demo.mp4")).find("audio MPEG-4 AAC"), std::string::npos);
  EXPECT_EQ(test::decodable_frames(dir.file("demo.mp4")), 10);
  // Sound no installed plugin decodes (here: AAC decoders ranked out) is left out, with a word.
  EXPECT_TRUE(run_script(dir,
                         "GST_PLUGIN_FEATURE_RANK=avdec_aac:NONE,avdec_aac_fixed:NONE,"
                         "avdec_aac_latm:NONE,faad:NONE",
                         "file-to-annotated.sh '" + input + "' " + dir.file("mute.mp4")));
  EXPECT_EQ(test::streams_of(dir.file("mute.mp4")).find("audio"), std::string::npos);
  EXPECT_EQ(test::decodable_frames(dir.file("mute.mp4")), 10);
  std::ifstream log(dir.file("log.txt"));
  const std::string text((std::istreambuf_iterator<char>(log)), std::istreambuf_iterator<char>());
  EXPECT_NE(text.find("without its sound, which no installed plugin decodes (missing MPEG-4 AAC"),
            std::string::npos)
      << text;
}

// An input that cannot be read is an error naming it, and nothing is written.
TEST(Pipelines, UnreadableFilesLeaveNoOutputs) {
  ASSERT_TRUE(std::getenv("LEGRAD_PIPELINES") && std::getenv("LEGRAD_CLI"));
  test::TempDir dir;
  test::write_tiny_model(dir.path(), test::tiny_config());
  std::ofstream(dir.file("broken.mp4")) << "not a video";
  EXPECT_FALSE(run_script(
      dir, "", "file-to-annotated.sh " + dir.file("broken.mp4") + " " + dir.file("out.mp4")));
  std::ifstream log(dir.file("log.txt"));
  const std::string text((std::istreambuf_iterator<char>(log)), std::istreambuf_iterator<char>());
  EXPECT_NE(text.find("cannot read '" + dir.file("broken.mp4") + "'"), std::string::npos) << text;
  struct stat st {};
  EXPECT_NE(::stat(dir.file("out.mp4").c_str(), &st), 0);
  EXPECT_NE(::stat(dir.file("out.jsonl").c_str(), &st), 0);
}

}  // namespace
}  // namespace legrad
