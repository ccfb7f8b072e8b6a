// The dashboard's API is public by default; with dashboard.require_token every /api/* request
// needs a bearer token the service's verifier accepts (any role), while the page itself stays
// open. And the snapshots' file keeps coverage's audit trail: CreateSnapshot's record is written
// in the snapshot's own transaction, names the snapshot, and goes out on jaring.audit.v1.
// Event streams beyond their caps get 503 while the JSON API keeps answering, and the M&E
// report's CSV shows formula cells as text.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "adapters/dashboard.hpp"
#include "adapters/report_render.hpp"
#include "adapters/sqlite_snapshots.hpp"
#include "jaring/audit/trail.hpp"
#include "jaring/events/v1/envelope.pb.h"
#include "jaring/process/process.hpp"
#include "jaring/store/outbox.hpp"
#include "jaring/testing/auth.hpp"

namespace jaring::coverage {
namespace {

// Redis with no RW yet.
class NoCounters final : public CounterReader {
 public:
  Result<std::optional<RwCoverage>> rw(const std::string&) override { return std::optional<RwCoverage>{}; }
  Result<std::vector<RwCoverage>> rws_of_kelurahan(const std::string&) override {
    return std::vector<RwCoverage>{};
  }
  Result<std::vector<RwCoverage>> rws_of_kelurahans(const std::vector<std::string>&) override {
    return std::vector<RwCoverage>{};
  }
  Result<std::vector<std::string>> kelurahans() override { return std::vector<std::string>{}; }
};

// GET /api/events on a raw connection from `source` (any loopback address), held open until
// destroyed: what a browser tab does.
class RawStream {
 public:
  RawStream(int port, const std::string& source = "127.0.0.1") : fd_(::socket(AF_INET, SOCK_STREAM, 0)) {
    sockaddr_in local{};
    local.sin_family = AF_INET;
    ::inet_pton(AF_INET, source.c_str(), &local.sin_addr);
    timeval patience{10, 0};  // a broken dashboard fails the test instead of hanging it
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &patience, sizeof patience);
    sockaddr_in server{};
    server.sin_family = AF_INET;
    server.sin_port = htons(static_cast<std::uint16_t>(port));
    ::inet_pton(AF_INET, "127.0.0.1", &server.sin_addr);
    if (::bind(fd_, reinterpret_cast<sockaddr*>(&local), sizeof local) != 0 ||
        ::connect(fd_, reinterpret_cast<sockaddr*>(&server), sizeof server) != 0)
      return;
    const std::string request = "GET /api/events?area=31 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
    (void)::send(fd_, request.data(), request.size(), MSG_NOSIGNAL);
  }
  ~RawStream() { ::close(fd_); }
  RawStream(const RawStream&) = delete;
  RawStream& operator=(const RawStream&) = delete;

  // The response's status; for 200, once the stream said it is connected.
  int status() {
    if (!read_until("\r\n\r\n")) return -1;
    const int code = received_.starts_with("HTTP/1.1 ") ? std::stoi(received_.substr(9, 3)) : -1;
    if (code == 200 && !read_until(": connected")) return -1;
    return code;
  }

 private:
  bool read_until(std::string_view marker) {
    char buffer[512];
    while (received_.find(marker) == std::string::npos) {
      const auto n = ::recv(fd_, buffer, sizeof buffer, 0);
      if (n <= 0) return false;
      received_.append(buffer, static_cast<std::size_t>(n));
    }
    return true;
  }

  int fd_;
  std::string received_;
};

class DashboardTest : public ::testing::Test {
 protected:
  // A dashboard on a free loopback port; `verifier` null for the public one.
  std::unique_ptr<Dashboard> start(auth::Verifier* verifier) {
    auto dashboard = std::make_unique<Dashboard>(queries_, feed_, evaluation_, verifier);
    dashboard->start("127.0.0.1", 0);
    return dashboard;
  }
  static int status(int port, const std::string& path, const std::string& authorization = "") {
    httplib::Client client("127.0.0.1", port);
    httplib::Headers headers;
    if (!authorization.empty()) headers.emplace("Authorization", authorization);
    const auto res = client.Get(path.c_str(), headers);
    return res ? res->status : -1;
  }

