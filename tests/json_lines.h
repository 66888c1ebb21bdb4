// The JSON lines legradmetaconvert writes, read back: frames and events apart.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace legrad {
namespace test {

std::vector<nlohmann::json> json_lines(const std::string& path);
// The lines that describe frames (no "event").
std::vector<nlohmann::json> frame_lines(const std::string& path);
// The event lines (camera, presence, clip).
std::vector<nlohmann::json> event_lines(const std::string& path);

}  // namespace test
}  // namespace legrad
