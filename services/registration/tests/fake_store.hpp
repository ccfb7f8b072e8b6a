#pragma once
// An in-memory Store for unit tests of the core: keeps what it is given, records the events.

#include <map>

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
  std::optional<Rw> find_rw(const std::string& code) override {
    auto it = rws.find(code);
    return it == rws.end() ? std::nullopt : std::optional<Rw>(it->second);
  }
  std::vector<Rw> list_rws(const std::string& kelurahan_code) override {
    std::vector<Rw> out;
    for (const auto& [_, rw] : rws) {
      if (rw.kelurahan_code == kelurahan_code) out.push_back(rw);
    }
    return out;
  }
  Result<Participant> insert_participant(const Participant& p, const Event& event,
                                         const std::string& key) override {
    for (const auto& [id, other] : participants) {
      if (other.nik == p.nik && other.status == "active") {
        return fail(Error::already_exists("this NIK already has an active participation: participant " + id));
      }
    }
    participants[p.id] = p;
    if (!key.empty()) keys[key] = p.id;
    events.push_back(event);
    return p;
  }
  std::optional<Participant> find_by_idempotency_key(const std::string& key) override {
    auto it = keys.find(key);
    return it == keys.end() ? std::nullopt : find_participant(it->second);
  }
  std::optional<Participant> find_participant(const std::string& id) override {
    auto it = participants.find(id);
    return it == participants.end() ? std::nullopt : std::optional<Participant>(it->second);
  }

  std::map<std::string, Rw> rws;
  std::map<std::string, Participant> participants;
  std::map<std::string, std::string> keys;
  std::vector<Event> events;
};

}  // namespace jaring::registration::testing
