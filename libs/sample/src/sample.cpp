#include "jaring/sample/sample.hpp"

#include <array>

#include <fmt/format.h>

namespace jaring::sample {
namespace {

constexpr std::array kMaleNames = {"Budi",  "Agus", "Slamet", "Joko",  "Rudi",  "Dedi",   "Bambang", "Hendra",
                                   "Wahyu", "Eko",  "Andi",   "Ahmad", "Yusuf", "Rahmat", "Fajar",   "Iwan"};
constexpr std::array kFemaleNames = {"Siti", "Sri",   "Dewi",   "Nur",   "Rina",  "Yuli", "Wati",   "Lestari",
                                     "Ani",  "Fitri", "Rahayu", "Ratna", "Indah", "Sari", "Endang", "Murni"};
constexpr std::array kFamilyNames = {"Santoso", "Wijaya",      "Hidayat",  "Saputra", "Kurniawan", "Setiawan",
                                     "Pratama", "Nugroho",     "Susanti",  "Aminah",  "Hasanah",   "Rahman",
                                     "Siregar", "Simanjuntak", "Nasution", "Lubis"};
// Weighted towards the seeds: cadres and officials sponsored by the city, informal workers.
constexpr std::array kCategories = {"rt_rw_official", "pkk",
                                    "dasawisma",      "posyandu",
                                    "jumantik",       "fkdm",
                                    "ppsu",           "guard",
                                    "cleaner",        "religious_teacher",
                                    "ojol_driver",    "ojol_driver",
                                    "scavenger",      "construction_worker",
                                    "street_vendor",  "street_vendor",
                                    "other_informal", "other_informal"};
// Region digits of first issue (Dukcapil): mostly Jakarta, some migrants from Java and beyond.
constexpr std::array kRegions = {"317201", "317202", "317203", "317204", "317101", "317301", "317401",
                                 "317501", "320101", "330101", "350101", "360101", "127101", "730101"};
constexpr std::array kIncomeBands = {1'000'000, 1'000'000, 1'000'000, 1'500'000,
                                     2'000'000, 2'500'000, 3'000'000};

}  // namespace

Worker Generator::worker(std::uint64_t serial) {
  auto pick = [this](const auto& list) {
    return list[std::uniform_int_distribution<std::size_t>(0, list.size() - 1)(rng_)];
  };
  Worker w;
  const bool female = std::bernoulli_distribution(0.5)(rng_);
  const int year = std::uniform_int_distribution<int>(1961, 2005)(rng_);
  const int month = std::uniform_int_distribution<int>(1, 12)(rng_);
  // Unique per serial: the serial picks the region and the serial digits; past 14 x 9999 workers
  // it also shifts the day of birth (15 is coprime with 28), so 3.9 million NIKs never repeat.
  const std::uint64_t per_cycle = kRegions.size() * 9999;
  const std::uint64_t cycle = serial / per_cycle;
  const int day = 1 + static_cast<int>((cycle * 15 + serial * 7919 % 28) % 28);
  const auto region = kRegions[serial % kRegions.size()];
  const int nik_serial = static_cast<int>((serial / kRegions.size()) % 9999) + 1;
  w.nik = fmt::format("{}{:02d}{:02d}{:02d}{:04d}", region, day + (female ? 40 : 0), month, year % 100,
                      nik_serial);
  w.sex = female ? "F" : "M";
  w.birth_date = fmt::format("{:04d}-{:02d}-{:02d}", year, month, day);
  w.name = fmt::format("{} {}", female ? pick(kFemaleNames) : pick(kMaleNames), pick(kFamilyNames));
  w.phone = fmt::format("08{}{:08d}", std::uniform_int_distribution<int>(11, 99)(rng_),
                        std::uniform_int_distribution<int>(0, 99'999'999)(rng_));
  w.rt = std::uniform_int_distribution<int>(1, 12)(rng_);
  w.category = pick(kCategories);
  w.income_band = pick(kIncomeBands);
  w.programs = std::bernoulli_distribution(0.2)(rng_) ? "jkk+jkm+jht" : "jkk+jkm";
  w.payer = w.category == std::string_view("rt_rw_official") ? "city_budget"
            : std::bernoulli_distribution(0.15)(rng_)        ? "sponsor"
                                                             : "self";
  return w;
}

}  // namespace jaring::sample