  testing::LocalAuth auth_;
  SystemClock clock_;
  auth::Verifier verifier_{auth_.verifier_settings(), clock_};
  NoCounters counters_;
  AreaIndex areas_{areas::Registry::jakarta(), areas::BranchMap::jakarta()};
  Queries queries_{counters_, areas_};
  ChangeFeed feed_;
  SqliteSnapshots snapshots_{":memory:"};
  Evaluation evaluation_{queries_, snapshots_, clock_};
};

TEST_F(DashboardTest, TheApiIsPublicUnlessATokenIsRequired) {
  const auto open = start(nullptr);
  EXPECT_EQ(status(open->port(), "/api/branches"), 200);
  EXPECT_EQ(status(open->port(), "/api/area/31"), 200);
}

TEST_F(DashboardTest, ARequiredTokenIsCheckedOnEveryApiRequestOfAnyRole) {
  const auto guarded = start(&verifier_);
  const int port = guarded->port();
  EXPECT_EQ(status(port, "/"), 200);  // the page asks for a token itself
  for (const auto* path : {"/api/branches", "/api/area/31", "/api/snapshots", "/api/kelurahan"}) {
    EXPECT_EQ(status(port, path), 401) << path;
    EXPECT_EQ(status(port, path, "Bearer not-a-token"), 401) << path;
    EXPECT_EQ(status(port, path, "Basic " + auth_.token("sponsor")), 401) << path;
    EXPECT_EQ(status(port, path, "Bearer " + auth_.token("area-official")), 200) << path;
    EXPECT_EQ(status(port, path, "bearer " + auth_.token("auditor")), 200) << path;
  }
  // A token of another issuer's key is refused like no token.
  testing::LocalAuth other;
  EXPECT_EQ(status(port, "/api/branches", "Bearer " + other.token("admin")), 401);
  // The refusal says why in general terms and asks for a bearer token.
  httplib::Client client("127.0.0.1", port);
  const auto res = client.Get("/api/branches");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->get_header_value("WWW-Authenticate"), "Bearer");
  EXPECT_NE(res->body.find("error"), std::string::npos) << res->body;
}

TEST_F(DashboardTest, EventStreamsBeyondTheirCapsGet503AndTheApiKeepsAnswering) {
  Dashboard dashboard(queries_, feed_, evaluation_, nullptr, {}, StreamLimits{6, 4});
  dashboard.start("127.0.0.1", 0);
  const int port = dashboard.port();
  std::vector<std::unique_ptr<RawStream>> open;
  const auto open_stream = [&](const std::string& source) {
    open.push_back(std::make_unique<RawStream>(port, source));
    return open.back()->status();
  };
  // One client address up to its own cap...
  for (int i = 0; i < 4; ++i) ASSERT_EQ(open_stream("127.0.0.1"), 200) << i;
  EXPECT_EQ(RawStream(port, "127.0.0.1").status(), 503);
  // ...others up to the total.
  for (int i = 0; i < 2; ++i) ASSERT_EQ(open_stream("127.0.0.2"), 200) << i;
  EXPECT_EQ(RawStream(port, "127.0.0.2").status(), 503);
  EXPECT_EQ(RawStream(port, "127.0.0.3").status(), 503);
  const auto refused = httplib::Client("127.0.0.1", port).Get("/api/events");
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->status, 503);
  EXPECT_EQ(refused->get_header_value("Retry-After"), "10");
  EXPECT_EQ(refused->body, "too many event streams; try again later\n");

  // The page and the JSON API answer meanwhile, several requests at once.
  std::vector<std::thread> readers;
  readers.reserve(8);
  std::atomic<int> answered{0};
  for (int i = 0; i < 8; ++i) {
    readers.emplace_back([&] {
      if (status(port, "/api/area/31") == 200) ++answered;
    });
  }
  for (auto& r : readers) r.join();
  EXPECT_EQ(answered, 8);
  EXPECT_EQ(status(port, "/"), 200);
  EXPECT_EQ(status(port, "/api/branches"), 200);

  // A client that leaves gives its place back, noticed at the stream's next write.
  open.front().reset();
  EXPECT_TRUE(process::wait_for(
      [&] {
        feed_.publish({"31.75.06.1005.001"});
        open.front() = std::make_unique<RawStream>(port, "127.0.0.1");
        return open.front()->status() == 200;
      },
      std::chrono::seconds(20)));

  open.clear();
  feed_.close();  // ends the streams, so that the server can stop
}

