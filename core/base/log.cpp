#include "base/log.h"

#include <cstdio>
#include <mutex>

namespace legrad {
namespace {

std::mutex g_mutex;
LogHandler g_handler;

void default_handler(LogLevel level, const std::string& message) {
  if (level == LogLevel::Debug) return;
  std::fprintf(stderr, "legrad: %s%s\n", level == LogLevel::Warning ? "warning: " : "",
               message.c_str());
}

}  // namespace

void set_log_handler(LogHandler handler) {
  std::lock_guard<std::mutex> lock(g_mutex);
  g_handler = std::move(handler);
}

void log(LogLevel level, const std::string& message) {
  std::lock_guard<std::mutex> lock(g_mutex);
  if (g_handler)
    g_handler(level, message);
  else
    default_handler(level, message);
}

}  // namespace legrad
