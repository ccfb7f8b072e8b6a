#include <gtest/gtest.h>

#include <set>

#include "jaring/sample/sample.hpp"

namespace jaring::sample {
namespace {

TEST(Generator, NiksAreUniqueAcrossCycles) {
  Generator generator(7);
  std::set<std::string> niks;
  for (std::uint64_t s = 0; s < 300'000; ++s) {
    const auto w = generator.worker(s);
    ASSERT_EQ(w.nik.size(), 16u);
    ASSERT_TRUE(niks.insert(w.nik).second) << "serial " << s << " repeats " << w.nik;
  }
}

TEST(Generator, BirthDateAndSexAgreeWithTheNik) {
  Generator generator(1);
  for (std::uint64_t s = 0; s < 1000; ++s) {
    const auto w = generator.worker(s);
    const int day = std::stoi(w.nik.substr(6, 2));
    EXPECT_EQ(w.sex, day > 40 ? "F" : "M");
    EXPECT_EQ(std::stoi(w.birth_date.substr(8, 2)), day % 40);
    EXPECT_EQ(w.birth_date.substr(5, 2), w.nik.substr(8, 2));
    EXPECT_EQ(w.birth_date.substr(2, 2), w.nik.substr(10, 2));
    EXPECT_NE(w.nik.substr(12), "0000");
  }
}

}  // namespace
}  // namespace jaring::sample
