#include "jaring/service/periodic.hpp"

#include <spdlog/spdlog.h>

#include <exception>

namespace jaring::service {

PeriodicTask::PeriodicTask(std::string name, std::chrono::milliseconds interval, std::function<void()> run)
    : name_(std::move(name)), interval_(interval), run_(std::move(run)) {}

void PeriodicTask::start(bool run_now) {
  if (thread_.joinable()) return;
  thread_ = std::thread([this, run_now] { loop(run_now); });
}

void PeriodicTask::poke() {
  {
    std::lock_guard lock(mutex_);
    poked_ = true;
  }
  wake_.notify_all();
}

void PeriodicTask::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void PeriodicTask::loop(bool run_now) {
  std::unique_lock lock(mutex_);
  if (!run_now) wake_.wait_for(lock, interval_, [this] { return stopping_ || poked_; });
  while (!stopping_) {
    poked_ = false;
    lock.unlock();
    // A chore that fails is retried at the next interval; it never takes the service down.
    try {
      run_();
    } catch (const std::exception& e) {
      spdlog::error("{}: {}", name_, e.what());
    } catch (...) {
      spdlog::error("{}: unknown exception", name_);
    }
    lock.lock();
    wake_.wait_for(lock, interval_, [this] { return stopping_ || poked_; });
  }
}

}  // namespace jaring::service
