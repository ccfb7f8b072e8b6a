// The core's rules for a participation after registration: update, move, exit, look-ups,
// paging, export, agents and bulk registration.
#include <gtest/gtest.h>

#include "core/registration.hpp"
#include "fake_store.hpp"
#include "jaring/sample/sample.hpp"

namespace jaring::registration {
namespace {

const auth::Scope kEveryone = auth::Scope::everything();

using namespace std::chrono;

class Lifecycle : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(core_.create_rw("31.75.06.1005", 1, 0));
    ASSERT_TRUE(core_.create_rw("31.75.06.1005", 2, 0));
    ASSERT_TRUE(core_.create_rw("31.75.08.1001", 1, 0));  // Makasar: another branch
    auto agent =
        core_.register_agent({"ag-1", "Rina Perisai", "081298765432", "pulogebang", "Perisai Cakung"});
    ASSERT_TRUE(agent) << agent.error().message;
    agent_id_ = agent->id;
  }

  RegisterCommand worker(std::uint64_t serial, const std::string& rw = "31.75.06.1005.001") {
    const auto w = generator_.worker(serial);
    RegisterCommand c;
    c.idempotency_key = "k-" + std::to_string(serial);
    c.nik = w.nik;
    c.name = w.name;
    c.birth_date = w.birth_date;
    c.sex = w.sex;
    c.rw_code = rw;
    c.rt = w.rt;
    c.category = w.category == "construction_worker" ? "ojol_driver" : w.category;
    c.income_band = w.income_band;
    c.programs = w.programs;
    c.payer = w.payer;
    c.agent_id = agent_id_;
    return c;
  }

  Participant registered(std::uint64_t serial) {
    auto p = core_.register_participant(worker(serial));
    EXPECT_TRUE(p) << p.error().message;
    return *p;
  }

  template <typename T>
  const T& last_event() {
    return std::get<T>(store_.events.back());
  }

  testing::FakeStore store_;
  sample::Generator generator_{11};
  FixedClock clock_{sys_days{year{2026} / November / 21} + hours{3}};
  Registration core_{store_, areas::Registry::jakarta(), areas::BranchMap::jakarta(), clock_};
  std::string agent_id_;
};

TEST_F(Lifecycle, RegistrationRecordsTheBranchOfTheRwAndTheAgent) {
  const auto p = registered(1);
  EXPECT_EQ(p.branch_code, "pulogebang");
  EXPECT_EQ(p.agent_id, agent_id_);
  auto unknown_agent = worker(2);
  unknown_agent.agent_id = "a_nobody";
  EXPECT_EQ(core_.register_participant(unknown_agent).error().violations.at(0).field, "agent_id");
}

TEST_F(Lifecycle, ConstructionWorkersMayHaveAProjectEndOthersMayNot) {
  auto builder = worker(3);
  builder.category = "construction_worker";
  builder.project_end_date = "2027-03-31";
  auto p = core_.register_participant(builder);
  ASSERT_TRUE(p) << p.error().message;
  EXPECT_EQ(p->project_end_date, "2027-03-31");

  auto past = worker(4);
  past.category = "construction_worker";
  past.project_end_date = "2026-01-31";
  EXPECT_EQ(core_.register_participant(past).error().violations.at(0).field, "project_end_date");

  auto vendor = worker(5);
  vendor.category = "street_vendor";
  vendor.project_end_date = "2027-03-31";
  EXPECT_NE(
      core_.register_participant(vendor).error().violations.at(0).rule.find("only for construction_worker"),
      std::string::npos);
}

