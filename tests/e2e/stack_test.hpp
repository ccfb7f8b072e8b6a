#pragma once
// What the end-to-end tests share: the whole embedded stack (libs/stack) in a temporary folder,
// a channel to each service, and one unary call with a deadline as a given user.

#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include "jaring/grpc/server.hpp"
#include "jaring/stack/stack.hpp"
#include "jaring/testing/fixtures.hpp"

namespace jaring::e2e {

class StackTest : public ::testing::Test {
 protected:
  // `name` names the temporary folder; `caller` is who calls when a call names nobody.
  explicit StackTest(const std::string& name, grpc::Caller caller = {})
      : dir_(name), caller_(std::move(caller)) {
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

  // One unary call with a deadline, as `user` with `role` (else the test's caller):
  // fn(context, reply) returns the status, kept in `status`. nullopt on an error.
  template <typename Reply, typename Fn>
  std::optional<Reply> try_call(Fn&& fn, ::grpc::Status* status = nullptr, const std::string& user = "",
                                const std::string& role = "") const {
    Reply reply;
    ::grpc::ClientContext context;
    grpc::set_deadline(context, std::chrono::seconds(20));
    grpc::set_caller(context, user.empty() ? caller_ : grpc::Caller{user, role});
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

  testing::TempDir dir_;
  grpc::Caller caller_;
  std::unique_ptr<stack::Stack> stack_;
};

}  // namespace jaring::e2e
