// libFuzzer target for the CSV reader: any bytes end in a finite list of records whose lines
// never go backwards, and reading stops at the end of the input.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <sstream>
#include <string>

#include "jaring/csv/reader.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::istringstream in(std::string(reinterpret_cast<const char*>(data), size));
  jaring::csv::Reader reader(in);
  jaring::csv::Record record;
  std::size_t last_line = 0;
  std::size_t records = 0;
  while (reader.next(record)) {
    if (record.line < last_line || record.fields.empty()) std::abort();
    last_line = record.line;
    if (++records > size + 1) std::abort();  // each record consumes at least one byte
  }
  if (reader.bytes_read() > size) std::abort();
  return 0;
}
