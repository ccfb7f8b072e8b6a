#include <gtest/gtest.h>

#include "core/registration.hpp"
#include "fake_store.hpp"

namespace jaring::registration {
namespace {

using namespace std::chrono;

RegisterCommand valid_worker() {
  RegisterCommand c;
  c.idempotency_key = "k-1";
  c.nik = "3172011505900001";
  c.name = "Budi Santoso";
  c.birth_date = "1990-05-15";
  c.sex = "M";
  c.phone = "081234567890";
  c.rw_code = "31.75.06.1005.002";
  c.rt = 3;
  c.category = "ojol_driver";
  c.income_band = 1'000'000;
  c.programs = "jkk+jkm";
  c.payer = "self";
  return c;
}

class RegistrationCore : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(core_.create_rw("31.75.06.1005", 2, 0)); }

  std::vector<FieldViolation> violations_of(const RegisterCommand& command) {
    auto result = core_.register_participant(command);
    EXPECT_FALSE(result);
    if (result) return {};
    EXPECT_EQ(result.error().code, ErrorCode::kInvalidArgument);
    return result.error().violations;
  }

  testing::FakeStore store_;
  FixedClock clock_{sys_days{year{2026} / November / 21} + hours{3}};
  Registration core_{store_, areas::Registry::jakarta(), areas::BranchMap::jakarta(), clock_};
};

TEST_F(RegistrationCore, CreatesAnRwWithTheDefaultTargetAndAnEvent) {
  const auto& rw = store_.rws.at("31.75.06.1005.002");
  EXPECT_EQ(rw.target, 100);
  EXPECT_EQ(rw.kelurahan_name, "Pulo Gebang");
  ASSERT_EQ(store_.events.size(), 1u);
  EXPECT_TRUE(std::holds_alternative<RwCreatedEvent>(store_.events[0]));
}

TEST_F(RegistrationCore, RefusesRwsOutsideKnownKelurahanOrNumbers) {
  auto bad = core_.create_rw("31.75.06.9999", 0, -1);
  ASSERT_FALSE(bad);
  ASSERT_EQ(bad.error().violations.size(), 3u);
  EXPECT_EQ(bad.error().violations[0].field, "kelurahan_code");
  EXPECT_EQ(bad.error().violations[1].field, "number");
  EXPECT_EQ(bad.error().violations[2].field, "target");
  EXPECT_EQ(core_.create_rw("31.75.06.1005", 2, 0).error().code, ErrorCode::kAlreadyExists);
}

TEST_F(RegistrationCore, RegistersAValidWorkerOnce) {
  auto first = core_.register_participant(valid_worker());
  ASSERT_TRUE(first) << first.error().message;
  EXPECT_EQ(first->status, "active");
  EXPECT_EQ(first->registered_at, "2026-11-21T03:00:00.000Z");
  EXPECT_TRUE(first->id.starts_with("p_"));

  auto retried = core_.register_participant(valid_worker());  // same idempotency key
  ASSERT_TRUE(retried);
  EXPECT_EQ(retried->id, first->id);
  EXPECT_EQ(store_.participants.size(), 1u);

  auto again = valid_worker();
  again.idempotency_key = "k-2";
  auto duplicate = core_.register_participant(again);
  ASSERT_FALSE(duplicate);
  EXPECT_EQ(duplicate.error().code, ErrorCode::kAlreadyExists);
  EXPECT_NE(duplicate.error().message.find(first->id), std::string::npos);
}

// A retry answers with what its key registered even when the command would be refused now: the
// key is looked up then, since the write that finds it is not reached.
TEST_F(RegistrationCore, ARetriedKeyAnswersTheFirstRegistrationEvenWhenTheRetryIsInvalid) {
  auto first = core_.register_participant(valid_worker());
  ASSERT_TRUE(first) << first.error().message;
  auto broken = valid_worker();
  broken.nik = "12";
  auto retried = core_.register_participant(broken);
  ASSERT_TRUE(retried) << retried.error().message;
  EXPECT_EQ(retried->id, first->id);
  broken.idempotency_key = "k-new";
  EXPECT_EQ(core_.register_participant(broken).error().violations.at(0).field, "nik");
  EXPECT_EQ(store_.participants.size(), 1U);
}

