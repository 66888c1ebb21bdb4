// Checks JSON against the project's schema (docs/legrad-metadata.schema.json) with the part of
// JSON Schema it uses: type, required, properties, items, enum, minimum, oneOf and local $ref.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace legrad {
namespace test {

// The repository's metadata schema (LEGRAD_SCHEMA, set by the build).
const nlohmann::json& metadata_schema();

// "" where `value` matches `schema` (resolving $ref in `root`), else where and why not.
std::string schema_problem(const nlohmann::json& value, const nlohmann::json& schema,
                           const nlohmann::json& root, const std::string& where = "");

inline std::string metadata_problem(const nlohmann::json& value) {
  return schema_problem(value, metadata_schema(), metadata_schema());
}

}  // namespace test
}  // namespace legrad
