/* Synthetic vector layers (GeoPackage): hazards with deliberate flaws, improvised-mine
 * reports, settlements and roads. Features are built one at a time from counter-based draws,
 * so memory does not grow with the feature count beyond the flaw log. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cpl_conv.h>
#include <cpl_string.h>
#include <gdal.h>
#include <ogr_api.h>
#include <ogr_srs_api.h>

#include "error.h"
#include "calibrate_internal.h"
#include "synth_internal.h"

#ifndef M_PI
#define M_PI 3.14159265358979323846
#endif

enum { ROLE_NORMAL, ROLE_BOWTIE, ROLE_NULL, ROLE_EMPTY, ROLE_DUPID, ROLE_MULTI, ROLE_HOLE };

static double gauss(uint64_t seed, uint64_t stream, uint64_t a, uint64_t b) {
    double u1 = syn_u(seed, stream, a, b), u2 = syn_u(seed, stream, a, b + 1000003);
    return sqrt(-2.0 * log(u1 + 1e-300)) * cos(2.0 * M_PI * u2);
}

/* ---- GeoPackage helpers ---- */

static cp_status gpkg_open(const char *path, GDALDatasetH *out) {
    GDALDriverH drv = GDALGetDriverByName("GPKG");
    if (!drv) return cp_fail(CP_E_INTERNAL, "synth: GDAL's GPKG driver is not registered");
    CPLSetThreadLocalConfigOption("OGR_CURRENT_DATE", SYN_GPKG_DATE);
    GDALDatasetH ds = GDALCreate(drv, path, 0, 0, 0, GDT_Unknown, NULL);
    if (!ds) return cp_fail_gdal(CP_E_IO, "cannot create <%s>", path);
    *out = ds;
    return CP_OK;
}

static cp_status gpkg_close(GDALDatasetH ds, const char *path, cp_status st) {
    if (ds) {
        CPLErrorReset();
        GDALClose(ds);
        if (st == CP_OK && CPLGetLastErrorType() >= CE_Failure)
            st = cp_fail_gdal(CP_E_IO, "cannot write <%s>", path);
    }
    CPLSetThreadLocalConfigOption("OGR_CURRENT_DATE", NULL);
    return st;
}

static OGRLayerH make_layer(GDALDatasetH ds, const char *name, int epsg, OGRwkbGeometryType t) {
    OGRSpatialReferenceH srs = OSRNewSpatialReference(NULL);
    if (OSRImportFromEPSG(srs, epsg) != OGRERR_NONE) {
        OSRDestroySpatialReference(srs);
        return NULL;
    }
    OSRSetAxisMappingStrategy(srs, OAMS_TRADITIONAL_GIS_ORDER);
    char **lco = NULL;
    lco = CSLSetNameValue(lco, "FID", "fid");
    lco = CSLSetNameValue(lco, "GEOMETRY_NAME", "geom");
    OGRLayerH l = GDALDatasetCreateLayer(ds, name, srs, t, lco);
    CSLDestroy(lco);
    OSRDestroySpatialReference(srs);
    return l;
}

static int add_field(OGRLayerH l, const char *name, OGRFieldType t, int width) {
    OGRFieldDefnH fd = OGR_Fld_Create(name, t);
    if (width) OGR_Fld_SetWidth(fd, width);
    int ok = OGR_L_CreateField(l, fd, TRUE) == OGRERR_NONE;
    OGR_Fld_Destroy(fd);
    return ok;
}

static void set_date(OGRFeatureH f, int idx, int64_t days) {
    int y, m, d;
    syn_civil(days, &y, &m, &d);
    OGR_F_SetFieldDateTime(f, idx, y, m, d, 0, 0, 0, 0);
}

/* ---- hazard shapes ---- */

/* A star-shaped ring around (cx, cy) of about `area` m2 (exactly, before the hole), stretched
 * by `aspect` and rotated by `rot`: always simple. rmax gets the farthest vertex distance. */
static OGRGeometryH blob_ring(uint64_t seed, uint64_t key, int part, double cx, double cy,
                              double area, double aspect, double rot, int nv, int clockwise,
                              double *rmin, double *rmax) {
    double rho[48], th[48], ph[3];
    if (nv > 48) nv = 48;
    for (int j = 0; j < 3; ++j)
        ph[j] = 2 * M_PI * syn_u(seed, SYN_S_SHAPE, key, 100 * (uint64_t)part + (uint64_t)j);
    for (int k = 0; k < nv; ++k) {
        double jt = syn_u(seed, SYN_S_SHAPE, key, 100 * (uint64_t)part + 10 + (uint64_t)k);
        th[k] = 2 * M_PI * (k + 0.3 * (jt - 0.5)) / nv;
        double jr = syn_u(seed, SYN_S_SHAPE, key, 100 * (uint64_t)part + 60 + (uint64_t)k);
        rho[k] = 1.0 + 0.25 * sin(2 * th[k] + ph[0]) + 0.15 * sin(3 * th[k] + ph[1]) +
                 0.08 * sin(5 * th[k] + ph[2]) + 0.1 * (jr - 0.5);
    }
    double a = 0;
    for (int k = 0; k < nv; ++k) {
        int k1 = (k + 1) % nv;
        double dth = th[k1] - th[k] + (k1 == 0 ? 2 * M_PI : 0);
        a += 0.5 * rho[k] * rho[k1] * sin(dth);
    }
    double s = sqrt(area / a);
    double c = cos(rot), sn = sin(rot);
    OGRGeometryH ring = OGR_G_CreateGeometry(wkbLinearRing);
    *rmin = INFINITY, *rmax = 0;
    for (int i = 0; i <= nv; ++i) {
        int k = clockwise ? (nv - (i % nv)) % nv : i % nv;
        double u = s * rho[k] * cos(th[k]) * aspect, v = s * rho[k] * sin(th[k]) / aspect;
        double x = cx + u * c - v * sn, y = cy + u * sn + v * c;
        double r = s * rho[k];
        if (r < *rmin) *rmin = r;
        double d = sqrt(u * u + v * v);
        if (d > *rmax) *rmax = d;
        OGR_G_AddPoint_2D(ring, x, y);
    }
    /* rmin in the unstretched frame; the caller shrinks it by the aspect */
    *rmin /= aspect > 1 ? aspect : 1.0 / aspect;
    return ring;
}