TEST_F(Lifecycle, UpdateChangesOnlyWhatIsGivenAndAnnouncesThePreviousPayer) {
  const auto p = registered(6);
  UpdateCommand update{"u-1", p.id, "081311112222", std::nullopt, 2'000'000, "city_budget", std::nullopt};
  auto updated = core_.update_participant(update);
  ASSERT_TRUE(updated) << updated.error().message;
  EXPECT_EQ(updated->phone, "081311112222");
  EXPECT_EQ(updated->income_band, 2'000'000);
  EXPECT_EQ(updated->payer, "city_budget");
  EXPECT_EQ(updated->category, p.category);
  EXPECT_EQ(last_event<ParticipantUpdatedEvent>().previous_payer, p.payer);

  const auto events = store_.events.size();
  EXPECT_TRUE(core_.update_participant(update));  // a retry: same answer, no new event
  EXPECT_EQ(store_.events.size(), events);

  UpdateCommand nothing{"u-2", p.id, std::nullopt, std::nullopt, std::nullopt, std::nullopt, std::nullopt};
  EXPECT_EQ(core_.update_participant(nothing).error().code, ErrorCode::kInvalidArgument);
  UpdateCommand bad{"u-3", p.id, "12", "farmer", 10, "boss", "jht"};
  EXPECT_EQ(core_.update_participant(bad).error().violations.size(), 5u);
}

TEST_F(Lifecycle, MoveCarriesBothRwsAndTheNewBranch) {
  const auto p = registered(7);
  auto moved = core_.move_participant({"m-1", p.id, "31.75.08.1001.001", 4, "2026-11-20"});
  ASSERT_TRUE(moved) << moved.error().message;
  EXPECT_EQ(moved->rw_code, "31.75.08.1001.001");
  EXPECT_EQ(moved->branch_code, "ceger");
  const auto& event = last_event<ParticipantMovedEvent>();
  EXPECT_EQ(event.from_rw_code, "31.75.06.1005.001");
  EXPECT_EQ(event.participant.rw_code, "31.75.08.1001.001");

  auto same = core_.move_participant({"m-2", p.id, "31.75.08.1001.001", 4, "2026-11-20"});
  EXPECT_NE(same.error().violations.at(0).rule.find("must differ"), std::string::npos);
  auto future = core_.move_participant({"m-3", p.id, "31.75.06.1005.002", 4, "2026-12-01"});
  EXPECT_EQ(future.error().violations.at(0).field, "moved_on");
  auto unknown = core_.move_participant({"m-4", p.id, "31.75.06.1005.050", 4, "2026-11-20"});
  EXPECT_EQ(unknown.error().violations.at(0).field, "to_rw_code");
}

TEST_F(Lifecycle, FactsKeepTheBandsAndBranchesOfTheParticipationByDay) {
  const auto p = registered(9);  // 2026-11-21 in Jakarta
  const auto q = registered(10);
  auto facts = core_.participant_facts(p.id);
  ASSERT_TRUE(facts) << facts.error().message;
  EXPECT_TRUE(facts->history.empty());  // nothing changed: a registration writes no history
  EXPECT_EQ(registered_on(facts->participant), "2026-11-21");

  // A new band counts from the day it is declared; a second change that day replaces it.
  clock_.set(sys_days{year{2026} / November / 25} + hours{20});  // 26 November in Jakarta
  ASSERT_TRUE(core_.update_participant(
      {"u-1", p.id, std::nullopt, std::nullopt, 3'000'000, std::nullopt, std::nullopt}));
  ASSERT_TRUE(core_.update_participant(
      {"u-2", p.id, std::nullopt, std::nullopt, 3'500'000, std::nullopt, std::nullopt}));
  // Changing the phone is no band change.
  ASSERT_TRUE(core_.update_participant(
      {"u-3", p.id, "081311112222", std::nullopt, std::nullopt, std::nullopt, std::nullopt}));
  // The new branch serves them from the day of the move; a move within a branch changes none.
  ASSERT_TRUE(core_.create_rw("31.75.08.1001", 2, 0));
  ASSERT_TRUE(core_.move_participant({"m-1", p.id, "31.75.08.1001.001", 4, "2026-11-23"}));
  ASSERT_TRUE(core_.move_participant({"m-2", p.id, "31.75.08.1001.002", 5, "2026-11-24"}));
  // Backdated before the last change, a move counts from that change's day: the last entry
  // stays the branch serving them now.
  ASSERT_TRUE(core_.move_participant({"m-3", p.id, "31.75.06.1005.002", 6, "2026-11-22"}));

  facts = core_.participant_facts(p.id);
  ASSERT_TRUE(facts) << facts.error().message;
  const auto& bands = facts->history.bands;
  ASSERT_EQ(bands.size(), 2u);
  EXPECT_EQ(bands[0].since, "2026-11-21");
  EXPECT_EQ(bands[0].income_band, p.income_band);
  EXPECT_EQ(bands[1].since, "2026-11-26");
  EXPECT_EQ(bands[1].income_band, 3'500'000);
  const auto& branches = facts->history.branches;
  ASSERT_EQ(branches.size(), 2u);
  EXPECT_EQ(branches[0].since, "2026-11-21");
  EXPECT_EQ(branches[0].branch_code, "pulogebang");
  EXPECT_EQ(branches[1].since, "2026-11-23");
  EXPECT_EQ(branches[1].branch_code, "pulogebang");
  EXPECT_EQ(facts->participant.branch_code, "pulogebang");
  EXPECT_EQ(facts->participant.income_band, 3'500'000);

  // A move backdated before the registration counts from the registration day.
  ASSERT_TRUE(core_.move_participant({"m-4", q.id, "31.75.08.1001.001", 4, "2026-11-19"}));
  facts = core_.participant_facts(q.id);
  ASSERT_TRUE(facts) << facts.error().message;
  ASSERT_EQ(facts->history.branches.size(), 1u);
  EXPECT_EQ(facts->history.branches[0].since, "2026-11-21");
  EXPECT_EQ(facts->history.branches[0].branch_code, "ceger");
  EXPECT_TRUE(facts->history.bands.empty());

  EXPECT_EQ(core_.participant_facts("p_nobody").error().code, ErrorCode::kNotFound);
  EXPECT_EQ(core_.participant_facts("bad id!").error().violations.at(0).field, "participant_id");
}

