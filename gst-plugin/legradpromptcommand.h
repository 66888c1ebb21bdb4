// Prompts from afar: the JSON commands legradmetapublish reads on its control topic, and the
// answers it publishes on its status topic. Commands come from the network: everything is
// checked, and a refused command names its reason and changes nothing.
//   {"stream_id": "cam-1", "prompts": ["a person", "a forklift"], "request_id": "42"}
// "stream_id" absent or "*": every stream; "request_id" (optional) is echoed in the answer.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace legrad {

constexpr size_t kMaxCommandBytes = 64 * 1024;
constexpr size_t kMaxCommandPrompts = 64;
constexpr size_t kMaxPromptBytes = 1024;

struct PromptCommand {
  std::optional<std::string> stream_id;  // nothing: every stream
  std::vector<std::string> prompts;
  std::string request_id;
  std::string refusal;  // why it is refused; "" for a valid command

  bool valid() const { return refusal.empty(); }
  bool is_for(const std::string& stream) const { return !stream_id || *stream_id == stream; }
};

// Never throws: a command that cannot be used comes back with its refusal.
PromptCommand parse_prompt_command(const std::string& text);

// The status topic's answer: {"stream_id", "request_id", "accepted", "prompts" (those in use
// now), "reason" (where refused)}.
nlohmann::json command_answer(const std::string& stream_id, const PromptCommand& command,
                              bool accepted, const std::vector<std::string>& prompts_in_use,
                              const std::string& reason);

// The stream ids of this process's publishers with a control topic: one id, one element.
// claim_stream_id is false where the id is taken. The publisher whose id comes first answers
// the commands no stream here takes (not JSON, an unknown stream), so that they are answered
// once per process.
bool claim_stream_id(const std::string& stream_id);
void release_stream_id(const std::string& stream_id);
bool stream_id_claimed(const std::string& stream_id);
bool answers_for_the_process(const std::string& stream_id);

}  // namespace legrad
