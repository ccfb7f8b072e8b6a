#pragma once
// Registration's domain: RWs, participants, and the events that announce changes to them.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace jaring::registration {

// Codes used in files and APIs (DESIGN.md section 2).
inline constexpr std::string_view kCategories[] = {"rt_rw_official",
                                                   "pkk",
                                                   "dasawisma",
                                                   "posyandu",
                                                   "jumantik",
                                                   "fkdm",
                                                   "ppsu",
                                                   "guard",
                                                   "cleaner",
                                                   "religious_teacher",
                                                   "ojol_driver",
                                                   "scavenger",
                                                   "construction_worker",
                                                   "street_vendor",
                                                   "other_informal"};
inline constexpr std::string_view kPayers[] = {"self", "sponsor", "city_budget"};
inline constexpr std::string_view kPrograms[] = {"jkk+jkm", "jkk+jkm+jht"};
inline constexpr int kDefaultRwTarget = 100;
// The lowest declared income band (JKK is 1% of it: Rp10,000).
inline constexpr std::int64_t kLowestIncomeBand = 1'000'000;

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
  std::string status = "active";
  std::string registered_at;  // RFC 3339 UTC
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
};

// Events registration publishes. They never hold a NIK or a name.
struct RwCreatedEvent {
  Rw rw;
};
struct ParticipantRegisteredEvent {
  Participant participant;  // the encoder copies only the fields allowed on the bus
};
using Event = std::variant<RwCreatedEvent, ParticipantRegisteredEvent>;

}  // namespace jaring::registration