static OGRGeometryH blob_polygon(uint64_t seed, uint64_t key, int part, double cx, double cy,
                                 double area, double aspect, double rot, int hole, double *rmax) {
    int nv = 8 + (int)(syn_hash(seed, SYN_S_SHAPE, key, 7000 + (uint64_t)part) % 17);
    double rmin;
    OGRGeometryH poly = OGR_G_CreateGeometry(wkbPolygon);
    OGR_G_AddGeometryDirectly(
        poly, blob_ring(seed, key, part, cx, cy, area, aspect, rot, nv, 0, &rmin, rmax));
    if (hole) {
        /* an inner ring well inside the outer ring's inscribed disc (radius >= 0.87 rmin for
         * 8+ vertices); its farthest vertex stays under 0.4 rmin */
        double dummy, harea = 0.12 * rmin * rmin;
        OGR_G_AddGeometryDirectly(poly, blob_ring(seed, key, part + 50, cx, cy, harea, 1.0, rot,
                                                  6 + nv / 3, 1, &dummy, &dummy));
    }
    return poly;
}

static OGRGeometryH bowtie(uint64_t seed, uint64_t key, double cx, double cy, double area) {
    double r = sqrt(area) * 0.8;
    double j1 = 0.5 + 0.5 * syn_u(seed, SYN_S_SHAPE, key, 9000);
    double j2 = 0.5 + 0.5 * syn_u(seed, SYN_S_SHAPE, key, 9001);
    OGRGeometryH ring = OGR_G_CreateGeometry(wkbLinearRing);
    OGR_G_AddPoint_2D(ring, cx - r, cy - r * j1);
    OGR_G_AddPoint_2D(ring, cx + r, cy + r * j2);
    OGR_G_AddPoint_2D(ring, cx + r, cy - r * j2);
    OGR_G_AddPoint_2D(ring, cx - r, cy + r * j1);
    OGR_G_AddPoint_2D(ring, cx - r, cy - r * j1);
    OGRGeometryH poly = OGR_G_CreateGeometry(wkbPolygon);
    OGR_G_AddGeometryDirectly(poly, ring);
    return poly;
}

/* Position on front line f at t in [0, 1], with the unit normal there. */
static void front_at(const syn_world *w, int f, double t, double *x, double *y, double *nx,
                     double *ny) {
    double s = t * (SYN_FRONT_PTS - 1);
    int i = (int)s;
    if (i >= SYN_FRONT_PTS - 1) i = SYN_FRONT_PTS - 2;
    double u = s - i;
    const double *a = w->front[f][i], *b = w->front[f][i + 1];
    *x = a[0] + (b[0] - a[0]) * u;
    *y = a[1] + (b[1] - a[1]) * u;
    double dx = b[0] - a[0], dy = b[1] - a[1], L = sqrt(dx * dx + dy * dy);
    if (L <= 0) L = 1;
    *nx = -dy / L, *ny = dx / L;
}

static void clamp_into(const syn_world *w, double margin, double *x, double *y) {
    double x1 = w->x0 + (double)w->nx * w->cs, y0 = w->y1 - (double)w->ny * w->cs;
    if (*x < w->x0 + margin) *x = w->x0 + margin;
    if (*x > x1 - margin) *x = x1 - margin;
    if (*y < y0 + margin) *y = y0 + margin;
    if (*y > w->y1 - margin) *y = w->y1 - margin;
}

void syn_hazard_log_free(syn_hazard_log *hl) {
    if (!hl) return;
    free(hl->null_fids);
    free(hl->empty_fids);
    free(hl->invalid_fids);
    free(hl->multi_fids);
    free(hl->hole_fids);
    free(hl->dup_ids);
    free(hl->dup_fids);
    memset(hl, 0, sizeof *hl);
}

