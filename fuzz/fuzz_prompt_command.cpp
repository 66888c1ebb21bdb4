// libFuzzer target: arbitrary bytes as a command on legradmetapublish's control topic (they come
// from the network). A command is either refused with a reason or holds prompts a legrad element
// takes; the answer to it is always valid JSON.
#include <cstdint>
#include <string>

#include "legradpromptcommand.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  const legrad::PromptCommand command = legrad::parse_prompt_command(text);
  if (command.valid()) {
    if (command.prompts.empty() || command.prompts.size() > legrad::kMaxCommandPrompts)
      __builtin_trap();
    for (const std::string& p : command.prompts)
      if (p.empty() || p.size() > legrad::kMaxPromptBytes) __builtin_trap();
  }
  const auto answer =
      legrad::command_answer("cam-1", command, command.valid(), command.prompts, command.refusal);
  (void)nlohmann::json::parse(answer.dump());
  return 0;
}
