#include "common/thread_pool.h"

#include <algorithm>

namespace qb {

ThreadPool::ThreadPool(int threads) {
    if (threads <= 0) threads = int(std::max(1u, std::thread::hardware_concurrency()));
    for (int i = 1; i < threads; ++i) m_workers.emplace_back([this, i] { workerLoop(i); });
}

ThreadPool::~ThreadPool() {
    {
        std::lock_guard<std::mutex> lock(m_mutex);
        m_stop = true;
    }
    m_wake.notify_all();
    for (auto& t : m_workers) t.join();
}

static void runShare(const std::function<void(int64_t, int64_t)>& fn, int64_t n, int index, int parts) {
    const int64_t begin = n * index / parts;
    const int64_t end = n * (index + 1) / parts;
    if (begin < end) fn(begin, end);
}

void ThreadPool::workerLoop(int index) {
    uint64_t seen = 0;
    for (;;) {
        const std::function<void(int64_t, int64_t)>* job;
        int64_t n;
        {
            std::unique_lock<std::mutex> lock(m_mutex);
            m_wake.wait(lock, [&] { return m_stop || m_generation != seen; });
            if (m_stop) return;
            seen = m_generation;
            job = m_job;
            n = m_n;
        }
        runShare(*job, n, index, size());
        std::lock_guard<std::mutex> lock(m_mutex);
        if (--m_pending == 0) m_done.notify_one();
    }
}

void ThreadPool::parallelFor(int64_t n, const std::function<void(int64_t, int64_t)>& fn) {
    if (n <= 0) return;
    if (m_workers.empty() || n == 1) {
        fn(0, n);
        return;
    }
    std::lock_guard<std::mutex> turn(m_callMutex);
    {
        std::lock_guard<std::mutex> lock(m_mutex);
        m_job = &fn;
        m_n = n;
        m_pending = int(m_workers.size());
        ++m_generation;
    }
    m_wake.notify_all();
    runShare(fn, n, 0, size());
    std::unique_lock<std::mutex> lock(m_mutex);
    m_done.wait(lock, [&] { return m_pending == 0; });
}

} // namespace qb
