#pragma once
// What the registration core needs from the outside world; adapters/ implements it.

#include <optional>
#include <string>
#include <vector>

#include "jaring/common/result.hpp"
#include "model.hpp"

namespace jaring::registration {

class Store {
 public:
  virtual ~Store() = default;

  // Saves a new RW and its event atomically. ALREADY_EXISTS when the code is taken.
  virtual Result<Rw> create_rw(const Rw& rw, const Event& event) = 0;
  virtual std::optional<Rw> find_rw(const std::string& code) = 0;
  virtual std::vector<Rw> list_rws(const std::string& kelurahan_code) = 0;

  // Saves a participant and its event atomically, remembering the idempotency key.
  // ALREADY_EXISTS (naming the participant) when the NIK has an active participation.
  virtual Result<Participant> insert_participant(const Participant& participant, const Event& event,
                                                 const std::string& idempotency_key) = 0;
  // The participant a key registered before, if any: a retried call gets the first answer.
  virtual std::optional<Participant> find_by_idempotency_key(const std::string& key) = 0;
  virtual std::optional<Participant> find_participant(const std::string& id) = 0;
};

}  // namespace jaring::registration
