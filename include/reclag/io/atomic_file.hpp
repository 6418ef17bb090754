// reclag: atomic file replacement for every writer in the library (npy, detector files, reports).
//
// A reader never sees a half-written file: the content goes to a temporary file in the target's
// directory ("<path>.tmp.<pid>.<counter>"), which is flushed, fsync()ed and then rename()d over
// the target. rename() within one file system replaces the name atomically (POSIX), so if the
// process dies mid-write the previous file is still there, intact, and at worst a stray
// "<path>.tmp.*" file is left behind.
#pragma once

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ostream>
#include <streambuf>
#include <string>
#include <utility>

#include "reclag/core/error.hpp"

#if defined(_WIN32)
#include <io.h>
#include <process.h>
#include <windows.h>
#else
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#endif

namespace reclag {
namespace detail {

[[noreturn]] inline void throw_io(const std::string& path, const std::string& problem) {
    throw io_error(path + ": " + problem);
}

inline std::string errno_text(int err) { return err != 0 ? std::string(std::strerror(err)) : "unknown error"; }

inline long current_pid() {
#if defined(_WIN32)
    return static_cast<long>(_getpid());
#else
    return static_cast<long>(::getpid());
#endif
}

/// Unique within the process (counter) and across processes (pid): two threads or two programs
/// saving the same path never share a temporary.
inline std::string temporary_name_for(const std::string& path) {
    static std::atomic<unsigned long> counter{0};
    return path + ".tmp." + std::to_string(current_pid()) + "." + std::to_string(counter.fetch_add(1));
}

/// Opens `tmp` for writing, failing if it already exists (O_EXCL), so a stale file of the same
/// name is never silently reused or followed as a symlink.
inline std::FILE* open_exclusive(const std::string& tmp) {
#if defined(_WIN32)
    return std::fopen(tmp.c_str(), "wbx");
#else
    const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);  // umask applies
    if (fd < 0) return nullptr;
    std::FILE* f = ::fdopen(fd, "wb");
    if (f == nullptr) {
        const int err = errno;
        ::close(fd);
        errno = err;
    }
    return f;
#endif
}

inline int sync_file(std::FILE* f) {
#if defined(_WIN32)
    return _commit(_fileno(f));
#else
    return ::fsync(::fileno(f));
#endif
}

inline int replace_file(const std::string& from, const std::string& to) {
#if defined(_WIN32)
    return MoveFileExA(from.c_str(), to.c_str(), MOVEFILE_REPLACE_EXISTING | MOVEFILE_WRITE_THROUGH) ? 0 : -1;
#else
    return std::rename(from.c_str(), to.c_str());
#endif
}

/// Makes the rename itself durable (the directory entry). Best effort: some file systems refuse
/// fsync on a directory, and the data is already safe at this point.
inline void sync_parent_directory(const std::string& path) {
#if !defined(_WIN32)
    const std::string::size_type slash = path.find_last_of('/');
    const std::string dir = slash == std::string::npos ? "." : (slash == 0 ? "/" : path.substr(0, slash));
    const int fd = ::open(dir.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
        (void)::fsync(fd);
        ::close(fd);
    }
#else
    (void)path;
#endif
}

/// A std::streambuf that forwards to a FILE*, so stream-based writers get the same fsync/rename
/// treatment as FILE*-based ones without an intermediate in-memory copy.
class file_streambuf : public std::streambuf {
public:
    explicit file_streambuf(std::FILE* f) : file_(f) {}

protected:
    int_type overflow(int_type ch) override {
        if (traits_type::eq_int_type(ch, traits_type::eof())) return traits_type::not_eof(ch);
        return std::fputc(ch, file_) == EOF ? traits_type::eof() : ch;
    }
    std::streamsize xsputn(const char* s, std::streamsize n) override {
        return static_cast<std::streamsize>(std::fwrite(s, 1, static_cast<std::size_t>(n), file_));
    }
    int sync() override { return std::fflush(file_) == 0 ? 0 : -1; }

private:
    std::FILE* file_;
};

}  // namespace detail

/// Writes `path` atomically: `writer(std::FILE*)` fills a temporary file in the same directory,
/// which is then flushed, fsync()ed and renamed over `path`.
///
/// Errors: if the temporary cannot be created, a write/flush/fsync/close/rename fails, or the
/// FILE* is in an error state after `writer` returns, the temporary is removed and
/// reclag::io_error ("<path>: <problem>") is thrown. If `writer` itself throws, the temporary is
/// removed and the writer's exception propagates unchanged. In every failure case the previous
/// content of `path` (if any) is left untouched.
///
/// ```
/// reclag::write_file_atomically("scores.bin", [&](std::FILE* f) {
///     if (std::fwrite(v.data(), sizeof(float), n, f) != n) throw reclag::io_error("short write");
/// });
/// ```
template <typename Writer>
void write_file_atomically(const std::string& path, Writer&& writer) {
    const std::string tmp = detail::temporary_name_for(path);
    std::FILE* f = detail::open_exclusive(tmp);
    if (f == nullptr) detail::throw_io(path, "cannot create temporary file " + tmp + ": " + detail::errno_text(errno));

    auto fail = [&](const std::string& problem) {
        const int err = errno;
        if (f != nullptr) std::fclose(f);
        std::remove(tmp.c_str());
        detail::throw_io(path, problem + ": " + detail::errno_text(err));
    };

    try {
        std::forward<Writer>(writer)(f);
    } catch (...) {
        std::fclose(f);
        std::remove(tmp.c_str());
        throw;
    }
    errno = 0;
    if (std::ferror(f) != 0) fail("write to temporary file " + tmp + " failed");
    if (std::fflush(f) != 0) fail("cannot flush temporary file " + tmp);
    if (detail::sync_file(f) != 0) fail("cannot fsync temporary file " + tmp);
    const int closed = std::fclose(f);
    f = nullptr;
    if (closed != 0) fail("cannot close temporary file " + tmp);
    if (detail::replace_file(tmp, path) != 0) fail("cannot rename temporary file " + tmp + " over the target");
    detail::sync_parent_directory(path);
}

/// Same as write_file_atomically, for writers that prefer a std::ostream. A stream left in a
/// failed state (badbit/failbit) counts as a write error.
template <typename Writer>
void write_stream_atomically(const std::string& path, Writer&& writer) {
    write_file_atomically(path, [&](std::FILE* f) {
        detail::file_streambuf buf(f);
        std::ostream os(&buf);
        std::forward<Writer>(writer)(os);
        os.flush();
        if (!os) detail::throw_io(path, "writing the stream failed");
    });
}

}  // namespace reclag
