/* An asynchronous writer of one file's cells straight to the disk (O_DIRECT), from a thread of
 * its own.
 *
 * Why: a buffered write() copies every byte into the page cache, and each new page cache page
 * costs the kernel an allocation (on this project's VMs a fault to the host besides): writing
 * a 400 MB raster that way takes 0.3-0.9 s of the writing thread, serial, and swings run to
 * run. Written with O_DIRECT, the disk takes the bytes from our own pages (0.1 s of CPU for
 * 400 MB), and from a thread of its own the writes overlap the next strip's work.
 *
 * O_DIRECT needs aligned memory, offsets and sizes. A job whose memory lies on pages as its
 * bytes do in the file (address and offset equal modulo 4 kB: cp_rio_out_rows places its
 * buffers so) is written from where it is, whole pages at a time; the page it shares with the
 * job before or after is completed in a staging buffer. Any other job is copied through the
 * staging buffer. The partial pages at the two ends of a run of contiguous jobs are written
 * with pwrite(), so that bytes outside the jobs are never written. Jobs are written in the
 * order they were given. A file system that refuses O_DIRECT (cp_dwriter_open gives NULL)
 * or a write that fails with EINVAL (alignment) falls back to pwrite(): same bytes.
 *
 * The first error sticks: later calls return it, naming the file. One thread gives jobs. */
#ifndef CP_DWRITE_H
#define CP_DWRITE_H

#include <stddef.h>
#include <stdint.h>

#include <clearplan/status.h>

typedef struct cp_dwriter cp_dwriter;

/* Opens `path` (an existing file, its bytes already allocated: cp_rio_reserve) for direct
 * writes from a writer thread. *out is NULL (and CP_OK) when the file system does not do
 * O_DIRECT or no thread can be made: the caller then writes as before. `path` is kept (not
 * copied) for messages. */
cp_status cp_dwriter_open(const char *path, cp_dwriter **out);

/* Queues n bytes from src for file offset `at`. Returns at once; src must stay unchanged until
 * cp_dwriter_wait(w, src) (or finish) returns. At most two jobs wait: a third waits for the
 * oldest to be copied. Returns the first error met so far. */
cp_status cp_dwriter_submit(cp_dwriter *w, int64_t at, const void *src, size_t n);

/* Waits until no queued job reads from src (it has been copied). */
void cp_dwriter_wait(cp_dwriter *w, const void *src);

/* Writes everything queued and the last partial page, stops the thread, closes the file and
 * frees w. Returns the first error. */
cp_status cp_dwriter_finish(cp_dwriter *w);

/* Stops the thread without writing what waits, closes, frees. NULL is a no-op. */
void cp_dwriter_free(cp_dwriter *w);

#endif
