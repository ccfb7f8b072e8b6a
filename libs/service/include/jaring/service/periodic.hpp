#pragma once
// A background thread that runs one callable every interval (the first run at start), for the
// chores a service does by itself: the calendar, trend points, closing completed cohorts. Stops
// promptly: stop() wakes the thread from its wait and joins it after the current run. A run that
// throws is logged under the task's name and the next run comes at the next interval.

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

namespace jaring::service {

class PeriodicTask {
 public:
  PeriodicTask(std::string name, std::chrono::milliseconds interval, std::function<void()> run);
  ~PeriodicTask() { stop(); }
  PeriodicTask(const PeriodicTask&) = delete;
  PeriodicTask& operator=(const PeriodicTask&) = delete;

  // Starts the thread: runs the callable at once (or after the first interval unless `run_now`),
  // then every interval. Once only.
  void start(bool run_now = true);
  // Runs the callable soon instead of at the end of the current wait.
  void poke();
  // Idempotent; returns after the current run (if any) ends.
  void stop();

 private:
  void loop(bool run_now);

  std::string name_;
  std::chrono::milliseconds interval_;
  std::function<void()> run_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  bool poked_ = false;
  std::thread thread_;
};

}  // namespace jaring::service
