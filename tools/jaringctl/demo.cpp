#include "demo.hpp"

#include "demo_partners.hpp"

#include <map>
#include <random>
#include <thread>
#include <tuple>
#include <vector>

#include <fmt/format.h>

#include "demo_partners.hpp"
#include "jaring/areas/areas.hpp"
#include "jaring/contribution/v1/contribution.grpc.pb.h"
#include "jaring/grpc/server.hpp"
#include "jaring/registration/v1/registration.grpc.pb.h"
#include "jaring/sample/sample.hpp"

namespace jaring::tools {
namespace reg = jaring::registration::v1;
namespace con = jaring::contribution::v1;

namespace {

// The demo's kecamatan, their branch office (the Jakarta default mapping) and a name for agents.
struct Kecamatan {
  const char* code;
  const char* branch;
  const char* name;
};
constexpr Kecamatan kKecamatan[] = {
    {"31.75.06", "pulogebang", "Cakung"},
    {"31.75.07", "pulogebang", "Duren Sawit"},
    {"31.75.08", "ceger", "Makasar"},
};
constexpr int kAgentsPerKecamatan = 2;
// Months billed: the registration month and the three after it, so that three unpaid months
// (lapsed) can exist. Registration dates accounts from today and offers no back-dating.
constexpr int kMonthsBilled = 4;
// Items per batch call: well under gRPC's message limit, few enough calls to stay fast.
constexpr std::size_t kBatchItems = 500;

struct Enrolled {
  std::string participant_id, kelurahan, agent_id, category, payer, programs, first_period;
  std::int64_t income_band = 0;
};

std::string month_after(const std::string& period, int months) {
  const int index = std::stoi(period.substr(0, 4)) * 12 + std::stoi(period.substr(5, 2)) - 1 + months;
  return fmt::format("{:04d}-{:02d}", index / 12, index % 12 + 1);
}

// Pays and bills through the contribution API, quoting each tariff once.
class Collector {
 public:
  explicit Collector(const std::shared_ptr<::grpc::Channel>& channel)
      : stub_(con::ContributionService::NewStub(channel)) {}

  // What `months` months from the worker's `from`-th month cost; 0 when a quote failed.
  std::int64_t price(const Enrolled& w, int from, int months) {
    std::int64_t total = 0;
    for (int m = from; m < from + months; ++m) {
      const auto period = month_after(w.first_period, m);
      const auto key = std::tuple(period, w.category, w.payer, w.programs, w.income_band);
      auto it = quotes_.find(key);
      if (it == quotes_.end()) {
        con::QuoteRequest request;
        request.set_period(period);
        request.set_category(w.category);
        request.set_payer(w.payer);
        request.set_programs(w.programs);
        request.set_income_band(w.income_band);
        con::Charge reply;
        ::grpc::ClientContext context;
        jaring::grpc::set_deadline(context, std::chrono::seconds(10));
        if (const auto status = stub_->Quote(&context, request, &reply); !status.ok()) {
          fmt::print(stderr, "demo: quote {}: {}\n", period, status.error_message());
          return 0;
        }
        it = quotes_.emplace(key, reply.total()).first;
      }
      total += it->second;
    }
    return total;
  }

  // One batch per kBatchItems items; keys derive from `key` so a second run repeats, not adds.
  void pay(const std::string& key, const std::string& channel, const std::string& payer_id,
           const std::string& agent_id, const std::string& description,
           const std::vector<std::pair<const Enrolled*, std::pair<int, int>>>& items) {
    for (std::size_t start = 0; start < items.size(); start += kBatchItems) {
      con::BatchPaymentRequest request;
      request.set_idempotency_key(fmt::format("{}-{}", key, start / kBatchItems));
      request.set_channel(channel);
      request.set_payer_id(payer_id);
      request.set_agent_id(agent_id);
      request.set_description(description);
      for (std::size_t i = start; i < std::min(items.size(), start + kBatchItems); ++i) {
        const auto& [worker, span] = items[i];
        auto* item = request.add_items();
        item->set_participant_id(worker->participant_id);
        item->set_amount(price(*worker, span.first, span.second));
        item->set_months(span.second);
      }
      con::BatchPaymentResult reply;
      ::grpc::ClientContext context;
      jaring::grpc::set_deadline(context, std::chrono::seconds(60));
      const auto status = stub_->MakeBatchPayment(&context, request, &reply);
      if (!status.ok() || !reply.accepted()) {
        fmt::print(stderr, "demo: batch {}: {}{}\n", request.idempotency_key(), status.error_message(),
                   reply.failures().empty() ? "" : reply.failures(0).reason());
        ++failed;
        continue;
      }
      payments += reply.items_paid();
      amount += reply.amount_paid();
    }
  }

  void bill(const std::string& key, const std::string& period) {
    con::RunBillingRequest request;
    request.set_idempotency_key(key);
    request.set_period(period);
    con::BillingRun reply;
    ::grpc::ClientContext context;
    jaring::grpc::set_deadline(context, std::chrono::seconds(60));
    if (const auto status = stub_->RunBilling(&context, request, &reply); !status.ok()) {
      fmt::print(stderr, "demo: billing {}: {}\n", period, status.error_message());
      ++failed;
    }
  }

