#include "transforms/distributed/mpi_progress.h"

#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "transforms/distributed/mpi_common.h"

namespace fnx::dist_internal {
namespace {

// How long the thread sleeps between polls while requests are pending: a
// 25 MB all-reduce moves in many shared-memory fragments, each needing a
// poll, but every poll takes a core from the computation.
constexpr auto kPollInterval = std::chrono::microseconds(20);

struct Pending {
  MPI_Request request = MPI_REQUEST_NULL;
  MPI_Comm comm = MPI_COMM_NULL;
  bool done = false;
  int error = MPI_SUCCESS;
  Tensor buffer;  // written by the request: alive until it completes
};

class ProgressThread {
 public:
  void add(const std::shared_ptr<Pending>& p) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (!thread_.joinable() && !stopped_) {
        thread_ = std::thread([this] { loop(); });
      }
      pending_.push_back(p);
    }
    wake_.notify_all();
  }

  void wait(const std::shared_ptr<Pending>& p) {
    std::unique_lock<std::mutex> lock(mutex_);
    done_.wait(lock, [&] { return p->done; });
  }

  void stop() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stopped_ = true;
    }
    wake_.notify_all();
    if (thread_.joinable()) thread_.join();
  }

  bool stopped() {
    std::lock_guard<std::mutex> lock(mutex_);
    return stopped_;
  }

 private:
  void loop() {
    std::vector<std::shared_ptr<Pending>> polling;
    for (;;) {
      {
        std::unique_lock<std::mutex> lock(mutex_);
        // Finish what is pending even when stopping: nobody else owns it.
        wake_.wait(lock, [&] { return stopped_ || !pending_.empty(); });
        if (pending_.empty()) return;
        polling = pending_;
      }
      bool finished_any = false;
      for (const std::shared_ptr<Pending>& p : polling) {
        int flag = 0;
        const int code = MPI_Test(&p->request, &flag, MPI_STATUS_IGNORE);
        if (code != MPI_SUCCESS || flag) {
          std::lock_guard<std::mutex> lock(mutex_);
          p->error = code;
          p->done = true;
          std::erase(pending_, p);
          finished_any = true;
        }
      }
      if (finished_any) done_.notify_all();
      if (!finished_any) std::this_thread::sleep_for(kPollInterval);
    }
  }

  std::mutex mutex_;
  std::condition_variable wake_, done_;
  std::vector<std::shared_ptr<Pending>> pending_;
  std::thread thread_;
  bool stopped_ = false;
};

// Requests started without the progress thread. Each stays here, with its
// buffer, until it completes, even when nobody waits for it (a
// GradientBuckets dropped without finish()): completed ones are reaped when
// the next request starts, the rest waited for before MPI_Finalize. Only
// the compute thread calls MPI then (MPI_THREAD_SERIALIZED).
class Unpolled {
 public:
  void add(const std::shared_ptr<Pending>& p) {
    std::lock_guard<std::mutex> lock(mutex_);
    std::erase_if(list_, [](const std::shared_ptr<Pending>& q) {
      if (!q->done) {
        int flag = 0;
        const int code = MPI_Test(&q->request, &flag, MPI_STATUS_IGNORE);
        if (code != MPI_SUCCESS || flag) {
          q->error = code;
          q->done = true;
        }
      }
      return q->done;
    });
    list_.push_back(p);
  }

  void drain() {
    std::lock_guard<std::mutex> lock(mutex_);
    for (const std::shared_ptr<Pending>& q : list_) complete(*q);
    list_.clear();
  }

  static void complete(Pending& p) {
    if (p.done) return;
    p.error = MPI_Wait(&p.request, MPI_STATUS_IGNORE);
    p.done = true;
  }

 private:
  std::mutex mutex_;
  std::vector<std::shared_ptr<Pending>> list_;
};

Unpolled& unpolled() {
  static Unpolled* list = new Unpolled;
  return *list;
}

// Never destroyed: stop_progress_thread joins it at MPI_Finalize, and a
// destructor at exit could run after that or not at all (MPI_Abort).
ProgressThread& progress() {
  static ProgressThread* thread = new ProgressThread;
  return *thread;
}

int g_provided = MPI_THREAD_SINGLE;

}  // namespace

bool progress_thread_requested() {
  static const bool want = [] {
    const char* v = std::getenv("FNX_DIST_PROGRESS_THREAD");
    return v != nullptr && std::strcmp(v, "1") == 0;
  }();
  return want;
}

void set_thread_level(int provided) { g_provided = provided; }

bool progress_thread_enabled() {
  return progress_thread_requested() && g_provided == MPI_THREAD_MULTIPLE;
}

std::function<void()> track(MPI_Request request, MPI_Comm comm,
                            const char* what, const Tensor& buffer) {
  auto p = std::make_shared<Pending>();
  p->request = request;
  p->comm = comm;
  p->buffer = buffer;
  if (!progress_thread_enabled() || progress().stopped()) {
    unpolled().add(p);
    return [p, what] {
      Unpolled::complete(*p);
      check_mpi(p->error, what, p->comm);
    };
  }
  progress().add(p);
  return [p, what] {
    progress().wait(p);
    check_mpi(p->error, what, p->comm);
  };
}

void stop_progress_thread() {
  progress().stop();
  unpolled().drain();
}

}  // namespace fnx::dist_internal
