// reclag: the library's own fork/join over "lanes" (std::thread), for code that partitions its
// rows itself. A header-only library must not force -fopenmp on its users, so this is plain
// C++17: lane 0 runs on the calling thread, lanes 1..n-1 on threads started for the call.
//
// Cost: one std::thread start and join per extra lane and call (~10-50 us, and one heap
// allocation each for the thread's state inside libstdc++); with one lane nothing is started
// and nothing is allocated. Partition work in tasks large enough to pay for it.
#pragma once

#include <exception>
#include <thread>
#include <utility>
#include <vector>

#include "reclag/core/types.hpp"

namespace reclag {

/// Runs body(lane) for lane = 0, ..., num_lanes - 1 concurrently and returns when all are done.
/// An exception thrown by any lane is rethrown here (the lowest lane's first) after every lane
/// has finished, so no thread outlives the call.
template <typename Body>
void run_lanes(Index num_lanes, Body&& body) {
    if (num_lanes <= 1) {
        if (num_lanes == 1) body(Index(0));
        return;
    }
    std::vector<std::exception_ptr> errors(static_cast<std::size_t>(num_lanes));
    std::vector<std::thread> threads;
    threads.reserve(static_cast<std::size_t>(num_lanes - 1));
    auto guarded = [&body, &errors](Index lane) {
        try {
            body(lane);
        } catch (...) {
            errors[static_cast<std::size_t>(lane)] = std::current_exception();
        }
    };
    try {
        for (Index lane = 1; lane < num_lanes; ++lane) threads.emplace_back(guarded, lane);
    } catch (...) {  // a thread could not be started: finish the started ones, then report
        for (auto& t : threads) t.join();
        throw;
    }
    guarded(Index(0));
    for (auto& t : threads) t.join();
    for (const auto& e : errors)
        if (e) std::rethrow_exception(e);
}

}  // namespace reclag
