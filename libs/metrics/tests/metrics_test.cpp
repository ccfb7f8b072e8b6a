#include <gtest/gtest.h>
#include <httplib.h>

#include <atomic>
#include <filesystem>
#include <thread>

#include "jaring/metrics/metrics.hpp"
#include "jaring/stack/local_tls.hpp"
#include "jaring/testing/fixtures.hpp"

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

TEST(AdminServer, ReadinessNotesAddLinesWithoutChangingTheAnswer) {
  Registry registry("claims");
  std::atomic<bool> stalled{false};
  AdminServer admin(registry, [] { return std::optional<std::string>(); }, {},
                    {[&]() -> std::optional<std::string> {
                       if (!stalled) return std::nullopt;
                       return "outbox relay stalled: 12 events wait";
                     },
                     [] { return std::optional<std::string>(); }});
  admin.start("127.0.0.1", 0);
  httplib::Client client("127.0.0.1", admin.port());

  auto quiet = client.Get("/readyz");
  ASSERT_TRUE(quiet);
  EXPECT_EQ(quiet->status, 200);
  EXPECT_EQ(quiet->body, "ready\n");

  stalled = true;
  auto noted = client.Get("/readyz");
  ASSERT_TRUE(noted);
  EXPECT_EQ(noted->status, 200);
  EXPECT_EQ(noted->body, "ready\noutbox relay stalled: 12 events wait\n");
  admin.stop();
}

// A GET /healthz over HTTPS, trusting only `ca`: true when it answered 200.
bool healthy_over_https(int port, const std::string& ca) {
  httplib::SSLClient client("127.0.0.1", port);
  client.set_ca_cert_path(ca.c_str());
  client.enable_server_certificate_verification(true);
  client.set_connection_timeout(2, 0);
  const auto res = client.Get("/healthz");
  return res && res->status == 200;
}

TEST(AdminServer, ServesHttpsOnlyWithACertificateAndPicksUpARotatedOne) {
  testing::TempDir dir("jaring-admin-tls");
  const auto first_ca = stack::LocalTls::open_or_create(dir.path() / "first");
  const auto second_ca = stack::LocalTls::open_or_create(dir.path() / "second");
  const auto served = first_ca.service("admin");
  Registry registry("registration");
  AdminServer admin(registry, [] { return std::optional<std::string>(); },
                    {served.cert_file, served.key_file, 1});
  admin.start("127.0.0.1", 0);

  EXPECT_TRUE(healthy_over_https(admin.port(), first_ca.ca_file()));
  httplib::Client plain("127.0.0.1", admin.port());
  plain.set_connection_timeout(2, 0);
  const auto plaintext = plain.Get("/healthz");
  EXPECT_FALSE(plaintext && plaintext->status == 200);
  EXPECT_FALSE(healthy_over_https(admin.port(), second_ca.ca_file()));

  // cert-manager replaces the files: new connections get the new certificate, no restart.
  const auto rotated = second_ca.service("admin");
  std::filesystem::copy_file(rotated.key_file, served.key_file,
                             std::filesystem::copy_options::overwrite_existing);
  std::filesystem::copy_file(rotated.cert_file, served.cert_file,
                             std::filesystem::copy_options::overwrite_existing);
  bool switched = false;
  for (int i = 0; i < 50 && !switched; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    switched = healthy_over_https(admin.port(), second_ca.ca_file());
  }
  EXPECT_TRUE(switched);
  EXPECT_FALSE(healthy_over_https(admin.port(), first_ca.ca_file()));
}

TEST(AdminServer, ACertificateThatDoesNotLoadStopsTheStart) {
  testing::TempDir dir("jaring-admin-tls");
  const auto missing = (dir.path() / "missing.pem").string();
  Registry registry("registration");
  try {
    AdminServer admin(registry, [] { return std::optional<std::string>(); }, {missing, missing, 60});
    FAIL() << "expected a refusal";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find(missing), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace jaring::metrics