  // The account's first month once the contribution service opened it (from registration's
  // events, asynchronously); empty while it has not.
  std::string first_period(const std::string& participant_id) {
    con::GetAccountRequest request;
    request.set_participant_id(participant_id);
    con::Account reply;
    ::grpc::ClientContext context;
    jaring::grpc::set_deadline(context, std::chrono::seconds(10));
    if (!stub_->GetAccount(&context, request, &reply).ok()) return "";
    return reply.first_period();
  }

  std::int64_t payments = 0;
  std::int64_t amount = 0;
  int failed = 0;

 private:
  std::unique_ptr<con::ContributionService::Stub> stub_;
  std::map<std::tuple<std::string, std::string, std::string, std::string, std::int64_t>, std::int64_t>
      quotes_;
};

}  // namespace

int load_demo(const DemoChannels& channels, const DemoOptions& options) {
  auto stub = reg::RegistrationService::NewStub(channels.registration);
  std::mt19937_64 rng(options.seed);
  const auto& areas = areas::Registry::jakarta();

  // A few Perisai agents per kecamatan, who register the workers and collect their cash.
  std::map<std::string, std::vector<std::string>> agents;  // kecamatan -> agent ids
  int failed = 0;
  for (const auto& kec : kKecamatan) {
    for (int i = 1; i <= kAgentsPerKecamatan; ++i) {
      reg::RegisterAgentRequest request;
      request.set_idempotency_key(fmt::format("demo-{}-agent-{}-{}", options.seed, kec.code, i));
      request.set_name(fmt::format("Agen Perisai {} {}", kec.name, i));
      request.set_branch_code(kec.branch);
      request.set_organisation(i % 2 == 1 ? "Perisai Jakarta Timur" : "Koperasi Pekerja Mandiri");
      ::grpc::ClientContext context;
      jaring::grpc::set_deadline(context, std::chrono::seconds(10));
      reg::Agent reply;
      if (const auto status = stub->RegisterAgent(&context, request, &reply); !status.ok()) {
        fmt::print(stderr, "demo: agent {}: {}\n", request.name(), status.error_message());
        ++failed;
        continue;
      }
      agents[kec.code].push_back(reply.agent_id());
    }
  }

  // RWs: 6 to 14 per kelurahan, each with a weight so that some RWs are nearly at target and
  // others have barely started, as in the field.
  std::vector<std::string> rws;
  std::vector<std::string> rw_kelurahan;
  std::vector<std::string> rw_kecamatan;
  std::vector<double> weights;
  for (const auto& kec : kKecamatan) {
    for (const auto* kelurahan : areas.children(kec.code)) {
      const int count = std::uniform_int_distribution<int>(6, 14)(rng);
      for (int number = 1; number <= count; ++number) {
        reg::CreateRwRequest request;
        request.set_kelurahan_code(kelurahan->code);
        request.set_number(number);
        ::grpc::ClientContext context;
        jaring::grpc::set_deadline(context, std::chrono::seconds(10));
        reg::Rw reply;
        const auto status = stub->CreateRw(&context, request, &reply);
        if (!status.ok() && status.error_code() != ::grpc::StatusCode::ALREADY_EXISTS) {
          fmt::print(stderr, "demo: RW {}.{:03d}: {}\n", kelurahan->code, number, status.error_message());
          ++failed;
          continue;
        }
        rws.push_back(areas::RwCode{kelurahan->code, number}.str());
        rw_kelurahan.push_back(kelurahan->code);
        rw_kecamatan.push_back(kec.code);
        weights.push_back(std::gamma_distribution<double>(1.5, 1.0)(rng));
      }
    }
  }
  if (rws.empty()) return 1;

  sample::Generator generator(options.seed);
  std::discrete_distribution<std::size_t> pick_rw(weights.begin(), weights.end());
  std::vector<Enrolled> enrolled;
  for (int i = 0; i < options.workers; ++i) {
    const auto w = generator.worker(static_cast<std::uint64_t>(i));
    const auto rw = pick_rw(rng);
    const auto& kecamatan_agents = agents[rw_kecamatan[rw]];
    reg::RegisterRequest request;
    request.set_idempotency_key(fmt::format("demo-{}-{}", options.seed, i));
    sample::fill_register_request(w, request);
    request.set_rw_code(rws[rw]);
    if (!kecamatan_agents.empty()) request.set_agent_id(kecamatan_agents[rng() % kecamatan_agents.size()]);
    ::grpc::ClientContext context;
    jaring::grpc::set_deadline(context, std::chrono::seconds(10));
    reg::Participant reply;
    const auto status = stub->Register(&context, request, &reply);
    if (status.ok()) {
      enrolled.push_back({reply.participant_id(), rw_kelurahan[rw], reply.agent_id(), w.category, w.payer,
                          w.programs, "", w.income_band});
    } else {
      fmt::print(stderr, "demo: worker {}: {}\n", i, status.error_message());
      ++failed;
    }
  }
  fmt::print("demo: {} RWs in {} kecamatan, {} agents, {} workers registered\n", rws.size(),
             std::size(kKecamatan), std::size(kKecamatan) * kAgentsPerKecamatan, enrolled.size());

  // Contribution opens the accounts from registration's events: wait for all of them (a batch
  // naming an account not yet open would be refused as a whole).
  Collector collector(channels.contribution);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
  for (auto& w : enrolled) {
    while ((w.first_period = collector.first_period(w.participant_id)).empty()) {
      if (std::chrono::steady_clock::now() > deadline) {
        fmt::print(stderr, "demo: the contribution service did not open account {} in time\n",
                   w.participant_id);
        return 1;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));  // polling a condition, with a deadline
    }
  }
  if (enrolled.empty()) return 1;

