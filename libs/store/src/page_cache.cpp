#include "page_cache.hpp"

#include <sqlite3.h>

#include <atomic>
#include <new>

#include "jaring/common/assert.hpp"

// When a B-tree balance splits pages, SQLite gives the new pages ascending numbers by swapping
// two pages' numbers through a temporary one: the number of the lock-byte page, (1 GiB / page
// size) + 1, which no page of a database uses (btree.c, balance_nonroot: pgnoTemp, three
// sqlite3PagerRekey calls in a row). SQLite's page cache (pcache1) remembers the largest number
// it ever held (iMaxKey), and at the end of every write transaction drops the pages past the
// database's end: with that largest number at 262,145, far past the end, it walks every slot of
// its hash table and every page chained there, a cache miss each: 8,192 slots for the writer's
// 32 MiB. Registration's single calls split a page in most commits: this walk was 6% of its CPU.
//
// This cache is SQLite's own with one change, to that swap: the page moved to the temporary
// number is filed under number 0 instead, which no page has (page numbers start at 1) and which
// the largest number does not see, and when the same page moves on from the temporary number, it
// moves on from 0. Meanwhile SQLite finds the parked page under the temporary number. Anything
// else that comes while a page is parked first moves it to the temporary number for real, so
// that SQLite's cache then holds exactly what it would have without this one.

namespace jaring::store::detail {
namespace {

sqlite3_pcache_methods2 real_methods{};
std::atomic<std::uint64_t> swaps_parked{0};

// The temporary page number balance_nonroot uses (btree.c, pgnoTemp): PENDING_BYTE / page
// size + 1, PENDING_BYTE being 0x40000000 in every SQLite built for use (only tests move it).
constexpr unsigned kPendingByte = 0x40000000;

// Where a parked page is filed in SQLite's cache.
constexpr unsigned kParkedKey = 0;

struct Cache {
  sqlite3_pcache* real = nullptr;
  unsigned temporary = 0;
  sqlite3_pcache_page* parked = nullptr;  // at `temporary` for SQLite, filed under kParkedKey
};

Cache& of(sqlite3_pcache* cache) { return *reinterpret_cast<Cache*>(cache); }

// Moves a parked page to the temporary number for real.
void unpark(Cache& c) {
  if (c.parked == nullptr) return;
  real_methods.xRekey(c.real, c.parked, kParkedKey, c.temporary);
  c.parked = nullptr;
}

int init(void*) { return real_methods.xInit(real_methods.pArg); }
void shutdown(void*) { real_methods.xShutdown(real_methods.pArg); }

sqlite3_pcache* create(int page_size, int extra, int purgeable) {
  auto* c = new (std::nothrow) Cache;
  if (c == nullptr) return nullptr;
  c->real = real_methods.xCreate(page_size, extra, purgeable);
  if (c->real == nullptr) {
    delete c;
    return nullptr;
  }
  c->temporary = kPendingByte / static_cast<unsigned>(page_size) + 1;
  return reinterpret_cast<sqlite3_pcache*>(c);
}

void cachesize(sqlite3_pcache* cache, int pages) {
  auto& c = of(cache);
  unpark(c);
  real_methods.xCachesize(c.real, pages);
}

int pagecount(sqlite3_pcache* cache) { return real_methods.xPagecount(of(cache).real); }

sqlite3_pcache_page* fetch(sqlite3_pcache* cache, unsigned key, int create_flag) {
  auto& c = of(cache);
  if (c.parked != nullptr) {
    // sqlite3PcacheMove asks whether the number it moves a page to is taken: the temporary one,
    // and in a swap, the numbers the two pages leave (SQLite's cache has no page there).
    if (key == c.temporary) return c.parked;
    if (key == kParkedKey) unpark(c);
  }
  return real_methods.xFetch(c.real, key, create_flag);
}

void unpin(sqlite3_pcache* cache, sqlite3_pcache_page* page, int discard) {
  auto& c = of(cache);
  unpark(c);
  real_methods.xUnpin(c.real, page, discard);
}

void rekey(sqlite3_pcache* cache, sqlite3_pcache_page* page, unsigned from, unsigned to) {
  auto& c = of(cache);
  if (c.parked == nullptr && to == c.temporary) {  // the swap's first move
    real_methods.xRekey(c.real, page, from, kParkedKey);
    c.parked = page;
    return;
  }
  if (c.parked == page && from == c.temporary) {  // the swap's last move
    real_methods.xRekey(c.real, page, kParkedKey, to);
    c.parked = nullptr;
    swaps_parked.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  if (to == c.temporary || page == c.parked) unpark(c);  // not a swap's middle move
  real_methods.xRekey(c.real, page, from, to);
}

void truncate(sqlite3_pcache* cache, unsigned limit) {
  auto& c = of(cache);
  unpark(c);
  real_methods.xTruncate(c.real, limit);
}

void destroy(sqlite3_pcache* cache) {
  auto* c = &of(cache);
  unpark(*c);
  real_methods.xDestroy(c->real);
  delete c;
}

void shrink(sqlite3_pcache* cache) {
  auto& c = of(cache);
  unpark(c);
  real_methods.xShrink(c.real);
}

bool install() {
  if (sqlite3_config(SQLITE_CONFIG_GETPCACHE2, &real_methods) != SQLITE_OK) return false;
  JARING_ASSERT(real_methods.xFetch != nullptr && real_methods.xRekey != nullptr,
                "SQLite gave its page cache's methods");
  static const sqlite3_pcache_methods2 methods{1,     nullptr, init,  shutdown, create,  cachesize, pagecount,
                                               fetch, unpin,   rekey, truncate, destroy, shrink};
  return sqlite3_config(SQLITE_CONFIG_PCACHE2, &methods) == SQLITE_OK;
}

}  // namespace

bool install_page_cache() {
  static const bool installed = install();
  return installed;
}

std::uint64_t page_swaps_parked() { return swaps_parked.load(std::memory_order_relaxed); }

}  // namespace jaring::store::detail
