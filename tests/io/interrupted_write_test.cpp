// Atomic replacement under a real crash: a child process saves a large .npy matrix (or a large
// detector file) over and over, alternating two versions, and the parent SIGKILLs it, 12
// times: after a blind delay spread over twice the measured duration of one save, or a few ms
// after the child's temporary file appeared. After every kill:
//  - the target loads and equals exactly one complete version (A or B), never a mixture or a
//    truncated file (write_file_atomically: temporary + fsync + rename, io/atomic_file.hpp);
//  - every other directory entry is a temporary "<target>.tmp.<childpid>.<counter>" of the
//    killed child (never the target's name, never another process's);
// and the test counts the kills that landed mid-write (a stray temporary was left), requiring
// at least one, so the property is demonstrated and not just vacuously true.
#include <catch2/catch.hpp>

#include <chrono>
#include <csignal>
#include <cstdio>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <reclag/io/detector_file.hpp>
#include <reclag/io/npy.hpp>
#include <reclag/score/reclag_scorer.hpp>

#include "io_test_util.hpp"
#include "shared_data.hpp"

namespace {

struct KillStats {
    int kills = 0;
    int mid_write = 0;       ///< kills after which a temporary of the child was left behind
    int loaded_a = 0;        ///< times the target held version A after a kill
    int loaded_b = 0;
};

/// True once `dir` holds an entry starting with `prefix`.
bool has_entry_with_prefix(const reclag_test::TempDir& dir, const std::string& prefix) {
    for (const std::string& e : dir.list())
        if (e.rfind(prefix, 0) == 0) return true;
    return false;
}

/// Forks `rounds` children; child k signals on a pipe right before each save (alternating
/// save_b, save_a, save_b, ...) and is SIGKILLed:
///  - even k: a blind delay after its first signal, the delays spread evenly over
///    [0, max_delay_ms] (anywhere in the first saves: serialising, writing, renaming);
///  - odd k: 0 .. 4 ms after its temporary file appears (polled), i.e. inside the write. The
///    machine is shared and a save's phases vary by a factor of 3 between runs, so blind
///    delays alone cannot be relied on to hit the file phase.
/// `which` loads the target and returns 'A', 'B' or anything else for "neither".
KillStats kill_during_saves(const reclag_test::TempDir& dir, const std::string& name, int rounds, double max_delay_ms,
                            const std::function<void()>& save_a, const std::function<void()>& save_b,
                            const std::function<char()>& which) {
    KillStats st;
    for (int k = 0; k < rounds; ++k) {
        int fds[2];
        REQUIRE(::pipe(fds) == 0);
        std::fflush(nullptr);
        const pid_t child = ::fork();
        REQUIRE(child >= 0);
        if (child == 0) {
            ::close(fds[0]);
            try {
                for (unsigned i = 0;; ++i) {
                    const char m = 'm';
                    if (::write(fds[1], &m, 1) != 1) ::_exit(2);
                    if (i % 2 == 0) save_b();
                    else save_a();
                }
            } catch (...) {
                ::_exit(1);
            }
        }
        ::close(fds[1]);
        char m = 0;
        REQUIRE(::read(fds[0], &m, 1) == 1);  // the child is about to call save
        const std::string prefix = name + ".tmp." + std::to_string(child) + ".";
        double delay_ms = 0.0;
        if (k % 2 == 0) {
            delay_ms = max_delay_ms * static_cast<double>(k / 2) / static_cast<double>((rounds - 1) / 2);
        } else {
            const auto t0 = std::chrono::steady_clock::now();
            while (!has_entry_with_prefix(dir, prefix) && std::chrono::steady_clock::now() - t0 < std::chrono::seconds(5))
                std::this_thread::sleep_for(std::chrono::microseconds(100));
            delay_ms = static_cast<double>((k / 2) % 5);
        }
        std::this_thread::sleep_for(std::chrono::microseconds(static_cast<long>(delay_ms * 1000.0)));
        REQUIRE(::kill(child, SIGKILL) == 0);
        int status = 0;
        REQUIRE(::waitpid(child, &status, 0) == child);
        ::close(fds[0]);
        REQUIRE(WIFSIGNALED(status));
        REQUIRE(WTERMSIG(status) == SIGKILL);
        ++st.kills;

        INFO("round " << k << (k % 2 == 0 ? ", blind delay " : ", after the temporary appeared + ") << delay_ms << " ms, child "
                      << child);
        const char v = which();
        CHECK((v == 'A' || v == 'B'));
        st.loaded_a += v == 'A' ? 1 : 0;
        st.loaded_b += v == 'B' ? 1 : 0;
        int strays = 0;
        for (const std::string& entry : dir.list()) {
            if (entry == name) continue;
            INFO("directory entry " << entry);
            CHECK(entry.rfind(prefix, 0) == 0);  // only the dead child's temporaries
            CHECK(entry.size() > prefix.size());
            ++strays;
            ::unlink(dir.file(entry).c_str());  // so the next round counts its own
        }
        CHECK(strays <= 1);  // one save at a time: at most one temporary in flight
        st.mid_write += strays > 0 ? 1 : 0;
    }
    return st;
}

double milliseconds_of(const std::function<void()>& f) {
    const auto t0 = std::chrono::steady_clock::now();
    f();
    return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace

TEST_CASE("SIGKILL during save_npy of a 32 MB matrix never leaves a partial target", "[io][atomic][crash]") {
    reclag_test::TempDir dir;
    const std::string name = "big.npy";
    const std::string target = dir.file(name);
    // Version A = 1, version B = 2 everywhere except a distinct first entry: a file mixing the
    // two, or a truncated one, equals neither (load_npy also rejects a short file outright).
    Eigen::MatrixXd a = Eigen::MatrixXd::Constant(2000, 2000, 1.0), b = Eigen::MatrixXd::Constant(2000, 2000, 2.0);
    a(0, 0) = -1.0;
    b(0, 0) = -2.0;
    const std::function<void()> save_a = [&] { reclag::save_npy(target, a); };
    const std::function<void()> save_b = [&] { reclag::save_npy(target, b); };
    const double ms = milliseconds_of(save_a);  // also the old version every round starts from
    INFO("one save takes " << ms << " ms");
    const auto which = [&]() -> char {
        try {
            const Eigen::MatrixXd m = reclag::load_npy<Eigen::MatrixXd>(target);
            if (m == a) return 'A';
            if (m == b) return 'B';
        } catch (const std::exception&) {
        }
        return '?';
    };
    // Blind kills spread over two saves' time (~0.1 s each with the fsync, so 12 rounds stay
    // within a few seconds), the others inside a write.
    const KillStats st = kill_during_saves(dir, name, 12, 2.0 * ms, save_a, save_b, which);
    std::printf("interrupted save_npy (%.1f ms per save): %d kills, %d mid-write (stray temporary), target = A %d, B %d times\n",
                ms, st.kills, st.mid_write, st.loaded_a, st.loaded_b);
    CHECK(st.kills == 12);
    CHECK(st.loaded_a + st.loaded_b == 12);
    CHECK(st.mid_write >= 1);
}

TEST_CASE("SIGKILL during save_detector of a large detector never leaves a partial target", "[io][atomic][crash]") {
    reclag_test::TempDir dir;
    const std::string name = "big.reclag";
    const std::string target = dir.file(name);
    // Per-class xi, 10 classes x 250 memories x 512 in double: 10 MB (+ header, checksum).
    std::vector<reclag::RowMatrix<double>> xa, xb;
    for (int c = 0; c < 10; ++c) {
        xa.push_back(reclag::RowMatrix<double>::Constant(250, 512, 0.5 + c));
        xb.push_back(reclag::RowMatrix<double>::Constant(250, 512, -0.5 - c));
    }
    reclag::ReclagScorer<double> sa(xa), sb(xb);
    sa.set_log_gamma(1.5);
    sb.set_log_gamma(-2.5);
    const std::function<void()> save_a = [&] { reclag::save_detector(target, sa); };
    const std::function<void()> save_b = [&] { reclag::save_detector(target, sb); };
    const double ms = milliseconds_of(save_a);
    // save_detector first serialises the whole file in memory (bytes + FNV-1a checksum: over
    // half of a save here) and only then creates the temporary: a kill in that phase leaves
    // nothing on disk (the blind rounds often land there; the other rounds wait for the file).
    const double serialise_ms = milliseconds_of([&] { (void)reclag::save_detector_to_memory(sa); });
    INFO("one save takes " << ms << " ms, of which serialising " << serialise_ms << " ms");
    const auto which = [&]() -> char {
        try {
            const reclag::ReclagScorer<double> s = reclag::load_detector<double>(target);
            const auto& xi = s.detector().interaction();
            if (xi.size() != 10 || !s.is_fitted()) return '?';
            bool is_a = s.log_gamma() == 1.5, is_b = s.log_gamma() == -2.5;
            for (std::size_t c = 0; c < 10; ++c) {
                is_a = is_a && xi[c] == xa[c];
                is_b = is_b && xi[c] == xb[c];
            }
            return is_a ? 'A' : (is_b ? 'B' : '?');
        } catch (const std::exception&) {
            return '?';
        }
    };
    const KillStats st = kill_during_saves(dir, name, 12, 2.0 * ms, save_a, save_b, which);
    std::printf("interrupted save_detector (%.1f ms per save, %.1f serialising): %d kills, %d mid-write (stray temporary), target = A %d, B %d times\n",
                ms, serialise_ms, st.kills, st.mid_write, st.loaded_a, st.loaded_b);
    CHECK(st.kills == 12);
    CHECK(st.loaded_a + st.loaded_b == 12);
    CHECK(st.mid_write >= 1);
}
