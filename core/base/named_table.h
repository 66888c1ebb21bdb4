// Tables of named choices (explainers, colour maps): rows with a `name`, looked up by it with
// an error that lists the choices, and the names joined for usage texts.
#pragma once

#include <string>

#include "base/error.h"

namespace legrad {

// Every row's name, joined by `separator`.
template <typename Table>
std::string joined_names(const Table& table, const std::string& separator) {
  std::string out;
  for (const auto& row : table) out += (out.empty() ? "" : separator) + row.name;
  return out;
}

// The row named `name`; throws legrad::Error "unknown WHAT 'NAME' (choices)" otherwise.
template <typename Table>
const auto& row_named(const Table& table, const std::string& name, const std::string& what) {
  for (const auto& row : table)
    if (name == row.name) return row;
  throw Error("unknown " + what + " '" + name + "' (" + joined_names(table, ", ") + ")");
}

}  // namespace legrad