TEST_F(Lifecycle, ExitEndsTheParticipationAndFreesTheNik) {
  const auto p = registered(8);
  EXPECT_EQ(core_.exit_participant({"x-0", p.id, "retired", "2026-11-20"}).error().violations.at(0).field,
            "reason");
  EXPECT_EQ(core_.exit_participant({"x-0", p.id, "death", "2025-01-01"}).error().violations.at(0).field,
            "exit_date");
  auto exited = core_.exit_participant({"x-1", p.id, "death", "2026-11-21"});
  ASSERT_TRUE(exited) << exited.error().message;
  EXPECT_EQ(exited->status, "exited");
  EXPECT_EQ(last_event<ParticipantExitedEvent>().participant.exit_reason, "death");

  // An exited participation cannot change any more.
  EXPECT_EQ(core_.move_participant({"m-9", p.id, "31.75.06.1005.002", 1, "2026-11-21"}).error().code,
            ErrorCode::kFailedPrecondition);
  // The NIK may be registered again (e.g. after becoming a wage earner and leaving again).
  auto again = worker(8);
  again.idempotency_key = "k-8-again";
  auto second = core_.register_participant(again);
  ASSERT_TRUE(second) << second.error().message;
  EXPECT_EQ(core_.find_by_nik(again.nik)->id, second->id);
}

TEST_F(Lifecycle, APaidDeathClaimEndsTheParticipationExactlyOnce) {
  const auto p = registered(9);
  const auto events_before = store_.events.size();
  auto ended = core_.end_by_paid_claim("ev-1", p.id, "2026-11-21");
  ASSERT_TRUE(ended) << ended.error().message;
  ASSERT_TRUE(*ended);
  EXPECT_EQ((*ended)->status, "exited");
  EXPECT_EQ(last_event<ParticipantExitedEvent>().participant.exit_reason, "death");
  EXPECT_EQ(last_event<ParticipantExitedEvent>().participant.exit_date, "2026-11-21");
  EXPECT_EQ(store_.events.size(), events_before + 1);

  // The same event again, or another paid claim of the same death, changes nothing.
  EXPECT_FALSE(*core_.end_by_paid_claim("ev-1", p.id, "2026-11-21"));
  EXPECT_FALSE(*core_.end_by_paid_claim("ev-2", p.id, "2026-11-21"));
  EXPECT_EQ(store_.events.size(), events_before + 1);

  EXPECT_EQ(core_.end_by_paid_claim("ev-3", "p_unknown", "2026-11-21").error().code, ErrorCode::kNotFound);
  const auto q = registered(10);
  EXPECT_EQ(core_.end_by_paid_claim("ev-4", q.id, "2026-12-01").error().violations.at(0).field, "exit_date");
}

