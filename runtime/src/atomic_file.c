#define _POSIX_C_SOURCE 200809L /* fsync, sigaction, readlink, O_DIRECTORY */
/*===- atomic_file.c - replacing a file so that it is never half written ---===*
 *
 * A checkpoint is written to `TARGET.tmp.PID` beside its target, synced, and
 * renamed over the target; then the directory is synced, so the rename
 * survives a power cut too. A reader sees the old file or the new one, never
 * a mix. Around that:
 *   - a path that is a symbolic link is written through: its final target
 *     is replaced, the link stays;
 *   - a target that exists and is not a regular file (a directory, a device,
 *     a FIFO, a socket) is refused: replacing /dev/null with a checkpoint is
 *     never what was meant;
 *   - temporary files of earlier saves whose process no longer runs (killed
 *     mid-write) are removed by the next save of the same target;
 *   - a file-size limit (SIGXFSZ) and a full disk are errors, with the
 *     temporary file removed and the old target untouched.
 *
 *===----------------------------------------------------------------------===*/
#include "internal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Test hooks (nnrt_set_save_fault, nnrt_set_save_error): where a save dies
 * or fails as a full disk would. */
static int64_t fault_kill_after = -1;
static int fault_kill_renamed = 0;
static int64_t fault_error_after = -1;
static int fault_error = 0;

void nnrt_set_save_fault(int64_t after_bytes, int after_rename) {
  fault_kill_after = after_bytes;
  fault_kill_renamed = after_rename;
}

void nnrt_set_save_error(int64_t after_bytes, int error) {
  fault_error_after = after_bytes;
  fault_error = error;
}

/* A copy of `a` followed by `b`. */
static char *join(const char *a, size_t alen, const char *b) {
  size_t blen = strlen(b);
  char *s = malloc(alen + blen + 1);
  if (s) {
    memcpy(s, a, alen);
    memcpy(s + alen, b, blen + 1);
  }
  return s;
}

/* The length of path's directory part with its slash ("dir/"), 0 for none. */
static size_t dir_length(const char *path) {
  const char *slash = strrchr(path, '/');
  return slash ? (size_t)(slash - path) + 1 : 0;
}

/* What `path` finally names, its symbolic links followed (the last one may
 * point to a file that does not exist yet). NULL with errno set when out of
 * memory or the links loop (ELOOP). */
static char *final_target(const char *path) {
  char *target = join(path, strlen(path), "");
  for (int depth = 0; target; ++depth) {
    struct stat st;
    if (lstat(target, &st) != 0 || !S_ISLNK(st.st_mode))
      return target;
    if (depth == 40) {
      free(target);
      errno = ELOOP;
      return NULL;
    }
    char link[4096];
    ssize_t n = readlink(target, link, sizeof link - 1);
    if (n < 0) {
      free(target);
      return NULL;
    }
    link[n] = '\0';
    /* A relative link is relative to the directory holding it. */
    char *next = link[0] == '/' ? join(link, (size_t)n, "") : join(target, dir_length(target), link);
    free(target);
    target = next;
  }
  errno = ENOMEM;
  return NULL;
}

/* Removes `target.tmp.PID` files whose process no longer exists. */
static void remove_stale_temps(const char *target) {
  size_t dlen = dir_length(target);
  char *dir = dlen ? join(target, dlen, "") : join(".", 1, "");
  const char *base = target + dlen;
  size_t blen = strlen(base);
  DIR *d = dir ? opendir(dir) : NULL;
  for (struct dirent *e; d && (e = readdir(d)) != NULL;) {
    const char *name = e->d_name;
    if (strncmp(name, base, blen) != 0 || strncmp(name + blen, ".tmp.", 5) != 0)
      continue;
    char *end = NULL;
    long pid = strtol(name + blen + 5, &end, 10);
    if (pid <= 0 || *end != '\0' || pid == (long)getpid())
      continue;
    if (kill((pid_t)pid, 0) == 0 || errno != ESRCH)
      continue; /* its writer may still be running */
    char *stale = join(dir, strlen(dir), "/");
    char *full = stale ? join(stale, strlen(stale), name) : NULL;
    if (full)
      unlink(full);
    free(stale);
    free(full);
  }
  if (d)
    closedir(d);
  free(dir);
}

