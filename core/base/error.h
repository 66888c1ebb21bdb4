// The one exception type the core throws for bad input: files, configs, prompts, frames.
#pragma once

#include <stdexcept>
#include <string>

namespace legrad {

class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& what) : std::runtime_error(what) {}
};

}  // namespace legrad
