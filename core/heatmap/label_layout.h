// Labels that never cover each other: each goes to the free spot nearest where it asks to be,
// inside the frame, so twenty prompts stay readable where their boxes share a corner.
#pragma once

#include <vector>

namespace legrad {

struct LabelRect {
  int x = 0, y = 0, width = 0, height = 0;  // top-left corner and size, in frame pixels
  bool overlaps(const LabelRect& other) const;
};

class LabelLayout {
 public:
  LabelLayout(int frame_width, int frame_height);

  // Where a label of `width` x `height` wanted with its top-left corner at (x, y) goes: there,
  // kept inside the frame, or else the nearest spot a whole label height above or below it, then
  // in the next columns, that covers no label placed before. Where the frame is full, the wanted
  // spot inside the frame. The result counts as placed.
  LabelRect place(int x, int y, int width, int height);

 private:
  bool free(const LabelRect& r) const;
  LabelRect inside(LabelRect r) const;

  int frame_width_, frame_height_;
  std::vector<LabelRect> placed_;
};

}  // namespace legrad
