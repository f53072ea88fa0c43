#include "serve/router.h"

#include <gtest/gtest.h>

namespace weft::serve {
namespace {

TEST(Router, ExactPrefixAndNamed) {
  Router router;
  ASSERT_TRUE(router.add("/", 0).ok());
  ASSERT_TRUE(router.add("/api/...", 1).ok());
  ASSERT_TRUE(router.add("/items/:id", 2).ok());
  ASSERT_TRUE(router.add("/api/health", 3).ok());
  ASSERT_TRUE(router.add("/items/:id/tags/:tag", 4).ok());
  ASSERT_TRUE(router.add("/items/special", 5).ok());

  EXPECT_EQ(router.match("/")->target, 0u);
  EXPECT_FALSE(router.match("/nope").has_value());
  auto api = router.match("/api/x/y");
  ASSERT_TRUE(api);
  EXPECT_EQ(api->target, 1u);
  EXPECT_EQ(api->script_name, "/api");
  EXPECT_EQ(api->raw_path_info, "/x/y");
  EXPECT_EQ(router.match("/api")->raw_path_info, "");
  EXPECT_FALSE(router.match("/apix").has_value());
  EXPECT_EQ(router.match("/api/health")->target, 3u);

  auto item = router.match("/items/a%20b");
  ASSERT_TRUE(item);
  EXPECT_EQ(item->target, 2u);
  ASSERT_EQ(item->params.size(), 1u);
  EXPECT_EQ(item->params[0].first, "id");
  EXPECT_EQ(item->params[0].second, "a b");
  EXPECT_EQ(router.match("/items/special")->target, 5u);
  EXPECT_FALSE(router.match("/items/").has_value());
  auto tag = router.match("/items/7/tags/red");
  ASSERT_TRUE(tag);
  EXPECT_EQ(tag->target, 4u);
  ASSERT_EQ(tag->params.size(), 2u);
  EXPECT_EQ(tag->params[1].second, "red");
}

TEST(Router, CatchAllAndLongestPrefix) {
  Router router;
  ASSERT_TRUE(router.add("/...", 0).ok());
  ASSERT_TRUE(router.add("/static/...", 1).ok());
  EXPECT_EQ(router.match("/anything/at/all")->target, 0u);
  EXPECT_EQ(router.match("/anything/at/all")->raw_path_info, "/anything/at/all");
  EXPECT_EQ(router.match("/static/a.css")->target, 1u);
  EXPECT_EQ(router.match("/")->target, 0u);
}

TEST(Router, PercentDecode) {
  EXPECT_EQ(percent_decode("%41b+c"), "Ab+c");
  EXPECT_EQ(percent_decode("%zz%4"), "%zz%4");
  EXPECT_EQ(percent_decode("%"), "%");
}

}  // namespace
}  // namespace weft::serve
