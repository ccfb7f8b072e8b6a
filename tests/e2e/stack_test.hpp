#pragma once
// What the end-to-end tests share: the whole embedded stack (libs/stack) in a temporary folder,
// a channel to each service, and one unary call with a deadline as a given user, who carries a
// token signed by the stack's local key.

#include <grpcpp/grpcpp.h>
#include <grpcpp/support/client_interceptor.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <ostream>
#include <set>
#include <string>

#include "jaring/areas/areas.hpp"
#include "jaring/audit/v1/audit.grpc.pb.h"
#include "jaring/auth/policy.hpp"
#include "jaring/common/clock.hpp"
#include "jaring/common/ids.hpp"
#include "jaring/grpc/edge.hpp"
#include "jaring/grpc/server.hpp"
#include "jaring/grpc/tls.hpp"
#include "jaring/stack/stack.hpp"
#include "jaring/testing/fixtures.hpp"

namespace jaring::e2e {

// Runs a shell command; returns its exit code and what it printed on standard output (and on
// standard error too with `with_stderr`).
inline std::pair<int, std::string> run(const std::string& command, bool with_stderr = false) {
  std::string out;
  FILE* pipe = ::popen((with_stderr ? command + " 2>&1" : command).c_str(), "r");
  if (pipe == nullptr) return {-1, out};
  char buffer[4096];
  while (const auto n = std::fread(buffer, 1, sizeof buffer, pipe)) out.append(buffer, n);
  const int status = ::pclose(pipe);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, out};
}

// An RW's coverage counters of workers by state, as the tests compare them.
struct States {
  std::int64_t registered = 0, active = 0, arrears = 0, lapsed = 0, awaiting = 0;
  bool operator==(const States&) const = default;
};

inline void PrintTo(const States& s, std::ostream* os) {
  *os << "{registered " << s.registered << ", active " << s.active << ", arrears " << s.arrears << ", lapsed "
      << s.lapsed << ", awaiting " << s.awaiting << "}";
}

// Who makes a call: a subject, its roles, and the agent or sponsor id a role needs. By default
// a staff member who is both admin and branch officer, over every Jakarta branch: enough for the
// tests that are not about access (tests/e2e/access_test.cpp is).
struct As {
  std::string user = "e2e-staff";
  std::vector<std::string> roles = {"admin", "branch-officer"};
  std::string agent = {};
  std::string sponsor = {};
  std::vector<std::string> branches = {};  // empty: every Jakarta branch
  std::vector<std::string> areas = {};     // empty: area 31 (DKI Jakarta)
  std::string key() const {
    std::string k = user + "|" + agent + "|" + sponsor;
    for (const auto& list : {roles, branches, areas}) {
      k += "|";
      for (const auto& v : list) k += v + ",";
    }
    return k;
  }
};

// Watches every call a test makes through StackTest's channels: gives each its own trace id and
// remembers the method, the trace id and whether it succeeded, so that TearDown can check that
// every change a test made is in its service's audit trail.
class CallLog {
 public:
  struct Entry {
    std::string method;
    std::string trace_id;
    bool ok = false;
  };
  void add(Entry entry) {
    std::lock_guard lock(mutex_);
    entries_.push_back(std::move(entry));
  }
  std::vector<Entry> entries() const {
    std::lock_guard lock(mutex_);
    return entries_;
  }

 private:
  mutable std::mutex mutex_;
  std::vector<Entry> entries_;
};

class CallWatch final : public ::grpc::experimental::Interceptor {
 public:
  CallWatch(const char* method, CallLog& log) : method_(method != nullptr ? method : ""), log_(log) {}
  void Intercept(::grpc::experimental::InterceptorBatchMethods* methods) override {
    using Hook = ::grpc::experimental::InterceptionHookPoints;
    if (methods->QueryInterceptionHookPoint(Hook::PRE_SEND_INITIAL_METADATA)) {
      trace_id_ = new_id("t_");
      methods->GetSendInitialMetadata()->insert({"x-trace-id", trace_id_});
    }
    if (methods->QueryInterceptionHookPoint(Hook::POST_RECV_STATUS))
      log_.add({method_, trace_id_, methods->GetRecvStatus()->ok()});
    methods->Proceed();
  }