cp_status syn_write_hazards(syn_world *w, const char *dir, const syn_progress *p,
                            syn_hazard_log *hl) {
    cp_status st = CP_OK;
    GDALDatasetH ds = NULL;
    char path[4096];
    snprintf(path, sizeof path, "%s/hazards.gpkg", dir);
    const int n = w->nhazards;
    unsigned char *role = calloc((size_t)n, 1);
    memset(hl, 0, sizeof *hl);
    hl->null_fids = calloc((size_t)n, sizeof(int64_t));
    hl->empty_fids = calloc((size_t)n, sizeof(int64_t));
    hl->invalid_fids = calloc((size_t)n, sizeof(int64_t));
    hl->multi_fids = calloc((size_t)n, sizeof(int64_t));
    hl->hole_fids = calloc((size_t)n, sizeof(int64_t));
    hl->dup_ids = calloc((size_t)n, sizeof *hl->dup_ids);
    hl->dup_fids = calloc((size_t)n, sizeof *hl->dup_fids);
    if (!role || !hl->null_fids || !hl->empty_fids || !hl->invalid_fids || !hl->multi_fids ||
        !hl->hole_fids || !hl->dup_ids || !hl->dup_fids) {
        st = cp_fail(CP_E_NOMEM, "synth: out of memory for %d hazards", n);
        goto done;
    }
    memset(w->prov_hazards, 0, sizeof w->prov_hazards);
    memset(w->prov_team_days, 0, sizeof w->prov_team_days);
    /* roles: a few of each flaw, some multipolygons and holes, shuffled by the seed */
    {
        int nflaw = n / 200 > 1 ? n / 200 : 1, nmulti = n / 20 > 1 ? n / 20 : 1;
        int nhole = n / 25 > 1 ? n / 25 : 1, k = 0;
        for (int r = ROLE_BOWTIE; r <= ROLE_DUPID; ++r)
            for (int i = 0; i < nflaw; ++i) role[k++] = (unsigned char)r;
        for (int i = 0; i < nmulti; ++i) role[k++] = ROLE_MULTI;
        for (int i = 0; i < nhole; ++i) role[k++] = ROLE_HOLE;
        for (int i = n - 1; i > 0; --i) {
            int j = (int)(syn_hash(w->seed, SYN_S_ROLE, (uint64_t)i, 0) % (uint64_t)(i + 1));
            unsigned char t = role[i];
            role[i] = role[j], role[j] = t;
        }
        /* a duplicate copies an earlier id, so the first feature is never one */
        for (int i = 0; i < n && role[0] == ROLE_DUPID; ++i)
            if (role[i] != ROLE_DUPID) role[0] = role[i], role[i] = ROLE_DUPID;
    }
    if ((st = gpkg_open(path, &ds)) != CP_OK) goto done;
    OGRLayerH l = make_layer(ds, "hazards", w->epsg, wkbMultiPolygon);
    if (!l || !add_field(l, "hazard_id", OFTString, 16) || !add_field(l, "status", OFTString, 3) ||
        !add_field(l, "province", OFTString, 32) || !add_field(l, "origin", OFTString, 12) ||
        !add_field(l, "surveyed_on", OFTDate, 0)) {
        st = cp_fail_gdal(CP_E_IO, "cannot create layer <hazards> in <%s>", path);
        goto done;
    }
    OGRFeatureDefnH defn = OGR_L_GetLayerDefn(l);
    if (GDALDatasetStartTransaction(ds, FALSE) != OGRERR_NONE) {
        st = cp_fail_gdal(CP_E_IO, "cannot write <%s>", path);
        goto done;
    }
    const double wx = (double)w->nx * w->cs, wy = (double)w->ny * w->cs;
    const double ext = wx < wy ? wx : wy;
    const double lnmin = log(200.0), lnmax = log(w->hazard_area_max_m2);
    const int64_t d_lo = syn_days(2003, 1, 1), d_hi = syn_days(2024, 12, 31);
    int last_id = 0;
    for (int i = 0; i < n; ++i) {
        const uint64_t key = (uint64_t)i, sd = w->seed;
        const int64_t fid = i + 1;
        double x, y;
        int front = w->nst == 0 || syn_u(sd, SYN_S_HAZ, key, 0) < 0.7;
        if (front) {
            int f = (int)(syn_hash(sd, SYN_S_HAZ, key, 1) % (uint64_t)w->nfront);
            double nx, ny;
            front_at(w, f, syn_u(sd, SYN_S_HAZ, key, 2), &x, &y, &nx, &ny);
            double off = gauss(sd, SYN_S_HAZ, key, 3) * 0.025 * ext;
            x += nx * off, y += ny * off;
        } else {
            const syn_settlement *s = &w->st[syn_hash(sd, SYN_S_HAZ, key, 4) % (uint64_t)w->nst];
            double ang = 2 * M_PI * syn_u(sd, SYN_S_HAZ, key, 5);
            double d = s->r_built_m + s->r_crop_m * syn_u(sd, SYN_S_HAZ, key, 6);
            x = s->x + d * cos(ang), y = s->y + d * sin(ang);
        }
        double area = exp(lnmin + (lnmax - lnmin) * pow(syn_u(sd, SYN_S_HAZ, key, 7), 3.0));
        double rough = sqrt(area / M_PI) * 2.5;
        clamp_into(w, 0.05 * ext + (rough < 0.2 * ext ? rough : 0.2 * ext), &x, &y);
        int cha = syn_u(sd, SYN_S_HAZ, key, 8) < (front ? 0.35 : 0.2);
        int prov = syn_province(w, x, y);
        char id[16];
        if (role[i] == ROLE_DUPID) {
            snprintf(id, sizeof id, "HZ-%06d", last_id);
            int64_t src = 0;
            for (int j = i - 1; j >= 0; --j)
                if (role[j] != ROLE_DUPID) {
                    src = j + 1;
                    break;
                }
            memcpy(hl->dup_ids[hl->ndup], id, sizeof id);
            hl->dup_fids[hl->ndup][0] = src;
            hl->dup_fids[hl->ndup][1] = fid;
            hl->ndup++;
        } else {
            last_id = i + 1;
            snprintf(id, sizeof id, "HZ-%06d", last_id);
        }
        OGRFeatureH f = OGR_F_Create(defn);
        OGR_F_SetFieldString(f, 0, id);
        OGR_F_SetFieldString(f, 1, cha ? "CHA" : "SHA");
        OGR_F_SetFieldString(f, 2, w->prov_name[prov]);
        OGR_F_SetFieldString(f, 3, front ? "front line" : "village");
        set_date(f, 4, d_lo + (int64_t)((double)(d_hi - d_lo) * syn_u(sd, SYN_S_HAZ, key, 9)));
        double aspect = 1.0 + 1.5 * syn_u(sd, SYN_S_HAZ, key, 10);
        double rot = M_PI * syn_u(sd, SYN_S_HAZ, key, 11);
        OGRGeometryH g = NULL;
        double rmax;
        switch (role[i]) {
            case ROLE_NULL:
                hl->null_fids[hl->nnull++] = fid;
                break;
            case ROLE_EMPTY:
                g = OGR_G_CreateGeometry(wkbMultiPolygon);
                hl->empty_fids[hl->nempty++] = fid;
                break;
            case ROLE_BOWTIE:
                g = OGR_G_CreateGeometry(wkbMultiPolygon);
                OGR_G_AddGeometryDirectly(g, bowtie(sd, key, x, y, area));
                hl->invalid_fids[hl->ninvalid++] = fid;
                break;
            case ROLE_MULTI: {
                int np = 2 + (int)(syn_hash(sd, SYN_S_HAZ, key, 12) % 2);
                double px[3], py[3], pr[3];
                g = OGR_G_CreateGeometry(wkbMultiPolygon);
                for (int k = 0; k < np; ++k) {
                    double cx = x, cy = y;
                    OGRGeometryH part;
                    /* build at the centre first to learn its size, then move it clear of the
                     * earlier parts (bounding discs apart) */
                    part = blob_polygon(sd, key, k, 0, 0, area / np, aspect, rot, 0, &rmax);
                    if (k > 0) {
                        double ang = 2 * M_PI * syn_u(sd, SYN_S_HAZ, key, 20 + (uint64_t)k);
                        double dist = (pr[0] + rmax) *
                                      (1.1 + 0.6 * syn_u(sd, SYN_S_HAZ, key, 30 + (uint64_t)k));
                        for (int tries = 0; tries < 60; ++tries) {
                            cx = x + dist * cos(ang), cy = y + dist * sin(ang);
                            int clear = 1;
                            for (int q = 0; q < k; ++q) {
                                double dx = cx - px[q], dy = cy - py[q];
                                if (sqrt(dx * dx + dy * dy) < (pr[q] + rmax) * 1.05) clear = 0;
                            }
                            if (clear) break;
                            dist *= 1.25;
                        }
                    }
                    OGR_G_DestroyGeometry(part);
                    part = blob_polygon(sd, key, k, cx, cy, area / np, aspect, rot, 0, &rmax);
                    px[k] = cx, py[k] = cy, pr[k] = rmax;
                    OGR_G_AddGeometryDirectly(g, part);
                }
                hl->multi_fids[hl->nmulti++] = fid;
                hl->area_total_m2 += area;
                break;
            }
            default: {
                int hole = role[i] == ROLE_HOLE;
                g = OGR_G_CreateGeometry(wkbMultiPolygon);
                OGRGeometryH poly = blob_polygon(sd, key, 0, x, y, area, aspect, rot, hole, &rmax);
                if (hole) {
                    hl->hole_fids[hl->nhole++] = fid;
                    hl->area_total_m2 += OGR_G_Area(poly);
                } else {
                    hl->area_total_m2 += area;
                }
                OGR_G_AddGeometryDirectly(g, poly);
                break;
            }
        }
        if (g) OGR_F_SetGeometryDirectly(f, g);
        OGR_F_SetFID(f, fid);
        OGRErr e = OGR_L_CreateFeature(l, f);
        OGR_F_Destroy(f);
        if (e != OGRERR_NONE) {
            st = cp_fail_gdal(CP_E_IO, "cannot write hazard %lld to <%s>", (long long)fid, path);
            goto done;
        }
        w->prov_hazards[prov]++;
        if (role[i] != ROLE_NULL && role[i] != ROLE_EMPTY) {
            if (cha)
                hl->area_cha_m2 += area;
            else
                hl->area_sha_m2 += area;
            /* forest (productivity 200, tree cover ~70%: x0.65) or open land (~430) */
            double prod = syn_field(w, SYN_S_ELEV, x, y) > w->e_tree ? 130.0 : 430.0;
            w->prov_team_days[prov] += area * SYN_TD_PER_M2(cha, prod);
        }
        if (cha)
            hl->ncha++;
        else
            hl->nsha++;
        hl->written++;
        if ((i & 1023) == 1023 && !syn_tick(p, (double)(i + 1) / n, "hazards")) {
            st = cp_fail(CP_E_INTERRUPTED, "synth: interrupted");
            goto done;
        }
    }
    if (GDALDatasetCommitTransaction(ds) != OGRERR_NONE) {
        st = cp_fail_gdal(CP_E_IO, "cannot write <%s>", path);
        goto done;
    }
done:
    st = gpkg_close(ds, path, st);
    free(role);
    return st;
}

