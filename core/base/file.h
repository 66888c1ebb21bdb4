// Reading the files users hand over (model configs, tokenizer vocabularies, word lists,
// prompt files): whole, inflated where they are gzip, never past a size limit, with errors
// that name the file and what it was meant to be.
#pragma once

#include <cstddef>
#include <string>

namespace legrad {

// Text files users hand over are small; anything larger is not what it claims to be.
constexpr size_t kMaxTextFileBytes = 256u << 20;

bool is_file(const std::string& path);
bool is_dir(const std::string& path);
// The folder holding `path` ("." for a bare name).
std::string parent_dir(const std::string& path);
// The last component of `path` (the whole of a bare name).
std::string file_name(const std::string& path);
// Whether `path` ends with `tail` (a file name or extension).
bool ends_with(const std::string& path, const std::string& tail);

// The whole file. `what` names it in errors ("model config": "PATH: cannot open model
// config"). Throws legrad::Error when it cannot be read or holds more than `max_bytes`.
std::string read_file(const std::string& path, const std::string& what,
                      size_t max_bytes = kMaxTextFileBytes);

// The same, inflated where the file is gzip (plain files pass through).
std::string read_maybe_gzip(const std::string& path, const std::string& what,
                            size_t max_bytes = kMaxTextFileBytes);

}  // namespace legrad
