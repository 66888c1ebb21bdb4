// The prompt lists users write: "a cat; a dog" in a property, an option or an event.
#pragma once

#include <string>
#include <vector>

namespace legrad {

// Splits at ';', trims whitespace, drops empty entries. Throws legrad::Error for invalid UTF-8
// or when no prompt remains.
std::vector<std::string> parse_prompt_list(const std::string& text);

}  // namespace legrad
