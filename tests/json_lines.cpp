#include "json_lines.h"

#include <fstream>

namespace legrad {
namespace test {

std::vector<nlohmann::json> json_lines(const std::string& path) {
  std::vector<nlohmann::json> out;
  std::ifstream in(path);
  for (std::string line; std::getline(in, line);) out.push_back(nlohmann::json::parse(line));
  return out;
}

std::vector<nlohmann::json> frame_lines(const std::string& path) {
  std::vector<nlohmann::json> out;
  for (auto& j : json_lines(path))
    if (!j.contains("event")) out.push_back(std::move(j));
  return out;
}

std::vector<nlohmann::json> event_lines(const std::string& path) {
  std::vector<nlohmann::json> out;
  for (auto& j : json_lines(path))
    if (j.contains("event")) out.push_back(std::move(j));
  return out;
}

}  // namespace test
}  // namespace legrad
