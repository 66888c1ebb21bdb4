// Minimal logging for the core: no GStreamer here, so the plugin installs a
// handler that forwards to its GST_DEBUG category.
#pragma once

#include <functional>
#include <string>

namespace legrad {

enum class LogLevel { Debug, Info, Warning };

using LogHandler = std::function<void(LogLevel, const std::string&)>;

// Replaces the handler (default: warnings and info to stderr). Pass nullptr to restore it.
void set_log_handler(LogHandler handler);
void log(LogLevel level, const std::string& message);

}  // namespace legrad
