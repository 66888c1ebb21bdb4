#include "json_schema.h"

#include <cstdlib>
#include <fstream>
#include <regex>

namespace legrad {
namespace test {

const nlohmann::json& metadata_schema() {
  static const nlohmann::json schema = [] {
    const char* path = std::getenv("LEGRAD_SCHEMA");
    std::ifstream in(path ? path : "");
    return in ? nlohmann::json::parse(in) : nlohmann::json();
  }();
  return schema;
}

namespace {

bool has_type(const nlohmann::json& v, const std::string& type) {
  if (type == "null") return v.is_null();
  if (type == "object") return v.is_object();
  if (type == "array") return v.is_array();
  if (type == "string") return v.is_string();
  if (type == "integer") return v.is_number_integer();
  if (type == "number") return v.is_number();
  if (type == "boolean") return v.is_boolean();
  return false;
}

const nlohmann::json& resolve(const nlohmann::json& schema, const nlohmann::json& root) {
  if (!schema.contains("$ref")) return schema;
  const std::string ref = schema["$ref"];  // "#/$defs/name"
  return root["$defs"][ref.substr(ref.rfind('/') + 1)];
}

}  // namespace

std::string schema_problem(const nlohmann::json& value, const nlohmann::json& schema_in,
                           const nlohmann::json& root, const std::string& where) {
  const nlohmann::json& schema = resolve(schema_in, root);
  if (schema.is_null()) return where + ": no schema";
  if (schema.contains("oneOf")) {
    int matches = 0;
    for (const auto& s : schema["oneOf"]) matches += schema_problem(value, s, root, where).empty();
    if (matches != 1) return where + ": matches " + std::to_string(matches) + " of oneOf";
  }
  if (schema.contains("type")) {
    const auto& t = schema["type"];
    bool ok = false;
    for (const auto& one : t.is_array() ? t : nlohmann::json::array({t}))
      ok = ok || has_type(value, one);
    if (!ok) return where + ": " + value.dump() + " is not " + t.dump();
  }
  if (schema.contains("enum")) {
    bool found = false;
    for (const auto& e : schema["enum"]) found = found || e == value;
    if (!found) return where + ": " + value.dump() + " not in " + schema["enum"].dump();
  }
  if (schema.contains("pattern") && value.is_string() &&
      !std::regex_search(value.get<std::string>(),
                         std::regex(schema["pattern"].get<std::string>())))
    return where + ": does not match " + schema["pattern"].get<std::string>();
  if (schema.contains("minimum") && value.is_number() &&
      value.get<double>() < schema["minimum"].get<double>())
    return where + ": below the minimum";
  if (value.is_object()) {
    const nlohmann::json required = schema.value("required", nlohmann::json::array());
    const nlohmann::json properties = schema.value("properties", nlohmann::json::object());
    for (const auto& name : required)
      if (!value.contains(name)) return where + ": no " + name.get<std::string>();
    for (const auto& [name, s] : properties.items())
      if (value.contains(name)) {
        const std::string p = schema_problem(value[name], s, root, where + "/" + name);
        if (!p.empty()) return p;
      }
  }
  if (value.is_array() && schema.contains("items"))
    for (size_t i = 0; i < value.size(); ++i) {
      const std::string p =
          schema_problem(value[i], schema["items"], root, where + "/" + std::to_string(i));
      if (!p.empty()) return p;
    }
  return "";
}

}  // namespace test
}  // namespace legrad
