#pragma once
// The demo `make up` loads: the kelurahan of Kecamatan Cakung, Duren Sawit and Makasar
// (Jakarta Timur) with their RWs, a few agents and some thousands of workers; two sponsors who
// fund the workers listed for sponsors (one wallet runs dry); four months billed (or, on a test
// clock, a year of history) and most of them paid (city budget, agents' cash; some months
// ahead), leaving some in arrears and some lapsed; and two death claims paid, all through the
// public gRPC APIs like any client.
// Each step runs as the person who would do it (DESIGN.md section 6): an admin keeps the RW
// registry, creates the sponsors and runs billing; a branch officer registers the agents and
// verifies claims; agents register workers, collect their cash and file claims; kelurahan staff
// import their RT/RW officials; the city treasurer pays for those; sponsors deposit and fund
// cohorts; one branch head approves a claim and another pays it.
// Loading it twice adds nothing (fixed idempotency keys and RW numbers).

#include <grpcpp/grpcpp.h>

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "jaring/auth/local.hpp"
#include "jaring/grpc/edge.hpp"

namespace jaring::tools {

struct DemoOptions {
  int workers = 3000;
  std::uint64_t seed = 2026;
  // Months of history on the local stack's test clock (`clock_file`, which stands at the first
  // day of the first of them): the demo registers then (and two later waves of workers) and moves
  // the clock to the start of each following month up to now, paying as the months come, so that
  // the calendar bills, lapses and takes the M&E snapshots and the trend its points by themselves.
  // 0: everything today on the wall clock, the registration month and the three after it billed
  // by RunBilling.
  int history_months = 0;
  std::string clock_file;
};

struct DemoChannels {
  std::shared_ptr<::grpc::Channel> registration, contribution, csr_donor, claims, coverage;
};

// The people of the demo, each with a token signed by the local stack's key (the demo runs
// against a local stack only). A token is made once per person and reused, as a real client
// reuses its token until it expires.
class DemoPeople {
 public:
  // The budget account the city treasurer pays RT/RW officials from.
  static constexpr const char* kCityBudget = "apbd:31.75";

  explicit DemoPeople(auth::LocalAuthority authority) : authority_(std::move(authority)) {}

  const grpc::TokenSource& admin();
  const grpc::TokenSource& officer();          // branch officer of the demo's branches
  const grpc::TokenSource& approver();         // branch head who approves claims ...
  const grpc::TokenSource& paying_approver();  // ... and another, who pays them
  const grpc::TokenSource& treasurer();        // of the city budget (kCityBudget)
  const grpc::TokenSource& kelurahan_staff(const std::string& kelurahan_code);
  const grpc::TokenSource& agent(const std::string& agent_id, const std::string& branch_code);
  const grpc::TokenSource& sponsor(const std::string& sponsor_id);

 private:
  const grpc::TokenSource& person(const std::string& role, const std::string& subject,
                                  std::vector<std::string> branches, std::vector<std::string> areas,
                                  std::string agent = {}, std::string sponsor = {});
  auth::LocalAuthority authority_;
  std::map<std::string, grpc::TokenSource> tokens_;  // by subject
};

// Returns the process exit code (0 when everything loaded).
int load_demo(const DemoChannels& channels, DemoPeople& people, const DemoOptions& options);

}  // namespace jaring::tools
