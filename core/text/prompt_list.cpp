#include "text/prompt_list.h"

#include <sstream>

#include "base/error.h"
#include "base/file.h"
#include "base/utf8.h"

namespace legrad {

std::vector<std::string> parse_prompt_list(const std::string& text) {
  utf8_decode(text);  // invalid UTF-8 is an error here, not later
  std::vector<std::string> out;
  size_t pos = 0;
  while (pos <= text.size()) {
    size_t end = text.find(';', pos);
    if (end == std::string::npos) end = text.size();
    std::string item = text.substr(pos, end - pos);
    const size_t b = item.find_first_not_of(" \t\r\n");
    const size_t e = item.find_last_not_of(" \t\r\n");
    if (b != std::string::npos) out.push_back(item.substr(b, e - b + 1));
    pos = end + 1;
  }
  if (out.empty()) throw Error("the prompt list '" + text + "' holds no prompt");
  return out;
}

std::string join_prompt_list(const std::vector<std::string>& prompts) {
  std::string out;
  for (const std::string& p : prompts) out += (out.empty() ? "" : ";") + p;
  return out;
}

std::string read_prompt_file(const std::string& path) {
  std::istringstream in(read_file(path, "prompts file"));
  std::string line, joined;
  while (std::getline(in, line)) {
    const size_t first = line.find_first_not_of(" \t\r");
    if (first != std::string::npos && line[first] != '#') joined += line + ";";
  }
  return joined;
}

}  // namespace legrad