static OGRCoordinateTransformationH to_lonlat(int epsg) {
    OGRSpatialReferenceH a = OSRNewSpatialReference(NULL), b = OSRNewSpatialReference(NULL);
    OGRCoordinateTransformationH ct = NULL;
    if (OSRImportFromEPSG(a, epsg) == OGRERR_NONE && OSRImportFromEPSG(b, 4326) == OGRERR_NONE) {
        OSRSetAxisMappingStrategy(a, OAMS_TRADITIONAL_GIS_ORDER);
        OSRSetAxisMappingStrategy(b, OAMS_TRADITIONAL_GIS_ORDER);
        ct = OCTNewCoordinateTransformation(a, b);
    }
    OSRDestroySpatialReference(a);
    OSRDestroySpatialReference(b);
    return ct;
}

cp_status syn_write_reports(const syn_world *w, const char *dir, const syn_progress *p,
                            int *nrecent) {
    cp_status st = CP_OK;
    GDALDatasetH ds = NULL;
    char path[4096];
    snprintf(path, sizeof path, "%s/reports.gpkg", dir);
    OGRCoordinateTransformationH ct = to_lonlat(w->epsg);
    if (!ct) {
        st = cp_fail_gdal(CP_E_CRS, "synth: cannot transform EPSG:%d to EPSG:4326", w->epsg);
        goto done;
    }
    if ((st = gpkg_open(path, &ds)) != CP_OK) goto done;
    OGRLayerH l = make_layer(ds, "reports", 4326, wkbPoint);
    if (!l || !add_field(l, "report_id", OFTString, 16) ||
        !add_field(l, "reported_on", OFTDate, 0) || !add_field(l, "confidence", OFTReal, 0) ||
        !add_field(l, "kind", OFTString, 24)) {
        st = cp_fail_gdal(CP_E_IO, "cannot create layer <reports> in <%s>", path);
        goto done;
    }
    OGRFeatureDefnH defn = OGR_L_GetLayerDefn(l);
    GDALDatasetStartTransaction(ds, FALSE);
    const double wx = (double)w->nx * w->cs, wy = (double)w->ny * w->cs;
    const double ext = wx < wy ? wx : wy;
    const int64_t recent_lo = syn_days(2022, 1, 1), recent_hi = syn_days(2025, 12, 31);
    const int64_t old_lo = syn_days(1998, 1, 1), old_hi = syn_days(2016, 12, 31);
    *nrecent = 0;
    for (int i = 0; i < w->nreports; ++i) {
        const uint64_t key = (uint64_t)i, sd = w->seed;
        double x, y, conf;
        int64_t day;
        int recent = syn_u(sd, SYN_S_REPORT, key, 0) < 0.6;
        if (recent) {
            int c = (int)(syn_hash(sd, SYN_S_REPORT, key, 1) % (uint64_t)w->nclusters);
            x = w->cluster_x[c] + gauss(sd, SYN_S_REPORT, key, 2) * w->cluster_sigma_m;
            y = w->cluster_y[c] + gauss(sd, SYN_S_REPORT, key, 4) * w->cluster_sigma_m;
            /* a rate rising 12% a year (an exponential density over the four years, by
               its inverse distribution): new contamination keeps coming, a little faster */
            const double span = (double)(recent_hi - recent_lo + 1), lam = log(1.12) / 365.25;
            day = recent_lo +
                  (int64_t)(log1p(syn_u(sd, SYN_S_REPORT, key, 6) * expm1(lam * span)) / lam);
            if (day > recent_hi) day = recent_hi;
            conf = 0.5 + 0.5 * syn_u(sd, SYN_S_REPORT, key, 7);
            ++*nrecent;
        } else {
            if (syn_u(sd, SYN_S_REPORT, key, 8) < 0.3) {
                double nx, ny;
                int f = (int)(syn_hash(sd, SYN_S_REPORT, key, 9) % (uint64_t)w->nfront);
                front_at(w, f, syn_u(sd, SYN_S_REPORT, key, 10), &x, &y, &nx, &ny);
                double off = gauss(sd, SYN_S_REPORT, key, 11) * 0.04 * ext;
                x += nx * off, y += ny * off;
            } else {
                x = w->x0 + wx * syn_u(sd, SYN_S_REPORT, key, 12);
                y = w->y1 - wy * syn_u(sd, SYN_S_REPORT, key, 13);
            }
            day = old_lo +
                  (int64_t)((double)(old_hi - old_lo + 1) * syn_u(sd, SYN_S_REPORT, key, 14));
            conf = 0.2 + 0.7 * syn_u(sd, SYN_S_REPORT, key, 15);
        }
        clamp_into(w, w->cs, &x, &y);
        double z = 0;
        if (!OCTTransform(ct, 1, &x, &y, &z)) {
            st = cp_fail_gdal(CP_E_CRS, "synth: cannot transform a report to EPSG:4326");
            goto done;
        }
        char id[16];
        snprintf(id, sizeof id, "RP-%06d", i + 1);
        OGRFeatureH f = OGR_F_Create(defn);
        OGR_F_SetFieldString(f, 0, id);
        set_date(f, 1, day);
        OGR_F_SetFieldDouble(f, 2, floor(conf * 100 + 0.5) / 100);
        OGR_F_SetFieldString(f, 3, "improvised mine");
        OGRGeometryH g = OGR_G_CreateGeometry(wkbPoint);
        /* 1e-7 degree (about 1 cm): what a GPS report carries */
        OGR_G_SetPoint_2D(g, 0, floor(x * 1e7 + 0.5) / 1e7, floor(y * 1e7 + 0.5) / 1e7);
        OGR_F_SetGeometryDirectly(f, g);
        OGR_F_SetFID(f, i + 1);
        OGRErr e = OGR_L_CreateFeature(l, f);
        OGR_F_Destroy(f);
        if (e != OGRERR_NONE) {
            st = cp_fail_gdal(CP_E_IO, "cannot write report %d to <%s>", i + 1, path);
            goto done;
        }
        if ((i & 1023) == 1023 && !syn_tick(p, (double)(i + 1) / w->nreports, "reports")) {
            st = cp_fail(CP_E_INTERRUPTED, "synth: interrupted");
            goto done;
        }
    }
    if (GDALDatasetCommitTransaction(ds) != OGRERR_NONE)
        st = cp_fail_gdal(CP_E_IO, "cannot write <%s>", path);
done:
    st = gpkg_close(ds, path, st);
    if (ct) OCTDestroyCoordinateTransformation(ct);
    return st;
}

