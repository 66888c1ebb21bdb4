// JSON text from files users give (model configs, checkpoint indexes): a syntax error is an
// error naming the file and where in it, never a silent fallback.
#pragma once

#include <nlohmann/json.hpp>

#include <string>

namespace legrad {

// Throws legrad::Error "SOURCE: not well-formed JSON (line L, column C: what)".
nlohmann::json parse_json(const std::string& text, const std::string& source);

}  // namespace legrad
