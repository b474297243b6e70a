/* report.html: one self-contained page (inline CSS and SVG, images as data: URIs, no network
 * reference) with the verdict in plain words, the inputs, key figures, a burn-down chart,
 * the cumulative-benefit curves of the orders, the milestones, regions, sweeps, the top
 * hazards and a thumbnail of the priority map. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <clearplan/evidence.h>
#include <clearplan/plan.h>

#include "error.h"
#include "plan_internal.h"

/* ------------------------------------------------------------------ words ------------- */

static const char *const month_names[] = {"January",   "February", "March",    "April",
                                          "May",       "June",     "July",     "August",
                                          "September", "October",  "November", "December"};

static const char *small_number(int n, char buf[16]) {
    static const char *const w[] = {"zero",  "one",   "two",  "three", "four",   "five",  "six",
                                    "seven", "eight", "nine", "ten",   "eleven", "twelve"};
    if (n >= 0 && n <= 12) return w[n];
    snprintf(buf, 16, "%d", n);
    return buf;
}

/* "three years and two months", "five months", "12 days" */
static void span_words(cp_textbuf *b, cp_date a, cp_date z) {
    int y1, m1, d1, y2, m2, d2;
    cp_date_split(a, &y1, &m1, &d1);
    cp_date_split(z, &y2, &m2, &d2);
    int months = (y2 * 12 + m2) - (y1 * 12 + m1);
    if (d2 < d1) months -= 1;
    char t1[16], t2[16];
    if (months <= 0) {
        int days = (int)(z - a);
        cp_textbuf_printf(b, "%s day%s", small_number(days, t1), days == 1 ? "" : "s");
        return;
    }
    int years = months / 12, rem = months % 12;
    if (years && rem)
        cp_textbuf_printf(b, "%s year%s and %s month%s", small_number(years, t1),
                          years == 1 ? "" : "s", small_number(rem, t2), rem == 1 ? "" : "s");
    else if (years)
        cp_textbuf_printf(b, "%s year%s", small_number(years, t1), years == 1 ? "" : "s");
    else
        cp_textbuf_printf(b, "%s month%s", small_number(rem, t1), rem == 1 ? "" : "s");
}

static void money(cp_textbuf *b, double usd) {
    if (usd >= 1e9)
        cp_textbuf_printf(b, "US$ %.1f bn", usd / 1e9);
    else if (usd >= 1e7)
        cp_textbuf_printf(b, "US$ %.0f M", usd / 1e6);
    else if (usd >= 1e6)
        cp_textbuf_printf(b, "US$ %.1f M", usd / 1e6);
    else if (usd >= 1e4)
        cp_textbuf_printf(b, "US$ %.0f k", usd / 1e3);
    else
        cp_textbuf_printf(b, "US$ %.0f", usd);
}

static void month_year(cp_textbuf *b, cp_date d) {
    int y, m;
    cp_date_split(d, &y, &m, NULL);
    cp_textbuf_printf(b, "%s %d", month_names[m - 1], y);
}

static void day_month_year(cp_textbuf *b, cp_date d) {
    int y, m, dd;
    cp_date_split(d, &y, &m, &dd);
    cp_textbuf_printf(b, "%d %s %d", dd, month_names[m - 1], y);
}

static void teams_words(cp_textbuf *b, const cp_plan *p) {
    if (p->has_per_year) {
        cp_textbuf_puts(b, "With the planned capacity");
        return;
    }
    cp_textbuf_printf(b, "With %g team%s", p->teams, p->teams == 1 ? "" : "s");
    if (p->has_regions && p->npools <= 4) {
        cp_textbuf_puts(b, " (");
        for (size_t r = 0; r < p->npools; ++r) {
            cp_textbuf_printf(b, "%s%g in ", r ? ", " : "", p->pools[r].teams);
            cp_textbuf_puts(b, p->pools[r].name);
        }
        cp_textbuf_puts(b, ")");
    }
}

/* "12 teams (8 in North, 4 in East)" for T(N). */
static void needed_words(cp_textbuf *b, const cp_plan *p) {
    cp_textbuf_printf(b, "%d team%s", p->teams_needed, p->teams_needed == 1 ? "" : "s");
    int split = (p->has_regions && p->npools <= 6) || (p->has_types && p->ntypes <= 6);
    if (!split) return;
    cp_textbuf_puts(b, " (");
    int first = 1;
    for (size_t r = 0; p->has_regions && p->npools <= 6 && r < p->npools; ++r, first = 0) {
        cp_textbuf_printf(b, "%s%d in ", first ? "" : ", ", p->pools[r].teams_needed);
        cp_textbuf_puts(b, p->pools[r].name);
    }
    for (size_t t = 0; !(p->has_regions && p->npools <= 6) && t < p->ntypes; ++t, first = 0) {
        cp_textbuf_printf(b, "%s%d ", first ? "" : ", ", p->types[t].teams_needed);
        cp_textbuf_puts(b, p->types[t].name);
    }
    cp_textbuf_puts(b, ")");
}

/* The years in which money, not teams, binds: "2027, 2028". */
static void binding_years(cp_textbuf *b, const cp_plan *p) {
    int first = 1;
    for (size_t k = 0; k < p->nyears; ++k)
        if (p->years[k].budget_binding) {
            cp_textbuf_printf(b, "%s%d", first ? "" : ", ", p->years[k].year);
            first = 0;
        }
}

static void verdict_words(cp_textbuf *b, const cp_plan *p) {
    if (p->nitems == 0) {
        cp_textbuf_puts(b, "There is no hazard area left to plan.");
        return;
    }
    teams_words(b, p);
    if (!p->complete) {
        cp_textbuf_puts(b, ", the team schedule does not finish the work");
        if (p->nyears) cp_textbuf_printf(b, " by %d", p->years[p->nyears - 1].year);
        cp_textbuf_puts(b, " and misses the ");
        day_month_year(b, p->deadline);
        cp_textbuf_puts(b, " deadline");
        if (isfinite(p->t_ideal) && p->ideal_completion) {
            cp_textbuf_puts(b, " (even the ideal bound ends in ");
            month_year(b, p->ideal_completion);
            cp_textbuf_puts(b, ")");
        }
        cp_textbuf_puts(b, "; ");
    } else {
        cp_textbuf_puts(b, ", the team schedule completes in ");
        month_year(b, p->completion);
        cp_textbuf_puts(b, ", ");
        if (p->met) {
            if (p->completion == p->deadline) {
                cp_textbuf_puts(b, "on the ");
            } else {
                span_words(b, p->completion, p->deadline);
                cp_textbuf_puts(b, " before the ");
            }
            day_month_year(b, p->deadline);
            cp_textbuf_puts(b, " deadline");
            if (p->teams_needed > 0 && p->teams_needed < p->teams) {
                cp_textbuf_puts(b, "; ");
                needed_words(b, p);
                cp_textbuf_puts(b, " would be enough");
            }
            cp_textbuf_puts(b, ".");
        } else {
            span_words(b, p->deadline, p->completion);
            cp_textbuf_puts(b, " after the ");
            day_month_year(b, p->deadline);
            cp_textbuf_puts(b, " deadline; ");
        }
    }
    if (!p->met) {
        if (p->teams_needed > 0) {
            needed_words(b, p);
            cp_textbuf_puts(b, ", ");
            money(b, p->funding_gap_usd);
            cp_textbuf_puts(b, " more, finish on time.");
        } else {
            cp_textbuf_puts(b, "no number of teams finishes on time: ");
            cp_textbuf_puts(b, p->teams_needed_note ? p->teams_needed_note : "see the report");
            cp_textbuf_puts(b, ".");
        }
    }
    if (p->budget_binding_years) {
        cp_textbuf_puts(b, " Money, not teams, binds in ");
        binding_years(b, p);
        cp_textbuf_puts(b, ".");
    }
}

cp_status cp_plan_verdict_text(const cp_plan *plan, char **out) {
    if (!plan || !out) return cp_fail(CP_E_ARG, "cp_plan_verdict_text: NULL argument");
    *out = NULL;
    cp_textbuf b = {0};
    verdict_words(&b, plan);
    if (b.failed) {
        cp_textbuf_free(&b);
        return cp_fail(CP_E_NOMEM, "out of memory");
    }
    *out = b.data;
    return CP_OK;
}

/* ------------------------------------------------------------------ numbers ----------- */

/* 1234567.8 -> "1,234,568" */
char *cp_number_grouped(double v, int decimals, char *buf, size_t n) {
    if (!buf || n == 0) return buf;
    if (!isfinite(v)) {
        snprintf(buf, n, "–");
        return buf;
    }
    decimals = decimals < 0 ? 0 : decimals > 9 ? 9 : decimals;
    char t[320], o[440]; /* DBL_MAX has 309 digits */
    snprintf(t, sizeof t, "%.*f", decimals, fabs(v));
    const char *dot = strchr(t, '.');
    size_t whole = dot ? (size_t)(dot - t) : strlen(t), k = 0;
    if (v < 0 && strspn(t, "0.") != strlen(t)) o[k++] = '-';
    for (size_t i = 0; i < whole; ++i) {
        o[k++] = t[i];
        if ((whole - i - 1) % 3 == 0 && i + 1 < whole) o[k++] = ',';
    }
    snprintf(o + k, sizeof o - k, "%s", dot ? dot : "");
    snprintf(buf, n, "%s", o);
    return buf;
}

