#pragma once
// The registration rules: who may be registered, in which RW, with which codes.

#include <string>

#include "jaring/areas/areas.hpp"
#include "jaring/common/clock.hpp"
#include "jaring/common/result.hpp"
#include "model.hpp"
#include "ports.hpp"

namespace jaring::registration {

class Registration {
 public:
  Registration(Store& store, const areas::Registry& areas, const Clock& clock)
      : store_(store), areas_(areas), clock_(clock) {}

  // Adds RW `number` under a kelurahan of the reference areas; target 0 means the default.
  Result<Rw> create_rw(const std::string& kelurahan_code, int number, int target);
  Result<std::vector<Rw>> list_rws(const std::string& kelurahan_code);
  Result<Participant> register_participant(const RegisterCommand& command);
  Result<Participant> get_participant(const std::string& id);

 private:
  std::vector<FieldViolation> validate(const RegisterCommand& command, Participant& out);
  Store& store_;
  const areas::Registry& areas_;
  const Clock& clock_;
};

}  // namespace jaring::registration
