#pragma once
// What registration's fuzz targets start each input from: the unit tests' in-memory store on a
// day in November 2026, with RW 002 of Pulo Gebang and one participant, p_seed (NIK
// 3172011505900001, registered by agent a_1), whom the seeds name, and agents a_1 and a_2.

#include <chrono>
#include <cstdlib>

#include "core/registration.hpp"
#include "tests/fake_store.hpp"

namespace jaring::registration {

struct FuzzFixture {
  FuzzFixture() {
    if (!core.create_rw("31.75.06.1005", 2, 0)) std::abort();
    // Agents with the ids the fuzzers' tokens carry (fuzz::Callers).
    for (const char* id : {"a_1", "a_2"}) {
      store.agents[id] = {id, "Agen", "081200000000", "pulogebang", "PKK", "2026-01-05T01:00:00.000Z"};
    }
    const RegisterCommand c{"k-seed",
                            "3172011505900001",
                            "Budi Santoso",
                            "1990-05-15",
                            "M",
                            "081234567890",
                            "31.75.06.1005.002",
                            3,
                            "ojol_driver",
                            1'000'000,
                            "jkk+jkm",
                            "self",
                            "a_1",
                            ""};
    auto p = core.register_participant(c);
    if (!p) std::abort();
    // A fixed id instead of the generated one, so that seeds can name it.
    store.participants.erase(p->id);
    p->id = "p_seed";
    store.participants[p->id] = *p;
    store.keys[c.idempotency_key] = p->id;
  }

  testing::FakeStore store;
  FixedClock clock{std::chrono::sys_days(std::chrono::year(2026) / 11 / 21) + std::chrono::hours(3)};
  Registration core{store, areas::Registry::jakarta(), areas::BranchMap::jakarta(), clock};
};

}  // namespace jaring::registration
