// Prompt lists as users write them.
#include <gtest/gtest.h>

#include "base/error.h"
#include "text/prompt_list.h"

namespace legrad {
namespace {

TEST(PromptList, SplitsTrimsAndRejectsEmpty) {
  EXPECT_EQ(parse_prompt_list(" a cat ;a dog;; "), (std::vector<std::string>{"a cat", "a dog"}));
  EXPECT_EQ(parse_prompt_list("one"), (std::vector<std::string>{"one"}));
  EXPECT_THROW(parse_prompt_list(""), Error);
  EXPECT_THROW(parse_prompt_list(" ; ;"), Error);
  EXPECT_THROW(parse_prompt_list("\xc3("), Error);
}

TEST(PromptList, JoinsBackToWhatParses) {
  const std::vector<std::string> prompts = {"a cat", "a dog"};
  EXPECT_EQ(join_prompt_list(prompts), "a cat;a dog");
  EXPECT_EQ(parse_prompt_list(join_prompt_list(prompts)), prompts);
  EXPECT_EQ(join_prompt_list({}), "");
}

}  // namespace
}  // namespace legrad
