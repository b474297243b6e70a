/* clearplan plan HAZARDS -o DIR — re-plan a scored hazards file with other capacities,
 * deadlines or costs, without touching rasters (DESIGN §9 what-if). */
#define _XOPEN_SOURCE 700
#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <clearplan/clearplan.h>
#include <clearplan/mpirun.h>
#include <clearplan/describe.h>
#include <clearplan/evidence.h>
#include <clearplan/plan.h>

#include "commands.h"

static void plan_help(void) {
    printf(
        "usage: clearplan plan HAZARDS -o DIR [--teams N[,N...]] [--start DATE]\n"
        "                      [--deadline DATE] [--days-per-year N] [--package-team-days N]\n"
        "                      [--team-day-usd X] [--budget-usd X] [--mobilisation-days N]\n"
        "                      [--no-redeploy] [--scenario S.yaml] [--layer NAME]\n"
        "                      [--no-gpkg] [--overwrite] [--no-sync] [-q]\n"
        "                      [--samples N] [--seed S] [--region NAME]... [-j THREADS]\n\n"
        "Re-plans scored hazards without touching rasters: land release in stages (survey\n"
        "first), the team schedule, annual and quarterly milestones, the Article 5 verdict,\n"
        "teams and funding needed, all from the schedule.\n\n"
        "HAZARDS is clearplan's plan.gpkg (layer hazards) or plan.csv, or any CSV or\n"
        "GeoPackage with the columns hazard_id, status (SHA/CHA), area_m2, benefit,\n"
        "cost_team_days and optionally region, covered_m2, class_m2_<code>, priority_mean,\n"
        "locked.\n\n"
        "options:\n"
        "  -o, --output DIR         output folder (plan.csv, milestones.csv, packages.csv,\n"
        "                           rejected.csv, plan.gpkg, report.html, summary.json)\n"
        "  --teams N[,N...]         whole teams every year, split over regions and team types\n"
        "                           like the capacity's; several values sweep them into one\n"
        "                           table (the first is the plan's capacity)\n"
        "  --start DATE             first day of work, YYYY-MM-DD\n"
        "  --deadline DATE          Article 5 deadline, YYYY-MM-DD\n"
        "  --days-per-year N        working days of a team per year (default 220)\n"
        "  --package-team-days N    largest work package (default 20)\n"
        "  --team-day-usd X         cost of a team-day (default 1500)\n"
        "  --budget-usd X           yearly funding ceiling in US$ (default: none)\n"
        "  --mobilisation-days N    days a team takes to move to another region (default 30)\n"
        "  --no-redeploy            teams stay in their region\n"
        "  --scenario S.yaml        take capacity, cost and plan rules from a scenario; the\n"
        "                           options above override it\n"
        "  --layer NAME             layer to read (default: hazards, else the first)\n"
        "  --no-gpkg                do not write plan.gpkg\n"
        "  --overwrite              replace an existing output folder that clearplan wrote\n"
        "  --no-sync                do not wait for the outputs to reach the disk\n"
        "  -q, --quiet              print nothing but errors\n"
        "  --samples N              Monte Carlo of the plan with N samples of the scenario's\n"
        "                           uncertainty ranges (needs --scenario); with uncertain\n"
        "                           weights also the rank robustness, from the columns\n"
        "                           benefit_<criterion> that clearplan run writes\n"
        "  --seed S                 random seed of the samples (default: uncertainty.seed)\n"
        "  --region NAME            also write report-<name>.html for that region (repeatable)\n"
        "  -j, --threads N          threads for the samples (default: all cores)\n\n"
        "Without --scenario the defaults are used (start: 1 January of this year, deadline\n"
        "ten years later); give --start and --deadline for reproducible plans.\n"
        "exit status: 0 ok, 1 failure, 2 usage error, 130 interrupted.\n");
}

/* --teams N[,N...]: whole team counts (the first is the plan's, all are swept). */
typedef struct {
    int v[256];
    size_t n;
} team_list;

