#pragma once
// What the end-to-end tests share: the whole embedded stack (libs/stack) in a temporary folder,
// a channel to each service, and one unary call with a deadline as a given user, who carries a
// token signed by the stack's local key.

#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "jaring/grpc/edge.hpp"
#include "jaring/grpc/server.hpp"
#include "jaring/areas/areas.hpp"
#include "jaring/stack/stack.hpp"
#include "jaring/testing/fixtures.hpp"

namespace jaring::e2e {

// Who makes a call: a subject, its roles, and the agent or sponsor id a role needs. By default
// a staff member who is both admin and branch officer, over every Jakarta branch: enough for the
// tests that are not about access (tests/e2e/access_test.cpp is).
struct As {
  std::string user = "e2e-staff";
  std::vector<std::string> roles = {"admin", "branch-officer"};
  std::string agent = {};
  std::string sponsor = {};
  std::string key() const {
    std::string k = user + "|" + agent + "|" + sponsor;
    for (const auto& r : roles) k += "|" + r;
    return k;
  }
};

class StackTest : public ::testing::Test {
 protected:
  // `name` names the temporary folder; `caller` is who calls when a call names nobody.
  explicit StackTest(const std::string& name, As caller = {}) : dir_(name), caller_(std::move(caller)) {
    stack::Options options;
    options.run_dir = dir_.path() / "run";
    options.bin_dir = testing::bin_dir();
    options.config_dir = testing::source_dir() / "deploy" / "local";
    stack_ = std::make_unique<stack::Stack>(options);
  }

  void SetUp() override { stack_->start(); }

  std::shared_ptr<::grpc::Channel> channel(const std::string& service) const {
    return ::grpc::CreateChannel(stack_->endpoints().services.at(service).grpc,
                                 ::grpc::InsecureChannelCredentials());
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
      claims.branches = testing_branches();
      claims.areas = {"31"};
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
  mutable std::mutex tokens_mutex_;
  mutable std::map<std::string, std::string> tokens_;
  std::unique_ptr<stack::Stack> stack_;
};

}  // namespace jaring::e2e
