#pragma once
// An in-memory Store for unit tests of the core: keeps what it is given, records the events.

#include <algorithm>
#include <map>
#include <ranges>

#include "core/ports.hpp"

namespace jaring::registration::testing {

class FakeStore final : public Store {
 public:
  Result<Rw> create_rw(const Rw& rw, const Event& event) override {
    if (rws.contains(rw.code)) return fail(Error::already_exists("RW " + rw.code + " already exists"));
    rws[rw.code] = rw;
    events.push_back(event);
    return rw;
  }
  Result<Rw> update_rw(const std::string& code, const std::function<void(Rw&)>& change) override {
    const auto it = rws.find(code);
    if (it == rws.end()) return fail(Error::not_found("RW " + code + " is not in the registry"));
    change(it->second);
    events.push_back(RwUpdatedEvent{it->second});
    return it->second;
  }
  std::optional<Rw> find_rw(const std::string& code) override { return find(rws, code); }
  std::vector<Rw> list_rws(const std::string& kelurahan_code) override {
    std::vector<Rw> out;
    for (const auto& [_, rw] : rws) {
      if (rw.kelurahan_code == kelurahan_code) out.push_back(rw);
    }
    return out;
  }
  std::vector<BulkOutcome> insert_participants(std::span<const std::span<NewParticipant>> groups) override {
    std::vector<BulkOutcome> out;
    for (auto& row : groups | std::views::join) {
      if (auto it = keys.find(row.idempotency_key); !row.idempotency_key.empty() && it != keys.end()) {
        out.push_back({participants.at(it->second), true});
        continue;
      }
      bool taken = false;
      for (const auto& [id, other] : participants) {
        if (other.nik == row.participant.nik && other.status == "active") {
          out.push_back(
              {fail(Error::already_exists("this NIK already has an active participation: participant " + id)),
               true});
          taken = true;
          break;
        }
      }
      if (taken) continue;
      participants[row.participant.id] = row.participant;
      if (!row.idempotency_key.empty()) keys[row.idempotency_key] = row.participant.id;
      events.push_back(ParticipantRegisteredEvent{row.participant});
      out.push_back({std::move(row.participant), false});
    }
    return out;
  }
  Result<Participant> save_participant(const Participant& p, const Event& event, const std::string& key,
                                       const History& added) override {
    auto& history = histories[p.id];
    for (const auto& band : added.bands) upsert(history.bands, band);
    for (const auto& branch : added.branches) upsert(history.branches, branch);
    participants[p.id] = p;
    if (!key.empty()) keys[key] = p.id;
    events.push_back(event);
    return p;
  }
  History history(const std::string& participant_id) override {
    const auto it = histories.find(participant_id);
    return it == histories.end() ? History{} : it->second;
  }
  std::optional<ParticipantFacts> find_facts(const std::string& id) override {
    auto p = find(participants, id);
    if (!p) return std::nullopt;
    p->nik.clear();
    p->name.clear();
    p->birth_date.clear();
    p->phone.clear();
    return ParticipantFacts{std::move(*p), history(id)};
  }
  std::optional<std::string> find_idempotency_key(const std::string& key) override { return find(keys, key); }
  std::map<std::string, Participant> find_by_idempotency_keys(
      const std::vector<std::string>& wanted) override {
    std::map<std::string, Participant> out;
    for (const auto& key : wanted) {
      if (auto it = keys.find(key); it != keys.end() && participants.contains(it->second)) {
        out.emplace(key, participants.at(it->second));
      }
    }
    return out;
  }
  std::optional<Participant> find_participant(const std::string& id) override {
    return find(participants, id);
  }
  std::optional<Participant> find_by_nik(const std::string& nik) override {
    std::optional<Participant> found;
    for (const auto& [_, p] : participants) {
      if (p.nik == nik && (!found || p.status == "active")) found = p;
    }
    return found;
  }
  std::vector<Participant> list_by_rw(const std::string& rw_code, const std::string& after_id, int limit,
                                      const auth::Scope& scope) override {
    return select(
        [&](const Participant& p) {
          return p.rw_code == rw_code && scope.covers({p.branch_code, p.rw_code, p.agent_id, ""});
        },
        after_id, limit);
  }
  std::vector<Participant> list_all(const std::string& after_id, int limit) override {
    return select([](const Participant&) { return true; }, after_id, limit);
  }
  std::vector<Participant> registered_by_agent(const std::string& agent_id, const std::string& from,
                                               const std::string& to) override {
    return select(
        [&](const Participant& p) {
          return p.agent_id == agent_id && p.registered_at >= from && p.registered_at < to;
        },
        "", 1 << 30);
  }
  Result<Agent> insert_agent(const Agent& agent, const Event& event, const std::string& key) override {
    agents[agent.id] = agent;
    if (!key.empty()) keys[key] = agent.id;
    events.push_back(event);
    return agent;
  }
  std::optional<Agent> find_agent(const std::string& id) override { return find(agents, id); }

  std::map<std::string, Rw> rws;
  std::map<std::string, Participant> participants;
  std::map<std::string, Agent> agents;
  std::map<std::string, std::string> keys;
  std::map<std::string, History> histories;
  std::vector<Event> events;

 private:
  template <typename M>
  static std::optional<typename M::mapped_type> find(const M& map, const std::string& key) {
    auto it = map.find(key);
    if (it == map.end()) return std::nullopt;
    return it->second;
  }
  // Like the store's table: an entry replaces the one of its day; entries stay in day order.
  template <typename Entry>
  static void upsert(std::vector<Entry>& entries, const Entry& entry) {
    const auto it = std::lower_bound(entries.begin(), entries.end(), entry,
                                     [](const Entry& a, const Entry& b) { return a.since < b.since; });
    if (it != entries.end() && it->since == entry.since) {
      *it = entry;
    } else {
      entries.insert(it, entry);
    }
  }
  template <typename F>
  std::vector<Participant> select(F&& keep, const std::string& after_id, int limit) {
    std::vector<Participant> out;
    for (auto it = participants.upper_bound(after_id);
         it != participants.end() && static_cast<int>(out.size()) < limit; ++it) {
      if (keep(it->second)) out.push_back(it->second);
    }
    return out;
  }
};

}  // namespace jaring::registration::testing