static int parse_teams(const char *s, void *dest) {
    team_list *t = dest;
    t->n = 0;
    int ok = s[0] && s[0] != ',' && s[strlen(s) - 1] != ',' && !strstr(s, ",,");
    for (const char *p = s; ok && *p;) {
        char *end = NULL;
        errno = 0;
        double d = strtod(p, &end);
        ok = !errno && end != p && (*end == ',' || !*end) && d >= 1 && d <= 1e6 && d == floor(d) &&
             t->n < sizeof t->v / sizeof t->v[0];
        if (ok) t->v[t->n++] = (int)d;
        p = end && *end == ',' ? end + 1 : end;
    }
    return ok && t->n > 0;
}

/* A number in [lo, hi] into *(double *)dest; 0 when the text is not one. */
static int parse_in(const char *s, double lo, double hi, void *dest) {
    char *end = NULL;
    double v = strtod(s, &end);
    if (end == s || *end || !(v >= lo && v <= hi)) return 0;
    *(double *)dest = v;
    return 1;
}

/* --days-per-year: [1, 366] and --package-team-days: at least 1, as in a scenario. */
static int parse_days(const char *s, void *dest) {
    return parse_in(s, 1, 366, dest);
}

static int parse_package(const char *s, void *dest) {
    return parse_in(s, 1, DBL_MAX, dest);
}

static double secs(struct timespec a, struct timespec b) {
    return (double)(b.tv_sec - a.tv_sec) + 1e-9 * (double)(b.tv_nsec - a.tv_nsec);
}

static const char *base_name(const char *p) {
    const char *s = strrchr(p, '/');
    return s ? s + 1 : p;
}

/* The evidence of the re-plan (clearplan/evidence.h): the Monte Carlo with the scenario's
 * ranges and, with uncertain weights, the rank robustness from the table's columns
 * benefit_<criterion>. Returns the exit code; prints the error. */
static int plan_evidence(const cp_plan *plan, const cp_hazard_table *tab, const cp_scenario *sc,
                         const cp_capacity *cap, const cp_cost *cost, const cp_plan_rules *rules,
                         const cp_plan_options *opts, const cli_evidence *evo, int threads,
                         int quiet, cp_evidence **out) {
    for (int r = 0; r < evo->regions.n; ++r) {
        size_t k = 0;
        while (k < plan->npools && strcmp(plan->pools[k].name, evo->regions.items[r])) ++k;
        if (k == plan->npools || !plan->has_regions)
            return cli_usage("plan", "--region: the plan has no region <%s>%s",
                             evo->regions.items[r],
                             plan->has_regions ? "" : " (give --scenario with capacity.regions)");
    }
    size_t samples = evo->samples_set ? evo->samples : 0; /* only when asked for */
    if (!samples) return CP_EXIT_OK;
    if (!sc || !sc->uncertainty.given)
        return cli_usage("plan",
                         "--samples needs --scenario with an uncertainty section (the "
                         "ranges to draw from)");
    const size_t nc = sc->ncriteria;
    const char **names = calloc(nc + 1, sizeof *names);
    double *w = calloc(nc + 1, sizeof *w), *comp = calloc(tab->n * nc + 1, sizeof *comp);
    cp_status st = names && w && comp ? CP_OK : CP_E_NOMEM;
    const char *bad = NULL;
    char badcol[96] = "";
    int found = nc > 0;
    for (size_t k = 0; st == CP_OK && k < nc; ++k) {
        names[k] = sc->criteria[k].name;
        w[k] = sc->criteria[k].weight;
        char col[96];
        snprintf(col, sizeof col, "benefit_%s", names[k]);
        size_t c = 0;
        while (c < tab->ncolumns && strcmp(tab->columns[c].name, col)) ++c;
        if (c == tab->ncolumns || tab->columns[c].type == CP_VALUE_TEXT) {
            found = 0;
            continue;
        }
        for (size_t i = 0; i < tab->n && st == CP_OK; ++i) {
            const cp_plan_value *v = tab->hazards[i].extra ? &tab->hazards[i].extra[c] : NULL;
            if (!v || v->is_null) {
                st = CP_E_FORMAT, bad = tab->hazards[i].id;
                snprintf(badcol, sizeof badcol, "%s", col);
            } else
                comp[i * nc + k] =
                    tab->columns[c].type == CP_VALUE_REAL ? v->real : (double)v->integer;
        }
    }
    cp_evidence_request rq = {tab->hazards,
                              tab->n,
                              cap,
                              cost,
                              rules,
                              opts,
                              &sc->uncertainty,
                              samples,
                              evo->seed_set ? evo->seed : sc->uncertainty.seed,
                              threads,
                              found ? nc : 0,
                              names,
                              w,
                              found ? comp : NULL,
                              NULL};
    int rc = CP_EXIT_OK, speak = cli_rank() == 0;
    if (!found && !quiet && speak &&
        (sc->uncertainty.weight_concentration > 0 || sc->uncertainty.nweights))
        fprintf(stderr,
                "clearplan: note: the hazards have no columns benefit_<criterion> (clearplan "
                "run writes them): no rank robustness\n");
    if (bad) {
        if (speak) fprintf(stderr, "clearplan: error: hazard <%s>: %s is empty\n", bad, badcol);
        rc = CP_EXIT_FAIL;
    } else if (st == CP_OK && (st = cp_mpi_evidence_compute(plan, &rq, out)) != CP_OK)
        rc = cli_fail(st); /* samples dealt to the ranks under mpirun */
    else if (st != CP_OK)
        rc = cli_fail(st);
    free(names);
    free(w);
    free(comp);
    return rc;
}