TEST(ReportCsv, FormulaCellsAreNeutralisedAndNumbersStayNumbers) {
  ReportRow row;
  row.from.code = row.to.code = "31.75.06";
  row.from.name = row.to.name = "=HYPERLINK(\"http://x.example/\",\"Cakung\")";
  row.from.level = row.to.level = AreaLevel::kKecamatan;
  row.from.totals.active = 10;
  row.to.totals.active = 4;
  Report report;
  report.rows.push_back(row);
  report.total = row;
  report.total.to.name = "@SUM(A1:A9)";
  const auto csv = render_csv(report);
  EXPECT_EQ(csv.rfind("area_code,area_name,level,registrations_from,", 0), 0u) << csv;
  EXPECT_NE(csv.find("\n31.75.06,\"'=HYPERLINK(\"\"http://x.example/\"\",\"\"Cakung\"\")\",kecamatan,"),
            std::string::npos)
      << csv;
  EXPECT_NE(csv.find("\n31.75.06,'@SUM(A1:A9),kecamatan,"), std::string::npos) << csv;
  EXPECT_NE(csv.find(",10,4,-6,"), std::string::npos) << csv;  // active: from, to, change
  EXPECT_EQ(csv.find(",=HYPERLINK"), std::string::npos) << csv;
}

TEST_F(DashboardTest, ASnapshotCarriesItsAuditRecordInTheSameTransaction) {
  audit::Trail trail(snapshots_.db(), "coverage", clock_);
  audit::Record base;
  base.subject = "admin.budi";
  base.roles = "admin";
  base.method = "/jaring.coverage.v1.CoverageService/CreateSnapshot";
  base.trace_id = "t_0123456789abcdef";
  audit::CallRecord record(&trail, base);
  Result<Snapshot> snapshot = fail(Error::internal("not taken"));
  {
    store::ObserverScope observing(&record);
    snapshot = evaluation_.snapshot("2026-Q3", "2026-09-30");
  }
  ASSERT_TRUE(snapshot) << snapshot.error().message;
  EXPECT_TRUE(record.written());
  const auto found = trail.find({});
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].subject, "admin.budi");
  EXPECT_EQ(found[0].result, "OK");
  EXPECT_EQ(found[0].ids, std::vector<std::string>{std::to_string(snapshot->id)});

  const auto unsent = store::outbox_fetch_unsent(snapshots_.db(), 10);
  ASSERT_EQ(unsent.size(), 1u);
  EXPECT_EQ(unsent[0].topic, audit::kTopic);
  events::v1::Envelope envelope;
  ASSERT_TRUE(envelope.ParseFromString(unsent[0].payload));
  EXPECT_EQ(envelope.audit_recorded().method(), base.method);
}

}  // namespace
}  // namespace jaring::coverage

namespace jaring::coverage {
namespace {

// As the read model of the snapshots topic: a record's id is kept, a newer record of the same
// kind and period replaces the older (as compaction does), and a rebuild starts from nothing.
TEST(SnapshotReadModel, KeepsTheRecordsIdsReplacesASecondRecordOfOneKeyAndClears) {
  SqliteSnapshots model(":memory:");
  const RwCoverage rw{
      "31.75.06.1005.001", "31.75.06.1005", 100, true, {.registered = 4, .registrations = 4, .awaiting = 1}};
  ASSERT_TRUE(model.put({7, "2026-Q1", "2026-04-01", "2026-03-31T17:05:00Z", 1, "evaluation"}, {rw}));
  ASSERT_TRUE(model.put({9, "2026-04-01", "2026-04-01", "2026-03-31T17:06:00Z", 1, "trend"}, {rw}));
  auto later = rw;
  later.counters.registered = 5;
  ASSERT_TRUE(model.put({12, "2026-Q1", "2026-04-02", "2026-04-01T17:05:00Z", 1, "evaluation"}, {later}));
  const auto listed = model.list(true);
  ASSERT_TRUE(listed);
  ASSERT_EQ(listed->size(), 2u);
  EXPECT_EQ((*listed)[0].id, 9);
  EXPECT_EQ((*listed)[1].id, 12);
  EXPECT_EQ((*listed)[1].as_of, "2026-04-02");
  EXPECT_FALSE(*model.find(7));
  EXPECT_TRUE(model.rows(7)->empty());
  EXPECT_EQ(model.rows(12)->at(0).counters.registered, 5);
  // Every counter is kept, the workers awaiting their first payment too (they were lost).
  EXPECT_EQ(model.rows(12)->at(0).counters, later.counters);
  EXPECT_EQ(model.rows(9)->at(0).counters.awaiting, 1);
  ASSERT_TRUE(model.clear());
  EXPECT_TRUE(model.list(true)->empty());
  // A snapshot saved afterwards (the one-replica store) takes the next id.
  const auto saved = model.save({0, "2026-Q2", "2026-07-01", "2026-06-30T17:05:00Z", 1, "evaluation"}, {rw});
  ASSERT_TRUE(saved);
  EXPECT_GT(saved->id, 12);
}

}  // namespace
}  // namespace jaring::coverage
