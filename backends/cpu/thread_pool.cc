#include "backends/cpu/thread_pool.h"

#include <algorithm>
#include <atomic>
#include <charconv>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <mutex>
#include <string_view>
#include <thread>
#include <vector>

#include "backends/cpu/threads.h"
#include "core/error.h"

namespace fnx::cpu {
namespace {

constexpr int kMaxThreads = 1024;

thread_local bool t_in_task = false;

int hardware_threads() {
  return std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
}

// A thread count from the environment: FNX_NUM_THREADS, else
// OMP_NUM_THREADS (its first entry: "4,2" is 4), else every hardware thread.
int threads_from_environment() {
  const int fallback = hardware_threads();
  for (const char* name : {"FNX_NUM_THREADS", "OMP_NUM_THREADS"}) {
    const char* env = std::getenv(name);
    if (env == nullptr) continue;
    std::string_view text(env);
    if (name[0] == 'O') text = text.substr(0, text.find(','));
    int n = 0;
    const auto [end, ec] =
        std::from_chars(text.data(), text.data() + text.size(), n);
    if (ec == std::errc() && end == text.data() + text.size() && n >= 1 &&
        n <= kMaxThreads) {
      return n;
    }
    std::fprintf(stderr,
                 "fnx: ignoring %s=\"%s\" (want a whole number from 1 to "
                 "%d); using %d threads\n",
                 name, env, kMaxThreads, fallback);
    return fallback;
  }
  return fallback;
}

// How long an idle worker watches for the next job before it sleeps:
// FNX_SPIN_US microseconds (0: sleep at once), default 50.
int spin_us() {
  static const int us = [] {
    const char* env = std::getenv("FNX_SPIN_US");
    int v = 50;
    if (env != nullptr) {
      std::string_view text(env);
      int n = 0;
      const auto [end, ec] =
          std::from_chars(text.data(), text.data() + text.size(), n);
      if (ec == std::errc() && end == text.data() + text.size() && n >= 0 &&
          n <= 1000000) {
        v = n;
      } else {
        std::fprintf(stderr,
                     "fnx: ignoring FNX_SPIN_US=\"%s\" (want microseconds "
                     "from 0 to 1000000); using 50\n",
                     env);
      }
    }
    return v;
  }();
  return us;
}

inline void cpu_relax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#endif
}

std::atomic<int>& num_threads() {
  static std::atomic<int> n{threads_from_environment()};
  return n;
}

class ThreadPool {
 public:
  ~ThreadPool() { resize(0); }

  // Returns false (running nothing) when the pool is busy with another job.
  bool try_run(int64_t n, const std::function<void(int64_t)>& task) {
    std::unique_lock<std::mutex> job_lock(job_mutex_, std::try_to_lock);
    if (!job_lock.owns_lock()) return false;
    // set_num_threads() takes effect here, between jobs.
    const std::size_t workers = static_cast<std::size_t>(pool_threads() - 1);
    if (threads_.size() != workers) resize(workers);
    bool wake = false;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      task_ = &task;
      total_ = n;
      next_ = 0;
      pending_ = n;
      error_ = nullptr;
      generation_.fetch_add(1, std::memory_order_release);
      wake = sleeping_ > 0;
    }
    // Spinning workers see the new generation themselves.
    if (wake) wake_.notify_all();
    work();  // the caller takes tasks too
    spin_until_done();
    std::unique_lock<std::mutex> lock(mutex_);
    done_.wait(lock, [this] { return pending_ == 0; });
    task_ = nullptr;
    if (error_) std::rethrow_exception(error_);
    return true;
  }

