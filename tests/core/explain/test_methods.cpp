// The method table every interface is generated from.
#include <gtest/gtest.h>

#include <set>
#include <string>

#include "base/error.h"
#include "explain/methods.h"
#include "support.h"

namespace legrad {
namespace {

TEST(Methods, TheTableIsInEnumOrderWithUniqueNames) {
  std::set<std::string> names;
  const auto& methods = explain_methods();
  for (size_t i = 0; i < methods.size(); ++i) {
    EXPECT_EQ(static_cast<size_t>(methods[i].method), i);
    EXPECT_TRUE(names.insert(methods[i].name).second) << methods[i].name;
    EXPECT_EQ(parse_method(methods[i].name), methods[i].method);
    EXPECT_STREQ(method_name(methods[i].method), methods[i].name);
    EXPECT_NE(methods[i].explain, nullptr);
    EXPECT_GT(std::string(methods[i].description).size(), 5u);
  }
  EXPECT_STREQ(method_name(kDefaultMethod), "legrad");
  EXPECT_EQ(method_names("|"), "legrad|raw-attention|rollout|gradcam|chefercam|chefercam-last");
}

TEST(Methods, OnlyLegradRunsAsACudaGraph) {
  for (const MethodInfo& m : explain_methods())
    EXPECT_EQ(m.graph_capable, m.method == ExplainMethod::Legrad) << m.name;
}

TEST(Methods, UnknownNamesListTheChoices) {
  const std::string error = test::error_of([] { parse_method("gradcam++"); });
  EXPECT_NE(error.find("unknown method 'gradcam++' (legrad, raw-attention"), std::string::npos)
      << error;
}

}  // namespace
}  // namespace legrad
