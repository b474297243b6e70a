/* Work stealing (kernels/src/steal.h): every block taken exactly once, in order within a
 * thread's run, whatever the team; a slow thread relieved by the others. */
#include "cp_test.h"

#include <omp.h>
#include <time.h>

#include "steal.h"

/* Takes every block with `team` threads over `shares` shares; thread 0 sleeps `slow_us`
 * after each of its blocks. who[b] gets the thread that took block b (-1: none); fresh[b]
 * whether the taker's run began there. Returns the number of blocks taken. */
static int64_t take_all(int shares, int team, int64_t blocks, long slow_us, int *who, int *fresh) {
    cpk_steal s;
    assert_int_equal(cpk_steal_init(&s, shares, blocks), 0);
    for (int64_t b = 0; b < blocks; ++b) who[b] = -1, fresh[b] = -1;
    int64_t taken = 0;
#pragma omp parallel num_threads(team) reduction(+ : taken)
    {
        int tid = omp_get_thread_num();
        int64_t block = -1;
        int f;
        while (cpk_steal_next(&s, tid, block, &block, &f)) {
            int seen;
#pragma omp atomic capture
            {
                seen = who[block];
                who[block] = tid;
            }
            if (seen != -1) who[block] = -2; /* taken twice */
            fresh[block] = f;
            ++taken;
            if (tid == 0 && slow_us) {
                struct timespec ts = {0, slow_us * 1000};
                nanosleep(&ts, NULL);
            }
        }
    }
    cpk_steal_free(&s);
    return taken;
}

static void test_steal_every_block_once(void **state) {
    (void)state;
    int64_t sizes[] = {0, 1, 2, 3, 7, 64, 1000};
    int teams[] = {1, 2, 3, 4, 7};
    for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; ++k)
        for (size_t t = 0; t < sizeof teams / sizeof teams[0]; ++t) {
            int64_t n = sizes[k];
            int *who = malloc(sizeof(int) * (size_t)(n + 1));
            int *fresh = malloc(sizeof(int) * (size_t)(n + 1));
            assert_int_equal(take_all(teams[t], teams[t], n, 0, who, fresh), n);
            for (int64_t b = 0; b < n; ++b) assert_true(who[b] >= 0);
            free(who);
            free(fresh);
        }
}

/* One thread alone over four shares (a team smaller than asked for): it runs its own share,
 * then steals the rest half by half; each stolen run starts fresh, and a block that follows
 * the one before in a run never does. */
static void test_steal_one_thread_takes_every_share(void **state) {
    (void)state;
    int64_t n = 100;
    int who[100], fresh[100];
    assert_int_equal(take_all(4, 1, n, 0, who, fresh), n);
    int runs = 0;
    for (int64_t b = 0; b < n; ++b) {
        assert_int_equal(who[b], 0);
        runs += fresh[b];
    }
    assert_int_equal(fresh[0], 1);
    assert_int_equal(fresh[1], 0);
    /* its share 0..24, then halves of the largest share left: 25 blocks in 4 shares of 25
     * cannot be taken in fewer than 1 + 3 runs, and halving makes it more */
    assert_true(runs > 4);
}

/* Thread 0 is slow: the others take part of its share (a static split would leave it all). */
static void test_steal_relieves_a_slow_thread(void **state) {
    (void)state;
    int64_t n = 64;
    int who[64], fresh[64];
    assert_int_equal(take_all(4, 4, n, 5000, who, fresh), n);
    int mine = 0;
    for (int64_t b = 0; b < 16; ++b) mine += who[b] == 0;
    assert_true(mine < 16);
    for (int64_t b = 0; b < n; ++b) assert_true(who[b] >= 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_steal_every_block_once),
        cmocka_unit_test(test_steal_one_thread_takes_every_share),
        cmocka_unit_test(test_steal_relieves_a_slow_thread),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
