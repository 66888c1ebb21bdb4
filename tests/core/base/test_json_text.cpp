// JSON from users' files: a syntax error names the file, the line and the column.
#include "base/json_text.h"

#include <gtest/gtest.h>

#include "base/error.h"
#include "support.h"

namespace legrad {
namespace {

TEST(JsonText, ParsesAndNamesWhereItStopped) {
  EXPECT_EQ(parse_json(R"({"a": [1, 2]})", "x.json")["a"][1], 2);
  const std::string what = test::error_of([] { parse_json("{\n  \"a\": [1,\n}", "cfg.json"); });
  EXPECT_NE(what.find("cfg.json"), std::string::npos) << what;
  EXPECT_NE(what.find("line 3"), std::string::npos) << what;
}

}  // namespace
}  // namespace legrad
