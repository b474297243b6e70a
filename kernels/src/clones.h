/* Functions also compiled for AVX2 and chosen at run time (kernels-internal): on x86-64
 * Linux with GCC, where target_clones and ifuncs work. The clone does the same IEEE
 * operations (the kernels build with -ffp-contract=off, and AVX2 brings no FMA), so the bytes
 * do not depend on the machine; only more of them are done at once. */
#ifndef CPK_CLONES_H
#define CPK_CLONES_H

#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__linux__)
#define CPK_ALSO_AVX2 __attribute__((target_clones("avx2", "default")))
#else
#define CPK_ALSO_AVX2
#endif

#endif