/* Writes all of data to fd, honouring the full-disk fault; 0 or errno. */
static int write_all(int fd, const char *data, size_t size) {
  size_t done = 0;
  while (done < size) {
    size_t chunk = size - done;
    if (fault_error_after >= 0 && done + chunk > (size_t)fault_error_after) {
      if (done >= (size_t)fault_error_after)
        return fault_error;
      chunk = (size_t)fault_error_after - done;
    }
    ssize_t n = write(fd, data + done, chunk);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      return n < 0 ? errno : EIO;
    done += (size_t)n;
  }
  return 0;
}

/* Makes a completed rename durable: the directory entry is on disk too. */
static void sync_directory(const char *target) {
  size_t dlen = dir_length(target);
  char *dir = dlen ? join(target, dlen, "") : join(".", 1, "");
  int fd = dir ? open(dir, O_RDONLY | O_DIRECTORY) : -1;
  if (fd >= 0) {
    fsync(fd);
    close(fd);
  }
  free(dir);
}

int nnrt_write_file_atomic(const char *path, const void *data, size_t size, char *message,
                           size_t message_size) {
  char *target = final_target(path);
  if (!target) {
    snprintf(message, message_size, "cannot write '%s': %s", path, strerror(errno));
    return NNRT_EIO;
  }
  struct stat st;
  if (stat(target, &st) == 0 && !S_ISREG(st.st_mode)) {
    snprintf(message, message_size,
             "'%s' is %s, not a regular file; a checkpoint replaces only a regular file", path,
             S_ISDIR(st.st_mode) ? "a directory" : S_ISFIFO(st.st_mode) ? "a FIFO"
             : S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode) ? "a device" : "not a file");
    free(target);
    return NNRT_EINVAL;
  }
  remove_stale_temps(target);
  char suffix[32];
  snprintf(suffix, sizeof suffix, ".tmp.%ld", (long)getpid());
  char *temp = join(target, strlen(target), suffix);
  if (!temp) {
    free(target);
    snprintf(message, message_size, "out of memory");
    return NNRT_ENOMEM;
  }
  /* A write past the file-size limit raises SIGXFSZ, which would end the
   * process; ignored, the write fails with EFBIG like any other error. */
  struct sigaction ignore, previous;
  memset(&ignore, 0, sizeof ignore);
  ignore.sa_handler = SIG_IGN;
  sigaction(SIGXFSZ, &ignore, &previous);
  int err = 0;
  int fd = open(temp, O_WRONLY | O_CREAT | O_TRUNC, 0666);
  if (fd < 0) {
    err = errno;
  } else {
    if (fault_kill_after >= 0 && (size_t)fault_kill_after <= size) {
      write_all(fd, (const char *)data, (size_t)fault_kill_after);
      raise(SIGKILL); /* as a crash would, the temporary file left behind */
    }
    err = write_all(fd, (const char *)data, size);
    if (!err && fsync(fd) != 0)
      err = errno;
    if (close(fd) != 0 && !err)
      err = errno;
  }
  sigaction(SIGXFSZ, &previous, NULL);
  if (!err && rename(temp, target) != 0)
    err = errno;
  if (!err) {
    if (fault_kill_renamed)
      raise(SIGKILL);
    sync_directory(target);
  } else {
    unlink(temp);
    snprintf(message, message_size, "cannot write checkpoint '%s': %s", path, strerror(err));
  }
  free(temp);
  free(target);
  return err ? NNRT_EIO : NNRT_OK;
}
