/* Planning over the ranks of an MPI job (clearplan/mpirun.h): the what-if sweep's rows and the
 * Monte Carlo's samples dealt to the ranks as blocks and put back together in their order, so
 * that every result is one process's (ranks.h). */
#include <stdlib.h>
#include <string.h>

#include <clearplan/mpirun.h>

#include "error.h"
#include "ranks.h"

cp_status cp_mpi_plan_compute(const cp_hazard *hazards, size_t n, const cp_capacity *cap,
                              const cp_cost *cost, const cp_plan_rules *rules,
                              const cp_plan_options *opts, cp_plan **out) {
    if (!out) return cp_fail(CP_E_ARG, "cp_mpi_plan_compute: NULL argument");
    *out = NULL;
    cp_ranks r;
    cp_status s = cp_ranks_open(1, &r);
    if (s) return s;
    if (r.size < 2 || !opts || opts->nsweep < 2) {
        cp_ranks_close(&r);
        return cp_mpi_agree(cp_plan_compute(hazards, n, cap, cost, rules, opts, out));
    }
    /* this rank's block of the swept team counts */
    int64_t first, end;
    cp_ranks_deal((int64_t)opts->nsweep, r.size, r.rank, &first, &end);
    cp_plan_options mine = *opts;
    mine.sweep_teams = opts->sweep_teams + first;
    mine.nsweep = (size_t)(end - first);
    cp_plan *plan = NULL;
    s = cp_ranks_agree(&r, cp_plan_compute(hazards, n, cap, cost, rules, &mine, &plan));
    /* the rows in sweep order (rank order) on rank 0, then on every rank */
    const size_t row = sizeof(cp_plan_sweep_row), bytes = opts->nsweep * row;
    void *all = NULL;
    size_t got = 0;
    if (!s) s = cp_ranks_gather(&r, plan->sweep, plan->nsweep * row, &all, &got);
    if (!s && r.rank == 0 && got != bytes)
        s = cp_fail(CP_E_INTERNAL, "sweep: %zu bytes from the ranks, not %zu", got, bytes);
    if (!s && r.rank != 0 && !(all = malloc(bytes))) s = cp_fail(CP_E_NOMEM, "out of memory");
    if (!(s = cp_ranks_agree(&r, s))) s = cp_ranks_bcast(&r, all, bytes);
    if (!s) {
        free(plan->sweep);
        plan->sweep = all;
        plan->nsweep = opts->nsweep;
        all = NULL;
        *out = plan;
        plan = NULL;
    }
    free(all);
    cp_plan_free(plan);
    cp_ranks_close(&r);
    return s;
}

cp_status cp_mpi_evidence_compute(const cp_plan *plan, const cp_evidence_request *rq,
                                  cp_evidence **out) {
    cp_ranks r;
    cp_status s = cp_ranks_open(1, &r);
    if (s) {
        if (rq) cp_contamination_free(rq->contamination);
        return s;
    }
    s = cp_evidence_compute_ranks(plan, rq, &r, out);
    if (r.size > 1) s = cp_ranks_agree(&r, s);
    cp_ranks_close(&r);
    return s;
}
