// reclag: the deterministic random-number scheme of the SFNN trainer.
//
// std::mt19937_64's output sequence is fixed by the C++ standard, and so is std::seed_seq; the
// standard *distributions* are not (libstdc++ and libc++ differ), so the few draws the trainer
// needs are written out here. A given seed therefore gives the same draws on every platform.
// (NumPy's default_rng, which the Python reference uses, cannot be reproduced bit for bit.)
#pragma once

#include <cstdint>
#include <random>
#include <utility>
#include <vector>

#include "reclag/core/types.hpp"

namespace reclag {

/// One independent stream of the trainer: std::mt19937_64 seeded through
/// std::seed_seq{seed_lo32, seed_hi32, stream}. Streams used by SfnnTrainer: for the global xi
/// (class = -1) and for class c, stream 2(class + 1) draws the initial rows and the epoch
/// permutations, stream 2(class + 1) + 1 the Monte Carlo uniforms.
class TrainRng {
public:
    TrainRng(std::uint64_t seed, std::uint32_t stream) {
        std::seed_seq seq{static_cast<std::uint32_t>(seed & 0xffffffffu), static_cast<std::uint32_t>(seed >> 32), stream};
        engine_.seed(seq);
    }

    /// Uniform integer in [0, n), n >= 1: rejection of the top partial range, then modulo.
    std::uint64_t below(std::uint64_t n) {
        const std::uint64_t max = std::mt19937_64::max();
        const std::uint64_t limit = max - (max % n + 1) % n;  // largest multiple of n, minus 1
        std::uint64_t r = engine_();
        while (r > limit) r = engine_();
        return r % n;
    }

    /// Uniform double in [0, 1) with 53 random bits.
    double uniform() { return static_cast<double>(engine_() >> 11) * 0x1.0p-53; }

    /// Fisher-Yates from the identity: p[i] for i = n-1 .. 1 swaps with p[below(i + 1)].
    /// Every epoch starts again from 0..n-1, so a permutation depends only on the stream state.
    void permutation(std::vector<Index>& p, Index n) {
        p.resize(static_cast<std::size_t>(n));
        for (Index i = 0; i < n; ++i) p[static_cast<std::size_t>(i)] = i;
        for (Index i = n - 1; i > 0; --i) {
            const auto j = static_cast<std::size_t>(below(static_cast<std::uint64_t>(i + 1)));
            std::swap(p[static_cast<std::size_t>(i)], p[j]);
        }
    }

    /// k distinct indices of [0, n) in draw order (partial Fisher-Yates: step i swaps i with
    /// i + below(n - i)).
    std::vector<Index> choose(Index n, Index k) {
        std::vector<Index> p(static_cast<std::size_t>(n));
        for (Index i = 0; i < n; ++i) p[static_cast<std::size_t>(i)] = i;
        for (Index i = 0; i < k; ++i) {
            const auto j = static_cast<std::size_t>(i) + static_cast<std::size_t>(below(static_cast<std::uint64_t>(n - i)));
            std::swap(p[static_cast<std::size_t>(i)], p[j]);
        }
        p.resize(static_cast<std::size_t>(k));
        return p;
    }

private:
    std::mt19937_64 engine_;
};

}  // namespace reclag
