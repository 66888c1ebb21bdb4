#include "legradpromptcommand.h"

#include <mutex>
#include <set>

#include "text/prompt_list.h"

namespace legrad {

namespace {

PromptCommand refused(std::string reason, PromptCommand command = {}) {
  command.refusal = std::move(reason);
  return command;
}

// The prompts as the list a legrad element takes, each checked; "" or the reason.
std::string check_prompts(const nlohmann::json& prompts, std::vector<std::string>& out) {
  if (!prompts.is_array()) return "\"prompts\" must be an array of strings";
  if (prompts.empty()) return "\"prompts\" is empty";
  if (prompts.size() > kMaxCommandPrompts)
    return "more than " + std::to_string(kMaxCommandPrompts) + " prompts";
  for (const auto& p : prompts) {
    if (!p.is_string()) return "\"prompts\" must be an array of strings";
    const std::string text = p.get<std::string>();
    if (text.size() > kMaxPromptBytes)
      return "a prompt is longer than " + std::to_string(kMaxPromptBytes) + " bytes";
    if (text.find(';') != std::string::npos) return "a prompt holds ';', which separates prompts";
    std::vector<std::string> parsed;
    try {
      parsed = parse_prompt_list(text);
    } catch (const std::exception& e) {
      return std::string("prompt ") + p.dump() + ": " + e.what();
    }
    out.push_back(parsed.front());
  }
  return "";
}

}  // namespace

PromptCommand parse_prompt_command(const std::string& text) {
  if (text.size() > kMaxCommandBytes)
    return refused("the command is longer than " + std::to_string(kMaxCommandBytes) + " bytes");
  const nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded()) return refused("the command is not JSON");
  if (!j.is_object()) return refused("the command is not a JSON object");
  PromptCommand command;
  if (j.contains("request_id")) {
    const auto& id = j["request_id"];
    if (!id.is_string() && !id.is_number_integer())
      return refused("\"request_id\" must be a string or an integer");
    command.request_id = id.is_string() ? id.get<std::string>() : id.dump();
  }
  if (j.contains("stream_id")) {
    if (!j["stream_id"].is_string()) return refused("\"stream_id\" must be a string", command);
    const std::string stream = j["stream_id"];
    if (stream != "*") command.stream_id = stream;
  }
  if (!j.contains("prompts")) return refused("the command has no \"prompts\"", command);
  const std::string problem = check_prompts(j["prompts"], command.prompts);
  if (!problem.empty()) {
    command.prompts.clear();
    return refused(problem, command);
  }
  return command;
}

nlohmann::json command_answer(const std::string& stream_id, const PromptCommand& command,
                              bool accepted, const std::vector<std::string>& prompts_in_use,
                              const std::string& reason) {
  nlohmann::json answer = {{"stream_id", stream_id},
                           {"request_id", command.request_id},
                           {"accepted", accepted},
                           {"prompts", prompts_in_use}};
  if (!accepted) answer["reason"] = reason;
  return answer;
}

namespace {
std::mutex streams_mutex;
std::set<std::string>& streams() {
  static std::set<std::string> ids;
  return ids;
}
}  // namespace

bool claim_stream_id(const std::string& stream_id) {
  std::lock_guard<std::mutex> lock(streams_mutex);
  return streams().insert(stream_id).second;
}

void release_stream_id(const std::string& stream_id) {
  std::lock_guard<std::mutex> lock(streams_mutex);
  streams().erase(stream_id);
}

bool stream_id_claimed(const std::string& stream_id) {
  std::lock_guard<std::mutex> lock(streams_mutex);
  return streams().count(stream_id) > 0;
}

bool answers_for_the_process(const std::string& stream_id) {
  std::lock_guard<std::mutex> lock(streams_mutex);
  return !streams().empty() && *streams().begin() == stream_id;
}

}  // namespace legrad
