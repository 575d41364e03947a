// An LD_PRELOAD library for the fault tests (tests/e2e/fault_test.cpp): it fails the Nth call
// of one kind of I/O call in the process it is loaded into, with a chosen errno, and counts.
//
//   ENVPIN_FAULT=write:17:ENOSPC   the 17th write-kind call fails with ENOSPC (that call only)
//   ENVPIN_FAULT_LOG=FILE          at exit: "write 123\nfsync 9\n..." (calls of each kind), and
//                                  "fired write 17" when the fault fired
//
// Kinds: write (write, pwrite, pwrite64, writev), fsync (fsync, fdatasync, syncfs), rename
// (rename, renameat, renameat2), link (link, linkat), open (open, open64, openat, openat64),
// mkdir (mkdir, mkdirat). Errnos: ENOSPC, EIO, EACCES, EROFS. The library removes LD_PRELOAD
// from the environment as it loads, so only the process under test is faulted, never its children.
#define _GNU_SOURCE
#include <dlfcn.h>
#include <execinfo.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <unistd.h>

enum kind { k_write, k_fsync, k_rename, k_link, k_open, k_mkdir, k_count };
static const char* const kind_names[k_count] = {"write", "fsync", "rename", "link", "open", "mkdir"};
static atomic_long calls[k_count];
static int fault_kind = -1;
static long fault_at = 0;
static int fault_errno = 0;
static atomic_int fired;
static char log_path[4096];

static void write_log(void)
{
    if (log_path[0] == '\0')
        return;
    FILE* log = fopen(log_path, "a");
    if (log == NULL)
        return;
    for (int i = 0; i < k_count; ++i)
        fprintf(log, "%s %ld\n", kind_names[i], atomic_load(&calls[i]));
    if (atomic_load(&fired))
        fprintf(log, "fired %s %ld\n", kind_names[fault_kind], fault_at);
    fclose(log);
}

__attribute__((constructor)) static void start(void)
{
    unsetenv("LD_PRELOAD");
    const char* log = getenv("ENVPIN_FAULT_LOG");
    if (log != NULL)
        snprintf(log_path, sizeof log_path, "%s", log);
    const char* fault = getenv("ENVPIN_FAULT");
    if (fault != NULL) {
        char name[32] = {0}, error[32] = {0};
        long at = 0;
        if (sscanf(fault, "%31[a-z]:%ld:%31[A-Z]", name, &at, error) == 3) {
            for (int i = 0; i < k_count; ++i)
                if (strcmp(name, kind_names[i]) == 0)
                    fault_kind = i;
            fault_at = at;
            fault_errno = strcmp(error, "ENOSPC") == 0 ? ENOSPC
                        : strcmp(error, "EIO") == 0    ? EIO
                        : strcmp(error, "EACCES") == 0 ? EACCES
                        : strcmp(error, "EROFS") == 0  ? EROFS
                                                       : 0;
        }
    }
    atexit(write_log);
}

// Counts a call of `kind`; nonzero when this one is to fail (errno set).
static int fault(enum kind kind)
{
    const long n = atomic_fetch_add(&calls[kind], 1) + 1;
    if ((int)kind != fault_kind || n != fault_at || fault_errno == 0)
        return 0;
    atomic_store(&fired, 1);
    if (getenv("ENVPIN_FAULT_BACKTRACE") != NULL) {  // for debugging a test: where it fired
        void* frames[32];
        backtrace_symbols_fd(frames, backtrace(frames, 32), 2);
    }
    errno = fault_errno;
    return 1;
}

#define REAL(name)                       \
    static __typeof__(&name) real_##name; \
    if (!real_##name)                     \
    real_##name = (__typeof__(&name))dlsym(RTLD_NEXT, #name)

// Writes to stdin, stdout and stderr are not counted: the fault tests are about the store.
ssize_t write(int fd, const void* buffer, size_t size)
{
    REAL(write);
    return fd > 2 && fault(k_write) ? -1 : real_write(fd, buffer, size);
}

ssize_t pwrite(int fd, const void* buffer, size_t size, off_t offset)
{
    REAL(pwrite);
    return fault(k_write) ? -1 : real_pwrite(fd, buffer, size, offset);
}

ssize_t pwrite64(int fd, const void* buffer, size_t size, off64_t offset)
{
    REAL(pwrite64);
    return fault(k_write) ? -1 : real_pwrite64(fd, buffer, size, offset);
}

ssize_t writev(int fd, const struct iovec* vector, int count)
{
    REAL(writev);
    return fd > 2 && fault(k_write) ? -1 : real_writev(fd, vector, count);
}

int fsync(int fd)
{
    REAL(fsync);
    return fault(k_fsync) ? -1 : real_fsync(fd);
}

int fdatasync(int fd)
{
    REAL(fdatasync);
    return fault(k_fsync) ? -1 : real_fdatasync(fd);
}

int syncfs(int fd)
{
    REAL(syncfs);
    return fault(k_fsync) ? -1 : real_syncfs(fd);
}

int rename(const char* from, const char* to)
{
    REAL(rename);
    return fault(k_rename) ? -1 : real_rename(from, to);
}

int renameat(int from_dir, const char* from, int to_dir, const char* to)
{
    REAL(renameat);
    return fault(k_rename) ? -1 : real_renameat(from_dir, from, to_dir, to);
}

int renameat2(int from_dir, const char* from, int to_dir, const char* to, unsigned flags)
{
    REAL(renameat2);
    return fault(k_rename) ? -1 : real_renameat2(from_dir, from, to_dir, to, flags);
}

int link(const char* from, const char* to)
{
    REAL(link);
    return fault(k_link) ? -1 : real_link(from, to);
}

int linkat(int from_dir, const char* from, int to_dir, const char* to, int flags)
{
    REAL(linkat);
    return fault(k_link) ? -1 : real_linkat(from_dir, from, to_dir, to, flags);
}

static mode_t mode_of(int flags, va_list arguments)
{
    return (flags & O_CREAT) || (flags & O_TMPFILE) == O_TMPFILE ? (mode_t)va_arg(arguments, int) : 0;
}

int open(const char* path, int flags, ...)
{
    REAL(open);
    va_list arguments;
    va_start(arguments, flags);
    const mode_t mode = mode_of(flags, arguments);
    va_end(arguments);
    return fault(k_open) ? -1 : real_open(path, flags, mode);
}

int open64(const char* path, int flags, ...)
{
    REAL(open64);
    va_list arguments;
    va_start(arguments, flags);
    const mode_t mode = mode_of(flags, arguments);
    va_end(arguments);
    return fault(k_open) ? -1 : real_open64(path, flags, mode);
}

int openat(int dir, const char* path, int flags, ...)
{
    REAL(openat);
    va_list arguments;
    va_start(arguments, flags);
    const mode_t mode = mode_of(flags, arguments);
    va_end(arguments);
    return fault(k_open) ? -1 : real_openat(dir, path, flags, mode);
}

int openat64(int dir, const char* path, int flags, ...)
{
    REAL(openat64);
    va_list arguments;
    va_start(arguments, flags);
    const mode_t mode = mode_of(flags, arguments);
    va_end(arguments);
    return fault(k_open) ? -1 : real_openat64(dir, path, flags, mode);
}

int mkdir(const char* path, mode_t mode)
{
    REAL(mkdir);
    return fault(k_mkdir) ? -1 : real_mkdir(path, mode);
}

int mkdirat(int dir, const char* path, mode_t mode)
{
    REAL(mkdirat);
    return fault(k_mkdir) ? -1 : real_mkdirat(dir, path, mode);
}