  // Who pays what, as months from each worker's first month: the city pays its RT/RW officials
  // six months at a time per kelurahan, sponsors six or twelve, and the agents collect cash from
  // the others: most ahead, some only a month or two (arrears), some nothing (lapsed).
  std::mt19937_64 plan_rng(options.seed + 1);
  std::map<std::string, std::vector<std::pair<const Enrolled*, std::pair<int, int>>>> city, cash, cash_later;
  std::vector<std::string> sponsored;
  for (const auto& w : enrolled) {
    const auto roll = std::uniform_int_distribution<int>(0, 99)(plan_rng);
    if (w.payer == "city_budget") {
      city[w.kelurahan].push_back({&w, {0, 6}});
    } else if (w.payer == "sponsor") {
      sponsored.push_back(w.participant_id);
    } else if (w.agent_id.empty()) {
      continue;  // registered directly at the branch: nobody collects (lapsed)
    } else if (roll < 20) {
      cash[w.agent_id].push_back({&w, {0, 6}});
    } else if (roll < 50) {
      cash[w.agent_id].push_back({&w, {0, 3}});
    } else if (roll < 60) {
      cash[w.agent_id].push_back({&w, {0, 12}});
    } else if (roll < 74) {  // two single months: one month unpaid (arrears)
      cash[w.agent_id].push_back({&w, {0, 1}});
      cash_later[w.agent_id].push_back({&w, {1, 1}});
    } else if (roll < 87) {  // one month: two unpaid (arrears)
      cash[w.agent_id].push_back({&w, {0, 1}});
    }  // the rest never paid: lapsed after three unpaid months
  }
  for (const auto& [kelurahan, items] : city)
    collector.pay(fmt::format("demo-{}-apbd-{}", options.seed, kelurahan), "city_budget", "apbd:" + kelurahan,
                  "", "RT/RW officials of " + kelurahan, items);
  for (const auto& [agent, items] : cash)
    collector.pay(fmt::format("demo-{}-cash-{}-1", options.seed, agent), "agent_cash", "", agent,
                  "cash collected by " + agent, items);
  for (const auto& [agent, items] : cash_later)
    collector.pay(fmt::format("demo-{}-cash-{}-2", options.seed, agent), "agent_cash", "", agent,
                  "cash collected by " + agent, items);

  // Sponsors take on the workers listed for them before the months are billed: csr-donor pays
  // each of their bills from the wallet as contribution bills it.
  const auto first = enrolled.front().first_period;
  failed += load_demo_sponsors(channels.csr_donor, sponsored, first, options.seed);

  // Bill from the registration month on; a month counts as unpaid once the next one is billed.
  for (int m = 0; m < kMonthsBilled; ++m) {
    const auto period = month_after(first, m);
    collector.bill(fmt::format("demo-{}-bill-{}", options.seed, period), period);
  }
  failed += collector.failed;

  fmt::print("demo: billed {} to {}; {} payments (Rp{}) made or found from an earlier load; {} failures\n",
             first, month_after(first, kMonthsBilled - 1), collector.payments, collector.amount, failed);

  // Two deaths among workers whose agent collected six months: an RW official who died of an
  // illness (JKM, Rp42 million to his widow) and one who died in a meeting at his office (JKK).
  std::vector<DemoDeath> deaths;
  sample::Generator heirs(options.seed + 7);
  for (const auto& [agent, items] : cash) {
    for (const auto& [w, months] : items) {
      if (months.second != 6 || deaths.size() == 2) continue;
      const auto heir = heirs.worker(deaths.size());
      const bool at_work = deaths.size() == 1;
      deaths.push_back({w->participant_id, agent, at_work ? "jkk_death" : "jkm_death", heir.name, heir.nik,
                        at_work ? "died during a neighbourhood forum meeting at his office"
                                : "RW head, died of an illness"});
    }
  }
  failed += load_demo_claims(channels.claims, deaths, options.seed);
  return failed == 0 ? 0 : 1;
}

}  // namespace jaring::tools