static void grouped(cp_textbuf *b, double v) {
    char t[440];
    cp_textbuf_puts(b, cp_number_grouped(v, 0, t, sizeof t));
}

static void fixed(cp_textbuf *b, double v, int decimals) {
    if (!isfinite(v))
        cp_textbuf_puts(b, "–");
    else
        cp_textbuf_printf(b, "%.*f", decimals, v);
}

static void km2(cp_textbuf *b, double m2) {
    double k = m2 / 1e6;
    fixed(b, k, k >= 100 ? 0 : k >= 10 ? 1 : 2);
}

static void date_text(cp_textbuf *b, cp_date d) {
    char t[11];
    cp_textbuf_puts(b, cp_date_format(d, t));
}

/* ------------------------------------------------------------------ base64 ------------ */

static void base64(cp_textbuf *b, const unsigned char *p, size_t n) {
    static const char tb[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    char q[4];
    for (size_t i = 0; i < n; i += 3) {
        unsigned v = (unsigned)p[i] << 16;
        if (i + 1 < n) v |= (unsigned)p[i + 1] << 8;
        if (i + 2 < n) v |= p[i + 2];
        q[0] = tb[(v >> 18) & 63];
        q[1] = tb[(v >> 12) & 63];
        q[2] = i + 1 < n ? tb[(v >> 6) & 63] : '=';
        q[3] = i + 2 < n ? tb[v & 63] : '=';
        cp_textbuf_putn(b, q, 4);
    }
}

/* ------------------------------------------------------------------ charts ------------ */

typedef struct {
    double x0, y0, w, h; /* plot area in SVG units */
    double tmax, vmax;   /* data ranges: t in days, v in the curve's unit */
    cp_date start;
} chart;

static double nice_step(double range, int target) {
    if (!(range > 0)) return 1;
    double raw = range / target, mag = pow(10, floor(log10(raw))), f = raw / mag;
    double s = f <= 1 ? 1 : f <= 2 ? 2 : f <= 2.5 ? 2.5 : f <= 5 ? 5 : 10;
    return s * mag;
}

static double cx(const chart *c, double t) {
    return c->x0 + c->w * (c->tmax > 0 ? t / c->tmax : 0);
}

static double cy(const chart *c, double v) {
    return c->y0 + c->h * (1 - (c->vmax > 0 ? v / c->vmax : 0));
}

static void chart_open(cp_textbuf *b, chart *c, const char *label, const char *ylabel, double vmax,
                       double tmax, cp_date start) {
    c->x0 = 64;
    c->y0 = 16;
    c->w = 560;
    c->h = 230;
    c->start = start;
    c->tmax = tmax > 0 ? tmax : 1;
    double step = nice_step(vmax, 5);
    c->vmax = vmax > 0 ? ceil(vmax / step - 1e-9) * step : 1;
    cp_textbuf_printf(b,
                      "<svg class=\"chart\" viewBox=\"0 0 660 300\" role=\"img\" "
                      "aria-label=\"%s\">\n",
                      label);
    /* y grid and labels */
    for (double v = 0; v <= c->vmax + 1e-9 * c->vmax; v += step) {
        double y = cy(c, v);
        cp_textbuf_printf(b,
                          "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" "
                          "class=\"grid\"/>\n<text x=\"%.1f\" y=\"%.1f\" class=\"tick\" "
                          "text-anchor=\"end\">",
                          c->x0, y, c->x0 + c->w, y, c->x0 - 6, y + 4);
        fixed(b, v, step < 1 ? (step < 0.1 ? 2 : 1) : 0);
        cp_textbuf_puts(b, "</text>\n");
        if (step <= 0) break;
    }
    /* x ticks: calendar years */
    int y0, y1;
    cp_date_split(start, &y0, NULL, NULL);
    cp_date_split(start + (cp_date)ceil(c->tmax), &y1, NULL, NULL);
    int every = (y1 - y0) > 24 ? 5 : (y1 - y0) > 12 ? 2 : 1;
    for (int y = y0 + 1; y <= y1; ++y) {
        double t = (double)(cp_date_make(y, 1, 1) - start);
        if (t > c->tmax) break;
        double x = cx(c, t);
        cp_textbuf_printf(b,
                          "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" class=\"%s\"/>\n",
                          x, c->y0, x, c->y0 + c->h, (y - y0) % every ? "grid faint" : "grid");
        if ((y - y0) % every == 0)
            cp_textbuf_printf(b,
                              "<text x=\"%.1f\" y=\"%.1f\" class=\"tick\" "
                              "text-anchor=\"middle\">%d</text>\n",
                              x, c->y0 + c->h + 16, y);
    }
    cp_textbuf_printf(b,
                      "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" class=\"axis\"/>\n"
                      "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" class=\"axis\"/>\n",
                      c->x0, c->y0 + c->h, c->x0 + c->w, c->y0 + c->h, c->x0, c->y0, c->x0,
                      c->y0 + c->h);
    cp_textbuf_printf(b,
                      "<text x=\"14\" y=\"%.1f\" class=\"axislabel\" "
                      "transform=\"rotate(-90 14 %.1f)\" text-anchor=\"middle\">%s</text>\n",
                      c->y0 + c->h / 2, c->y0 + c->h / 2, ylabel);
}

static void chart_deadline(cp_textbuf *b, const chart *c, double t, const char *text) {
    double x = cx(c, t);
    cp_textbuf_printf(b,
                      "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" class=\"deadline\"/>\n"
                      "<text x=\"%.1f\" y=\"%.1f\" class=\"deadlinelabel\" "
                      "text-anchor=\"%s\">",
                      x, c->y0, x, c->y0 + c->h, x + (x > c->x0 + c->w - 120 ? -6 : 6), c->y0 + 14,
                      x > c->x0 + c->w - 120 ? "end" : "start");
    cp_textbuf_html(b, text);
    cp_textbuf_puts(b, "</text>\n");
}

static void chart_curve(cp_textbuf *b, const chart *c, const double *t, const double *v, size_t n,
                        const char *cls, double scale) {
    cp_textbuf_printf(b, "<polyline class=\"%s\" points=\"", cls);
    for (size_t k = 0; k < n; ++k)
        cp_textbuf_printf(b, "%s%.1f,%.1f", k ? " " : "", cx(c, t[k]), cy(c, v[k] * scale));
    cp_textbuf_puts(b, "\"/>\n");
}

/* ------------------------------------------------------------------ page -------------- */

static const char *css =
    "*{box-sizing:border-box}"
    "body{margin:0;background:#eef1f4;color:#1d2733;font:14px/1.45 'Segoe UI',Roboto,"
    "'Helvetica Neue',Arial,sans-serif}"
    "header{background:#1f3b57;color:#fff;padding:22px 40px 18px}"
    "header h1{margin:0;font-size:24px;font-weight:600;letter-spacing:.2px}"
    "header p{margin:4px 0 0;color:#c5d3e0;font-size:13px}"
    "main{max-width:1100px;margin:0 auto;padding:22px 28px 40px}"
    ".verdict{border-radius:6px;padding:16px 20px;margin:0 0 18px;font-size:18px;"
    "line-height:1.4;border-left:6px solid}"
    ".verdict.missed{background:#fdf0ee;border-color:#b3261e;color:#5c1510}"
    ".verdict.met{background:#edf7ef;border-color:#1e7b34;color:#12461f}"
    ".cards{display:grid;grid-template-columns:repeat(4,1fr);gap:12px;margin-bottom:18px}"
    ".card{background:#fff;border-radius:6px;padding:12px 14px;box-shadow:0 1px 2px "
    "rgba(0,0,0,.08)}"
    ".card .k{font-size:12px;color:#5b6b7b;text-transform:uppercase;letter-spacing:.4px}"
    ".card .v{font-size:21px;font-weight:600;margin-top:2px}"
    ".card .s{font-size:12px;color:#5b6b7b}"
    ".bad{color:#b3261e}.good{color:#1e7b34}"
    "section{background:#fff;border-radius:6px;padding:16px 20px;margin-bottom:18px;"
    "box-shadow:0 1px 2px rgba(0,0,0,.08)}"
    "section h2{margin:0 0 10px;font-size:16px;color:#1f3b57}"
    ".row{display:grid;grid-template-columns:minmax(0,1fr) minmax(0,1fr);gap:18px}"
    ".row section{margin-bottom:0}"
    ".rowwrap{margin-bottom:18px}"
    "table{border-collapse:collapse;width:100%;font-size:13px}"
    "th{background:#f3f6f9;color:#34495e;font-weight:600;text-align:right;padding:6px 8px;"
    "border-bottom:1px solid #d5dde5;white-space:nowrap}"
    "td{padding:5px 8px;border-bottom:1px solid #eef1f4;text-align:right;white-space:nowrap}"
    "th.l,td.l{text-align:left}"
    "tr.late td{color:#8a2a22}"
    "table.kv td{text-align:left;white-space:normal}"
    "table.kv td:first-child{color:#5b6b7b;width:38%}"
    ".chart{width:100%;height:auto;display:block}"
    ".chart .grid{stroke:#e3e8ee;stroke-width:1}"
    ".chart .grid.faint{stroke:#f0f3f6}"
    ".chart .axis{stroke:#8a99a8;stroke-width:1}"
    ".chart .tick{font-size:11px;fill:#5b6b7b}"
    ".chart .axislabel{font-size:12px;fill:#34495e}"
    ".chart .deadline{stroke:#b3261e;stroke-width:1.5;stroke-dasharray:5 4}"
    ".chart .deadlinelabel{font-size:11px;fill:#b3261e;font-weight:600}"
    ".chart polyline{fill:none;stroke-width:2.2;stroke-linejoin:round}"
    ".chart .c0{stroke:#1f6fb2}.chart .c1{stroke:#e08a1e}.chart .c2{stroke:#7b52ab}"
    ".chart .c3{stroke:#8a99a8;stroke-dasharray:4 3}"
    ".chart .area{fill:#1f6fb2;fill-opacity:.10;stroke:none}"
    ".chart .band{fill:#1f6fb2;fill-opacity:.15;stroke:none}.chart .band2{fill-opacity:.35}"
    "h3{font-size:14px;color:#34495e;margin:14px 0 6px}"
    ".legend{font-size:12px;color:#34495e;margin-top:4px}"
    ".legend span{display:inline-block;margin-right:14px}"
    ".legend i{display:inline-block;width:18px;height:3px;vertical-align:middle;"
    "margin-right:5px}"
    ".thumb{width:100%;max-height:380px;object-fit:contain;background:#f3f6f9;"
    "border:1px solid #d5dde5;border-radius:4px;display:block}"
    ".muted{color:#5b6b7b;font-size:12px}"
    "footer{color:#5b6b7b;font-size:12px;max-width:1100px;margin:0 auto;padding:0 28px 30px}";

static const char *const order_label[CP_NORDER] = {
    "Efficiency (benefit per team-day)", "Highest priority first", "Smallest first", "Input order"};
static const char *const order_short[CP_NORDER] = {"Efficiency", "Priority first", "Smallest first",
                                                   "Input order"};
static const char *const order_colour[CP_NORDER] = {"#1f6fb2", "#e08a1e", "#7b52ab", "#8a99a8"};

static void card(cp_textbuf *b, const char *k, const char *cls, const char *v, const char *s) {
    cp_textbuf_printf(b, "<div class=\"card\"><div class=\"k\">%s</div><div class=\"v%s%s\">", k,
                      cls[0] ? " " : "", cls);
    cp_textbuf_puts(b, v);
    cp_textbuf_puts(b, "</div><div class=\"s\">");
    cp_textbuf_puts(b, s);
    cp_textbuf_puts(b, "</div></div>\n");
}

/* Renders into a scratch buffer and returns its text (kept until the next call). */
typedef struct {
    cp_textbuf s[4];
    int next;
} scratch;

static const char *sc_begin(scratch *sc, cp_textbuf **out) {
    cp_textbuf *b = &sc->s[sc->next++ % 4];
    b->len = 0;
    if (b->data) b->data[0] = '\0';
    *out = b;
    return "";
}

static void milestone_rows(cp_textbuf *b, const cp_plan *p, const cp_milestone *ms, size_t n) {
    for (size_t k = 0; k < n; ++k) {
        const cp_milestone *m = &ms[k];
        char lab[16];
        int late = m->start > p->deadline;
        cp_textbuf_printf(b, "<tr%s><td class=\"l\">%s</td><td>", late ? " class=\"late\"" : "",
                          cp_plan_period_label(m, lab));
        grouped(b, m->capacity_team_days);
        for (int q = 0; q < CP_NMETHOD; ++q) {
            cp_textbuf_puts(b, "</td><td>");
            grouped(b, m->released_m2[q]);
        }
        cp_textbuf_printf(b, "</td><td>%zu</td><td>", m->hazards_completed);
        fixed(b, m->benefit, 1);
        cp_textbuf_puts(b, "</td><td>");
        grouped(b, m->team_days);
        cp_textbuf_puts(b, "</td><td>");
        grouped(b, m->cost_usd);
        cp_textbuf_puts(b, "</td><td>");
        grouped(b, m->remaining_m2);
        if (p->has_budget) {
            cp_textbuf_puts(b, "</td><td>");
            grouped(b, m->budget_usd);
            cp_textbuf_printf(b, "</td><td class=\"l%s\">%s", m->budget_binding ? " bad" : "",
                              m->budget_binding ? "money" : "teams");
        }
        cp_textbuf_puts(b, "</td></tr>\n");
    }
}

/* The page up to <main>: title, style, header (`region`: a region's page). */
static void page_open(cp_textbuf *b, const cp_plan *p, const char *title, const char *region,
                      size_t nhazards) {
    cp_textbuf_puts(b,
                    "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
                    "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
                    "<title>");
    cp_textbuf_html(b, title);
    if (region) {
        cp_textbuf_puts(b, " — ");
        cp_textbuf_html(b, region);
    }
    cp_textbuf_puts(b, " — Article 5 clearance plan</title>\n<style>");
    cp_textbuf_puts(b, css);
    cp_textbuf_puts(b, "</style>\n</head>\n<body>\n<header><h1>");
    cp_textbuf_html(b, title);
    if (region) {
        cp_textbuf_puts(b, " — ");
        cp_textbuf_html(b, region);
    }
    cp_textbuf_printf(b, "</h1><p>Article 5 land-release plan · %zu hazard areas · start ",
                      nhazards);
    day_month_year(b, p->start);
    cp_textbuf_puts(b, " · deadline ");
    day_month_year(b, p->deadline);
    cp_textbuf_printf(b, " · clearplan %s</p></header>\n<main>\n", cp_version());
}

/* The method in a footer, and the end of the page. */
static void page_close(cp_textbuf *b, const cp_plan *p) {
    cp_textbuf_puts(b, "</main>\n<footer>");
    cp_textbuf_printf(b,
                      "Method: each hazard is released in stages (non-technical survey, "
                      "technical survey, clearance); the stages are ordered by benefit per "
                      "team-day under their chain precedence (Sidney's rule; locked hazards "
                      "first), split into work packages of at most %g team-days and "
                      "list-scheduled onto %d whole teams, each finishing the package it takes, "
                      "%g working days a year spread evenly over the calendar. Completion, the "
                      "verdict, the milestones and teams needed all come from that schedule; "
                      "teams needed is a count that meets the deadline while one team fewer "
                      "misses, both scheduled. The ideal bound puts all teams on one queue of "
                      "divisible work. Funding gap: team-days still to do at the deadline × "
                      "cost of a team-day.</footer>\n</body>\n</html>\n",
                      p->package_team_days, p->nteams, p->days_per_year);
}

/* ------------------------------------------------------------------ evidence ---------- */

/* Days from the start at the end of date d. */
static double day_end(const cp_plan *p, cp_date d) {
    return (double)(d - p->start) + 1;
}

/* "March 2030" for a time in days from the start, "later" past the calendar. */
static void month_of(cp_textbuf *b, const cp_plan *p, double t) {
    if (isfinite(t) && t < 1e9)
        month_year(b, cp_plan_end_day(p->start, t));
    else
        cp_textbuf_puts(b, "not within the calendar");
}

static void fan_band(cp_textbuf *b, const chart *c, const cp_plan *p, const cp_plan_mc *mc,
                     const double *lo, const double *hi, const char *cls) {
    cp_textbuf_printf(b, "<polygon class=\"%s\" points=\"%.1f,%.1f", cls, cx(c, 0),
                      cy(c, p->area_m2 / 1e6));
    for (size_t q = 0; q < mc->nfan; ++q)
        cp_textbuf_printf(b, " %.1f,%.1f", cx(c, day_end(p, mc->fan_date[q])), cy(c, hi[q] / 1e6));
    for (size_t q = mc->nfan; q-- > 0;)
        cp_textbuf_printf(b, " %.1f,%.1f", cx(c, day_end(p, mc->fan_date[q])), cy(c, lo[q] / 1e6));
    cp_textbuf_puts(b, "\"/>\n");
}

/* The Monte Carlo: cards and the fan chart of the burn-down. */
static void uncertainty_section(cp_textbuf *b, const cp_plan *p, const cp_plan_mc *mc) {
    cp_textbuf_printf(b,
                      "<section><h2>Uncertainty: %zu plans with the uncertain figures drawn</h2>\n"
                      "<div class=\"cards\">\n",
                      mc->nsamples);
    cp_textbuf_printf(b,
                      "<div class=\"card\"><div class=\"k\">Chance of meeting the deadline</div>"
                      "<div class=\"v %s\">",
                      mc->p_met >= 0.8  ? "good"
                      : mc->p_met < 0.5 ? "bad"
                                        : "");
    fixed(b, 100 * mc->p_met, 0);
    cp_textbuf_puts(b, " %</div><div class=\"s\">of the samples finish by ");
    day_month_year(b, p->deadline);
    cp_textbuf_puts(b,
                    "</div></div>\n<div class=\"card\"><div class=\"k\">Completion P10 – P90"
                    "</div><div class=\"v\">");
    month_of(b, p, mc->completion_p[CP_MC_P10]);
    cp_textbuf_puts(b, "</div><div class=\"s\">to ");
    month_of(b, p, mc->completion_p[CP_MC_P90]);
    cp_textbuf_puts(b, "; median ");
    month_of(b, p, mc->completion_p[CP_MC_P50]);
    cp_textbuf_puts(b,
                    "</div></div>\n<div class=\"card\"><div class=\"k\">Teams for 80 % / 95 %"
                    "</div><div class=\"v\">");
    if (mc->teams_p80 >= 0)
        cp_textbuf_printf(b, "%d", mc->teams_p80);
    else
        cp_textbuf_puts(b, "–");
    cp_textbuf_puts(b, " / ");
    if (mc->teams_p95 >= 0)
        cp_textbuf_printf(b, "%d", mc->teams_p95);
    else
        cp_textbuf_puts(b, "–");
    cp_textbuf_printf(b,
                      "</div><div class=\"s\">finish on time in 80 %% / 95 %% of the samples "
                      "(the plan: %d)</div></div>\n<div class=\"card\"><div class=\"k\">"
                      "Remaining at the deadline</div><div class=\"v\">",
                      p->teams_needed);
    km2(b, mc->remaining_p[CP_MC_P10]);
    cp_textbuf_puts(b, " – ");
    km2(b, mc->remaining_p[CP_MC_P90]);
    cp_textbuf_puts(b, " km²</div><div class=\"s\">P10 – P90; median ");
    km2(b, mc->remaining_p[CP_MC_P50]);
    cp_textbuf_puts(b, " km²</div></div>\n</div>\n");
    chart c;
    double tmax = p->horizon_days;
    if (mc->nfan && day_end(p, mc->fan_date[mc->nfan - 1]) > tmax)
        tmax = day_end(p, mc->fan_date[mc->nfan - 1]);
    chart_open(b, &c, "fan chart of the remaining area", "km² remaining", p->area_m2 / 1e6, tmax,
               p->start);
    fan_band(b, &c, p, mc, mc->fan_p[0], mc->fan_p[4], "band");
    fan_band(b, &c, p, mc, mc->fan_p[1], mc->fan_p[3], "band band2");
    cp_textbuf_printf(b, "<polyline class=\"c1\" points=\"%.1f,%.1f", cx(&c, 0),
                      cy(&c, p->area_m2 / 1e6));
    for (size_t q = 0; q < mc->nfan; ++q)
        cp_textbuf_printf(b, " %.1f,%.1f", cx(&c, day_end(p, mc->fan_date[q])),
                          cy(&c, mc->fan_p[2][q] / 1e6));
    cp_textbuf_puts(b, "\"/>\n");
    chart_curve(b, &c, p->curve_t, p->schedule_remaining_m2, CP_PLAN_CURVE_POINTS, "c0", 1e-6);
    chart_deadline(b, &c, (double)(p->deadline - p->start) + 1, "deadline");
    cp_textbuf_printf(b,
                      "</svg>\n<div class=\"legend\"><span><i style=\"background:#1f6fb2\"></i>"
                      "the plan</span><span><i style=\"background:#e08a1e\"></i>median of the "
                      "samples</span><span><i style=\"background:rgba(31,111,178,.35)\"></i>P10 "
                      "– P90</span><span><i style=\"background:rgba(31,111,178,.15)\"></i>P5 – "
                      "P95</span></div>\n<p class=\"muted\">Each sample draws the productivities "
                      "(per land-cover class and team type), the release shares, the teams' "
                      "availability and the cost of a team-day from the scenario's ranges (%s), "
                      "plans the hazards again and schedules them on whole teams (seed %llu; "
                      "montecarlo.csv has every sample, burndown_fan.csv this chart). Teams for "
                      "80 %%: a count that suffices in 80 %% of the samples.</p></section>\n",
                      mc->distribution ? "triangular" : "PERT", (unsigned long long)mc->seed);
}

/* Development outcomes: area released per year by land-cover class (and the goal it serves),
 * people living near the land released. */
static void outcomes_section(cp_textbuf *b, const cp_plan *p) {
    size_t ncl = p->nclasses + 1;
    int *used = calloc(ncl, sizeof *used);
    if (!used) {
        b->failed = 1;
        return;
    }
    for (size_t y = 0; y < p->nyears; ++y)
        for (size_t k = 0; k < ncl; ++k) used[k] |= p->years[y].class_released_m2[k] > 0;
    cp_textbuf_puts(b,
                    "<section><h2>Development outcomes: land released and people reached</h2>\n"
                    "<table><tr><th class=\"l\">Released (m²)</th><th class=\"l\">Goal</th>");
    for (size_t y = 0; y < p->nyears; ++y) cp_textbuf_printf(b, "<th>%d</th>", p->years[y].year);
    cp_textbuf_puts(b, "</tr>\n");
    for (size_t k = 0; k < ncl; ++k) {
        if (!used[k]) continue;
        int code = k < p->nclasses ? p->classes[k] : -1;
        const char *name = code >= 0 ? cp_landcover_name(code) : NULL;
        int sdg = code >= 0 ? cp_landcover_sdg(code) : 0;
        cp_textbuf_puts(b, "<tr><td class=\"l\">");
        if (name)
            cp_textbuf_puts(b, name);
        else if (code >= 0)
            cp_textbuf_printf(b, "class %d", code);
        else
            cp_textbuf_puts(b, "other");
        cp_textbuf_puts(b, "</td><td class=\"l\">");
        if (sdg) cp_textbuf_printf(b, "SDG %d", sdg);
        cp_textbuf_puts(b, "</td>");
        for (size_t y = 0; y < p->nyears; ++y) {
            cp_textbuf_puts(b, "<td>");
            grouped(b, p->years[y].class_released_m2[k]);
            cp_textbuf_puts(b, "</td>");
        }
        cp_textbuf_puts(b, "</tr>\n");
    }
    cp_textbuf_puts(b,
                    "<tr><th class=\"l\">People near released land</th><th class=\"l\">"
                    "SDG 16</th>");
    for (size_t y = 0; y < p->nyears; ++y) {
        cp_textbuf_puts(b, "<th>");
        grouped(b, p->years[y].people_near_released);
        cp_textbuf_puts(b, "</th>");
    }
    cp_textbuf_puts(b, "</tr>\n");
    cp_textbuf_puts(b, "</table>\n<p class=\"muted\">");
    for (int g = 1; g <= 17; ++g) {
        double a = 0;
        for (size_t k = 0; k < p->nclasses; ++k)
            if (cp_landcover_sdg(p->classes[k]) == g)
                for (size_t y = 0; y < p->nyears; ++y) a += p->years[y].class_released_m2[k];
        if (!(a > 0)) continue;
        cp_textbuf_printf(b, "SDG %d (%s): ", g, cp_sdg_name(g) ? cp_sdg_name(g) : "");
        km2(b, a);
        cp_textbuf_puts(b, " km² released. ");
    }
    cp_textbuf_puts(b,
                    "Area released in the year each stage of a hazard ends, in the shares of its "
                    "land-cover classes; people living within the focal radius of the hazards "
                    "completed in the year (summed over hazards: someone near two counts "
                    "twice). In milestones.csv and run.json too.</p></section>\n");
    free(used);
}

/* Rank robustness: the weights drawn, how many hazards keep their place, the first year's
 * robust hazards and those that depend on the weighting. */
static void ranks_section(cp_textbuf *b, const cp_plan *p, const cp_evidence *ev) {
    const cp_rank_robustness *r = ev->ranks;
    size_t first = 0, sure = 0, unsure = 0;
    for (size_t i = 0; i < r->nitems; ++i) {
        first += (size_t)r->items[i].first_year;
        sure += r->items[i].p_first_year >= 0.9;
        unsure += !r->items[i].robust;
    }
    cp_textbuf_printf(b,
                      "<section><h2>Rank robustness: %zu weightings</h2>\n<p>%zu of %zu "
                      "hazards keep their place (in or out of the first year's work in at least "
                      "90 %% of the weightings); %zu of the %zu the plan completes in its first "
                      "year are there in 90 %% of them; %zu depend on the weighting.</p>\n"
                      "<table><tr><th class=\"l\">Criterion</th><th>Weight share P5</th>"
                      "<th>P50</th><th>P95</th></tr>\n",
                      r->samples, r->nrobust, r->nitems, sure, first, unsure);
    for (size_t k = 0; k < ev->ncriteria; ++k) {
        cp_textbuf_puts(b, "<tr><td class=\"l\">");
        cp_textbuf_html(b, ev->criteria[k]);
        for (int q = 0; q < 3; ++q) {
            cp_textbuf_puts(b, "</td><td>");
            fixed(b, r->weight_p[q][k], 3);
        }
        cp_textbuf_puts(b, "</td></tr>\n");
    }
    cp_textbuf_puts(b, "</table>\n");
    for (int robust = 1; robust >= 0; --robust) {
        cp_textbuf_printf(b,
                          "<h3>%s</h3>\n<table><tr><th>Rank</th><th class=\"l\">Hazard</th>%s"
                          "<th>Rank P5 – P95</th><th>In the first year</th></tr>\n",
                          robust ? "First-year work whatever the weighting"
                                 : "Hazards whose place depends on the weighting",
                          p->has_regions ? "<th class=\"l\">Region</th>" : "");
        size_t shown = 0;
        for (size_t i = 0; i < r->nitems && shown < 20; ++i) {
            const cp_rank_item *ri = &r->items[i];
            if (robust ? !(ri->p_first_year >= 0.9) : ri->robust) continue;
            const cp_plan_item *it = &p->items[i];
            cp_textbuf_printf(b, "<tr><td>%zu</td><td class=\"l\">", ri->rank);
            cp_textbuf_html(b, it->h.id);
            cp_textbuf_puts(b, "</td>");
            if (p->has_regions) {
                cp_textbuf_puts(b, "<td class=\"l\">");
                cp_textbuf_html(b, p->pools[it->pool].name);
                cp_textbuf_puts(b, "</td>");
            }
            cp_textbuf_printf(b, "<td>%zu – %zu</td><td>", ri->rank_p5, ri->rank_p95);
            fixed(b, 100 * ri->p_first_year, 0);
            cp_textbuf_puts(b, " %</td></tr>\n");
            ++shown;
        }
        if (!shown) cp_textbuf_puts(b, "<tr><td colspan=\"5\" class=\"l\">none</td></tr>\n");
        cp_textbuf_puts(b, "</table>\n");
    }
    cp_textbuf_printf(b,
                      "<p class=\"muted\">Each weighting re-scores every hazard from its benefit "
                      "per criterion and orders them as the plan does. The first year's work of "
                      "a region: as many of its hazards as the plan completes there in its first "
                      "year, in the order their release ends. Ranks in bins of %zu; every hazard "
                      "in rank_robustness.csv.</p></section>\n",
                      r->bin_width);
}

/* New contamination: the projection per year with its range, the capacity set aside, the
 * trend per region. */
static void contamination_section(cp_textbuf *b, const cp_plan *p, const cp_contamination *c) {
    const cp_trend *t0 = &c->trend[0];
    cp_textbuf_printf(b,
                      "<section><h2>New contamination: improvised mines reported %d – %d, "
                      "projected to %d</h2>\n",
                      t0->year0, t0->year0 + t0->nyears - 1, c->year0 + c->nyears - 1);
    /* the country's new area per year: P10-P90 band and the median, in km2 */
    double vmax = 0;
    for (int y = 0; y < c->nyears; ++y)
        if (c->total_area_p[2][y] > vmax) vmax = c->total_area_p[2][y];
    chart ch;
    const double tmax = day_end(p, cp_date_make(c->year0 + c->nyears, 1, 1) - 1);
    chart_open(b, &ch, "projected new hazard area per year", "km² new per year", vmax / 1e6, tmax,
               p->start);
    cp_textbuf_puts(b, "<polygon class=\"band band2\" points=\"");
    for (int y = 0; y < c->nyears; ++y)
        cp_textbuf_printf(b, "%.1f,%.1f ", cx(&ch, day_end(p, cp_date_make(c->year0 + y, 7, 1))),
                          cy(&ch, c->total_area_p[2][y] / 1e6));
    for (int y = c->nyears; y-- > 0;)
        cp_textbuf_printf(b, "%.1f,%.1f ", cx(&ch, day_end(p, cp_date_make(c->year0 + y, 7, 1))),
                          cy(&ch, c->total_area_p[0][y] / 1e6));
    cp_textbuf_puts(b, "\"/>\n<polyline class=\"c1\" points=\"");
    for (int y = 0; y < c->nyears; ++y)
        cp_textbuf_printf(b, "%s%.1f,%.1f", y ? " " : "",
                          cx(&ch, day_end(p, cp_date_make(c->year0 + y, 7, 1))),
                          cy(&ch, c->total_area_p[1][y] / 1e6));
    cp_textbuf_puts(b, "\"/>\n");
    chart_deadline(b, &ch, (double)(p->deadline - p->start) + 1, "deadline");
    cp_textbuf_puts(b,
                    "</svg>\n<div class=\"legend\"><span><i style=\"background:#e08a1e\"></i>"
                    "median</span><span><i style=\"background:rgba(31,111,178,.35)\"></i>P10 – "
                    "P90</span></div>\n<table><tr><th class=\"l\">Year</th><th>New area P10 – "
                    "P90 (m²)</th><th>Median (m²)</th><th>Capacity set aside</th><th>Team-days "
                    "set aside</th></tr>\n");
    for (int y = 0; y < c->nyears; ++y) {
        cp_textbuf_printf(b, "<tr><td class=\"l\">%d</td><td>", c->year0 + y);
        grouped(b, c->total_area_p[0][y]);
        cp_textbuf_puts(b, " – ");
        grouped(b, c->total_area_p[2][y]);
        cp_textbuf_puts(b, "</td><td>");
        grouped(b, c->total_area_p[1][y]);
        cp_textbuf_puts(b, "</td><td>");
        if (c->reserve) {
            fixed(b, 100 * c->reserve[y].share, 1);
            cp_textbuf_puts(b, " %");
        } else {
            cp_textbuf_puts(b, "–");
        }
        cp_textbuf_puts(b, "</td><td>");
        if (c->reserve_team_days)
            grouped(b, c->reserve_team_days[y]);
        else
            cp_textbuf_puts(b, "–");
        cp_textbuf_puts(b, "</td></tr>\n");
    }
    cp_textbuf_puts(b,
                    "</table>\n<table style=\"margin-top:8px\"><tr><th class=\"l\">Region"
                    "</th><th>Reports fitted</th><th>Trend per year</th><th>Dispersion</th>"
                    "</tr>\n");
    for (size_t r = 0; r < c->nregions; ++r) {
        const cp_trend *t = &c->trend[r];
        cp_textbuf_puts(b, "<tr><td class=\"l\">");
        cp_textbuf_html(b, c->region_names[r]);
        cp_textbuf_puts(b, "</td><td>");
        grouped(b, t->total);
        cp_textbuf_puts(b, "</td><td>");
        if (t->constant) {
            cp_textbuf_puts(b, "mean only");
        } else {
            cp_textbuf_printf(b, "%+.0f %% ± %.0f %%", 100 * (exp(t->b) - 1),
                              100 * 1.96 * sqrt(t->var_b) * exp(t->b));
        }
        cp_textbuf_puts(b, "</td><td>");
        fixed(b, t->dispersion, 2);
        cp_textbuf_puts(b, "</td></tr>\n");
    }
    cp_textbuf_puts(b,
                    "</table>\n<p class=\"muted\">A Poisson regression of the reports per year "
                    "and region (quasi-Poisson: its uncertainty scaled by the dispersion), "
                    "projected with the uncertainty of its trend and of the counts; each "
                    "report stands for ");
    grouped(b, c->area_per_report_m2);
    cp_textbuf_printf(b, " m² of new hazard area (%s). ",
                      c->area_fitted ? "the hazards within reach of the reports fitted, divided "
                                       "by those reports"
                                     : "the scenario's figure");
    if (c->reserve)
        cp_textbuf_printf(b,
                          "The plan sets aside, in every year, the teams' time the P%d "
                          "projection needs as new suspected hazards (%.5f team-days per m²), "
                          "so the verdict above accounts for it.",
                          (int)(100 * c->reserve_quantile + 0.5), c->team_days_per_m2);
    else
        cp_textbuf_puts(b, "No capacity is set aside for it (contamination.reserve: none).");
    cp_textbuf_puts(b, " contamination.csv has every region and year.</p></section>\n");
}

/* A region's remaining area at the curve times, from its stages' end dates. */
static void region_curve(const cp_plan *p, size_t r, double *rem) {
    double area = p->pools[r].area_m2;
    for (size_t k = 0; k < CP_PLAN_CURVE_POINTS; ++k) rem[k] = area;
    for (size_t i = 0; i < p->nitems; ++i) {
        const cp_plan_item *it = &p->items[i];
        if ((size_t)it->pool != r) continue;
        for (int s = 0; s < CP_NMETHOD; ++s) {
            if (!it->has_stage[s] || it->stage_end[s] < p->start) continue;
            double t = day_end(p, it->stage_end[s]);
            for (size_t k = 0; k < CP_PLAN_CURVE_POINTS; ++k)
                if (p->curve_t[k] >= t) rem[k] -= it->released_m2[s];
        }
    }
    for (size_t k = 0; k < CP_PLAN_CURVE_POINTS; ++k)
        if (rem[k] < 0) rem[k] = 0;
}

/* One region: its verdict, teams, burn-down and first hazards. */
static void region_section(cp_textbuf *b, const cp_plan *p, size_t r, const cp_evidence *ev,
                           size_t top) {
    const cp_plan_pool *pl = &p->pools[r];
    cp_textbuf_puts(b, "<section><h2>");
    cp_textbuf_html(b, pl->name);
    cp_textbuf_printf(b, "</h2>\n<div class=\"verdict %s\">", pl->met ? "met" : "missed");
    cp_textbuf_html(b, pl->name);
    cp_textbuf_printf(b, ": %zu hazard areas, ", pl->nitems);
    km2(b, pl->area_m2);
    cp_textbuf_printf(b, " km², %g team%s from the start; ", pl->teams, pl->teams == 1 ? "" : "s");
    if (isfinite(pl->t_completion)) {
        cp_textbuf_puts(b, "the work there ends in ");
        month_year(b, pl->completion);
        cp_textbuf_puts(b, pl->met ? ", on time" : ", after the deadline");
    } else {
        cp_textbuf_puts(b, "the schedule does not finish the work there");
    }
    if (!pl->met && pl->remaining_m2 > 0) {
        cp_textbuf_puts(b, " (");
        km2(b, pl->remaining_m2);
        cp_textbuf_puts(b, " km² left at the deadline)");
    }
    if (pl->teams_needed >= 0)
        cp_textbuf_printf(b, "; of %d teams that finish the whole plan on time, %d work here",
                          p->teams_needed, pl->teams_needed);
    cp_textbuf_puts(b, ".");
    if (ev && ev->mc && r < ev->mc->nregions) {
        cp_textbuf_puts(b, " Chance of finishing by the deadline: ");
        fixed(b, 100 * ev->mc->regions[r].p_met, 0);
        cp_textbuf_puts(b, " % (median end ");
        month_of(b, p, ev->mc->regions[r].completion_p[CP_MC_P50]);
        cp_textbuf_puts(b, ").");
    }
    cp_textbuf_puts(b, "</div>\n");
    double rem[CP_PLAN_CURVE_POINTS];
    region_curve(p, r, rem);
    chart c;
    chart_open(b, &c, "remaining area of the region", "km² remaining", pl->area_m2 / 1e6,
               p->horizon_days, p->start);
    chart_curve(b, &c, p->curve_t, rem, CP_PLAN_CURVE_POINTS, "c0", 1e-6);
    chart_deadline(b, &c, (double)(p->deadline - p->start) + 1, "deadline");
    cp_textbuf_printf(b,
                      "</svg>\n<table><tr><th>Rank</th><th class=\"l\">Hazard</th><th "
                      "class=\"l\">Status</th><th>Area (m²)</th><th>Benefit</th><th>Team-days"
                      "</th><th class=\"l\">Start</th><th class=\"l\">End</th>%s</tr>\n",
                      ev && ev->ranks ? "<th>Rank P5 – P95</th>" : "");
    size_t shown = 0;
    for (size_t i = 0; i < p->nitems && shown < top; ++i) {
        const cp_plan_item *it = &p->items[i];
        if ((size_t)it->pool != r) continue;
        cp_textbuf_printf(b, "<tr><td>%zu</td><td class=\"l\">", it->rank);
        cp_textbuf_html(b, it->h.id);
        cp_textbuf_printf(b, "</td><td class=\"l\">%s</td><td>",
                          it->h.status == CP_STATUS_CHA ? "CHA" : "SHA");
        grouped(b, it->h.area_m2);
        cp_textbuf_puts(b, "</td><td>");
        fixed(b, it->h.benefit, 2);
        cp_textbuf_puts(b, "</td><td>");
        fixed(b, it->h.cost_team_days, 1);
        cp_textbuf_puts(b, "</td><td class=\"l\">");
        date_text(b, it->start);
        cp_textbuf_puts(b, "</td><td class=\"l\">");
        if (it->scheduled) date_text(b, it->end);
        cp_textbuf_puts(b, "</td>");
        if (ev && ev->ranks)
            cp_textbuf_printf(b, "<td>%zu – %zu</td>", ev->ranks->items[i].rank_p5,
                              ev->ranks->items[i].rank_p95);
        cp_textbuf_puts(b, "</tr>\n");
        ++shown;
    }
    cp_textbuf_puts(b, "</table></section>\n");
}

/* The verdict in words and the headline cards. */
static void cards_section(cp_textbuf *b, const cp_plan *p, scratch *sc) {
    cp_textbuf *t;
    cp_textbuf_printf(b, "<div class=\"verdict %s\">", p->met ? "met" : "missed");
    sc_begin(sc, &t);
    verdict_words(t, p);
    cp_textbuf_html(b, t->data ? t->data : "");
    cp_textbuf_puts(b, "</div>\n");

    /* cards */
    cp_textbuf_puts(b, "<div class=\"cards\">\n");
    {
        cp_textbuf *v, *s;
        sc_begin(sc, &v);
        sc_begin(sc, &s);
        if (p->complete)
            month_year(v, p->completion);
        else
            cp_textbuf_puts(v, "not scheduled");
        cp_textbuf_puts(s, p->met ? "on time · ideal bound " : "after the deadline · ideal bound ");
        if (isfinite(p->t_ideal) && p->ideal_completion)
            month_year(s, p->ideal_completion);
        else
            cp_textbuf_puts(s, "never");
        card(b, "Completion (team schedule)", p->met ? "good" : "bad", v->data, s->data);
        sc_begin(sc, &v);
        sc_begin(sc, &s);
        km2(v, p->remaining_m2);
        cp_textbuf_puts(v, " km²");
        cp_textbuf_printf(s, "%zu hazards unfinished at the deadline", p->remaining_hazards);
        card(b, "Remaining at deadline", p->remaining_m2 > 0 ? "bad" : "good", v->data, s->data);
        sc_begin(sc, &v);
        sc_begin(sc, &s);
        if (p->teams_needed >= 0)
            cp_textbuf_printf(v, "%d", p->teams_needed);
        else
            cp_textbuf_puts(v, "–");
        if (p->teams_needed >= 0)
            cp_textbuf_printf(s, "to finish on time; %d miss (now %g)", p->teams_needed - 1,
                              p->teams);
        else
            cp_textbuf_html(s, p->teams_needed_note ? p->teams_needed_note : "");
        card(b, "Teams needed", "", v->data, s->data);
        sc_begin(sc, &v);
        sc_begin(sc, &s);
        money(v, p->funding_gap_usd);
        grouped(s, p->remaining_team_days);
        cp_textbuf_puts(s, " team-days unfunded by the deadline");
        card(b, "Funding gap", p->funding_gap_usd > 0 ? "bad" : "good", v->data, s->data);
        sc_begin(sc, &v);
        sc_begin(sc, &s);
        km2(v, p->area_m2);
        cp_textbuf_puts(v, " km²");
        cp_textbuf_puts(s, "cancelled ");
        km2(s, p->released_m2[0]);
        cp_textbuf_puts(s, " · reduced ");
        km2(s, p->released_m2[1]);
        cp_textbuf_puts(s, " · cleared ");
        km2(s, p->released_m2[2]);
        card(b, "Area to release", "", v->data, s->data);
        sc_begin(sc, &v);
        sc_begin(sc, &s);
        grouped(v, p->team_days);
        cp_textbuf_puts(s, "at ");
        money(s, p->team_day_usd);
        cp_textbuf_puts(s, " per team-day");
        card(b, "Team-days", "", v->data, s->data);
        sc_begin(sc, &v);
        sc_begin(sc, &s);
        money(v, p->cost_usd);
        cp_textbuf_puts(s, p->complete ? "cost of the whole plan" : "cost of the scheduled work");
        card(b, "Total cost", "", v->data, s->data);
        sc_begin(sc, &v);
        sc_begin(sc, &s);
        cp_textbuf_printf(v, "%zu", p->nitems);
        cp_textbuf_printf(s, "%zu read · %zu excluded · %zu work packages", p->ninput, p->nexcluded,
                          p->npackages + p->unscheduled_packages);
        card(b, "Hazards planned", "", v->data, s->data);
    }
    cp_textbuf_puts(b, "</div>\n");
}

/* The scenario's inputs, and the priority map when there is one. */
static void inputs_section(cp_textbuf *b, const cp_plan *p, const cp_report_info *info) {
    int has_map = info->map_png && info->map_png_len;
    cp_textbuf_puts(b, has_map ? "<div class=\"row rowwrap\">\n" : "");
    cp_textbuf_puts(b, "<section><h2>Scenario and inputs</h2><table class=\"kv\">\n");
    for (size_t i = 0; i < info->ninputs; ++i) {
        cp_textbuf_puts(b, "<tr><td>");
        cp_textbuf_html(b, info->inputs[i].key);
        cp_textbuf_puts(b, "</td><td>");
        cp_textbuf_html(b, info->inputs[i].value);
        cp_textbuf_puts(b, "</td></tr>\n");
    }
    cp_textbuf_puts(b, "<tr><td>Package size</td><td>");
    fixed(b, p->package_team_days, 0);
    cp_textbuf_puts(b, " team-days at most</td></tr>\n</table></section>\n");
    if (has_map) {
        cp_textbuf_puts(b,
                        "<section><h2>Priority map</h2><img class=\"thumb\" alt=\"priority "
                        "map\" src=\"data:image/png;base64,");
        base64(b, info->map_png, info->map_png_len);
        cp_textbuf_puts(b,
                        "\"><p class=\"muted\">Priority from 0 (low) to 1 (high): people "
                        "nearby, land use, tree cover and improvised-mine reports.</p>"
                        "</section>\n</div>\n");
    }
}

/* The burn-down of the team schedule against the deadline, and the cumulative benefit of the
 * orders. */
static void charts_section(cp_textbuf *b, const cp_plan *p, scratch *sc) {
    cp_textbuf *t;
    const double tD = (double)(p->deadline - p->start) + 1;
    const cp_plan_order *eff = &p->orders[CP_ORDER_EFFICIENCY];
    const double *rem = p->schedule_remaining_m2;
    cp_textbuf_puts(b,
                    "<div class=\"row rowwrap\">\n<section><h2>Burn-down: area remaining</h2>\n");
    {
        chart c;
        double vmax = p->area_m2 / 1e6;
        chart_open(b, &c, "remaining area against the deadline", "km² remaining", vmax,
                   p->horizon_days, p->start);
        /* shaded area under the schedule's remaining curve */
        cp_textbuf_puts(b, "<polygon class=\"area\" points=\"");
        for (size_t k = 0; k < CP_PLAN_CURVE_POINTS; ++k)
            cp_textbuf_printf(b, "%.1f,%.1f ", cx(&c, p->curve_t[k]), cy(&c, rem[k] / 1e6));
        cp_textbuf_printf(b, "%.1f,%.1f %.1f,%.1f\"/>\n", cx(&c, p->horizon_days), cy(&c, 0),
                          cx(&c, 0), cy(&c, 0));
        chart_curve(b, &c, p->curve_t, eff->remaining_m2, CP_PLAN_CURVE_POINTS, "c3", 1e-6);
        chart_curve(b, &c, p->curve_t, rem, CP_PLAN_CURVE_POINTS, "c0", 1e-6);
        sc_begin(sc, &t);
        cp_textbuf_puts(t, "deadline ");
        date_text(t, p->deadline);
        chart_deadline(b, &c, tD, t->data);
        /* remaining at the deadline marker */
        if (p->remaining_m2 > 0)
            cp_textbuf_printf(b, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"4\" fill=\"#b3261e\"/>\n",
                              cx(&c, tD), cy(&c, p->remaining_m2 / 1e6));
        cp_textbuf_puts(b,
                        "</svg>\n<div class=\"legend\"><span><i style=\"background:#1f6fb2\">"
                        "</i>remaining area, team schedule</span><span><i style=\""
                        "background:#8a99a8\"></i>ideal bound (all teams on one queue)</span>"
                        "<span><i style=\"background:#b3261e\"></i>Article 5 deadline</span>"
                        "</div>\n");
        cp_textbuf_puts(b, "<p class=\"muted\">");
        if (p->met) {
            cp_textbuf_puts(b, "All hazard areas are released before the deadline.");
        } else {
            cp_textbuf_puts(b, "At the deadline ");
            km2(b, p->remaining_m2);
            cp_textbuf_printf(b, " km² in %zu hazard areas remain", p->remaining_hazards);
            if (p->teams_needed > 0)
                cp_textbuf_printf(b, "; with %d teams from the start, none would.",
                                  p->teams_needed);
            else
                cp_textbuf_puts(b, ".");
        }
        cp_textbuf_puts(b,
                        " The shaded area is the land still suspected or confirmed "
                        "hazardous.</p>\n");
    }
    cp_textbuf_puts(b, "</section>\n<section><h2>Cumulative benefit by order (ideal bound)</h2>\n");
    {
        chart c;
        chart_open(b, &c, "cumulative benefit of the orders", "benefit (priority-weighted ha)",
                   p->benefit, p->horizon_days, p->start);
        for (int o = CP_NORDER - 1; o >= 0; --o) {
            if (!p->orders[o].computed) continue;
            char cls[8];
            snprintf(cls, sizeof cls, "c%d", o);
            chart_curve(b, &c, p->curve_t, p->orders[o].benefit, CP_PLAN_CURVE_POINTS, cls, 1);
        }
        sc_begin(sc, &t);
        cp_textbuf_puts(t, "deadline");
        chart_deadline(b, &c, tD, t->data);
        cp_textbuf_puts(b, "</svg>\n<div class=\"legend\">");
        for (int o = 0; o < CP_NORDER; ++o) {
            if (!p->orders[o].computed) continue;
            cp_textbuf_printf(b, "<span><i style=\"background:%s\"></i>%s</span>", order_colour[o],
                              order_label[o]);
        }
        cp_textbuf_puts(b,
                        "</div>\n<table style=\"margin-top:8px\"><tr><th class=\"l\">Order"
                        "</th><th>Curve area</th><th>Share of ideal</th><th>Efficiency "
                        "gain</th></tr>\n");
        for (int o = 0; o < CP_NORDER; ++o) {
            const cp_plan_order *od = &p->orders[o];
            if (!od->computed) continue;
            cp_textbuf_printf(b, "<tr><td class=\"l\">%s</td><td>", order_short[o]);
            grouped(b, od->auc);
            cp_textbuf_puts(b, "</td><td>");
            fixed(b, 100 * od->auc_share, 1);
            cp_textbuf_puts(b, " %</td><td>");
            if (o == 0)
                cp_textbuf_puts(b, "–");
            else if (od->auc > 0) {
                fixed(b, 100 * (eff->auc / od->auc - 1), 1);
                cp_textbuf_puts(b, " % more");
            }
            cp_textbuf_puts(b, "</td></tr>\n");
        }
        cp_textbuf_puts(b,
                        "</table><p class=\"muted\">Area under the cumulative-benefit curve "
                        "over the plan, in benefit × years: the earlier benefit is "
                        "released, the larger it is.</p>\n");
    }
    cp_textbuf_puts(b, "</section>\n</div>\n");
}

/* The annual milestones and their totals. */
static void milestones_section(cp_textbuf *b, const cp_plan *p) {
    cp_textbuf_puts(b,
                    "<section><h2>Annual milestones</h2>\n<table><tr><th class=\"l\">Year</th>"
                    "<th>Capacity (team-days)</th><th>Cancelled (m²)</th><th>Reduced (m²)"
                    "</th><th>Cleared (m²)</th><th>Hazards done</th><th>Benefit</th>"
                    "<th>Team-days</th><th>Cost (US$)</th><th>Remaining (m²)</th>");
    if (p->has_budget) cp_textbuf_puts(b, "<th>Budget (US$)</th><th class=\"l\">Binding</th>");
    cp_textbuf_puts(b, "</tr>\n");
    milestone_rows(b, p, p->years, p->nyears);
    cp_textbuf_puts(b, "<tr><th class=\"l\">Total</th><th></th>");
    for (int q = 0; q < CP_NMETHOD; ++q) {
        cp_textbuf_puts(b, "<th>");
        grouped(b, p->released_m2[q]);
        cp_textbuf_puts(b, "</th>");
    }
    cp_textbuf_printf(b, "<th>%zu</th><th>", p->nitems);
    fixed(b, p->benefit, 1);
    cp_textbuf_puts(b, "</th><th>");
    grouped(b, p->scheduled_team_days);
    cp_textbuf_puts(b, "</th><th>");
    grouped(b, p->cost_usd);
    cp_textbuf_puts(
        b, p->has_budget ? "</th><th></th><th></th><th></th></tr>\n" : "</th><th></th></tr>\n");
    cp_textbuf_puts(b,
                    "</table>\n<p class=\"muted\">From the team schedule: a stage's area is "
                    "released in the year its last work package ends. Years after the "
                    "deadline are shown in red. Quarterly milestones are in milestones.csv "
                    "and plan.gpkg.");
    if (p->has_budget)
        cp_textbuf_puts(b,
                        " Binding: whether money (a work package postponed for lack of funds) "
                        "or teams limit the year's work.");
    cp_textbuf_puts(b, "</p></section>\n");
}

/* The regions: a table, then a section each. */
static void regions_section(cp_textbuf *b, const cp_plan *p, const cp_evidence *ev) {
    if (p->has_regions) {
        cp_textbuf_puts(b,
                        "<section><h2>Regions</h2>\n<table><tr><th class=\"l\">Region</th>"
                        "<th>Teams</th><th>Hazards</th><th>Area (km²)</th><th>Team-days</th>"
                        "<th class=\"l\">Completion</th><th>Remaining at deadline (km²)</th>"
                        "<th>Teams needed</th></tr>\n");
        for (size_t r = 0; r < p->npools; ++r) {
            const cp_plan_pool *pl = &p->pools[r];
            cp_textbuf_puts(b, "<tr><td class=\"l\">");
            cp_textbuf_html(b, pl->name);
            cp_textbuf_printf(b, "</td><td>%g</td><td>%zu</td><td>", pl->teams, pl->nitems);
            km2(b, pl->area_m2);
            cp_textbuf_puts(b, "</td><td>");
            grouped(b, pl->team_days);
            cp_textbuf_printf(b, "</td><td class=\"l %s\">", pl->met ? "good" : "bad");
            if (isfinite(pl->t_completion))
                month_year(b, pl->completion);
            else
                cp_textbuf_puts(b, "not scheduled");
            cp_textbuf_puts(b, "</td><td>");
            km2(b, pl->remaining_m2);
            cp_textbuf_puts(b, "</td><td>");
            if (pl->teams_needed >= 0)
                cp_textbuf_printf(b, "%d", pl->teams_needed);
            else
                cp_textbuf_puts(b, "–");
            cp_textbuf_puts(b, "</td></tr>\n");
        }
        cp_textbuf_puts(b, "</table>");
        if (p->redeploy)
            cp_textbuf_printf(b,
                              "<p class=\"muted\">Teams of a region without work left move "
                              "where work waits, after %g days of mobilisation: %zu work "
                              "packages are done by teams away from their region.</p>",
                              p->mobilisation_days, p->redeployed_packages);
        cp_textbuf_puts(b, "</section>\n");
        for (size_t r = 0; r < p->npools; ++r) region_section(b, p, r, ev, 10);
    }
}

/* The team types. */
static void types_section(cp_textbuf *b, const cp_plan *p) {
    if (p->has_types) {
        cp_textbuf_puts(b,
                        "<section><h2>Team types</h2>\n<table><tr><th class=\"l\">Type</th>"
                        "<th class=\"l\">Stages</th><th>Teams</th><th>Team-days</th>"
                        "<th>US$ per team-day</th><th>Teams needed</th></tr>\n");
        for (size_t k = 0; k < p->ntypes; ++k) {
            const cp_plan_type *ty = &p->types[k];
            cp_textbuf_puts(b, "<tr><td class=\"l\">");
            cp_textbuf_html(b, ty->name);
            cp_textbuf_puts(b, "</td><td class=\"l\">");
            for (int st = 0, first = 1; st < CP_NMETHOD; ++st)
                if (ty->stages[st]) {
                    cp_textbuf_printf(b, "%s%s", first ? "" : ", ", cp_plan_stage_name(st));
                    first = 0;
                }
            cp_textbuf_printf(b, "</td><td>%g</td><td>", ty->teams);
            grouped(b, ty->team_days);
            cp_textbuf_puts(b, "</td><td>");
            grouped(b, ty->team_day_usd);
            cp_textbuf_puts(b, "</td><td>");
            if (ty->teams_needed >= 0)
                cp_textbuf_printf(b, "%d", ty->teams_needed);
            else
                cp_textbuf_puts(b, "–");
            cp_textbuf_puts(b, "</td></tr>\n");
        }
        cp_textbuf_puts(b, "</table></section>\n");
    }
}

/* The sweep of other team counts. */
static void sweep_section(cp_textbuf *b, const cp_plan *p) {
    if (p->nsweep) {
        cp_textbuf_puts(b,
                        "<section><h2>What if: other team counts</h2>\n<table><tr>"
                        "<th>Teams</th><th class=\"l\">Completion</th><th class=\"l\">"
                        "Deadline</th><th>Remaining at deadline (km²)</th><th>Unfunded "
                        "team-days</th><th>Funding gap</th></tr>\n");
        for (size_t s = 0; s < p->nsweep; ++s) {
            const cp_plan_sweep_row *r = &p->sweep[s];
            cp_textbuf_printf(b, "<tr><td>%d</td><td class=\"l\">", r->teams);
            if (r->complete)
                month_year(b, r->completion);
            else
                cp_textbuf_puts(b, "not scheduled");
            cp_textbuf_printf(b, "</td><td class=\"l %s\">%s</td><td>", r->met ? "good" : "bad",
                              r->met ? "met" : "missed");
            km2(b, r->remaining_m2);
            cp_textbuf_puts(b, "</td><td>");
            grouped(b, r->remaining_team_days);
            cp_textbuf_puts(b, "</td><td>");
            money(b, r->funding_gap_usd);
            cp_textbuf_puts(b, "</td></tr>\n");
        }
        cp_textbuf_puts(b, "</table></section>\n");
    }
}

/* The first hazards of the plan. */
static void top_section(cp_textbuf *b, const cp_plan *p, const cp_report_info *info) {
    size_t top = info->top_hazards ? info->top_hazards : 20;
    if (top > p->nitems) top = p->nitems;
    cp_textbuf_printf(b,
                      "<section><h2>First %zu hazards of the plan</h2>\n<table><tr><th>Rank</th>"
                      "<th class=\"l\">Hazard</th><th class=\"l\">Status</th>%s<th>Area (m²)"
                      "</th><th>Benefit</th><th>Team-days</th><th>Benefit per team-day</th>"
                      "<th>Priority</th><th class=\"l\">Start</th><th class=\"l\">End</th>"
                      "<th>Team</th></tr>\n",
                      top, p->has_regions ? "<th class=\"l\">Region</th>" : "");
    for (size_t i = 0; i < top; ++i) {
        const cp_plan_item *it = &p->items[i];
        cp_textbuf_printf(b, "<tr><td>%zu</td><td class=\"l\">", it->rank);
        cp_textbuf_html(b, it->h.id);
        cp_textbuf_printf(b, "%s</td><td class=\"l\">%s</td>", it->h.locked ? " (locked)" : "",
                          it->h.status == CP_STATUS_CHA ? "CHA" : "SHA");
        if (p->has_regions) {
            cp_textbuf_puts(b, "<td class=\"l\">");
            cp_textbuf_html(b, it->h.region);
            cp_textbuf_puts(b, "</td>");
        }
        cp_textbuf_puts(b, "<td>");
        grouped(b, it->h.area_m2);
        cp_textbuf_puts(b, "</td><td>");
        fixed(b, it->h.benefit, 2);
        cp_textbuf_puts(b, "</td><td>");
        fixed(b, it->h.cost_team_days, 1);
        cp_textbuf_puts(b, "</td><td>");
        fixed(b, it->efficiency, 3);
        cp_textbuf_puts(b, "</td><td>");
        fixed(b, it->h.priority_mean, 2);
        cp_textbuf_puts(b, "</td><td class=\"l\">");
        date_text(b, it->start);
        cp_textbuf_puts(b, "</td><td class=\"l\">");
        if (it->scheduled) date_text(b, it->end);
        cp_textbuf_puts(b, "</td><td>");
        if (it->team) cp_textbuf_printf(b, "%d", it->team);
        cp_textbuf_puts(b, "</td></tr>\n");
    }
    cp_textbuf_puts(b, "</table></section>\n");
}

/* report.html, section by section; every section reads the plan (and the evidence) only. */
static cp_status plan_write_report_quietly(const cp_plan *p, const cp_report_info *info,
                                           const char *path) {
    if (!p || !path) return cp_fail(CP_E_ARG, "cp_plan_write_report: NULL argument");
    cp_report_info none = {0};
    if (!info) info = &none;
    const char *title = info->title && info->title[0] ? info->title : "clearplan";
    const cp_evidence *ev = info->evidence;
    cp_textbuf b = {0};
    scratch sc = {0};

    page_open(&b, p, title, NULL, p->nitems);
    cards_section(&b, p, &sc);
    if (ev && ev->mc) uncertainty_section(&b, p, ev->mc);
    if (ev && ev->contamination) contamination_section(&b, p, ev->contamination);
    inputs_section(&b, p, info);
    charts_section(&b, p, &sc);
    milestones_section(&b, p);
    outcomes_section(&b, p);
    regions_section(&b, p, ev);
    types_section(&b, p);
    sweep_section(&b, p);
    top_section(&b, p, info);
    if (ev && ev->ranks) ranks_section(&b, p, ev);
    page_close(&b, p);
    for (int i = 0; i < 4; ++i) cp_textbuf_free(&sc.s[i]);
    if (b.failed) {
        cp_textbuf_free(&b);
        return cp_fail(CP_E_NOMEM, "out of memory writing <%s>", path);
    }
    cp_status st = cp_write_file(path, b.data, b.len);
    cp_textbuf_free(&b);
    return st;
}

static cp_status region_report_quietly(const cp_plan *p, const cp_report_info *info,
                                       const char *region, const char *path) {
    if (!p || !region || !path)
        return cp_fail(CP_E_ARG, "cp_plan_write_region_report: NULL argument");
    size_t r = 0;
    while (r < p->npools && strcmp(p->pools[r].name, region)) ++r;
    if (r == p->npools || !p->has_regions)
        return cp_fail(CP_E_ARG, "the plan has no region <%s>", region);
    cp_report_info none = {0};
    if (!info) info = &none;
    const char *title = info->title && info->title[0] ? info->title : "clearplan";
    cp_textbuf b = {0};
    page_open(&b, p, title, region, p->pools[r].nitems);
    region_section(&b, p, r, info->evidence, info->top_hazards ? info->top_hazards : 50);
    cp_textbuf_puts(&b, "<section><h2>The whole plan</h2><p>");
    cp_textbuf v = {0};
    verdict_words(&v, p);
    cp_textbuf_html(&b, v.data ? v.data : "");
    b.failed |= v.failed;
    cp_textbuf_free(&v);
    cp_textbuf_puts(&b, "</p></section>\n");
    page_close(&b, p);
    if (b.failed) {
        cp_textbuf_free(&b);
        return cp_fail(CP_E_NOMEM, "out of memory writing <%s>", path);
    }
    cp_status st = cp_write_file(path, b.data, b.len);
    cp_textbuf_free(&b);
    return st;
}

/* ---- the public entry points: GDAL's errors stay in the detail message (never in the
 * host's error handler) while they run ---- */

cp_status cp_plan_write_report(const cp_plan *p, const cp_report_info *info, const char *path) {
    cp_gdal_quiet_begin();
    cp_status s = plan_write_report_quietly(p, info, path);
    cp_gdal_quiet_end();
    return s;
}

cp_status cp_plan_write_region_report(const cp_plan *p, const cp_report_info *info,
                                      const char *region, const char *path) {
    cp_gdal_quiet_begin();
    cp_status s = region_report_quietly(p, info, region, path);
    cp_gdal_quiet_end();
    return s;
}