TEST_F(Lifecycle, ThePayerFollowsTheSponsorship) {
  auto c = worker(11);
  c.payer = "self";
  const auto p = *core_.register_participant(c);

  auto joined = core_.follow_sponsorship("ev-1", p.id, true, "csr_company");
  ASSERT_TRUE(joined && *joined);
  EXPECT_EQ((*joined)->payer, "sponsor");
  EXPECT_EQ(last_event<ParticipantUpdatedEvent>().previous_payer, "self");
  const auto events_after_join = store_.events.size();
  // Redelivered, or a move of a sponsored worker: the payer is already right.
  EXPECT_FALSE(*core_.follow_sponsorship("ev-1", p.id, true, "csr_company"));
  EXPECT_FALSE(*core_.follow_sponsorship("ev-2", p.id, true, "philanthropy"));
  EXPECT_EQ(store_.events.size(), events_after_join);

  EXPECT_EQ((*core_.follow_sponsorship("ev-3", p.id, false, "csr_company"))->payer, "self");
  EXPECT_EQ((*core_.follow_sponsorship("ev-4", p.id, true, "city_budget"))->payer, "city_budget");
  EXPECT_EQ(core_.get_participant(p.id)->payer, "city_budget");
  EXPECT_EQ(core_.follow_sponsorship("ev-5", "p_unknown", true, "csr_company").error().code,
            ErrorCode::kNotFound);
}

TEST_F(Lifecycle, FindByNikValidatesTheNik) {
  const auto p = registered(9);
  EXPECT_EQ(core_.find_by_nik(p.nik)->id, p.id);
  EXPECT_EQ(core_.find_by_nik("123").error().violations.at(0).field, "nik");
  EXPECT_EQ(core_.find_by_nik("3172011505900009").error().code, ErrorCode::kNotFound);
}

TEST_F(Lifecycle, ListByRwPagesThroughEveryParticipantOnce) {
  for (std::uint64_t i = 100; i < 125; ++i) registered(i);
  std::set<std::string> seen;
  std::string token;
  int pages = 0;
  do {
    auto page = core_.list_by_rw("31.75.06.1005.001", 10, token, kEveryone);
    ASSERT_TRUE(page);
    for (const auto& p : page->participants) EXPECT_TRUE(seen.insert(p.id).second);
    token = page->next_page_token;
    ++pages;
  } while (!token.empty());
  EXPECT_EQ(seen.size(), 25u);
  EXPECT_EQ(pages, 3);
  EXPECT_EQ(core_.list_by_rw("31.75.06.1005.001", 5000, "", kEveryone).error().violations.at(0).field,
            "page_size");
}

TEST_F(Lifecycle, AListHoldsOnlyWhatTheScopeLetsTheCallerSee) {
  for (std::uint64_t i = 300; i < 306; ++i) registered(i);
  const auto all = core_.list_by_rw("31.75.06.1005.001", 100, "", kEveryone);
  ASSERT_TRUE(all);
  ASSERT_EQ(all->participants.size(), 6u);
  auth::Scope elsewhere;
  elsewhere.branches = {"no-such-branch"};
  EXPECT_TRUE(core_.list_by_rw("31.75.06.1005.001", 100, "", elsewhere)->participants.empty());
  auth::Scope branch;
  branch.branches = {all->participants[0].branch_code};
  EXPECT_EQ(core_.list_by_rw("31.75.06.1005.001", 100, "", branch)->participants.size(), 6u);
  auth::Scope area;
  area.areas = {"31.75.06.1005"};
  EXPECT_EQ(core_.list_by_rw("31.75.06.1005.001", 100, "", area)->participants.size(), 6u);
  area.areas = {"31.75.06.100"};  // a prefix of digits is not an area
  EXPECT_TRUE(core_.list_by_rw("31.75.06.1005.001", 100, "", area)->participants.empty());
}

