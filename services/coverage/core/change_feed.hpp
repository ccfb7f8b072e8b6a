#pragma once
// In-process fan-out of changed RWs: the apply path publishes the RW codes each applied batch
// touched; WatchCoverage streams and the dashboard's Server-Sent Events wait on a
// subscription. A subscriber that falls behind gets the union of what changed since it last
// looked (changes coalesce; nothing queues without bound).

#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace jaring::coverage {

class ChangeFeed {
 public:
  class Subscription {
   public:
    // Waits until an RW the subscription cares about changed, or `timeout` passed, or the feed
    // closed. Returns the changed RW codes (empty on timeout or close) and forgets them. At most
    // one answer with changes per the feed's min_interval: changes that come sooner after the
    // last one are gathered, and answered once it has passed (the wait then lasts longer).
    std::set<std::string> wait(std::chrono::milliseconds timeout);
    bool closed();

   private:
    friend class ChangeFeed;
    std::function<bool(const std::string&)> wants_;
    std::chrono::milliseconds min_interval_{};
    std::mutex mutex_;
    std::condition_variable changed_;
    std::set<std::string> pending_;
    std::chrono::steady_clock::time_point last_answered_{};
    bool closed_ = false;
  };

  // `min_interval` bounds how often a subscriber learns of changes (live.min_interval_ms): each
  // answer makes a view read its area again, and while workers are being registered an area
  // changes all the time.
  explicit ChangeFeed(std::chrono::milliseconds min_interval = {}) : min_interval_(min_interval) {}
  ~ChangeFeed() { close(); }
  // `wants` says which RW codes matter to the subscriber (e.g. those under an area).
  std::shared_ptr<Subscription> subscribe(std::function<bool(const std::string&)> wants);
  void publish(const std::vector<std::string>& rw_codes);
  // Tells every subscriber that anything may have changed (kAnything among its codes): the feed
  // may have missed changes (another replica's, announced while the subscription to them was
  // down), so views read again what they show.
  void publish_anything();
  static constexpr std::string_view kAnything = "*";
  // Wakes every subscriber for good (shutdown).
  void close();
  std::size_t subscribers();

 private:
  std::chrono::milliseconds min_interval_;
  // The subscriptions not yet dropped.
  std::vector<std::shared_ptr<Subscription>> live();
  std::mutex mutex_;
  std::vector<std::weak_ptr<Subscription>> subscriptions_;
  bool closed_ = false;
};

}  // namespace jaring::coverage
