// libFuzzer target for the NIK parser: any input either is refused with a rule or yields a NIK
// whose parts obey the rules.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "core/nik.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace std::chrono;
  const std::string_view nik(reinterpret_cast<const char*>(data), size);
  const auto result = jaring::registration::parse_nik(nik, year_month_day{year{2026}, November, day{21}});
  if (const auto* info = std::get_if<jaring::registration::NikInfo>(&result)) {
    if (nik.size() != 16 || info->province < 11 || info->province > 94 || !info->birth_date.ok() ||
        info->serial < 1 || info->serial > 9999 || (info->sex != 'M' && info->sex != 'F')) {
      std::abort();
    }
    if (jaring::registration::mask_nik(nik).size() != 16) std::abort();
  } else if (std::get<jaring::registration::NikRejection>(result).rule.empty()) {
    std::abort();  // every refusal names its rule
  }
  return 0;
}
