#include "change_feed.hpp"

#include <algorithm>
#include <utility>

namespace jaring::coverage {

std::set<std::string> ChangeFeed::Subscription::wait(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  changed_.wait_for(lock, timeout, [this] { return closed_ || !pending_.empty(); });
  if (!closed_ && !pending_.empty()) {
    // Answered a moment ago: what changes until the interval has passed joins this answer.
    changed_.wait_until(lock, last_answered_ + min_interval_, [this] { return closed_; });
    last_answered_ = std::chrono::steady_clock::now();
  }
  return std::exchange(pending_, {});
}

bool ChangeFeed::Subscription::closed() {
  std::lock_guard lock(mutex_);
  return closed_;
}

std::shared_ptr<ChangeFeed::Subscription> ChangeFeed::subscribe(
    std::function<bool(const std::string&)> wants) {
  auto sub = std::make_shared<Subscription>();
  sub->wants_ = std::move(wants);
  sub->min_interval_ = min_interval_;
  std::lock_guard lock(mutex_);
  sub->closed_ = closed_;
  std::erase_if(subscriptions_, [](const auto& weak) { return weak.expired(); });
  subscriptions_.push_back(sub);
  return sub;
}

std::vector<std::shared_ptr<ChangeFeed::Subscription>> ChangeFeed::live() {
  std::vector<std::shared_ptr<Subscription>> out;
  std::lock_guard lock(mutex_);
  for (const auto& weak : subscriptions_) {
    if (auto sub = weak.lock()) out.push_back(std::move(sub));
  }
  return out;
}

void ChangeFeed::publish_anything() {
  for (const auto& sub : live()) {
    {
      std::lock_guard lock(sub->mutex_);
      sub->pending_.emplace(kAnything);
    }
    sub->changed_.notify_all();
  }
}

void ChangeFeed::publish(const std::vector<std::string>& rw_codes) {
  if (rw_codes.empty()) return;
  for (const auto& sub : live()) {
    bool any = false;
    {
      std::lock_guard lock(sub->mutex_);
      for (const auto& code : rw_codes) {
        if (sub->wants_(code)) any = sub->pending_.insert(code).second || any;
      }
    }
    if (any) sub->changed_.notify_all();
  }
}

void ChangeFeed::close() {
  {
    std::lock_guard lock(mutex_);
    closed_ = true;
  }
  for (const auto& sub : live()) {
    std::lock_guard lock(sub->mutex_);
    sub->closed_ = true;
    sub->changed_.notify_all();
  }
}

std::size_t ChangeFeed::subscribers() {
  std::lock_guard lock(mutex_);
  std::erase_if(subscriptions_, [](const auto& weak) { return weak.expired(); });
  return subscriptions_.size();
}

}  // namespace jaring::coverage