/* A re-plan: the options, then what its phases make. */
typedef struct {
    const char *path, *out_dir, *scenario, *layer, *start_s, *deadline_s;
    double dpy, ptd, usd, budget, mobilise;
    team_list tl;
    int quiet, overwrite, no_sync, no_gpkg, no_redeploy, threads;
    cli_evidence evo;
    int rank; /* under mpirun: every rank reads and plans, rank 0 writes */
    cp_scenario *sc;
    cp_hazard_table *tab;
    cp_plan *plan;
    cp_evidence *ev;
    cp_output *out;
    char *json, *verdict;
    cp_capacity cap;
    cp_cost cost;
    cp_plan_rules rules;
    cp_plan_options opts;
    struct timespec t0, t1, t_read, t_plan;
} plan_job;

/* The figures the options change in the scenario's (or the defaults'). */
static void apply_options(plan_job *j) {
    cp_date d = 0;
    if (j->start_s && cp_date_parse(j->start_s, &d)) j->cap.start = d; /* checked */
    if (j->deadline_s && cp_date_parse(j->deadline_s, &d)) j->cap.deadline = d;
    if (!isnan(j->dpy)) j->cap.days_per_year = j->dpy;
    if (!isnan(j->ptd)) j->cap.package_team_days = j->ptd;
    if (!isnan(j->usd)) j->cost.team_day_usd = j->usd;
    if (!isnan(j->budget)) {
        j->cap.budget_usd = j->budget;
        j->cap.budget_per_year = NULL;
        j->cap.nbudget_per_year = 0;
    }
    if (!isnan(j->mobilise)) j->cap.mobilisation_days = j->mobilise;
    if (j->no_redeploy) j->cap.redeploy = 0;
}

/* The output folder (checked against the inputs before any work, DESIGN §10), the scenario
 * and the hazards. Returns the exit code. */