cp_status syn_write_settlements(const syn_world *w, const char *dir, const syn_progress *p,
                                int *nroads) {
    cp_status st = CP_OK;
    GDALDatasetH ds = NULL;
    char path[4096];
    snprintf(path, sizeof path, "%s/settlements.gpkg", dir);
    *nroads = 0;
    if ((st = gpkg_open(path, &ds)) != CP_OK) goto done;
    OGRLayerH ls = make_layer(ds, "settlements", w->epsg, wkbPoint);
    if (!ls || !add_field(ls, "name", OFTString, 40) ||
        !add_field(ls, "population", OFTInteger64, 0) || !add_field(ls, "rank", OFTInteger, 0)) {
        st = cp_fail_gdal(CP_E_IO, "cannot create layer <settlements> in <%s>", path);
        goto done;
    }
    GDALDatasetStartTransaction(ds, FALSE);
    for (int i = 0; i < w->nst; ++i) {
        OGRFeatureH f = OGR_F_Create(OGR_L_GetLayerDefn(ls));
        OGR_F_SetFieldString(f, 0, w->st[i].name);
        OGR_F_SetFieldInteger64(f, 1, (GIntBig)w->st[i].pop);
        OGR_F_SetFieldInteger(f, 2, i + 1);
        OGRGeometryH g = OGR_G_CreateGeometry(wkbPoint);
        OGR_G_SetPoint_2D(g, 0, floor(w->st[i].x * 100 + 0.5) / 100,
                          floor(w->st[i].y * 100 + 0.5) / 100);
        OGR_F_SetGeometryDirectly(f, g);
        OGR_F_SetFID(f, i + 1);
        OGRErr e = OGR_L_CreateFeature(ls, f);
        OGR_F_Destroy(f);
        if (e != OGRERR_NONE) {
            st = cp_fail_gdal(CP_E_IO, "cannot write <%s>", path);
            goto done;
        }
    }
    GDALDatasetCommitTransaction(ds);
    OGRLayerH lr = make_layer(ds, "roads", w->epsg, wkbLineString);
    if (!lr || !add_field(lr, "class", OFTString, 12) ||
        !add_field(lr, "from_name", OFTString, 40) || !add_field(lr, "to_name", OFTString, 40)) {
        st = cp_fail_gdal(CP_E_IO, "cannot create layer <roads> in <%s>", path);
        goto done;
    }
    GDALDatasetStartTransaction(ds, FALSE);
    /* each settlement joins its nearest larger one (a tree, as trunk roads grow), and the
     * larger tenth also their second nearest larger one (loops) */
    for (int i = 1; i < w->nst; ++i) {
        int best[2] = {-1, -1};
        double bd[2] = {INFINITY, INFINITY};
        for (int j = 0; j < i; ++j) {
            double dx = w->st[i].x - w->st[j].x, dy = w->st[i].y - w->st[j].y;
            double d = dx * dx + dy * dy;
            if (d < bd[0]) {
                bd[1] = bd[0], best[1] = best[0];
                bd[0] = d, best[0] = j;
            } else if (d < bd[1]) {
                bd[1] = d, best[1] = j;
            }
        }
        int nlinks = (i < w->nst / 10 && best[1] >= 0) ? 2 : 1;
        for (int q = 0; q < nlinks; ++q) {
            const syn_settlement *a = &w->st[i], *b = &w->st[best[q]];
            double dx = b->x - a->x, dy = b->y - a->y, L = sqrt(dx * dx + dy * dy);
            int nseg = (int)(L / 2000.0);
            nseg = nseg < 2 ? 2 : nseg > 64 ? 64 : nseg;
            uint64_t key = (uint64_t)i * 2 + (uint64_t)q;
            double ph1 = 2 * M_PI * syn_u(w->seed, SYN_S_ROAD, key, 0);
            double ph2 = 2 * M_PI * syn_u(w->seed, SYN_S_ROAD, key, 1);
            OGRGeometryH g = OGR_G_CreateGeometry(wkbLineString);
            for (int k = 0; k <= nseg; ++k) {
                double t = (double)k / nseg;
                double off = 0.06 * L * sin(M_PI * t) *
                             (0.6 * sin(3 * M_PI * t + ph1) + 0.4 * sin(7 * M_PI * t + ph2));
                double x = a->x + dx * t - dy / (L > 0 ? L : 1) * off;
                double y = a->y + dy * t + dx / (L > 0 ? L : 1) * off;
                OGR_G_AddPoint_2D(g, floor(x * 100 + 0.5) / 100, floor(y * 100 + 0.5) / 100);
            }
            OGRFeatureH f = OGR_F_Create(OGR_L_GetLayerDefn(lr));
            const char *cls = (a->pop > 20000 && b->pop > 20000) ? "primary"
                              : a->pop > 2000                    ? "secondary"
                                                                 : "track";
            OGR_F_SetFieldString(f, 0, cls);
            OGR_F_SetFieldString(f, 1, a->name);
            OGR_F_SetFieldString(f, 2, b->name);
            OGR_F_SetGeometryDirectly(f, g);
            OGR_F_SetFID(f, ++*nroads);
            OGRErr e = OGR_L_CreateFeature(lr, f);
            OGR_F_Destroy(f);
            if (e != OGRERR_NONE) {
                st = cp_fail_gdal(CP_E_IO, "cannot write <%s>", path);
                goto done;
            }
        }
        if ((i & 255) == 255 && !syn_tick(p, (double)i / w->nst, "settlements and roads")) {
            st = cp_fail(CP_E_INTERRUPTED, "synth: interrupted");
            goto done;
        }
    }
    GDALDatasetCommitTransaction(ds);
done:
    return gpkg_close(ds, path, st);
}