struct FieldCase {
  const char* name;
  void (*change)(RegisterCommand&);
  const char* field;
  const char* rule_part;
};

class FieldRules : public RegistrationCore, public ::testing::WithParamInterface<FieldCase> {};

TEST_P(FieldRules, RejectWithTheFieldAndTheRule) {
  auto command = valid_worker();
  GetParam().change(command);
  const auto violations = violations_of(command);
  ASSERT_EQ(violations.size(), 1u) << GetParam().name;
  EXPECT_EQ(violations[0].field, GetParam().field);
  EXPECT_NE(violations[0].rule.find(GetParam().rule_part), std::string::npos) << violations[0].rule;
  EXPECT_TRUE(store_.participants.empty());
  EXPECT_EQ(store_.events.size(), 1u);  // only the RW's
}

INSTANTIATE_TEST_SUITE_P(
    EveryField, FieldRules,
    ::testing::Values(
        FieldCase{"short nik", [](RegisterCommand& c) { c.nik = "317201150590"; }, "nik", "16 digits"},
        FieldCase{"missing name", [](RegisterCommand& c) { c.name = "  "; }, "name", "required"},
        FieldCase{"long name", [](RegisterCommand& c) { c.name = std::string(101, 'a'); }, "name", "100"},
        FieldCase{"birth date form", [](RegisterCommand& c) { c.birth_date = "15-05-1990"; }, "birth_date",
                  "YYYY-MM-DD"},
        FieldCase{"birth date vs nik", [](RegisterCommand& c) { c.birth_date = "1990-05-16"; }, "birth_date",
                  "1990-05-15"},
        FieldCase{"sex code", [](RegisterCommand& c) { c.sex = "L"; }, "sex", "M or F"},
        FieldCase{"sex vs nik", [](RegisterCommand& c) { c.sex = "F"; }, "sex", "NIK"},
        FieldCase{"phone", [](RegisterCommand& c) { c.phone = "12345"; }, "phone", "08"},
        FieldCase{"rw form", [](RegisterCommand& c) { c.rw_code = "RW 02"; }, "rw_code",
                  "like 31.75.06.1005.002"},
        FieldCase{"unknown rw", [](RegisterCommand& c) { c.rw_code = "31.75.06.1005.099"; }, "rw_code",
                  "registry"},
        FieldCase{"rt", [](RegisterCommand& c) { c.rt = 0; }, "rt", "1 to 999"},
        FieldCase{"category", [](RegisterCommand& c) { c.category = "farmer"; }, "category", "ojol_driver"},
        FieldCase{"income", [](RegisterCommand& c) { c.income_band = 999'999; }, "income_band", "1000000"},
        FieldCase{"programs", [](RegisterCommand& c) { c.programs = "jht"; }, "programs", "jkk+jkm"},
        FieldCase{"payer", [](RegisterCommand& c) { c.payer = "employer"; }, "payer", "city_budget"}),
    [](const auto& info) {
      std::string name = info.param.name;
      for (auto& ch : name) {
        if (ch == ' ') ch = '_';
      }
      return name;
    });

TEST_F(RegistrationCore, ReportsEveryBadFieldAtOnce) {
  RegisterCommand empty;
  const auto violations = violations_of(empty);
  std::vector<std::string> fields;
  fields.reserve(violations.size());
  for (const auto& v : violations) fields.push_back(v.field);
  EXPECT_EQ(fields, (std::vector<std::string>{"nik", "name", "birth_date", "sex", "rw_code", "rt", "category",
                                              "income_band", "programs", "payer"}));
}

TEST_F(RegistrationCore, GetParticipantNamesWhatIsMissing) {
  EXPECT_EQ(core_.get_participant("").error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(core_.get_participant("p_nobody").error().code, ErrorCode::kNotFound);
}

}  // namespace
}  // namespace jaring::registration