static int read_inputs(plan_job *j) {
    cp_output_options oo = {0};
    oo.kind = CP_OUTPUT_FOLDER;
    oo.command = "plan";
    oo.overwrite = j->overwrite;
    oo.no_sync = j->no_sync;
    cp_status st = CP_OK;
    if (j->scenario) { /* first: the output is checked against every file it names */
        if ((st = cp_mpi_agree(cp_scenario_load(j->scenario, &j->sc))) != CP_OK)
            return cli_fail(st == CP_E_ARG ? CP_E_CONFIG : st);
        const char *extra[] = {j->path, NULL};
        if (j->rank == 0) st = cp_output_begin_for(j->sc, j->out_dir, &oo, extra, &j->out);
    } else {
        const char *inputs[] = {j->path, NULL};
        oo.inputs = inputs;
        if (j->rank == 0) st = cp_output_begin(j->out_dir, &oo, &j->out);
    }
    if ((st = cp_mpi_agree(st)) != CP_OK) return cli_fail(st);
    if (j->sc) {
        if (!j->quiet) cli_notes(j->sc);
        j->cap = j->sc->capacity;
        j->cost = j->sc->cost;
        j->rules = j->sc->rules;
    } else {
        cp_capacity_defaults(&j->cap);
        cp_cost_defaults(&j->cost);
    }
    apply_options(j);
    if ((st = cp_mpi_agree(cp_hazard_table_read(j->path, j->layer, &j->tab))) != CP_OK)
        return cli_fail(st == CP_E_ARG ? CP_E_FORMAT : st);
    if (cp_mpi_agree(cli_interrupted() ? CP_E_INTERRUPTED : CP_OK) != CP_OK)
        return cli_fail(CP_E_INTERRUPTED);
    clock_gettime(CLOCK_MONOTONIC, &j->t_read);
    return CP_EXIT_OK;
}

/* The plan (the sweep's counts dealt to the ranks under mpirun) and its evidence. */
static int compute(plan_job *j) {
    cp_plan_options *o = &j->opts;
    o->stop = cli_stop_requested; /* Ctrl-C in the schedules and the Monte Carlo */
    o->columns = j->tab->columns;
    o->ncolumns = j->tab->ncolumns;
    o->classes = j->tab->classes;
    o->nclasses = j->tab->nclasses;
    if (j->tl.n) o->teams = j->tl.v[0]; /* T(N): whole teams apportioned to the capacity's mix */
    if (j->tl.n > 1) {
        o->sweep_teams = j->tl.v;
        o->nsweep = j->tl.n;
    }
    const cp_hazard_table *tab = j->tab;
    cp_status st =
        cp_mpi_plan_compute(tab->hazards, tab->n, &j->cap, &j->cost, &j->rules, o, &j->plan);
    if (st != CP_OK) {
        if (j->rank == 0) fprintf(stderr, "clearplan: error: %s: %s\n", j->path, cp_errmsg());
        return st == CP_E_INTERRUPTED ? CP_EXIT_INTERRUPTED : CP_EXIT_FAIL;
    }
    int rc = plan_evidence(j->plan, tab, j->sc, &j->cap, &j->cost, &j->rules, o, &j->evo,
                           j->threads, j->quiet, &j->ev);
    if (rc != CP_EXIT_OK) return rc;
    if (cp_mpi_agree(cli_interrupted() ? CP_E_INTERRUPTED : CP_OK) != CP_OK)
        return cli_fail(CP_E_INTERRUPTED);
    clock_gettime(CLOCK_MONOTONIC, &j->t_plan);
    return CP_EXIT_OK;
}

/* summary.json into the output folder; 0, or -1 with the error said. */
static int write_summary(const char *dir, const char *out_dir, const char *json) {
    char p[4200];
    FILE *f = snprintf(p, sizeof p, "%s/summary.json", dir) < (int)sizeof p ? fopen(p, "wb") : NULL;
    int bad = !f || fputs(json, f) < 0 || fputc('\n', f) == EOF;
    if (f && fclose(f) != 0) bad = 1;
    if (bad) fprintf(stderr, "clearplan: error: cannot write <%s/summary.json>\n", out_dir);
    return bad ? -1 : 0;
}

