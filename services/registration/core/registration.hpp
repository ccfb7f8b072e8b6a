#pragma once
// The registration rules: who may be registered, in which RW, with which codes; how a
// participation changes, moves and ends; agents and what they registered.

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "jaring/areas/areas.hpp"
#include "jaring/common/clock.hpp"
#include "jaring/common/result.hpp"
#include "model.hpp"
#include "ports.hpp"

namespace jaring::registration {

// Whether the caller may register (or be answered with) this participant: the caller's scope,
// decided by the adapter from the call's identity. A refusal names the field and the rule.
using Admission = std::function<std::optional<FieldViolation>(const Participant&)>;

// A bulk batch checked and ready to write (Registration::prepare_bulk).
struct PreparedBulk {
  std::vector<BulkOutcome> outcomes;   // per command; the rows to write hold a placeholder
  std::vector<NewParticipant> rows;    // the good new rows
  std::vector<std::size_t> row_index;  // the command of each row
};

class Registration {
 public:
  Registration(Store& store, const areas::Registry& areas, const areas::BranchMap& branches,
               const Clock& clock)
      : store_(store), areas_(areas), branches_(branches), clock_(clock) {}

  // Adds RW `number` under a kelurahan of the reference areas; target 0 means the default.
  Result<Rw> create_rw(const std::string& kelurahan_code, int number, int target);
  Result<std::vector<Rw>> list_rws(const std::string& kelurahan_code);
  Result<Rw> update_rw(const RwChange& change);

  // `admit` (when set) refuses participants outside the caller's scope: PERMISSION_DENIED.
  Result<Participant> register_participant(const RegisterCommand& command, const Admission& admit = {});
  // Validates every row, then writes the good ones in one transaction.
  std::vector<BulkOutcome> register_bulk(const std::vector<RegisterCommand>& commands);
  // register_bulk in two steps, so that one batch can be checked while another is written:
  // prepare_bulk validates and builds the rows without writing; store_bulk writes the good rows
  // of several prepared batches in one transaction and answers per batch, per command.
  // A row that `admit` refuses fails alone, with its violation.
  PreparedBulk prepare_bulk(const std::vector<RegisterCommand>& commands, const Admission& admit = {});
  std::vector<std::vector<BulkOutcome>> store_bulk(std::vector<PreparedBulk> batches);
  Result<Participant> get_participant(const std::string& id);
  // The participation `id` with the bands and branches in force during it (GetParticipantFacts).
  Result<ParticipantFacts> participant_facts(const std::string& id);
  Result<Participant> find_by_nik(const std::string& nik);
  // A page of an RW's participants, of those `scope` lets the caller see.
  Result<ParticipantPage> list_by_rw(const std::string& rw_code, int page_size, const std::string& page_token,
                                     const auth::Scope& scope);
  // Calls `sink` for every participant (the active ones unless include_exited), in pages, so
  // that registrations go on while it runs. Stops early when sink returns false.
  Result<void> export_all(bool include_exited, const std::function<bool(const Participant&)>& sink);

  Result<Participant> update_participant(const UpdateCommand& command);
  Result<Participant> move_participant(const MoveCommand& command);
  Result<Participant> exit_participant(const ExitCommand& command);

  // Facts other services own, each applied once: `event_id` serves as the idempotency key, so
  // a redelivered event changes nothing. Both answer nullopt when there is nothing to change.
  // A paid death claim ends the participation on the day of death (claims' ClaimPaid).
  Result<std::optional<Participant>> end_by_paid_claim(const std::string& event_id,
                                                       const std::string& participant_id,
                                                       const std::string& death_date);
  // csr-donor started or stopped funding a participant: the payer becomes the sponsor (the city
  // budget for a city-budget sponsor) and returns to self when the sponsorship ends.
  Result<std::optional<Participant>> follow_sponsorship(const std::string& event_id,
                                                        const std::string& participant_id, bool sponsored,
                                                        const std::string& sponsor_kind);

  Result<Agent> register_agent(const AgentCommand& command);
  // What an agent registered in a calendar month of Asia/Jakarta ("2026-11").
  Result<std::vector<Participant>> agent_registrations(const std::string& agent_id, const std::string& month);

  const areas::Registry& areas() const { return areas_; }
  const areas::BranchMap& branches() const { return branches_; }

 private:
  // Checks a command; fills `out` when valid. `rw_of` finds an RW (cached in bulk).
  std::vector<FieldViolation> validate(const RegisterCommand& command, Participant& out,
                                       const std::function<std::optional<Rw>(const std::string&)>& rw_of);
  // The participant a retried key already answered, if the key is known.
  std::optional<Participant> replay(const std::string& idempotency_key);
  Result<Participant> active_participant(const std::string& id);
  std::chrono::year_month_day today() const;

  Store& store_;
  const areas::Registry& areas_;
  const areas::BranchMap& branches_;
  const Clock& clock_;
};

}  // namespace jaring::registration
