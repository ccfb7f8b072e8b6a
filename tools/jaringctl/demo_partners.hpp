#pragma once
// The demo's sponsors and claims, loaded after its workers through csr-donor's and claims'
// public APIs like any client: two sponsors with cohorts (one wallet runs dry on purpose) and
// death claims paid to the families. Loading again adds nothing (fixed idempotency keys).

#include <grpcpp/grpcpp.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "demo.hpp"

namespace jaring::tools {

// The admin creates the sponsors; each sponsor deposits and creates the cohort that funds
// `workers` from `first_period`, before the months are billed. Returns how many steps failed.
int load_demo_sponsors(const std::shared_ptr<::grpc::Channel>& csr_donor, DemoPeople& people,
                       const std::vector<std::string>& workers, const std::string& first_period,
                       std::uint64_t seed);

// A worker who died on the demo's day of claims, and who claims for the family.
struct DemoDeath {
  std::string participant_id;
  std::string agent_id;
  std::string agent_branch;
  std::string claim_type;  // jkm_death | jkk_death
  std::string heir_name;
  std::string heir_nik;
  std::string note;
};

// The agent files each death claim and brings the documents, the branch officer verifies, a
// branch head approves and another pays; `today` (YYYY-MM-DD, Asia/Jakarta, by the stack's
// clock) is the day of the deaths and of the filing. Returns how many failed.
int load_demo_claims(const std::shared_ptr<::grpc::Channel>& claims, DemoPeople& people,
                     const std::vector<DemoDeath>& deaths, const std::string& today, std::uint64_t seed);

}  // namespace jaring::tools
