// Hostile input to contribution's mutating calls (issue #14): each refuses a value that is too
// long, carries control characters or a NIK, is negative, overflows, is missing or is an unknown
// code, naming the field; nothing is stored and nothing is published. And the payments that once
// wrapped an account's credit (two INT64_MAX payments made it -133,602) are refused.
#include <gtest/gtest.h>

#include <cstdint>
#include <functional>
#include <limits>

#include "contribution_fixture.hpp"
#include "jaring/store/outbox.hpp"

namespace jaring::contribution {
namespace {

constexpr auto kInt64Max = std::numeric_limits<std::int64_t>::max();

struct Case {
  const char* what;
  const char* field;  // the field the refusal must name
  std::function<Error()> call;
};

// The error of a call that must fail, or an internal error saying that it did not.
template <typename T>
Error refusal(const Result<T>& result) {
  return result ? Error::internal("the call succeeded") : result.error();
}

class BadInput : public testing::ContributionFixture {
 protected:
  void SetUp() override {
    open("p_1");
    open("p_2");
    auto paid = core_->pay({"pay-first", "p_2", "bank_va", "", "", 16'800, 1, ""}, {"teller"});
    ASSERT_TRUE(paid) << paid.error().message;
    payment_id_ = paid->id;
  }

  static PaymentCommand valid_payment() { return {"pay-1", "p_1", "bank_va", "", "", 16'800, 1, ""}; }
  Error paying(const std::function<void(PaymentCommand&)>& change) {
    auto c = valid_payment();
    change(c);
    return refusal(core_->pay(c));
  }
  Error paying_in_batch(const std::function<void(BatchCommand&)>& change) {
    BatchCommand c{"batch-1", "city_budget", "kel-pulogebang", "", {{"p_1", 16'800, 1}}, "RT/RW officials"};
    change(c);
    return refusal(core_->pay_batch(c));
  }
  Error reversing(const std::string& key, const std::string& payment_id, const std::string& reason) {
    return refusal(core_->reverse(key, payment_id, reason, {"supervisor"}));
  }

  // Rows of every table a refused call could write, and the outbox.
  std::int64_t written() {
    return store::outbox_backlog(*db_) + db_->read([](store::Database& db) {
      std::int64_t rows = 0;
      for (const char* table : {"payments", "allocations", "dues", "billing_runs", "idempotency_keys"}) {
        auto count = db.prepare(std::string("SELECT count(*) FROM ") + table);
        count.step();
        rows += count.column_int(0);
      }
      auto reversed = db.prepare("SELECT count(*) FROM payments WHERE reversed != 0");
      reversed.step();
      return rows + reversed.column_int(0);
    });
  }

  std::string payment_id_;
};

TEST_F(BadInput, EveryMutatingCallRefusesTheBadValueNamingTheFieldAndWritesNothing) {
  using P = PaymentCommand;
  using B = BatchCommand;
  const std::string nik_in_reason = "wrong worker, the right one is 3175 0612 3456 7890";
  const std::vector<Case> cases = {
      // MakePayment
      {"long participant id", "participant_id",
       [&] { return paying([](P& c) { c.participant_id.assign(65, 'p'); }); }},
      {"escape in payer id", "payer_id", [&] { return paying([](P& c) { c.payer_id = "kel\x1b[2J"; }); }},
      {"newline in agent id", "agent_id",
       [&] { return paying([](P& c) { c.agent_id = "a_1\nINFO forged"; }); }},
      {"negative amount", "amount", [&] { return paying([](P& c) { c.amount = -16'800; }); }},
      {"INT64_MAX amount", "amount", [&] { return paying([](P& c) { c.amount = kInt64Max; }); }},
      {"negative months", "months", [&] { return paying([](P& c) { c.months = -1; }); }},
      {"missing key", "idempotency_key", [&] { return paying([](P& c) { c.idempotency_key.clear(); }); }},
      {"long key", "idempotency_key",
       [&] { return paying([](P& c) { c.idempotency_key.assign(129, 'k'); }); }},
      {"missing participant", "participant_id",
       [&] { return paying([](P& c) { c.participant_id.clear(); }); }},
      {"unknown channel", "channel", [&] { return paying([](P& c) { c.channel = "bitcoin"; }); }},
      {"unknown months", "months", [&] { return paying([](P& c) { c.months = 5; }); }},
      {"bad period", "period", [&] { return paying([](P& c) { c.period = "2026-13"; }); }},
      // MakeBatchPayment
      {"batch: NIK in description", "description",
       [&] { return paying_in_batch([&](B& c) { c.description = nik_in_reason; }); }},
      {"batch: escape in description", "description",
       [&] { return paying_in_batch([](B& c) { c.description = "\x1b]0;pwned\x07"; }); }},
      {"batch: too many items", "items",
       [&] { return paying_in_batch([](B& c) {
               c.items.assign(kMaxBatchItems + 1, {"p_1", 16'800, 1});
             }); }},
      {"batch: missing key", "idempotency_key",
       [&] { return paying_in_batch([](B& c) { c.idempotency_key.clear(); }); }},
      {"batch: unknown channel", "channel",
       [&] { return paying_in_batch([](B& c) { c.channel = "cash"; }); }},
      {"batch: long payer", "payer_id",
       [&] { return paying_in_batch([](B& c) { c.payer_id.assign(65, 'x'); }); }},
      // ReversePayment
      {"reverse: NIK in reason", "reason", [&] { return reversing("rev-1", payment_id_, nik_in_reason); }},
      {"reverse: dotted NIK in reason", "reason",
       [&] { return reversing("rev-1", payment_id_, "NIK 31.75.06.120390.0001 paid twice"); }},
      {"reverse: long reason", "reason",
       [&] { return reversing("rev-1", payment_id_, std::string(501, 'r')); }},
      {"reverse: missing reason", "reason", [&] { return reversing("rev-1", payment_id_, ""); }},
      {"reverse: escape in reason", "reason",
       [&] { return reversing("rev-1", payment_id_, "paid\x1b[8m twice"); }},
      {"reverse: control in payment id", "payment_id",
       [&] { return reversing("rev-1", "pay_\r1", "paid twice"); }},
      {"reverse: missing key", "idempotency_key", [&] { return reversing("", payment_id_, "paid twice"); }},
      // RunBilling
      {"billing: missing key", "idempotency_key", [&] { return refusal(core_->run_billing("", "2026-03")); }},
      {"billing: key with an escape", "idempotency_key",
       [&] { return refusal(core_->run_billing("bill\x1b[2J", "2026-03")); }},
      {"billing: unknown period", "period", [&] { return refusal(core_->run_billing("bill-1", "March")); }},
  };
  const auto before = written();
  for (const auto& c : cases) {
    const auto error = c.call();
    EXPECT_EQ(error.code, ErrorCode::kInvalidArgument) << c.what << ": " << error.message;
    bool named = false;
    for (const auto& v : error.violations) named = named || v.field == c.field;
    EXPECT_TRUE(named) << c.what << ": the refusal names no " << c.field << " (" << error.message << ")";
    EXPECT_EQ(error.message.find("3175"), std::string::npos) << c.what << ": the NIK came back";
    EXPECT_EQ(written(), before) << c.what << ": something was stored or published";
  }
}

TEST_F(BadInput, TwoInt64MaxPaymentsAreRefusedAndTheCreditStaysWhole) {
  for (const char* key : {"max-1", "max-2"}) {
    auto paid = core_->pay({key, "p_1", "bank_va", "", "", kInt64Max, 12, ""});
    ASSERT_FALSE(paid);
    EXPECT_EQ(paid.error().code, ErrorCode::kInvalidArgument);
    ASSERT_EQ(paid.error().violations.size(), 1u);
    EXPECT_EQ(paid.error().violations[0].field, "amount");
  }
  EXPECT_EQ(core_->account("p_1")->credit, 0);
}

TEST_F(BadInput, APaymentMayBringTheOpenMonthsAndTwelveMonthsAheadAndNoMore) {
  // p_1 owes nothing yet; its charge is Rp16,800 a month (pkk, self, JKK+JKM on the lowest band).
  auto too_much = core_->pay({"ahead-1", "p_1", "bank_va", "", "", 12 * 16'800 + 1, 12, ""});
  ASSERT_FALSE(too_much);
  EXPECT_NE(too_much.error().message.find("Rp201.600"), std::string::npos) << too_much.error().message;
  auto year = core_->pay({"ahead-2", "p_1", "bank_va", "", "", Rupiah{12} * 16'800, 12, ""});
  ASSERT_TRUE(year) << year.error().message;
  // The year is paid: the next payment may bring only 12 more months, less nothing held.
  auto again = core_->pay({"ahead-3", "p_1", "bank_va", "", "", 12 * 16'800 + 1, 12, ""});
  EXPECT_FALSE(again);
}

}  // namespace
}  // namespace jaring::contribution