cp_status syn_write_aoi(const syn_world *w, const char *dir, double radius_m) {
    cp_status st = CP_OK;
    GDALDatasetH ds = NULL, hz = NULL;
    char path[4096];
    /* the hazards' extent grown by the scenario's largest radius (DESIGN §5's default grid),
     * clipped to the world the rasters cover, on whole cells */
    double x0 = w->x0, x1 = w->x0 + (double)w->nx * w->cs;
    double y1 = w->y1, y0 = w->y1 - (double)w->ny * w->cs;
    snprintf(path, sizeof path, "%s/hazards.gpkg", dir);
    hz = GDALOpenEx(path, GDAL_OF_VECTOR | GDAL_OF_READONLY, NULL, NULL, NULL);
    OGREnvelope e;
    if (!hz || OGR_L_GetExtent(GDALDatasetGetLayer(hz, 0), &e, TRUE) != OGRERR_NONE) {
        st = cp_fail_gdal(CP_E_IO, "cannot read the extent of <%s>", path);
        goto done;
    }
    x0 = fmax(x0, w->x0 + floor((e.MinX - radius_m - w->x0) / w->cs) * w->cs);
    x1 = fmin(x1, w->x0 + ceil((e.MaxX + radius_m - w->x0) / w->cs) * w->cs);
    y0 = fmax(y0, w->y1 - ceil((w->y1 - e.MinY + radius_m) / w->cs) * w->cs);
    y1 = fmin(y1, w->y1 - floor((w->y1 - e.MaxY - radius_m) / w->cs) * w->cs);
    snprintf(path, sizeof path, "%s/aoi.gpkg", dir);
    if ((st = gpkg_open(path, &ds)) != CP_OK) goto done;
    OGRLayerH l = make_layer(ds, "aoi", w->epsg, wkbPolygon);
    if (!l || !add_field(l, "name", OFTString, 40)) {
        st = cp_fail_gdal(CP_E_IO, "cannot create layer <aoi> in <%s>", path);
        goto done;
    }
    OGRGeometryH ring = OGR_G_CreateGeometry(wkbLinearRing);
    OGR_G_AddPoint_2D(ring, x0, y0);
    OGR_G_AddPoint_2D(ring, x1, y0);
    OGR_G_AddPoint_2D(ring, x1, y1);
    OGR_G_AddPoint_2D(ring, x0, y1);
    OGR_G_AddPoint_2D(ring, x0, y0);
    OGRGeometryH poly = OGR_G_CreateGeometry(wkbPolygon);
    OGR_G_AddGeometryDirectly(poly, ring);
    OGRFeatureH f = OGR_F_Create(OGR_L_GetLayerDefn(l));
    OGR_F_SetFieldString(f, 0, "area of interest");
    OGR_F_SetGeometryDirectly(f, poly);
    OGR_F_SetFID(f, 1);
    if (OGR_L_CreateFeature(l, f) != OGRERR_NONE)
        st = cp_fail_gdal(CP_E_IO, "cannot write <%s>", path);
    OGR_F_Destroy(f);
done:
    if (hz) GDALClose(hz);
    return gpkg_close(ds, path, st);
}

