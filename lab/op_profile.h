// Where a piece of LibTorch work spends its time, operator by operator (LibTorch's profiler).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace legrad {

struct OpTime {
  std::string scope;   // the outermost range it ran in ("legrad::forward"; itself if none)
  std::string name;    // the operator ("aten::addmm")
  double self_ms = 0;  // its time minus that of the operators it called
  int64_t calls = 0;
};

// Runs `work` on this thread with the profiler on; every operator called from this thread,
// by scope, largest self time first. Work inside an operator (its thread pool included) counts as
// the operator's.
std::vector<OpTime> profile_ops(const std::function<void()>& work);

}  // namespace legrad
