/* bench_pages [MB [THREADS [HUGE]]]: the first touch of MB megabytes of new memory (default 40)
 * by THREADS OpenMP threads (default 1), with transparent huge pages (HUGE 1, the default, as
 * the tools' strips get them from cp_rio_alloc) or small pages (0). One JSON line. Measure
 * once per process, several processes in a row: what varies is where the kernel finds the
 * pages (on a VM with free page reporting, a huge page may have gone back to the host). */
#define _GNU_SOURCE /* madvise */
#include "bench.h"

#include <stdint.h>
#include <sys/mman.h>

int main(int argc, char **argv) {
    size_t mb = argc > 1 ? (size_t)atoll(argv[1]) : 40;
    int threads = argc > 2 ? atoi(argv[2]) : 1;
    int huge = argc > 3 ? atoi(argv[3]) : 1;
    if (mb < 1 || mb > ((size_t)1 << 20) || threads < 1 || threads > 1024) return 2;
    const size_t n = mb << 20, page = 4096;
    char *p = NULL;
    if (posix_memalign((void **)&p, (size_t)2 << 20, n) != 0) return 1;
    (void)madvise(p, n, huge ? MADV_HUGEPAGE : MADV_NOHUGEPAGE);
    double t0 = now_s();
#ifdef _OPENMP
#pragma omp parallel for num_threads(threads) schedule(static)
#endif
    for (int64_t i = 0; i < (int64_t)(n / page); ++i) p[(size_t)i * page] = 1;
    double t = now_s() - t0;
    printf(
        "{\"bench\":\"pages\",\"mb\":%zu,\"threads\":%d,\"huge\":%d,\"s\":%.6f,\"mb_per_s\":%.1f}"
        "\n",
        mb, threads, huge, t, (double)mb / t);
    free(p);
    return 0;
}