 private:
  // Called with job_mutex_ held (or from the destructor): no job runs.
  void resize(std::size_t workers) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stop_ = true;
    }
    wake_.notify_all();
    for (auto& t : threads_) t.join();
    threads_.clear();
    // New workers wait for the next job, not the last one.
    std::lock_guard<std::mutex> lock(mutex_);
    stop_ = false;
    const uint64_t seen = generation_.load();
    for (std::size_t i = 0; i < workers; ++i) {
      threads_.emplace_back([this, seen] { loop(seen); });
    }
  }

  void loop(uint64_t seen) {
    while (true) {
      spin_until_next_job(seen);
      {
        std::unique_lock<std::mutex> lock(mutex_);
        ++sleeping_;
        wake_.wait(lock, [&] { return stop_ || generation_ != seen; });
        --sleeping_;
        if (stop_) return;
        seen = generation_;
      }
      work();
    }
  }

  // Watches for the next job for a short while before sleeping: an op's
  // parallel loop usually follows another within microseconds, and a
  // sleeping worker takes longer than that to wake (a futex wake-up and a
  // reschedule), so small kernels split in two ran slower than on one
  // thread. Bounded (kSpinMicros), so an idle pool still sleeps.
  void spin_until_next_job(uint64_t seen) const {
    const auto deadline =
        std::chrono::steady_clock::now() + std::chrono::microseconds(spin_us());
    for (int i = 1;; ++i) {
      if (generation_.load(std::memory_order_acquire) != seen ||
          stop_.load(std::memory_order_relaxed)) {
        return;
      }
      cpu_relax();
      if (i % 64 == 0 && std::chrono::steady_clock::now() >= deadline) return;
    }
  }

  // The caller watches the workers' last tasks for a short while before
  // sleeping on done_: they usually end within microseconds, and a futex
  // sleep and wake-up (the worker's notify then a syscall, the caller a
  // reschedule) cost more than the small kernels being shared (a compiled
  // MAML step's 12800-element ops took 8 us on one thread, 22 us split).
  void spin_until_done() const {
    const auto deadline =
        std::chrono::steady_clock::now() + std::chrono::microseconds(spin_us());
    for (int i = 1;; ++i) {
      if (pending_.load(std::memory_order_acquire) == 0) return;
      cpu_relax();
      if (i % 64 == 0 && std::chrono::steady_clock::now() >= deadline) return;
    }
  }

  // Takes task indices until none are left.
  void work() {
    while (true) {
      int64_t i;
      const std::function<void(int64_t)>* task;
      {
        std::lock_guard<std::mutex> lock(mutex_);
        if (task_ == nullptr || next_ >= total_) return;
        i = next_++;
        task = task_;
      }
      t_in_task = true;
      std::exception_ptr error;
      try {
        (*task)(i);
      } catch (...) {
        error = std::current_exception();
      }
      t_in_task = false;
      std::lock_guard<std::mutex> lock(mutex_);
      if (error && !error_) error_ = error;
      if (--pending_ == 0) done_.notify_all();
    }
  }

  std::mutex job_mutex_;  // one job at a time
  std::mutex mutex_;      // guards the fields below
  std::condition_variable wake_, done_;
  std::vector<std::thread> threads_;  // resized under job_mutex_
  const std::function<void(int64_t)>* task_ = nullptr;
  int64_t total_ = 0, next_ = 0;
  // Written under mutex_; the caller also reads it without (spin_until_done).
  std::atomic<int64_t> pending_{0};
  int sleeping_ = 0;  // workers waiting on wake_
  // Written under mutex_, read by spinning workers without it.
  std::atomic<uint64_t> generation_{0};
  std::exception_ptr error_;
  std::atomic<bool> stop_{false};
};

ThreadPool& pool() {
  // Leaked on purpose: joining threads during static destruction races
  // with other destructors that may still run kernels.
  static ThreadPool* p = new ThreadPool;
  return *p;
}

}  // namespace

int pool_threads() { return num_threads().load(std::memory_order_relaxed); }

int pool_spin_us() { return spin_us(); }

bool in_pool_task() { return t_in_task; }

void pool_run(int64_t n, const std::function<void(int64_t)>& task) {
  if (n <= 0) return;
  if (n == 1 || t_in_task || pool_threads() == 1 || !pool().try_run(n, task)) {
    for (int64_t i = 0; i < n; ++i) task(i);
  }
}

}  // namespace fnx::cpu

namespace fnx {

void set_num_threads(int n) {
  FNX_CHECK(n >= 1 && n <= cpu::kMaxThreads, "set_num_threads",
            "the thread count must be from 1 to ", cpu::kMaxThreads, ", got ",
            n, "; pass 1 to run CPU kernels on the calling thread only");
  cpu::num_threads().store(n, std::memory_order_relaxed);
}

int get_num_threads() { return cpu::pool_threads(); }

}  // namespace fnx
