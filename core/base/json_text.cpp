#include "base/json_text.h"

#include "base/error.h"

namespace legrad {

nlohmann::json parse_json(const std::string& text, const std::string& source) {
  try {
    return nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception& e) {
    // nlohmann's messages start "[json.exception.parse_error.101] parse error at line 2,
    // column 24: ..."; what follows the bracket says where and what.
    std::string what = e.what();
    if (const size_t end = what.find("] "); what[0] == '[' && end != std::string::npos)
      what = what.substr(end + 2);
    throw Error(source + ": not well-formed JSON (" + what + ")");
  }
}

}  // namespace legrad
