#pragma once
// A small persistent pool for data-parallel loops: parallelFor splits [0, n)
// into contiguous ranges, runs them on the pool's threads plus the caller,
// and returns when all are done. One pool per long-lived engine; passed in,
// never global.
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace qb {

class ThreadPool {
public:
    explicit ThreadPool(int threads = 0); // 0 = hardware concurrency
    ~ThreadPool();
    ThreadPool(const ThreadPool&) = delete;
    ThreadPool& operator=(const ThreadPool&) = delete;

    int size() const { return int(m_workers.size()) + 1; }
    // Safe to call from several threads at once: callers take turns (each
    // loop still runs on every thread of the pool). Not re-entrant from `fn`.
    void parallelFor(int64_t n, const std::function<void(int64_t begin, int64_t end)>& fn);

private:
    void workerLoop(int index);

    std::vector<std::thread> m_workers;
    std::mutex m_mutex;
    std::condition_variable m_wake;
    std::condition_variable m_done;
    std::mutex m_callMutex; // one parallelFor at a time
    const std::function<void(int64_t, int64_t)>* m_job = nullptr;
    int64_t m_n = 0;
    uint64_t m_generation = 0;
    int m_pending = 0;
    bool m_stop = false;
};

} // namespace qb