 private:
  std::string method_;
  std::string trace_id_;
  CallLog& log_;
};

class CallWatchFactory final : public ::grpc::experimental::ClientInterceptorFactoryInterface {
 public:
  explicit CallWatchFactory(CallLog& log) : log_(log) {}
  ::grpc::experimental::Interceptor* CreateClientInterceptor(
      ::grpc::experimental::ClientRpcInfo* info) override {
    return new CallWatch(info->method(), log_);
  }

 private:
  CallLog& log_;
};

class StackTest : public ::testing::Test {
 protected:
  // `name` names the temporary folder; `caller` is who calls when a call names nobody; with
  // `test_clock` every service runs on the stack's test clock (clock_file()); `adjust` changes
  // the stack's options last (its services, their settings).
  explicit StackTest(const std::string& name, As caller = {}, bool test_clock = false,
                     const std::function<void(stack::Options&)>& adjust = {})
      : dir_(name), caller_(std::move(caller)) {
    stack::Options options;
    options.run_dir = dir_.path() / "run";
    options.bin_dir = testing::bin_dir();
    options.config_dir = testing::source_dir() / "deploy" / "local";
    options.test_clock = test_clock;
    if (adjust) adjust(options);
    stack_ = std::make_unique<stack::Stack>(options);
  }

  void SetUp() override { stack_->start(); }

  // The test clock's file (Options::test_clock): written before SetUp, it is where the stack's
  // clock starts.
  std::filesystem::path clock_file() const { return dir_.path() / "run" / "clock"; }
  // Moves the test clock to an RFC 3339 instant (2026-04-01T00:05:00+07:00): before SetUp, where
  // the stack's clock starts; after, the services' calendars follow within a second.
  void move_clock(const std::string& instant) const {
    std::filesystem::create_directories(clock_file().parent_path());
    FileClock::write(clock_file().string(), *parse_utc(instant));
  }

  // Every change a test made through these channels is in the audit trail of the service that
  // made it, under the call's trace id, written with the change. Each service's trail is read
  // once, page by page, however many changes the test made (a chaos load makes thousands).
  void TearDown() override {
    if (stack_->members().empty()) return;
    std::map<std::string, std::vector<CallLog::Entry>> changes;  // by the member that made them
    for (const auto& call : calls_.entries()) {
      const auto* policy = auth::find_policy(call.method);
      if (call.ok && policy != nullptr && policy->access == auth::Access::kChange)
        changes[member_of(call.method)].push_back(call);
    }
    for (const auto& [member, calls] : changes) {
      ::grpc::Status status;
      const auto recorded = audit_trail(member, status);
      ASSERT_TRUE(recorded.has_value()) << member << "'s audit trail: " << status.error_message();
      for (const auto& call : calls) {
        EXPECT_TRUE(recorded->contains({call.trace_id, call.method}))
            << call.method << " (trace " << call.trace_id << ") changed state with no audit record";
      }
    }
  }

  // The (trace id, method) of every successful call in a member's audit trail, read as an
  // auditor a page at a time (each page starts at the last one's instant; records already seen
  // are skipped by id). nullopt when the trail does not answer.
  std::optional<std::set<std::pair<std::string, std::string>>> audit_trail(const std::string& member,
                                                                           ::grpc::Status& status) const {
    constexpr int kPage = 1000;  // ListAuditRecords' most
    auto audit = jaring::audit::v1::AuditService::NewStub(channel(member));
    std::set<std::pair<std::string, std::string>> out;
    std::set<std::string> seen;
    std::string from;
    for (;;) {
      jaring::audit::v1::ListAuditRecordsRequest request;
      request.set_from(from);
      request.set_limit(kPage);
      const auto page = try_call_as<jaring::audit::v1::ListAuditRecordsResponse>(
          [&](auto* context, auto* reply) { return audit->ListAuditRecords(context, request, reply); },
          As{"e2e-auditor", {"auditor"}}, &status);
      if (!page) return std::nullopt;
      int fresh = 0;
      for (const auto& record : page->records()) {
        if (!seen.insert(record.audit_id()).second) continue;
        ++fresh;
        if (record.result() == "OK") out.emplace(record.trace_id(), record.method());
      }
      // A short page is the end; a full page of records seen before means more than a page
      // within one millisecond, which paging by instant cannot pass (the check then fails loudly).
      if (page->records_size() < kPage || fresh == 0) return out;
      from = page->records(kPage - 1).at();
    }
  }

