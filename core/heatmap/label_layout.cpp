#include "heatmap/label_layout.h"

#include <algorithm>

namespace legrad {

bool LabelRect::overlaps(const LabelRect& o) const {
  return x < o.x + o.width && o.x < x + width && y < o.y + o.height && o.y < y + height;
}

LabelLayout::LabelLayout(int frame_width, int frame_height)
    : frame_width_(frame_width), frame_height_(frame_height) {}

LabelRect LabelLayout::inside(LabelRect r) const {
  r.x = std::clamp(r.x, 0, std::max(0, frame_width_ - r.width));
  r.y = std::clamp(r.y, 0, std::max(0, frame_height_ - r.height));
  return r;
}

bool LabelLayout::free(const LabelRect& r) const {
  return std::none_of(placed_.begin(), placed_.end(),
                      [&](const LabelRect& p) { return p.overlaps(r); });
}

LabelRect LabelLayout::place(int x, int y, int width, int height) {
  const LabelRect wanted = inside({x, y, width, height});
  LabelRect chosen = wanted;
  const int rows = height > 0 ? frame_height_ / height + 1 : 0;
  const int columns = width > 0 ? frame_width_ / width + 1 : 0;
  bool found = false;
  // Nearest first: this column a row at a time, down then up; then the columns to the right,
  // then those to the left.
  for (int c = 0; c <= 2 * columns && !found; ++c) {
    const int dx = (c % 2 ? 1 : -1) * ((c + 1) / 2) * width;
    const LabelRect column = {wanted.x + dx, wanted.y, width, height};
    if (c > 0 && (column.x < 0 || column.x + width > frame_width_)) continue;
    for (int r = 0; r <= 2 * rows && !found; ++r) {
      const int dy = (r % 2 ? 1 : -1) * ((r + 1) / 2) * height;
      const LabelRect candidate = {column.x, wanted.y + dy, width, height};
      if (candidate.y < 0 || candidate.y + height > frame_height_) continue;
      if (free(candidate)) {
        chosen = candidate;
        found = true;
      }
    }
  }
  placed_.push_back(chosen);
  return chosen;
}

}  // namespace legrad