TEST_F(Lifecycle, ExportSkipsExitedUnlessAsked) {
  const auto a = registered(200);
  registered(201);
  ASSERT_TRUE(core_.exit_participant({"x-200", a.id, "moved_away", "2026-11-21"}));
  int active = 0, all = 0;
  ASSERT_TRUE(core_.export_all(false, [&](const Participant&) { return ++active, true; }));
  ASSERT_TRUE(core_.export_all(true, [&](const Participant&) { return ++all, true; }));
  EXPECT_EQ(active, 1);
  EXPECT_EQ(all, 2);
}

TEST_F(Lifecycle, AgentRegistrationsAreCountedByJakartaMonth) {
  registered(300);
  clock_.set(sys_days{year{2026} / November / 30} + hours{18});  // 1 December 01:00 in Jakarta
  registered(301);
  EXPECT_EQ(core_.agent_registrations(agent_id_, "2026-11")->size(), 1u);
  EXPECT_EQ(core_.agent_registrations(agent_id_, "2026-12")->size(), 1u);
  EXPECT_EQ(core_.agent_registrations(agent_id_, "2026-13").error().violations.at(0).field, "month");
  // Found by registration_grpc_fuzz: a year far out overflowed the month's bounds as instants.
  EXPECT_EQ(core_.agent_registrations(agent_id_, "0026-11").error().violations.at(0).field, "month");
  EXPECT_EQ(core_.agent_registrations(agent_id_, "9999-12").error().violations.at(0).field, "month");
  EXPECT_EQ(core_.agent_registrations("a_x", "2026-11").error().violations.at(0).field, "agent_id");
  auto bad = core_.register_agent({"", "", "1", "nowhere", ""});
  EXPECT_EQ(bad.error().violations.size(), 4u);
}

TEST_F(Lifecycle, BulkRegistersGoodRowsAndReportsEachBadOrRepeatedOne) {
  std::vector<RegisterCommand> rows{worker(400), worker(401), worker(402)};
  rows[1].nik = "12";       // bad
  rows.push_back(rows[0]);  // the same worker again in the batch, under another key
  rows.back().idempotency_key = "other-key";
  const auto outcomes = core_.register_bulk(rows);
  ASSERT_EQ(outcomes.size(), 4u);
  EXPECT_TRUE(outcomes[0].result);
  EXPECT_FALSE(outcomes[0].already_present);
  EXPECT_EQ(outcomes[1].result.error().violations.at(0).field, "nik");
  EXPECT_TRUE(outcomes[2].result);
  EXPECT_EQ(outcomes[3].result.error().code, ErrorCode::kAlreadyExists);
  EXPECT_TRUE(outcomes[3].already_present);

  // Importing the same rows again adds nothing.
  const auto again = core_.register_bulk(rows);
  EXPECT_TRUE(again[0].already_present);
  EXPECT_EQ(again[0].result->id, outcomes[0].result->id);
  EXPECT_TRUE(again[2].already_present);
  EXPECT_EQ(store_.participants.size(), 2u);
}

TEST_F(Lifecycle, UpdateRwSetsTargetsAndDeactivatesRegistration) {
  auto rw = core_.update_rw({"31.75.06.1005.002", 150, std::nullopt});
  ASSERT_TRUE(rw);
  EXPECT_EQ(rw->target, 150);
  ASSERT_TRUE(core_.update_rw({"31.75.06.1005.002", std::nullopt, false}));
  EXPECT_FALSE(last_event<RwUpdatedEvent>().rw.active);
  EXPECT_EQ(core_.register_participant(worker(500, "31.75.06.1005.002")).error().violations.at(0).field,
            "rw_code");
  EXPECT_EQ(core_.update_rw({"31.75.06.1005.077", 10, std::nullopt}).error().code, ErrorCode::kNotFound);
  EXPECT_EQ(core_.update_rw({"31.75.06.1005.002", std::nullopt, std::nullopt}).error().code,
            ErrorCode::kInvalidArgument);
}

}  // namespace
}  // namespace jaring::registration
