/* clearplan — one run over the ranks of an MPI job (DESIGN §13, §16: "beyond one machine").
 *
 * Built with -DCP_MPI=ON, `mpirun -np N clearplan run SCENARIO` runs one job over N processes:
 * the strips of the grid and the Monte Carlo samples are dealt to the ranks (and `clearplan
 * plan`'s what-if sweep: cp_mpi_plan_compute), every partial sum
 * is combined in the order one process adds it, so the outputs are bit-identical to
 * `clearplan run` for any N and any thread count; rank 0 alone owns the output transaction
 * (clearplan/output.h) and publishes. A failure on any rank fails every rank with the same
 * message, and nothing is published.
 *
 * Example:
 *
 *     int argc = 1;                        // main()'s arguments
 *     char *args[] = {"clearplan", NULL}, **argv = args;
 *     int rank = 0, size = 1;
 *     cp_status s = cp_mpi_begin(&argc, &argv, &rank, &size);   // first thing in main()
 *     cp_init();
 *     cp_scenario *sc = NULL;
 *     if (s == CP_OK) s = cp_mpi_agree(cp_scenario_load("scenario.yaml", &sc));
 *     cp_run_options o = {0};
 *     cp_run_result r;
 *     if (s == CP_OK) s = cp_run(sc, &o, &r);
 *     if (s != CP_OK && rank == 0) fprintf(stderr, "clearplan: %s\n", cp_errmsg());
 *     cp_scenario_free(sc);
 *     cp_mpi_end();
 *
 * Without -DCP_MPI=ON these calls are those of a job of one process: cp_mpi_begin reports
 * rank 0 of 1, cp_mpi_agree returns its argument; but a program started by an MPI launcher as
 * more than one process is refused (each process would run the whole job into the same
 * output). */
#ifndef CLEARPLAN_MPIRUN_H
#define CLEARPLAN_MPIRUN_H

#include <clearplan/evidence.h>
#include <clearplan/plan.h>
#include <clearplan/status.h>

#ifdef __cplusplus
extern "C" {
#endif

/* 1 when clearplan was built with MPI (-DCP_MPI=ON), else 0. */
CP_API int cp_mpi_built(void);

/* Initialises MPI (MPI_Init_thread, MPI_THREAD_FUNNELED: only the calling thread talks to MPI)
 * when the process was started by an MPI launcher (mpirun, mpiexec, srun: it sets
 * OMPI_COMM_WORLD_SIZE, PMI_SIZE or PMIX_RANK) and clearplan was built with MPI, and gives this
 * process's rank and the job's size; otherwise (a plain start) rank 0 of 1 and MPI stays
 * untouched. MPI already initialised by the host is used as it is. CP_E_ARG when a build
 * without MPI is started as several processes; CP_E_IO when MPI fails to start. */
CP_API cp_status cp_mpi_begin(int *argc, char ***argv, int *rank, int *size);

/* Every rank passes its status; every rank gets back the same one: CP_OK when all passed
 * CP_OK, else the failure of the lowest rank that failed for another reason than an
 * interruption (else the lowest interrupted one), with that rank's detail message (cp_errmsg)
 * and, in a job of several, " (rank R of N)" appended. A collective call: every rank of the
 * job calls it at the same point. */
CP_API cp_status cp_mpi_agree(cp_status s);

/* cp_plan_compute over the job's ranks: the what-if sweep's team counts (opts->sweep_teams)
 * dealt to the ranks as blocks, each rank planning its block, and the rows gathered in sweep
 * order onto every rank: *out is one process's plan, on every rank. Without MPI, in a job of
 * one, or with fewer than two counts: cp_plan_compute. Collective; every rank returns the
 * same status (cp_mpi_agree). */
CP_API cp_status cp_mpi_plan_compute(const cp_hazard *hazards, size_t n, const cp_capacity *cap,
                                     const cp_cost *cost, const cp_plan_rules *rules,
                                     const cp_plan_options *opts, cp_plan **out);

/* cp_evidence_compute over the job's ranks: the Monte Carlo's samples dealt to the ranks as
 * blocks and assembled in sample order by rank 0 (cp_plan_mc_part, cp_plan_mc_assemble),
 * which gets the evidence (one process's, bit for bit); the other ranks get NULL. Takes
 * rq->contamination on every rank. Collective; every rank returns the same status. */
CP_API cp_status cp_mpi_evidence_compute(const cp_plan *plan, const cp_evidence_request *rq,
                                         cp_evidence **out);

/* Finalises MPI when cp_mpi_begin initialised it. */
CP_API void cp_mpi_end(void);

#ifdef __cplusplus
}
#endif

#endif