/* The plan's files, the report and summary.json, then published (rank 0). */
static int write_outputs(plan_job *j) {
    const cp_plan *plan = j->plan;
    const cp_capacity *cap = &j->cap;
    char teams_text[64], dpy_text[32], usd_text[32], cnt[64], start_text[11], dl_text[11];
    snprintf(teams_text, sizeof teams_text, "%g%s%s", plan->teams,
             plan->has_regions ? " (by region)" : "", plan->has_per_year ? " (per year)" : "");
    snprintf(dpy_text, sizeof dpy_text, "%g", cap->days_per_year);
    snprintf(usd_text, sizeof usd_text, "US$ %g", j->cost.team_day_usd);
    snprintf(cnt, sizeof cnt, "%zu read, %zu planned, %zu excluded", j->tab->n, plan->nitems,
             plan->nexcluded);
    cp_report_entry entries[] = {
        {"Hazards file", base_name(j->path)},
        {"Hazards", cnt},
        {"Scenario", j->scenario ? base_name(j->scenario) : "none (defaults and options)"},
        {"Start", cp_date_format(cap->start, start_text)},
        {"Article 5 deadline", cp_date_format(cap->deadline, dl_text)},
        {"Teams", teams_text},
        {"Working days per team and year", dpy_text},
        {"Cost of a team-day", usd_text},
    };
    cp_report_info info = {0};
    info.title = j->sc && j->sc->name ? j->sc->name : base_name(j->path);
    info.inputs = entries;
    info.ninputs = sizeof entries / sizeof entries[0];
    cp_plan_outputs o = {0};
    o.crs_wkt = j->tab->crs_wkt;
    o.report = &info;
    o.no_gpkg = j->no_gpkg;
    o.evidence = j->ev;
    o.regions = j->evo.regions.items;
    o.nregions = (size_t)j->evo.regions.n;
    const char *tmp_dir = cp_output_path(j->out);
    cp_status st = cp_plan_write_all(plan, tmp_dir, &o);
    cp_describe_info di = {info.title, plan->start, plan->deadline, "summary.json"};
    if (st == CP_OK) st = cp_outputs_describe(tmp_dir, &di);
    if (st == CP_OK) st = cp_plan_summary_json_with(plan, j->ev, &j->json);
    if (st == CP_OK && write_summary(tmp_dir, j->out_dir, j->json)) return CP_EXIT_FAIL;
    if (st == CP_OK && cli_interrupted()) st = CP_E_INTERRUPTED;
    if (st == CP_OK) {
        st = cp_output_commit(j->out); /* synced, then published by an atomic rename */
        j->out = NULL;
    }
    if (st != CP_OK) return cli_fail(st);
    clock_gettime(CLOCK_MONOTONIC, &j->t1);
    return CP_EXIT_OK;
}

/* The verdict and the headline figures on stdout. */
static void print_summary(plan_job *j) {
    const cp_plan *plan = j->plan;
    const cp_evidence *ev = j->ev;
    if (cp_plan_verdict_text(plan, &j->verdict) == CP_OK && j->verdict) printf("%s\n", j->verdict);
    printf("hazards: %zu read, %zu planned, %zu excluded\n", j->tab->n, plan->nitems,
           plan->nexcluded);
    if (ev && ev->mc) {
        const cp_plan_mc *mc = ev->mc;
        printf("monte carlo: %zu samples, P(deadline met) %.2f, teams for 80%%/95%%: %d/%d\n",
               mc->nsamples, mc->p_met, mc->teams_p80, mc->teams_p95);
    }
    if (ev && ev->ranks)
        printf("rank robustness: %zu of %zu hazards keep their place\n", ev->ranks->nrobust,
               ev->ranks->nitems);
    if (plan->nsweep) {
        printf("%10s  %-10s  %-6s  %16s  %16s\n", "teams", "completion", "met", "remaining_m2",
               "funding_gap_usd");
        for (size_t s = 0; s < plan->nsweep; ++s) {
            const cp_plan_sweep_row *r = &plan->sweep[s];
            char d[11];
            printf("%10d  %-10s  %-6s  %16.0f  %16.0f\n", r->teams,
                   r->complete ? cp_date_format(r->completion, d) : "none", r->met ? "yes" : "no",
                   r->remaining_m2, r->funding_gap_usd);
        }
    }
    printf("wrote %s in %.2f s (read %.2f s, plan %.2f s, write %.2f s)\n", j->out_dir,
           secs(j->t0, j->t1), secs(j->t0, j->t_read), secs(j->t_read, j->t_plan),
           secs(j->t_plan, j->t1));
}

