// The prompt lists users write: "a cat; a dog" in a property, an option or an event.
#pragma once

#include <string>
#include <vector>

namespace legrad {

// Splits at ';', trims whitespace, drops empty entries. Throws legrad::Error for invalid UTF-8
// or when no prompt remains.
std::vector<std::string> parse_prompt_list(const std::string& text);

// The inverse: prompts joined by ';' ("" for none).
std::string join_prompt_list(const std::vector<std::string>& prompts);

// A prompts file (one prompt per line; blank lines and lines starting with '#' skipped) as a
// ';'-separated list for parse_prompt_list. Throws legrad::Error naming the file when it cannot be
// read.
std::string read_prompt_file(const std::string& path);

}  // namespace legrad
