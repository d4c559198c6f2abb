#include <doctest/doctest.h>

#include "berth/util/log.hpp"

using namespace berth::log;

TEST_CASE("log entries match runc's text and json shapes") {
  CHECK(format_entry(Format::Json, Level::Error, "container does not exist", "2026-01-01T00:00:00Z") ==
        R"({"level":"error","msg":"container does not exist","time":"2026-01-01T00:00:00Z"})");
  CHECK(format_entry(Format::Text, Level::Error, "a \"b\"\n", "T") ==
        R"(time="T" level=error msg="a \"b\"\n")");
  CHECK(format_entry(Format::Text, Level::Warn, "w", "T") == R"(time="T" level=warning msg="w")");
}
