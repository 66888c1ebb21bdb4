// The times of a fragmented MP4 segment put right: a file made box by box, as mp4mux writes a
// later segment of a recording (mehd and tfra counting from the recording's start).
#include "legradfragmentduration.h"

#include <gtest/gtest.h>

#include <fstream>
#include <string>

#include "support.h"

namespace legrad {
namespace {

std::string be(uint64_t v, int bytes) {
  std::string s;
  for (int i = bytes - 1; i >= 0; --i) s += char(v >> (8 * i));
  return s;
}
std::string box(const char* type, const std::string& payload) {
  return be(payload.size() + 8, 4) + type + payload;
}
std::string full(int version) { return std::string(1, char(version)) + std::string(3, '\0'); }

// mvhd timescale 1000, mehd (version 1) 6000, one track (id 1, timescale 1500) with tfra times
// 3000 and 4500 (2 s and 3 s): a segment that began at 2 s of a recording and claims to end at
// 6 s, as if it had begun at 0.
struct Segment {
  std::string head, tail;
  Segment() {
    const std::string mvhd = box("mvhd", full(0) + be(0, 4) + be(0, 4) + be(1000, 4) + be(0, 4));
    const std::string mvex = box("mvex", box("mehd", full(1) + be(6000, 8)));
    const std::string trak =
        box("trak", box("tkhd", full(0) + be(0, 4) + be(0, 4) + be(1, 4)) +
                        box("mdia", box("mdhd", full(0) + be(0, 4) + be(0, 4) + be(1500, 4))));
    head = box("ftyp", "isom") + box("moov", mvhd + mvex + trak) + box("mdat", "frames");
    // tfra: track 1, one byte each for traf, trun and sample numbers, two entries.
    const std::string entries = be(3000, 4) + be(0, 4) + std::string(3, '\1') + be(4500, 4) +
                                be(0, 4) + std::string(3, '\1');
    const std::string mfra =
        box("mfra", box("tfra", full(0) + be(1, 4) + be(0, 4) + be(2, 4) + entries));
    tail = mfra + box("mfro", full(0) + be(mfra.size() + 16, 4));
  }
};

TEST(FragmentDuration, FindsTheDurationAndEveryRandomAccessTime) {
  const Segment s;
  const auto times = fragment_times(s.head, s.tail, s.head.size());
  ASSERT_EQ(times.size(), 3u);
  EXPECT_EQ(times[0].value, 6000u);
  EXPECT_EQ(times[0].timescale, 1000u);
  EXPECT_EQ(times[0].bytes, 8);
  EXPECT_EQ(times[1].value, 3000u);
  EXPECT_EQ(times[2].value, 4500u);
  EXPECT_EQ(times[2].timescale, 1500u);
  EXPECT_EQ(s.head.substr(times[0].offset, 8), be(6000, 8));
  EXPECT_EQ(s.tail.substr(times[2].offset - s.head.size(), 4), be(4500, 4));
}

TEST(FragmentDuration, ShiftsALaterSegmentToItsOwnStart) {
  const Segment s;
  test::TempDir dir;
  const std::string path = dir.file("seg.mp4");
  std::ofstream(path, std::ios::binary) << s.head << s.tail;
  EXPECT_EQ(shift_fragment_times(path, 2000000000), "");
  std::ifstream in(path, std::ios::binary);
  const std::string file((std::istreambuf_iterator<char>(in)), {});
  const auto times =
      fragment_times(file.substr(0, s.head.size()), file.substr(s.head.size()), s.head.size());
  ASSERT_EQ(times.size(), 3u);
  EXPECT_EQ(times[0].value, 4000u) << "from 2 s to 6 s: 4 s";
  EXPECT_EQ(times[1].value, 0u);
  EXPECT_EQ(times[2].value, 1500u);
  EXPECT_EQ(file.size(), s.head.size() + s.tail.size());
}

TEST(FragmentDuration, LeavesTheFirstSegmentAndTimesThatDoNotCountFromElsewhere) {
  const Segment s;
  test::TempDir dir;
  const std::string path = dir.file("seg.mp4");
  std::ofstream(path, std::ios::binary) << s.head << s.tail;
  EXPECT_EQ(shift_fragment_times(path, 0), "");
  EXPECT_EQ(shift_fragment_times(path, 7000000000), "") << "a start after the claimed end";
  std::ifstream in(path, std::ios::binary);
  EXPECT_EQ(std::string((std::istreambuf_iterator<char>(in)), {}), s.head + s.tail);
  EXPECT_EQ(shift_fragment_times(dir.file("none.mp4"), 1), "cannot open it");
}

TEST(FragmentDuration, BoxesCutShortOrLyingAreLeftOut) {
  const Segment s;
  for (size_t cut = 0; cut < s.head.size(); ++cut)
    EXPECT_LE(fragment_times(s.head.substr(0, cut), "", cut).size(), 1u) << cut;
  std::string lying = s.head;
  lying.replace(lying.find("moov") - 4, 4, be(1u << 30, 4));  // a moov larger than the file
  EXPECT_TRUE(fragment_times(lying, s.tail, lying.size()).empty());
  for (size_t cut = 0; cut < s.tail.size(); ++cut)
    EXPECT_LE(fragment_times(s.head, s.tail.substr(0, cut), s.head.size()).size(), 3u);
}

}  // namespace
}  // namespace legrad