/* ---- completion records ---- */

cp_status syn_write_records(const syn_world *w, const char *dir, int n, syn_records *t) {
    static const int codes[] = {10, 20, 30, 40, 50, 60};
    static const double prod[] = {230, 330, 470, 540, 280, 420};
    memset(t, 0, sizeof *t);
    t->n = n;
    t->ncodes = 6;
    for (int k = 0; k < 6; ++k) t->codes[k] = codes[k], t->productivity[k] = prod[k];
    t->productivity_default = 380;
    t->treecover_slowdown = 0.35;
    t->improvised_slowdown = 0.55;
    t->nts_m2 = 36000;
    t->ts_m2 = 2800;
    t->noise_log_sd = 0.12;
    char path[4096];
    snprintf(path, sizeof path, "%s/scenario.yaml", dir);
    cp_scenario *sc = NULL;
    cp_grid g;
    memset(&g, 0, sizeof g);
    cp_hazard_set hs, scene;
    memset(&hs, 0, sizeof hs);
    memset(&scene, 0, sizeof scene);
    calib_cells cc;
    memset(&cc, 0, sizeof cc);
    GDALDatasetH ds = NULL;
    double *xy = calloc((size_t)n * 10 + 1, sizeof *xy);
    int64_t *off = calloc((size_t)n * 4 + 1, sizeof *off);
    char(*ids)[16] = calloc((size_t)n + 1, 16);
    hs.items = calloc((size_t)n + 1, sizeof *hs.items);
    cp_status st = xy && off && ids && hs.items ? CP_OK : cp_fail(CP_E_NOMEM, "out of memory");
    if (st == CP_OK) st = cp_scenario_load(path, &sc);
    if (st == CP_OK) st = cp_hazards_read(sc, 0, 1, &g, &scene); /* the scenario's grid */
    cp_hazards_clear(&scene);
    if (st != CP_OK) goto done;
    const cpk_geo *geo = &g.geo;
    const double gx0 = geo->x0 + 500, gx1 = geo->x0 + (double)geo->nx * geo->dx - 500;
    const double gy1 = geo->y0 - 500, gy0 = geo->y0 - (double)geo->ny * geo->dy + 500;
    const uint64_t sd = w->seed;
    for (int i = 0; i < n; ++i) { /* rectangles, a third near the clusters of recent reports */
        double cx, cy;
        if (i % 3 == 0 && w->nclusters) {
            int c = (int)(syn_hash(sd, SYN_S_RECORD, (uint64_t)i, 0) % (uint64_t)w->nclusters);
            cx = w->cluster_x[c] + gauss(sd, SYN_S_RECORD, (uint64_t)i, 1) * w->cluster_sigma_m;
            cy = w->cluster_y[c] + gauss(sd, SYN_S_RECORD, (uint64_t)i, 3) * w->cluster_sigma_m;
        } else {
            cx = gx0 + (gx1 - gx0) * syn_u(sd, SYN_S_RECORD, (uint64_t)i, 5);
            cy = gy0 + (gy1 - gy0) * syn_u(sd, SYN_S_RECORD, (uint64_t)i, 6);
        }
        cx = cx < gx0 ? gx0 : cx > gx1 ? gx1 : cx;
        cy = cy < gy0 ? gy0 : cy > gy1 ? gy1 : cy;
        double hw = 20 + 110 * syn_u(sd, SYN_S_RECORD, (uint64_t)i, 7),
               hh = 20 + 110 * syn_u(sd, SYN_S_RECORD, (uint64_t)i, 8);
        double *p = xy + (size_t)i * 10;
        const double ring[10] = {cx - hw, cy - hh, cx + hw, cy - hh, cx + hw,
                                 cy + hh, cx - hw, cy + hh, cx - hw, cy - hh};
        memcpy(p, ring, sizeof ring);
        int64_t *o = off + (size_t)i * 4;
        o[0] = 0, o[1] = 5, o[2] = 0, o[3] = 1; /* ring offsets, part offsets */
        cp_hazard_in *h = &hs.items[i];
        snprintf(ids[i], 16, "TASK-%04d", i + 1);
        h->id = ids[i];
        h->shape = (cp_polygon_arrays){p, o, o + 2, 1, 1};
        cpk_polygon poly = cp_polygon_arrays_view(&h->shape);
        cpk_coverage_window(&poly, geo, &h->win);
    }
    hs.n = (size_t)n;
    if ((st = cp_calib_cells_read(sc, &g, &hs, 1, &cc)) != CP_OK) goto done;
    snprintf(path, sizeof path, "%s/records.gpkg", dir);
    if ((st = gpkg_open(path, &ds)) != CP_OK) goto done;
    OGRLayerH l = make_layer(ds, "records", w->epsg, wkbPolygon);
    if (!l || !add_field(l, "task_id", OFTString, 16) || !add_field(l, "team_days", OFTReal, 0) ||
        !add_field(l, "method", OFTString, 16) || !add_field(l, "status", OFTString, 3)) {
        st = cp_fail_gdal(CP_E_IO, "cannot create layer <records> in <%s>", path);
        goto done;
    }
    OGRFeatureDefnH defn = OGR_L_GetLayerDefn(l);
    GDALDatasetStartTransaction(ds, FALSE);
    for (int i = 0; i < n && st == CP_OK; ++i) {
        double u = syn_u(sd, SYN_S_RECORD, (uint64_t)i, 9), area = 0, td = 0;
        const char *method = u < 0.7 ? "clearance" : u < 0.85 ? "nts" : "ts";
        for (size_t k = cc.first[i]; k < cc.first[i] + cc.count[i]; ++k) {
            const cp_calib_cell *c = &cc.cells[k];
            int code = c->cls < (int)cc.nclasses ? cc.classes[c->cls] : -1;
            double p = t->productivity_default;
            for (int j = 0; j < t->ncodes; ++j)
                if (t->codes[j] == code) p = t->productivity[j];
            double tc = isnan(c->treecover) ? 0 : c->treecover / 100.0;
            p *= (1 - t->treecover_slowdown * tc) * (c->improvised ? t->improvised_slowdown : 1);
            td += c->m2 / p;
            area += c->m2;
        }
        if (method[0] == 'n') td = area / t->nts_m2;
        if (method[0] == 't') td = area / t->ts_m2;
        td *= exp(t->noise_log_sd * gauss(sd, SYN_S_RECORD, (uint64_t)i, 11));
        OGRFeatureH f = OGR_F_Create(defn);
        OGR_F_SetFieldString(f, 0, ids[i]);
        OGR_F_SetFieldDouble(f, 1, floor(td * 1000 + 0.5) / 1000); /* to a thousandth */
        OGR_F_SetFieldString(f, 2, method);
        OGR_F_SetFieldString(f, 3, syn_u(sd, SYN_S_RECORD, (uint64_t)i, 12) < 0.7 ? "SHA" : "CHA");
        OGRGeometryH ring = OGR_G_CreateGeometry(wkbLinearRing),
                     poly = OGR_G_CreateGeometry(wkbPolygon);
        for (int k = 0; k < 5; ++k)
            OGR_G_AddPoint_2D(ring, xy[(size_t)i * 10 + 2 * k], xy[(size_t)i * 10 + 2 * k + 1]);
        OGR_G_AddGeometryDirectly(poly, ring);
        OGR_F_SetGeometryDirectly(f, poly);
        if (OGR_L_CreateFeature(l, f) != OGRERR_NONE)
            st = cp_fail_gdal(CP_E_IO, "cannot write record %d to <%s>", i + 1, path);
        OGR_F_Destroy(f);
    }
    GDALDatasetCommitTransaction(ds);
done:
    st = gpkg_close(ds, path, st);
    cp_calib_cells_free(&cc);
    free(hs.items);
    cp_grid_clear(&g);
    cp_scenario_free(sc);
    free(xy), free(off), free(ids);
    return st;
}