  // The stack member serving a full method name.
  static std::string member_of(const std::string& method) {
    static const std::map<std::string, std::string> kByPackage = {{"/jaring.registration.", "registration"},
                                                                  {"/jaring.contribution.", "contribution"},
                                                                  {"/jaring.claims.", "claims"},
                                                                  {"/jaring.csr.", "csr-donor"},
                                                                  {"/jaring.coverage.", "coverage"}};
    for (const auto& [prefix, member] : kByPackage) {
      if (method.starts_with(prefix)) return member;
    }
    return "registration";
  }

  std::shared_ptr<::grpc::Channel> channel(const std::string& service) const {
    std::vector<std::unique_ptr<::grpc::experimental::ClientInterceptorFactoryInterface>> watch;
    watch.push_back(std::make_unique<CallWatchFactory>(calls_));
    return ::grpc::experimental::CreateCustomChannelWithInterceptors(
        stack_->endpoints().services.at(service).grpc,
        jaring::grpc::channel_credentials(stack_->endpoints().tls), {}, std::move(watch));
  }

  // The bearer token of `as`, signed by the stack's key (one per caller, so the services'
  // verification cache sees the same token again).
  std::string token(const As& as) const {
    std::lock_guard lock(tokens_mutex_);
    auto& token = tokens_[as.key()];
    if (token.empty()) {
      auth::TokenClaims claims;
      claims.subject = as.user;
      claims.roles = as.roles;
      claims.branches = as.branches.empty() ? testing_branches() : as.branches;
      claims.areas = as.areas.empty() ? std::vector<std::string>{"31"} : as.areas;
      claims.agent = as.agent;
      claims.sponsor = as.sponsor;
      token = stack_->authority().token(claims);
    }
    return token;
  }
  // Sets the deadline and the caller's token on a client call.
  void prepare(::grpc::ClientContext& context, const As& as) const {
    grpc::set_deadline(context, std::chrono::seconds(20));
    grpc::authorize(context, token(as));
  }
  void prepare(::grpc::ClientContext& context) const { prepare(context, caller_); }

  // One unary call with a deadline, as `user` with `role` (else the test's caller):
  // fn(context, reply) returns the status, kept in `status`. nullopt on an error.
  template <typename Reply, typename Fn>
  std::optional<Reply> try_call(Fn&& fn, ::grpc::Status* status = nullptr, const std::string& user = "",
                                const std::string& role = "") const {
    return try_call_as<Reply>(std::forward<Fn>(fn), user.empty() ? caller_ : As{user, {role}}, status);
  }
  template <typename Reply, typename Fn>
  std::optional<Reply> try_call_as(Fn&& fn, const As& as, ::grpc::Status* status = nullptr) const {
    Reply reply;
    ::grpc::ClientContext context;
    prepare(context, as);
    const auto result = fn(&context, &reply);
    if (status != nullptr) *status = result;
    if (!result.ok()) return std::nullopt;
    return reply;
  }
  // The same, for calls that must succeed: a failure fails the test, naming `what`.
  template <typename Reply, typename Fn>
  Reply call(const std::string& what, Fn&& fn, const std::string& user = "",
             const std::string& role = "") const {
    ::grpc::Status status;
    auto reply = try_call<Reply>(std::forward<Fn>(fn), &status, user, role);
    EXPECT_TRUE(reply.has_value()) << what << ": " << status.error_message();
    return reply.value_or(Reply{});
  }

  static std::vector<std::string> testing_branches() {
    std::vector<std::string> out;
    for (const auto& b : areas::BranchMap::jakarta().branches()) out.push_back(b.code);
    return out;
  }

  testing::TempDir dir_;
  As caller_;
  mutable CallLog calls_;
  mutable std::mutex tokens_mutex_;
  mutable std::map<std::string, std::string> tokens_;
  std::unique_ptr<stack::Stack> stack_;
};

}  // namespace jaring::e2e
