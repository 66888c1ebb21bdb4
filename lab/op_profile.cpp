#include "lab/op_profile.h"

#include <torch/csrc/autograd/profiler_legacy.h>

#include <algorithm>
#include <map>

namespace legrad {
namespace {

using torch::autograd::profiler::EventKind;
using torch::autograd::profiler::LegacyEvent;
using torch::autograd::profiler::thread_event_lists;

// Self times from the push/pop pairs of each thread, which nest.
std::vector<OpTime> self_times(const thread_event_lists& threads) {
  struct Open {
    const LegacyEvent* push;
    std::string scope;
    double children_us;
  };
  std::map<std::pair<std::string, std::string>, OpTime> by_name;
  for (const std::vector<LegacyEvent>& events : threads) {
    std::vector<Open> stack;
    for (const LegacyEvent& e : events) {
      if (e.kind() == EventKind::PushRange) {
        stack.push_back({&e, stack.empty() ? e.name() : stack.front().scope, 0.0});
      } else if (e.kind() == EventKind::PopRange && !stack.empty()) {
        const Open open = stack.back();
        stack.pop_back();
        const double total_us = open.push->cpuElapsedUs(e);
        OpTime& op = by_name[{open.scope, open.push->name()}];
        op.scope = open.scope;
        op.name = open.push->name();
        op.self_ms += (total_us - open.children_us) / 1000.0;
        op.calls++;
        if (!stack.empty()) stack.back().children_us += total_us;
      }
    }
  }
  std::vector<OpTime> out;
  for (auto& [key, op] : by_name) out.push_back(op);
  std::sort(out.begin(), out.end(),
            [](const OpTime& a, const OpTime& b) { return a.self_ms > b.self_ms; });
  return out;
}

}  // namespace

std::vector<OpTime> profile_ops(const std::function<void()>& work) {
  namespace profiler = torch::autograd::profiler;
  profiler::enableProfilerLegacy(
      torch::profiler::impl::ProfilerConfig(torch::profiler::impl::ProfilerState::CPU));
  try {
    work();
  } catch (...) {
    profiler::disableProfilerLegacy();
    throw;
  }
  return self_times(profiler::disableProfilerLegacy());
}

}  // namespace legrad
