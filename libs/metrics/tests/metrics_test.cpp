#include <gtest/gtest.h>
#include <httplib.h>

#include <atomic>

#include "jaring/metrics/metrics.hpp"

namespace jaring::metrics {
namespace {

TEST(Registry, NamesMetricsAfterTheService) {
  Registry registry("coverage-api");
  registry.counter("events_consumed_total", "Events applied").Add({{"topic", "t"}}).Increment(3);
  const auto text = registry.serialize();
  EXPECT_NE(text.find("jaring_coverage_api_events_consumed_total{topic=\"t\"} 3"), std::string::npos) << text;
}

TEST(AdminServer, ServesMetricsHealthAndReadiness) {
  Registry registry("registration");
  registry.gauge("outbox_backlog_messages", "Unsent outbox rows").Add({}).Set(7);
  std::atomic<bool> ready{false};
  AdminServer admin(registry, [&]() -> std::optional<std::string> {
    if (ready) return std::nullopt;
    return "kafka unreachable";
  });
  admin.start("127.0.0.1", 0);
  ASSERT_GT(admin.port(), 0);
  httplib::Client client("127.0.0.1", admin.port());

  auto metrics = client.Get("/metrics");
  ASSERT_TRUE(metrics);
  EXPECT_EQ(metrics->status, 200);
  EXPECT_NE(metrics->body.find("jaring_registration_outbox_backlog_messages 7"), std::string::npos);

  auto health = client.Get("/healthz");
  ASSERT_TRUE(health);
  EXPECT_EQ(health->status, 200);

  auto not_ready = client.Get("/readyz");
  ASSERT_TRUE(not_ready);
  EXPECT_EQ(not_ready->status, 503);
  EXPECT_NE(not_ready->body.find("kafka unreachable"), std::string::npos);

  ready = true;
  auto now_ready = client.Get("/readyz");
  ASSERT_TRUE(now_ready);
  EXPECT_EQ(now_ready->status, 200);
  admin.stop();
}

}  // namespace
}  // namespace jaring::metrics
