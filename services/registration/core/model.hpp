#pragma once
// Registration's domain: RWs, participants, agents, and the events that announce changes.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "jaring/common/codes.hpp"
#include "jaring/common/result.hpp"

namespace jaring::registration {

// Codes used in files and APIs (DESIGN.md section 2).
using codes::kCategories;
using codes::kPayers;
using codes::kPrograms;
inline constexpr std::string_view kExitReasons[] = {"death", "moved_away", "became_wage_earner"};
inline constexpr std::string_view kConstructionWorker = "construction_worker";
inline constexpr int kDefaultRwTarget = 100;
using codes::kLowestIncomeBand;
using codes::kTopIncomeBand;

struct Rw {
  std::string code;  // 31.75.06.1005.002
  std::string kelurahan_code;
  std::string kelurahan_name;
  int target = kDefaultRwTarget;
  bool active = true;
};

struct Participant {
  std::string id;
  std::string nik;
  std::string name;
  std::string birth_date;  // YYYY-MM-DD
  char sex = 'M';
  std::string phone;
  std::string rw_code;
  int rt = 0;
  std::string category;
  std::int64_t income_band = 0;
  std::string programs;
  std::string payer;
  std::string agent_id;
  std::string branch_code;
  std::string status = "active";  // active | exited
  std::string registered_at;      // RFC 3339 UTC
  std::string project_end_date;   // construction workers covered for a project
  std::string exit_reason;
  std::string exit_date;
};

// The Asia/Jakarta calendar day a participation began (the date of registered_at, an RFC 3339 UTC
// instant, in Jakarta; the text's own date if it is not one).
std::string registered_on(const Participant& participant);

// A participant's income band, or the branch office serving them, in force from a day on
// (YYYY-MM-DD, Asia/Jakarta) until the next entry's day. A claim is judged by the band and branch
// in force on its event date, not by the latest ones.
struct BandSince {
  std::string since;
  std::int64_t income_band = 0;
};
struct BranchSince {
  std::string since;
  std::string branch_code;
};
// The bands and branches of one participation, oldest first, one entry a day. A field's list is
// empty while it never changed (the participant's own value held from the registration day on);
// its first change adds the value before it from that day, so the last entry is the current value.
// Kept only on changes, which are rare: a registration writes none.
struct History {
  std::vector<BandSince> bands;
  std::vector<BranchSince> branches;

  bool empty() const { return bands.empty() && branches.empty(); }
};

// What another service needs of a participant to decide on it: the participation without
// personal data (its NIK, name, birth date and phone empty), with its history.
struct ParticipantFacts {
  Participant participant;
  History history;
};

struct Agent {
  std::string id;
  std::string name;
  std::string phone;
  std::string branch_code;
  std::string organisation;
  std::string registered_at;
};

// What a caller asks to register, before validation.
struct RegisterCommand {
  std::string idempotency_key;
  std::string nik;
  std::string name;
  std::string birth_date;
  std::string sex;
  std::string phone;
  std::string rw_code;
  int rt = 0;
  std::string category;
  std::int64_t income_band = 0;
  std::string programs;
  std::string payer;
  std::string agent_id;
  std::string project_end_date;
};

struct UpdateCommand {
  std::string idempotency_key;
  std::string participant_id;
  std::optional<std::string> phone;
  std::optional<std::string> category;
  std::optional<std::int64_t> income_band;
  std::optional<std::string> payer;
  std::optional<std::string> programs;
};

struct MoveCommand {
  std::string idempotency_key;
  std::string participant_id;
  std::string to_rw_code;
  int rt = 0;
  std::string moved_on;  // YYYY-MM-DD
};

struct ExitCommand {
  std::string idempotency_key;
  std::string participant_id;
  std::string reason;
  std::string exit_date;  // YYYY-MM-DD
};

struct AgentCommand {
  std::string idempotency_key;
  std::string name;
  std::string phone;
  std::string branch_code;
  std::string organisation;
};

struct RwChange {
  std::string code;
  std::optional<int> target;
  std::optional<bool> active;
};

struct ParticipantPage {
  std::vector<Participant> participants;
  std::string next_page_token;  // empty on the last page
};

// The outcome of one row of a bulk registration.
struct BulkOutcome {
  Result<Participant> result;
  bool already_present = false;  // the NIK was already active (a re-import): nothing added
};

// Events registration publishes. They never hold a NIK or a name: the encoder copies only
// the fields allowed on the bus.
struct RwCreatedEvent {
  Rw rw;
};
struct RwUpdatedEvent {
  Rw rw;
};
struct ParticipantRegisteredEvent {
  Participant participant;
};
struct ParticipantUpdatedEvent {
  Participant participant;
  std::string previous_payer;
};
struct ParticipantMovedEvent {
  Participant participant;  // already in the new RW
  std::string from_rw_code;
  std::string moved_on;
};
struct ParticipantExitedEvent {
  Participant participant;
};
struct AgentRegisteredEvent {
  Agent agent;
};
using Event =
    std::variant<RwCreatedEvent, RwUpdatedEvent, ParticipantRegisteredEvent, ParticipantUpdatedEvent,
                 ParticipantMovedEvent, ParticipantExitedEvent, AgentRegisteredEvent>;

}  // namespace jaring::registration
