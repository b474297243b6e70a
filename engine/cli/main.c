/* clearplan — command-line entry point: dispatches to one cmd_<name>() per command. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gdal.h>

#include <clearplan/clearplan.h>

#include "commands.h"

typedef struct {
    const char *name;
    int (*fn)(int argc, char **argv);
    const char *summary;
    int over_ranks; /* runs as one job over the ranks of `mpirun -np N` */
} command;

static const command commands[] = {
    {"run", cmd_run, "run the whole pipeline on a scenario", 1},
    {"validate", cmd_validate, "check a scenario's inputs without running anything heavy", 0},
    {"plan", cmd_plan, "re-plan scored hazards: milestones, teams, Article 5 verdict", 1},
    {"calibrate", cmd_calibrate, "fit the cost model to completion records: a cost profile", 0},
    {"synth", cmd_synth, "generate a deterministic synthetic scenario (tiny, demo, national)", 0},
    {"proximity", cmd_proximity, "exact distance to the nearest source cell (gdal_proximity)", 0},
    {"focal-sum", cmd_focal_sum, "sum of a raster within a radius (a disk) of each cell", 0},
    {"density", cmd_density, "quartic kernel density of points, per km²", 0},
    {"zonal", cmd_zonal, "exact zonal statistics of polygons over a raster, to CSV", 0},
};

static void usage(FILE *f) {
    fprintf(f,
            "usage: clearplan COMMAND [OPTIONS] ...\n"
            "       clearplan --help | --version\n\n"
            "Prioritises mine-hazard areas and plans their release against an Article 5 "
            "deadline.\n\ncommands:\n");
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; ++i)
        fprintf(f, "  %-12s %s\n", commands[i].name, commands[i].summary);
    fprintf(f,
            "\n'clearplan COMMAND --help' describes a command.\n"
            "exit status: 0 ok, 1 failure, 2 usage error, 130 interrupted.\n");
}

static int dispatch(int argc, char **argv, int size) {
    if (argc < 2) {
        usage(stderr);
        return CP_EXIT_USAGE;
    }
    const char *name = argv[1];
    if (!strcmp(name, "-h") || !strcmp(name, "--help") || !strcmp(name, "help")) {
        usage(stdout);
        return CP_EXIT_OK;
    }
    if (!strcmp(name, "--version") || !strcmp(name, "version")) {
        printf("clearplan %s%s\n", cp_version(), cp_mpi_built() ? " (MPI)" : "");
        cp_print_versions(stdout);
        return CP_EXIT_OK;
    }
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; ++i)
        if (!strcmp(name, commands[i].name)) {
            if (size > 1 && !commands[i].over_ranks) {
                if (cli_rank() == 0)
                    fprintf(stderr,
                            "clearplan: error: '%s' runs as one process, not over the %d ranks "
                            "of an MPI job (only 'run' and 'plan' do)\n",
                            name, size);
                return CP_EXIT_USAGE;
            }
            /* started by an MPI launcher, even as one process (mpirun -np 1) */
            cli_install_signals(size > 1 || getenv("OMPI_COMM_WORLD_SIZE") || getenv("PMI_SIZE") ||
                                getenv("PMIX_RANK") || getenv("PMI_RANK"));
            cli_gdal_setup();
            cp_init();
            int rc = commands[i].fn(argc - 1, argv + 1);
            cp_shutdown();
            GDALDestroyDriverManager(); /* the command line is the host: it owns GDAL */
            return rc;
        }
    fprintf(stderr, "clearplan: error: unknown command '%s'\nTry 'clearplan --help'.\n", name);
    return CP_EXIT_USAGE;
}

int main(int argc, char **argv) {
    /* started by mpirun (and built with MPI): one job over its ranks (clearplan/mpirun.h) */
    int rank = 0, size = 1;
    if (cp_mpi_begin(&argc, &argv, &rank, &size) != CP_OK) {
        fprintf(stderr, "clearplan: error: %s\n", cp_errmsg());
        return CP_EXIT_USAGE;
    }
    cli_set_rank(rank);
    int rc = dispatch(argc, argv, size);
    cp_mpi_end();
    return rc;
}