int cmd_plan(int argc, char **argv) {
    plan_job j = {.dpy = NAN, .ptd = NAN, .usd = NAN, .budget = NAN, .mobilise = NAN};
    cli_evidence_init(&j.evo);
    cli_option options[] = {
        {"-o|--output", CLI_STRING, &j.out_dir, "a folder", NULL},
        {"--scenario", CLI_STRING, &j.scenario, "a scenario file", NULL},
        {"--layer", CLI_STRING, &j.layer, "a layer name", NULL},
        {"--start", CLI_DATE, &j.start_s, "a date YYYY-MM-DD", NULL},
        {"--deadline", CLI_DATE, &j.deadline_s, "a date YYYY-MM-DD", NULL},
        {"--teams", CLI_CUSTOM, &j.tl, "positive whole numbers separated by commas", parse_teams},
        {"--days-per-year", CLI_CUSTOM, &j.dpy, "a number from 1 to 366", parse_days},
        {"--package-team-days", CLI_CUSTOM, &j.ptd, "a number of team-days, at least 1",
         parse_package},
        {"--team-day-usd", CLI_NONNEG, &j.usd, "a number >= 0", NULL},
        {"--budget-usd", CLI_POSITIVE, &j.budget, "a positive number", NULL},
        {"--mobilisation-days", CLI_NONNEG, &j.mobilise, "a number >= 0", NULL},
        {"--no-redeploy", CLI_FLAG, &j.no_redeploy, NULL, NULL},
        {"--no-gpkg", CLI_FLAG, &j.no_gpkg, NULL, NULL},
        {"-j|--threads", CLI_THREADS, &j.threads, "a thread count >= 1", NULL},
        CLI_OUTPUT_OPTIONS(&j.quiet, &j.overwrite, &j.no_sync),
        CLI_EVIDENCE_OPTIONS(&j.evo),
        CLI_END};
    cli_spec spec = {"plan", plan_help, options, &j.path, 1, 1, "HAZARDS"};
    int npos, rc;
    if ((rc = cli_parse(&spec, argc, argv, &npos)) >= 0) return rc;
    if (!j.out_dir) return cli_usage("plan", "missing -o DIR");
    j.rank = cli_rank();
    clock_gettime(CLOCK_MONOTONIC, &j.t0);
    rc = read_inputs(&j);
    if (rc == CP_EXIT_OK) rc = compute(&j);
    if (rc == CP_EXIT_OK) {
        /* rank 0 writes; the others wait for its status (a job of one: nothing to wait for) */
        if (j.rank == 0) rc = write_outputs(&j);
        cp_status job = cp_mpi_agree(rc != CP_EXIT_OK ? CP_E_IO : CP_OK);
        if (j.rank != 0 && job != CP_OK) rc = CP_EXIT_FAIL;
        if (j.rank == 0 && rc == CP_EXIT_OK && !j.quiet) print_summary(&j);
    }
    cp_output_abort(j.out);
    free(j.verdict);
    free(j.json);
    cp_evidence_free(j.ev);
    cp_plan_free(j.plan);
    cp_hazard_table_free(j.tab);
    cp_scenario_free(j.sc);
    return rc;
}
